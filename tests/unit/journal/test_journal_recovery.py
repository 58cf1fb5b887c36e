"""Recovery: state replayed from the journal equals the live state; idempotency survives."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import oms_stubs as st
from hypothesis import given, settings
from hypothesis import strategies as hs

from ashare_exec.errors import InvalidTransition, OrderNotFound
from ashare_exec.journal import Journal, replay
from ashare_exec.model import (
    CashReport,
    ClientOrderId,
    InstrumentId,
    OrderStatus,
    PositionReport,
    Side,
    SubmitOrder,
)
from ashare_exec.oms import Ledger, OmsState, OrderBook, check_submit

S = OrderStatus


def fee(_i: InstrumentId, side: Side, qty: int, px: Decimal) -> Decimal:
    rate = Decimal("0.0015") if side is Side.SELL else Decimal("0.0005")
    return max((qty * px * rate).quantize(Decimal("0.01")), Decimal("0.10"))


def is_t0(inst: InstrumentId) -> bool:
    return inst == st.INST2


def new_state() -> OmsState:
    return OmsState(OrderBook(), Ledger(fee, is_t0=is_t0))


_KINDS = [
    "submit",
    "deny",
    "accept",
    "reject",
    "fill",
    "dup_fill",
    "pending_cancel",
    "cancel",
    "cancel_reject",
    "expire",
    "unknown",
    "restate",
    "roll_day",
    "snapshot",
]
_PXS = ["9.99", "10.00", "10.01", "10.37"]
_op = hs.tuples(
    hs.sampled_from(_KINDS),
    hs.integers(0, 3),  # which order
    hs.integers(1, 700),  # a quantity
    hs.integers(0, 100),  # a free choice
)


def _event(kind: str, idx: int, qty: int, choice: int, step: int, trades: list[str]) -> object:
    coid = f"C{idx}"
    at = step
    side = Side.SELL if idx % 2 else Side.BUY
    inst = st.INST2 if idx >= 2 else st.INST
    if kind == "submit":
        return st.submitted(
            coid, at, side=side, inst=inst, qty=(qty // 100 + 1) * 100, price=_PXS[choice % 4]
        )
    if kind == "deny":
        return st.denied(coid, at, side=side, inst=inst)
    if kind == "accept":
        return st.accepted(coid, at, broker=f"B{idx}")
    if kind == "reject":
        return st.rejected(coid, at)
    if kind in ("fill", "dup_fill"):
        trade = trades[choice % len(trades)] if kind == "dup_fill" and trades else f"T{step}"
        fee_txt = None if choice % 3 == 0 else f"{choice / 100:.2f}"
        return st.filled(
            coid, trade, qty=qty, px=_PXS[choice % 4], at=at, fee=fee_txt, side=side, inst=inst
        )
    if kind == "restate":
        statuses = [
            S.NEW,
            S.PARTIALLY_FILLED,
            S.FILLED,
            S.CANCELED,
            S.EXPIRED,
            S.PENDING_CANCEL,
            S.UNKNOWN,
        ]
        return st.restated(
            coid, statuses[choice % len(statuses)], at, venue_filled=qty if choice % 2 else None
        )
    factories = {
        "pending_cancel": st.pending_cancel,
        "cancel": st.canceled,
        "cancel_reject": st.cancel_rejected,
        "expire": st.expired,
        "unknown": st.unknown,
    }
    return factories[kind](coid, at)


def drive(state: OmsState, journal: Journal, ops: list[tuple[str, int, int, int]]) -> int:
    """Apply the ops live, journaling what applied; return how many were journaled."""
    trades: list[str] = []
    journaled = 0
    day = date(2026, 11, 25)
    for step, (kind, idx, qty, choice) in enumerate(ops):
        if kind == "roll_day":
            day += timedelta(days=1)
            change = state.roll_day(st.ACC, day, st.ts(step))
            if change is not None:
                journal.append(change)
                journaled += 1
            continue
        if kind == "snapshot":
            positions = [
                PositionReport(
                    account_id=st.ACC, instrument_id=st.INST, total_qty=qty, sellable_qty=qty // 2
                )
            ]
            cash = CashReport(
                account_id=st.ACC, available=Decimal(choice * 1000), frozen=Decimal(0)
            )
            changes = state.apply_broker_snapshot(
                st.ACC, positions, cash, st.ts(step), complete=choice % 2 == 0
            )
            journal.append_many(changes)
            journaled += len(changes)
            continue
        if kind not in ("submit", "deny") and (st.ACC, f"C{idx}") not in state.book:
            journal.append(state.apply(_event("submit", idx, qty, choice, step, trades)))  # type: ignore[arg-type]
            journaled += 1
        event = _event(kind, idx, qty, choice, step, trades)
        try:
            change = state.apply(event)  # type: ignore[arg-type]
        except (InvalidTransition, OrderNotFound):
            continue  # refused live: never journaled
        if kind in ("fill", "dup_fill"):
            trades.append(event.trade_id)  # type: ignore[attr-defined]
        journal.append(change)
        journaled += 1
    return journaled


def assert_same_state(recovered: OmsState, live: OmsState) -> None:
    """Orders (fills, statuses, logs), indexes, ledger positions, cash, freezes, days."""
    assert list(recovered.book) == list(live.book)  # every order, its fills and its log
    assert recovered.ledger.positions() == live.ledger.positions()
    assert recovered.ledger.accounts() == live.ledger.accounts()
    assert [recovered.ledger.cash(a) for a in live.ledger.accounts()] == [
        live.ledger.cash(a) for a in live.ledger.accounts()
    ]
    for order in live.book:
        key = (order.spec.account_id, order.spec.client_order_id)
        assert recovered.ledger.order_freeze(*key) == live.ledger.order_freeze(*key)
        if order.broker_order_id is not None:
            found = recovered.book.by_broker_id(key[0], order.broker_order_id)
            assert found is not None
            assert found.client_order_id == order.client_order_id
    assert [o.client_order_id for o in recovered.book.open_orders()] == [
        o.client_order_id for o in live.book.open_orders()
    ]
    assert recovered.ledger.trading_day(st.ACC) == live.ledger.trading_day(st.ACC)


def assert_same_lookups(recovered: OmsState, live: OmsState) -> None:
    """Lookups answer as live ones, before anything lists (and so builds) every order."""
    book = recovered.book
    assert len(book) == len(live.book)
    for acct in {o.spec.account_id for o in live.book}:
        assert book.client_order_ids(acct) == [
            o.client_order_id for o in live.book if o.spec.account_id == acct
        ]
    for order in live.book:
        key = (order.spec.account_id, order.spec.client_order_id)
        if order.broker_order_id is not None:
            got = book.by_broker_id(key[0], order.broker_order_id)
            assert got == live.book.by_broker_id(key[0], order.broker_order_id)
        if order.exchange_order_id is not None:
            got = book.by_exchange_id(key[0], order.exchange_order_id)
            assert got == live.book.by_exchange_id(key[0], order.exchange_order_id)
        assert book.get(*key) == order


@settings(max_examples=150, deadline=None)
@given(hs.lists(_op, min_size=1, max_size=60))
def test_replay_when_random_legal_sequence_equals_live_state(
    ops: list[tuple[str, int, int, int]],
) -> None:
    live = new_state()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "j.db"
        with Journal.open(path, durability="fast") as journal:
            journaled = drive(live, journal, ops)
        with Journal.open(path, durability="fast") as journal:
            full = replay(journal, fee, is_t0=is_t0, use_projections=False)
            fast = replay(journal, fee, is_t0=is_t0)

            assert full.method == "replay"
            assert fast.method == "projections"
            assert full.errors == []
            assert full.events == fast.events == journaled
            assert full.last_seq == fast.last_seq
            assert_same_state(full.state, live)
            assert_same_state(fast.state, live)
            assert_same_state(fast.state, full.state)
            lazy = replay(journal, fee, is_t0=is_t0)
            assert lazy.book.cold_count == sum(o.status.is_terminal for o in live.book)
            assert_same_lookups(lazy.state, live)
            assert_same_state(lazy.state, live)


def test_submit_when_repeated_after_restart_returns_existing_order(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    live = new_state()
    with Journal.open(path) as journal:
        journal.append(live.apply(st.submitted("C1", qty=1000, price="10.00")))
        journal.append(live.apply(st.accepted("C1", broker="B1")))
    command = SubmitOrder(
        account_id=st.ACC,
        instrument_id=st.INST,
        side=Side.BUY,
        qty=1000,
        price=Decimal("10.00"),
        client_order_id=ClientOrderId("C1"),
    )

    with Journal.open(path) as journal:
        recovered = replay(journal, fee, is_t0=is_t0)

    existing = check_submit(recovered.book, command, ClientOrderId("C1"))
    assert existing is not None
    assert existing.status is S.NEW
    assert recovered.book.by_broker_id(st.ACC, "B1") is existing  # type: ignore[arg-type]


def test_replay_when_continued_from_seq_applies_only_newer_events(tmp_path: Path) -> None:
    live = new_state()
    with Journal.open(tmp_path / "j.db", durability="fast") as journal:
        journal.append(live.apply(st.submitted()))
        first = replay(journal, fee)
        journal.append(live.apply(st.accepted()))

        second = replay(journal, fee, state=first.state, from_seq=first.last_seq)

    assert second.events == 1
    assert second.book.require(st.ACC, ClientOrderId("C1")).status is S.NEW
