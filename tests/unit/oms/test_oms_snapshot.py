"""Broker snapshots while our orders are in flight: the freezes the broker has not seen."""

from __future__ import annotations

from decimal import Decimal

import oms_stubs as st
import pytest

from ashare_exec.model import (
    BrokerOrderId,
    CashReport,
    ClientOrderId,
    InstrumentId,
    OrderEvent,
    OrderStatus,
    OrderStatusReport,
    PositionReport,
    PriceType,
    Side,
)
from ashare_exec.oms import Ledger, OmsState, OrderBook
from ashare_exec.oms.snapshot import unseen_freezes

D = Decimal
SELL = Side.SELL
BUY = Side.BUY


def fee(_inst: InstrumentId, _side: Side, qty: int, px: Decimal) -> Decimal:
    """0.1% of the notional, to the cent."""
    return (qty * px * D("0.001")).quantize(D("0.01"))


def position(total: int, sellable: int) -> PositionReport:
    return PositionReport(
        account_id=st.ACC, instrument_id=st.INST, total_qty=total, sellable_qty=sellable
    )


def cash(available: str, frozen: str = "0") -> CashReport:
    return CashReport(account_id=st.ACC, available=D(available), frozen=D(frozen))


def make_state() -> OmsState:
    """100,000 cash and 1,000 sellable shares of INST, as the broker said at the start."""
    state = OmsState(OrderBook(), Ledger(fee))
    state.apply_broker_snapshot(st.ACC, [position(1000, 1000)], cash("100000"), st.T0)
    return state


def run(state: OmsState, *events: OrderEvent) -> None:
    for e in events:
        state.apply(e)


def venue_order(
    coid: str | None,
    side: Side,
    filled: int,
    status: OrderStatus,
    *,
    qty: int = 400,
    broker: str = "B1",
) -> OrderStatusReport:
    return OrderStatusReport(
        account_id=st.ACC,
        client_order_id=ClientOrderId(coid) if coid else None,
        broker_order_id=BrokerOrderId(broker),
        exchange_order_id=None,
        instrument_id=st.INST,
        side=side,
        price_type=PriceType.LIMIT,
        price=D("10.00"),
        qty=qty,
        filled_qty=filled,
        avg_px=None,
        status=status,
        ts_event=st.ts(50),
    )


_NEW = OrderStatus.NEW
_PART = OrderStatus.PARTIALLY_FILLED
_CXL = OrderStatus.CANCELED


@pytest.mark.parametrize(
    ("side", "ours", "venue", "shares", "available", "frozen"),
    [
        (SELL, (), [], {}, "0", "0"),
        (SELL, ("submitted",), [], {st.INST: 400}, "0", "0"),
        (BUY, ("submitted",), [], {}, "4004.00", "4004.00"),
        (SELL, ("submitted", "accepted"), [(0, _NEW)], {}, "0", "0"),
        (BUY, ("submitted", "accepted"), [(0, _NEW)], {}, "0", "0"),
        (SELL, ("submitted", "accepted", "fill100"), [(300, _PART)], {}, "0", "0"),
        (BUY, ("submitted", "accepted", "fill100"), [(300, _PART)], {}, "0", "2002.00"),
        (BUY, ("submitted", "accepted"), [(0, _CXL)], {}, "4004.00", "4004.00"),
        (SELL, ("submitted", "accepted"), [(0, _CXL)], {st.INST: 400}, "0", "0"),
    ],
    ids=[
        "no-orders",
        "sell-in-flight",
        "buy-in-flight",
        "sell-known",
        "buy-known",
        "sell-known-smaller-leaves",
        "buy-known-smaller-leaves",
        "buy-ended-at-venue",
        "sell-ended-at-venue",
    ],
)
def test_unseen_freezes_when_venue_lists_orders_counts_only_what_it_lacks(
    side: Side,
    ours: tuple[str, ...],
    venue: list[tuple[int, OrderStatus]],
    shares: dict[InstrumentId, int],
    available: str,
    frozen: str,
) -> None:
    state = make_state()
    steps = {
        "submitted": st.submitted(qty=400, side=side),
        "accepted": st.accepted(),
        "fill100": st.filled(qty=100, side=side),
    }
    run(state, *(steps[s] for s in ours))
    reports = [venue_order("C1", side, f, s) for f, s in venue]

    got = unseen_freezes(state.book, state.ledger, st.ACC, reports)

    assert got.shares == shares
    assert got.available == D(available)
    assert got.frozen == D(frozen)
    assert bool(got) == bool(shares or D(frozen))


def test_unseen_freezes_when_venue_names_order_by_broker_id_only_counts_it_known() -> None:
    state = make_state()
    run(state, st.submitted(qty=400, side=SELL), st.accepted(broker="B9"))

    got = unseen_freezes(
        state.book, state.ledger, st.ACC, [venue_order(None, SELL, 0, _NEW, broker="B9")]
    )

    assert not got
    assert got.shares == {}


def test_snapshot_when_sell_in_flight_keeps_freeze_and_matches_broker_after_fill() -> None:
    state = make_state()
    run(state, st.submitted(qty=400, side=SELL))
    unseen = unseen_freezes(state.book, state.ledger, st.ACC, [])

    corrections = state.apply_broker_snapshot(
        st.ACC, [position(1000, 1000)], cash("100000"), st.ts(10), unseen=unseen
    )
    # the broker gets the order and fills it: it has 600 / 600 shares
    run(state, st.accepted(), st.filled(qty=400, side=SELL, fee="0"))

    assert corrections == []
    pos = state.ledger.position(st.ACC, st.INST)
    assert (pos.total, pos.sellable) == (600, 600)


def test_snapshot_when_sell_in_flight_without_adjustment_frees_its_shares_until_seen() -> None:
    state = make_state()
    run(state, st.submitted(qty=400, side=SELL))

    state.apply_broker_snapshot(st.ACC, [position(1000, 1000)], None, st.ts(10))

    # What the adjustment prevents: until the broker has the order, its 400 shares could be
    # sold a second time. (The ledger does not release them twice when the order fills: a
    # correction of sellable unfreezes what the broker no longer holds; before 2026-11-27 it
    # ended at sellable 1000 of 600 held.)
    pos = state.ledger.position(st.ACC, st.INST)
    assert (pos.sellable, pos.frozen) == (1000, 0)
    run(state, st.accepted(), st.filled(qty=400, side=SELL, fee="0"))
    pos = state.ledger.position(st.ACC, st.INST)
    assert (pos.total, pos.sellable) == (600, 600)


def test_snapshot_when_buy_in_flight_keeps_freeze_and_matches_broker_after_cancel() -> None:
    state = make_state()
    run(state, st.submitted(qty=400, side=BUY))
    unseen = unseen_freezes(state.book, state.ledger, st.ACC, [])

    corrections = state.apply_broker_snapshot(
        st.ACC, [position(1000, 1000)], cash("100000"), st.ts(10), unseen=unseen
    )
    run(state, st.accepted(), st.canceled())

    assert corrections == []
    c = state.ledger.cash(st.ACC)
    assert (c.available, c.frozen) == (D("100000"), D(0))


def test_snapshot_when_buy_in_flight_and_broker_drifted_corrects_to_adjusted_figures() -> None:
    state = make_state()
    run(state, st.submitted(qty=400, side=BUY))  # freezes 4004.00
    unseen = unseen_freezes(state.book, state.ledger, st.ACC, [])

    corrections = state.apply_broker_snapshot(
        st.ACC, [position(1000, 1000)], cash("99000"), st.ts(10), unseen=unseen
    )

    assert [(c.event.field, c.event.after) for c in corrections] == [  # type: ignore[union-attr]
        ("available", D("94996.00"))
    ]
    run(state, st.accepted(), st.filled(qty=400, side=BUY, fee="4.00"))
    c = state.ledger.cash(st.ACC)
    assert (c.available, c.frozen) == (D("94996.00"), D(0))  # the broker's 99000 - 4004


def test_snapshot_when_broker_lacks_position_with_sell_in_flight_targets_minus_freeze() -> None:
    state = make_state()
    run(state, st.submitted(qty=400, side=SELL))
    unseen = unseen_freezes(state.book, state.ledger, st.ACC, [])

    state.apply_broker_snapshot(st.ACC, [], None, st.ts(10), unseen=unseen)
    run(state, st.rejected())

    pos = state.ledger.position(st.ACC, st.INST)
    assert (pos.total, pos.sellable) == (0, 0)
