"""Cold (restored, not yet built) terminal orders: every lookup behaves as if built."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import oms_stubs as st
import pytest

from ashare_exec.errors import InvalidTransition
from ashare_exec.model import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    OrderStatus,
    Side,
    SubmitOrder,
)
from ashare_exec.model.order import Order
from ashare_exec.oms import Ledger, OmsState, OrderBook, check_submit
from ashare_exec.oms.book import ColdOrder, OrderKey

ACC2 = AccountId("ACC2")


class Loader:
    """Builds orders from a live book, counting what it was asked for."""

    def __init__(self, live: OrderBook) -> None:
        self.live = live
        self.asked: list[OrderKey] = []
        self.calls: list[int] = []  # keys per call

    def __call__(self, keys: Sequence[OrderKey]) -> dict[OrderKey, Order]:
        self.asked.extend(keys)
        self.calls.append(len(keys))
        out = {}
        for k in keys:
            order = self.live.get(*k)
            assert order is not None
            out[k] = order
        return out


def _live() -> OrderBook:
    """C1 filled (B1/E1), C2 working (B2), C3 canceled (B3), D1 denied in ACC2."""
    book = OrderBook()
    for e in (
        st.submitted("C1"),
        st.accepted("C1", broker="B1", exch="E1"),
        st.filled("C1", qty=1000),
        st.submitted("C2"),
        st.accepted("C2", broker="B2"),
        st.submitted("C3"),
        st.accepted("C3", broker="B3"),
        st.canceled("C3"),
        st.denied("D1", account="ACC2"),
    ):
        book.apply(e)
    return book


def _restored(live: OrderBook, *, summaries: bool = False) -> tuple[OrderBook, Loader]:
    """``live`` restored as recovery restores it: finished orders cold (with the summary
    reconciliation reads when ``summaries``), the others built."""
    entries: list[Order | ColdOrder] = [
        ColdOrder(
            o.spec.account_id,
            o.client_order_id,
            o.broker_order_id,
            o.exchange_order_id,
            *(
                (str(o.spec.instrument_id), o.spec.side.value, o.spec.qty, o.filled_qty)
                if summaries
                else ()
            ),
        )
        if o.status.is_terminal
        else o
        for o in live
    ]
    loader = Loader(live)
    book = OrderBook()
    book.restore(entries, loader)
    return book, loader


def test_restore_when_terminal_orders_cold_builds_nothing_for_keys_and_counts() -> None:
    book, loader = _restored(_live())

    seen = (
        len(book),
        (st.ACC, "C1") in book,
        book.client_order_ids(st.ACC),
        book.has_orders(ACC2),
        book.has_orders(AccountId("NONE")),
        [o.client_order_id for o in book.open_orders()],
        book.cold_count,
    )

    assert seen == (4, True, ["C1", "C2", "C3"], True, False, ["C2"], 3)
    assert loader.asked == []


@pytest.mark.parametrize(
    ("lookup", "expected"),
    [
        (lambda b: b.get(st.ACC, "C1"), "C1"),
        (lambda b: b.require(st.ACC, "C3"), "C3"),
        (lambda b: b.by_broker_id(st.ACC, "B1"), "C1"),
        (lambda b: b.by_exchange_id(st.ACC, "E1"), "C1"),
        (lambda b: b.find(st.ACC, None, "B3"), "C3"),
        (lambda b: b.find(st.ACC, None, None, "E1"), "C1"),
    ],
)
def test_lookup_when_order_cold_builds_only_that_order(lookup: object, expected: str) -> None:
    live = _live()
    book, loader = _restored(live)

    found = lookup(book)  # type: ignore[operator]

    assert found is live.get(st.ACC, ClientOrderId(expected))
    assert [k[1] for k in loader.asked] == [expected]
    assert book.cold_count == 2
    assert lookup(book) is found  # type: ignore[operator]
    assert len(loader.asked) == 1  # built once


def test_lookup_when_id_unknown_builds_nothing() -> None:
    book, loader = _restored(_live())

    assert book.get(st.ACC, ClientOrderId("ZZ")) is None
    assert book.by_broker_id(st.ACC, "B9") is None  # type: ignore[arg-type]
    assert book.by_broker_id(ACC2, "B1") is None  # type: ignore[arg-type]
    assert loader.asked == []


def test_orders_when_listed_for_one_account_builds_only_its_cold_orders() -> None:
    live = _live()
    book, loader = _restored(live)

    listed = book.orders(st.ACC, status=OrderStatus.FILLED)

    assert [o.client_order_id for o in listed] == ["C1"]
    assert sorted(k[1] for k in loader.asked) == ["C1", "C3"]
    assert list(book) == list(live)  # creation order kept; builds ACC2's order too
    assert book.cold_count == 0


def test_apply_when_event_for_cold_order_builds_then_applies() -> None:
    book, loader = _restored(_live())

    order, result = book.apply(st.filled("C3", qty=100, trade="T9"))

    assert [k[1] for k in loader.asked] == ["C3"]
    assert order.filled_qty == 100
    assert result.status_after is OrderStatus.CANCELED
    with pytest.raises(InvalidTransition, match="already exists"):
        book.apply(st.submitted("C1"))


def test_submit_when_client_id_of_cold_done_order_repeats_returns_existing() -> None:
    live = _live()
    book, _loader = _restored(live)
    command = SubmitOrder(
        account_id=st.ACC,
        instrument_id=st.INST,
        side=Side.BUY,
        qty=1000,
        price=Decimal("10.00"),
        client_order_id=ClientOrderId("C1"),
    )

    assert check_submit(book, command, ClientOrderId("C1")) is live.get(st.ACC, "C1")  # type: ignore[arg-type]


def test_roll_day_when_orders_cold_evicts_them_without_building() -> None:
    book, loader = _restored(_live())
    state = OmsState(book, Ledger(lambda *_a: Decimal(0)))

    state.roll_day(st.ACC, date(2026, 11, 25), st.ts(3600))

    assert loader.asked == []
    assert book.client_order_ids(st.ACC) == ["C2"]
    assert book.by_broker_id(st.ACC, "B1") is None  # type: ignore[arg-type]
    assert book.by_exchange_id(st.ACC, "E1") is None  # type: ignore[arg-type]
    assert book.get(st.ACC, ClientOrderId("C3")) is None
    state.apply(st.submitted("C1"))  # the id may be used again
    assert book.cold_count == 1  # ACC2's denied order


def test_restore_when_later_order_shares_broker_id_later_one_wins() -> None:
    first = Order.create(st.submitted("C1"))
    first.apply(st.accepted("C1", broker="B1"))
    later = Order.create(st.submitted("C2"))
    later.apply(st.accepted("C2", broker="B1"))
    b1 = BrokerOrderId("B1")
    cases: list[tuple[list[Order | ColdOrder], str]] = [
        ([ColdOrder(st.ACC, ClientOrderId("C1"), b1, None), later], "C2"),
        ([first, ColdOrder(st.ACC, ClientOrderId("C2"), b1, None)], "C2"),
    ]
    for entries, winner in cases:
        book = OrderBook()
        book.restore(entries, lambda keys: {k: later if k[1] == "C2" else first for k in keys})

        found = book.by_broker_id(st.ACC, "B1")  # type: ignore[arg-type]
        assert found is not None
        assert found.client_order_id == winner


def test_restore_when_cold_orders_without_loader_refuses_and_stays_empty() -> None:
    book = OrderBook()

    with pytest.raises(InvalidTransition, match="need a loader"):
        book.restore([ColdOrder(st.ACC, ClientOrderId("C1"), None, None)])

    assert len(book) == 0


def test_get_when_loader_misses_a_key_raises_and_keeps_order_cold() -> None:
    book = OrderBook()
    book.restore([ColdOrder(st.ACC, ClientOrderId("C1"), None, None)], lambda _keys: {})

    with pytest.raises(InvalidTransition, match="could not be loaded"):
        book.get(st.ACC, ClientOrderId("C1"))

    assert book.cold_count == 1


@pytest.mark.parametrize(
    ("status", "listed", "built"),
    [
        (OrderStatus.NEW, ["C2"], []),
        (frozenset({OrderStatus.NEW, OrderStatus.PENDING_NEW}), ["C2"], []),
        (frozenset({OrderStatus.NEW, OrderStatus.CANCELED}), ["C2", "C3"], ["C1", "C3"]),
    ],
)
def test_orders_when_status_filter_given_builds_cold_only_if_it_may_match(
    status: OrderStatus | frozenset[OrderStatus], listed: list[str], built: list[str]
) -> None:
    book, loader = _restored(_live())

    found = book.orders(st.ACC, status=status)

    assert [o.client_order_id for o in found] == listed
    assert sorted(k[1] for k in loader.asked) == built


@pytest.mark.parametrize("build_all", [False, True])
def test_thaw_when_live_order_took_a_cold_orders_broker_id_live_one_keeps_it(
    build_all: bool,
) -> None:
    book, _loader = _restored(_live())
    book.apply(st.submitted("C9"))
    book.apply(st.accepted("C9", broker="B1", exch="E1"))

    if build_all:
        list(book)
    else:
        book.get(st.ACC, ClientOrderId("C1"))

    assert book.by_broker_id(st.ACC, BrokerOrderId("B1")).client_order_id == "C9"  # type: ignore[union-attr]
    assert book.by_exchange_id(st.ACC, "E1").client_order_id == "C9"  # type: ignore[arg-type, union-attr]


def _many(n: int) -> OrderBook:
    """``n`` filled orders C0..C<n-1>, then one working order W."""
    book = OrderBook()
    for i in range(n):
        coid = f"C{i}"
        book.apply(st.submitted(coid))
        book.apply(st.accepted(coid, broker=f"B{i}"))
        book.apply(st.filled(coid, qty=1000))
    book.apply(st.submitted("W"))
    return book


def test_page_when_newest_asked_builds_only_enough_cold_orders_newest_first() -> None:
    live = _many(1000)
    book, loader = _restored(live)

    listed = book.page(st.ACC, limit=3).orders

    assert [o.client_order_id for o in listed] == ["C998", "C999", "W"]  # creation order
    # One chunk of the 256 newest keys (W is live), not all 1,000 cold orders.
    assert len(loader.asked) == 255
    assert loader.asked[0] == (st.ACC, "C999")
    assert book.cold_count == 1000 - 255


def test_page_when_newest_meets_rare_filter_keeps_building_until_found() -> None:
    live = _many(1000)
    book, _loader = _restored(live)

    listed = book.page(st.ACC, limit=2, where=lambda o: o.client_order_id in {"C3", "C7"}).orders

    assert [o.client_order_id for o in listed] == ["C3", "C7"]


@pytest.mark.parametrize("restored", [False, True])
def test_page_newest_and_where_select_as_without_them(restored: bool) -> None:
    live = _many(40)
    book = _restored(live)[0] if restored else live
    every = [o for o in live.orders(st.ACC) if int(o.client_order_id[1:] or 0) % 3 == 0]

    listed = book.page(
        st.ACC, where=lambda o: int(o.client_order_id[1:] or 0) % 3 == 0, limit=5
    ).orders

    assert listed == every[-5:]
    assert book.page(st.ACC, limit=10_000).orders == live.orders(st.ACC)


def test_prefetch_when_ids_name_cold_orders_builds_them_in_one_load() -> None:
    book, loader = _restored(_live())

    built = book.prefetch(
        st.ACC,
        [
            (ClientOrderId("C1"), None, None),  # by client id
            (None, BrokerOrderId("B3"), None),  # by broker id
            (ClientOrderId("C2"), None, None),  # working: already built
            (ClientOrderId("nope"), BrokerOrderId("nope"), None),
            (ClientOrderId("C1"), None, None),  # twice: loaded once
        ],
    )

    assert (built, loader.calls) == (2, [2])
    assert book.cold_count == 1  # D1, another account's
