"""Order book indexes and filters; idempotent submit; client order id minting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import oms_stubs as st
import pytest
from hypothesis import given
from hypothesis import strategies as hs

from ashare_exec.errors import DuplicateClientOrderId, InvalidTransition, OrderNotFound
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    OrderStatus,
    Side,
    StrategyId,
    SubmitOrder,
    is_valid_client_order_id,
)
from ashare_exec.model.order import Order
from ashare_exec.oms import ClientOrderIdMinter, OrderBook, check_submit


def book_with(*events: object) -> OrderBook:
    book = OrderBook()
    for e in events:
        book.apply(e)  # type: ignore[arg-type]
    return book


def test_apply_when_accepted_indexes_broker_and_exchange_ids() -> None:
    book = book_with(st.submitted(), st.accepted(broker="B1", exch="E1"))

    order = book.require(st.ACC, ClientOrderId("C1"))

    assert book.by_broker_id(st.ACC, "B1") is order  # type: ignore[arg-type]
    assert book.by_exchange_id(st.ACC, "E1") is order  # type: ignore[arg-type]
    assert book.find(st.ACC, None, None, "E1") is order  # type: ignore[arg-type]


def test_open_orders_when_order_terminal_drops_it() -> None:
    book = book_with(st.submitted("C1"), st.submitted("C2"), st.rejected("C2"))

    assert [o.client_order_id for o in book.open_orders()] == ["C1"]


def test_orders_when_filtered_matches_every_given_criterion() -> None:
    book = book_with(
        st.submitted("C1", strategy="alpha"),
        st.submitted("C2", side=Side.SELL, strategy="alpha"),
        st.submitted("C3", inst=st.INST2, strategy="beta"),
        st.denied("C4", strategy="alpha"),
    )

    alpha_buys = book.orders(st.ACC, strategy_id=StrategyId("alpha"), side=Side.BUY)
    on_inst2 = book.orders(instrument_id=st.INST2)
    denied = book.orders(status=OrderStatus.DENIED)
    open_alpha = book.orders(strategy_id=StrategyId("alpha"), open_only=True)

    assert [o.client_order_id for o in alpha_buys] == ["C1", "C4"]
    assert [o.client_order_id for o in on_inst2] == ["C3"]
    assert [o.client_order_id for o in denied] == ["C4"]
    assert [o.client_order_id for o in open_alpha] == ["C1", "C2"]


def test_apply_when_order_unknown_raises_not_found() -> None:
    with pytest.raises(OrderNotFound):
        OrderBook().apply(st.accepted("NOPE"))


def test_apply_when_creation_event_repeats_raises() -> None:
    book = book_with(st.submitted())

    with pytest.raises(InvalidTransition):
        book.apply(st.submitted())


def _command(**kw: object) -> SubmitOrder:
    base: dict[str, object] = {
        "account_id": st.ACC,
        "instrument_id": st.INST,
        "side": Side.BUY,
        "qty": 1000,
        "price": Decimal("10.00"),
        "client_order_id": ClientOrderId("C1"),
    }
    base.update(kw)
    return SubmitOrder(**base)  # type: ignore[arg-type]


def test_check_submit_when_same_id_same_content_returns_existing_order() -> None:
    book = book_with(st.submitted())

    existing = check_submit(book, _command(strategy_id=StrategyId("other")), ClientOrderId("C1"))

    assert existing is book.get(st.ACC, ClientOrderId("C1"))


@pytest.mark.parametrize(
    "change",
    [{"qty": 900}, {"price": Decimal("10.01")}, {"side": Side.SELL}, {"instrument_id": st.INST2}],
)
def test_check_submit_when_same_id_other_content_raises_duplicate(
    change: dict[str, object],
) -> None:
    book = book_with(st.submitted())

    with pytest.raises(DuplicateClientOrderId) as info:
        check_submit(book, _command(**change), ClientOrderId("C1"))

    assert info.value.code == "DUPLICATE_CLIENT_ORDER_ID"


def test_check_submit_when_new_id_or_other_account_returns_none() -> None:
    book = book_with(st.submitted())

    assert check_submit(book, _command(), ClientOrderId("C2")) is None
    assert check_submit(book, _command(account_id=AccountId("ACC2")), ClientOrderId("C1")) is None


def test_minter_when_same_day_and_sequence_is_deterministic_and_valid() -> None:
    a = ClientOrderIdMinter(date(2026, 11, 25))
    b = ClientOrderIdMinter(date(2026, 11, 25))

    ids = [a.next() for _ in range(3)]

    assert ids == [b.mint(1), b.mint(2), b.mint(3)]
    assert ids[0] == "G261125000001"
    assert all(is_valid_client_order_id(i) and len(i) <= 20 for i in ids)


def test_minter_when_other_day_gives_other_ids() -> None:
    assert ClientOrderIdMinter(date(2026, 11, 25)).mint(1) != ClientOrderIdMinter(
        date(2026, 11, 26)
    ).mint(1)


def test_minter_when_resumed_after_restart_never_reuses_an_id() -> None:
    before = ClientOrderIdMinter(date(2026, 11, 25))
    used = [before.next() for _ in range(5)]
    after = ClientOrderIdMinter(date(2026, 11, 25))

    after.resume([*used, "manual-id", "G261124000099"])

    assert after.next() not in used
    assert after.next_sequence == 7


def test_minter_when_id_taken_skips_it() -> None:
    minter = ClientOrderIdMinter(date(2026, 11, 25))
    taken = {minter.mint(1), minter.mint(2)}

    assert minter.next(taken.__contains__) == minter.mint(3)


@pytest.mark.parametrize("prefix", ["", "TOOLONGPX", "a b", "中"])
def test_minter_when_prefix_invalid_raises(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        ClientOrderIdMinter(date(2026, 11, 25), prefix=prefix)


@given(hs.integers(min_value=0, max_value=36**6 - 1))
def test_minter_when_any_sequence_round_trips(seq: int) -> None:
    minter = ClientOrderIdMinter(date(2026, 11, 25), prefix="Ab_-9")
    coid = minter.mint(seq)

    assert minter.sequence_of(coid) == seq
    assert is_valid_client_order_id(coid)


def test_roll_day_when_orders_terminal_evicts_them_so_ids_can_be_reused() -> None:
    from ashare_exec.oms import Ledger, OmsState

    state = OmsState(OrderBook(), Ledger(lambda *_a: Decimal(0)))
    for e in (
        st.submitted("C1"),
        st.accepted("C1", broker="B1"),
        st.expired("C1"),
        st.submitted("C2"),
        st.unknown("C2"),
        st.denied("C3", account="ACC2"),
    ):
        state.apply(e)  # type: ignore[arg-type]

    change = state.roll_day(st.ACC, date(2026, 11, 25), st.ts(3600))

    assert change is not None
    assert [o.client_order_id for o in state.book] == [
        "C2",
        "C3",
    ]  # UNKNOWN stays; other account too
    assert state.book.by_broker_id(st.ACC, "B1") is None  # type: ignore[arg-type]
    assert check_submit(state.book, _command(qty=500), ClientOrderId("C1")) is None


def test_book_restore_when_orders_share_a_key_refuses_and_stays_empty() -> None:
    one = Order.create(st.submitted("C1"))
    book = OrderBook()

    with pytest.raises(InvalidTransition, match="share a client order id"):
        book.restore([one, Order.create(st.submitted("C1"))])

    assert len(book) == 0
    book.restore([one])
    assert book.open_orders() == [one]
