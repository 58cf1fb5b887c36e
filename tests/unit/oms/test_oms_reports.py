"""Venue status reports to events, adoption of external orders, quarantine, reconcile."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import oms_stubs as st
from hypothesis import given
from hypothesis import strategies as hs

from ashare_exec.model import (
    BrokerOrderId,
    CashReport,
    ClientOrderId,
    ExchangeOrderId,
    OrderEvent,
    OrderRestated,
    OrderStatus,
    OrderStatusReport,
    OrderSubmitted,
    PositionReport,
    PriceType,
    Side,
)
from ashare_exec.oms import (
    Ledger,
    OmsState,
    OrderBook,
    Quarantine,
    plan_status_report,
    reconcile,
    route_fill,
)

S = OrderStatus
D = Decimal


def no_fee(*_a: object) -> Decimal:
    return D(0)


def state_with(*events: OrderEvent) -> OmsState:
    state = OmsState(OrderBook(), Ledger(no_fee))
    for e in events:
        state.apply(e)
    return state


def report(
    coid: str | None = "C1",
    status: OrderStatus = S.NEW,
    filled: int = 0,
    *,
    qty: int = 1000,
    broker: str | None = "B1",
    exch: str | None = None,
) -> OrderStatusReport:
    return OrderStatusReport(
        account_id=st.ACC,
        client_order_id=ClientOrderId(coid) if coid else None,
        broker_order_id=BrokerOrderId(broker) if broker else None,
        exchange_order_id=ExchangeOrderId(exch) if exch else None,
        instrument_id=st.INST,
        side=Side.BUY,
        price_type=PriceType.LIMIT,
        price=D("10.00"),
        qty=qty,
        filled_qty=filled,
        avg_px=D("10.00") if filled else None,
        status=status,
        ts_event=st.ts(50),
    )


def test_plan_when_pending_order_reported_new_restates_with_ids() -> None:
    state = state_with(st.submitted())

    plan = plan_status_report(state.book, report(status=S.NEW, broker="B7"))
    for e in plan.events:
        state.apply(e)

    order = state.book.require(st.ACC, ClientOrderId("C1"))
    assert [type(e) for e in plan.events] == [OrderRestated]
    assert order.status is S.NEW
    assert order.broker_order_id == "B7"


def test_plan_when_venue_has_more_fills_restates_and_flags_gap_without_inventing_fills() -> None:
    state = state_with(st.submitted(), st.accepted(), st.filled(qty=400))

    plan = plan_status_report(state.book, report(status=S.FILLED, filled=1000))
    for e in plan.events:
        state.apply(e)

    order = state.book.require(st.ACC, ClientOrderId("C1"))
    assert plan.fills_gap == 600
    assert order.status is S.FILLED
    assert order.filled_qty == 400
    assert order.fills_gap == 600


def test_plan_when_status_and_fills_already_match_emits_nothing() -> None:
    state = state_with(st.submitted(), st.accepted(), st.filled(qty=400))

    plan = plan_status_report(state.book, report(status=S.PARTIALLY_FILLED, filled=400))

    assert plan.events == ()
    assert plan.fills_gap == 0
    assert plan.quarantine_reason is None


def test_plan_when_order_terminal_absorbs_but_still_reports_gap() -> None:
    state = state_with(st.submitted(), st.accepted(), st.canceled())

    plan = plan_status_report(state.book, report(status=S.FILLED, filled=1000))

    assert plan.events == ()
    assert plan.fills_gap == 1000


def test_plan_when_report_shows_fewer_fills_treats_it_as_stale() -> None:
    state = state_with(st.submitted(), st.filled(qty=400))

    plan = plan_status_report(state.book, report(status=S.NEW, filled=0))

    assert plan.events == ()
    assert "stale" in plan.note


def test_plan_when_content_differs_quarantines() -> None:
    state = state_with(st.submitted())

    plan = plan_status_report(state.book, report(qty=500))

    assert plan.events == ()
    assert plan.quarantine_reason is not None


def test_plan_when_restatement_forbidden_quarantines() -> None:
    state = state_with(st.submitted(), st.filled(qty=100))

    plan = plan_status_report(state.book, report(status=S.REJECTED, filled=100))

    assert plan.events == ()
    assert plan.quarantine_reason is not None


def test_plan_when_order_unknown_adopts_it_as_external() -> None:
    state = state_with()

    plan = plan_status_report(
        state.book, report(None, S.PARTIALLY_FILLED, 300, broker="B9", exch="E-12/34")
    )
    for e in plan.events:
        state.apply(e)

    assert plan.adopted
    assert plan.client_order_id == "XE-1234"
    order = state.book.require(st.ACC, ClientOrderId("XE-1234"))
    assert isinstance(plan.events[0], OrderSubmitted)
    assert order.spec.external
    assert order.status is S.PARTIALLY_FILLED
    assert plan.fills_gap == 300
    # leaves come from fills, so the freeze stays conservative until the trades arrive
    assert state.ledger.cash(st.ACC).frozen == D("10000.00")


def test_plan_when_external_without_ids_quarantines() -> None:
    plan = plan_status_report(OrderBook(), report(None, broker=None))

    assert plan.quarantine_reason is not None


def test_route_fill_when_only_broker_id_known_returns_fill_with_our_client_id() -> None:
    state = state_with(st.submitted(), st.accepted(broker="B5"))
    stray = replace(st.filled(coid=""), broker_order_id=BrokerOrderId("B5"))

    routed = route_fill(state.book, stray)

    assert routed is not None
    assert routed[1].client_order_id == "C1"
    assert route_fill(state.book, st.filled(coid="ZZ")) is None


def test_quarantine_when_added_keeps_report_and_reason_per_order() -> None:
    q = Quarantine()

    q.add("raw", "cannot parse", st.ts(1), account_id=st.ACC, client_order_id=ClientOrderId("C1"))

    assert len(q) == 1
    assert q.for_order(st.ACC, ClientOrderId("C1")) == ["raw"]
    assert q.items[0].reason == "cannot parse"


_REPORTS: list[OrderEvent] = [
    st.accepted(),
    st.filled(trade="T1", qty=100, px="10.00"),
    st.filled(trade="T2", qty=200, px="10.10"),
    st.filled(trade="T3", qty=300, px="9.90"),
    st.canceled(at=9),
]


@given(
    hs.permutations(_REPORTS),
    hs.lists(hs.tuples(hs.sampled_from(_REPORTS), hs.integers(0, 20)), max_size=6),
)
def test_reports_when_duplicated_and_reordered_end_in_same_state(
    permutation: list[OrderEvent], duplicates: list[tuple[OrderEvent, int]]
) -> None:
    events = list(permutation)
    for event, where in duplicates:
        events.insert(where % (len(events) + 1), event)
    state = state_with(st.submitted())

    for e in events:
        state.apply(e)  # every edge here is allowed: an InvalidTransition fails the test

    order = state.book.require(st.ACC, ClientOrderId("C1"))
    assert order.status is S.CANCELED
    assert order.filled_qty == 600
    assert order.avg_px == (D("1000") + D("2020") + D("2970")) / 600
    assert state.ledger.position(st.ACC, st.INST).total == 600
    assert state.ledger.cash(st.ACC).frozen == 0


def test_reconcile_when_venue_has_missing_fills_and_external_orders_lists_them() -> None:
    state = state_with(
        st.submitted("C1"),
        st.accepted("C1", broker="B1"),
        st.filled("C1", "T1", qty=100),
        st.submitted("C2"),
    )
    trades = [
        st.filled("C1", "T1", qty=100),  # known
        st.filled("C1", "T2", qty=300),  # missing
        replace(st.filled("", "T9", qty=50), broker_order_id=BrokerOrderId("B9")),
        st.filled("GHOST", "T8", qty=10),
    ]
    orders = [
        report("C1", S.PARTIALLY_FILLED, 500),
        report(None, S.PARTIALLY_FILLED, 50, broker="B9"),
    ]

    rep = reconcile(state.book, state.ledger, st.ACC, st.ts(60), orders=orders, trades=trades)

    assert [f.trade_id for f in rep.missing_fills] == ["T2", "T9"]
    assert rep.missing_fills[1].client_order_id == "XB9"
    assert rep.fills_gaps == {"C1": 100}
    assert [f.trade_id for f in rep.unmatched_fills] == ["T8"]
    assert rep.missing_at_venue == ["C2"]
    assert rep.alerts
    for e in rep.events:
        state.apply(e)
    assert state.book.require(st.ACC, ClientOrderId("C1")).filled_qty == 400
    assert state.book.require(st.ACC, ClientOrderId("XB9")).filled_qty == 50


def test_reconcile_when_balances_differ_lists_mismatches() -> None:
    state = state_with(st.submitted(), st.filled(qty=1000))
    positions = [
        PositionReport(account_id=st.ACC, instrument_id=st.INST, total_qty=1000, sellable_qty=0)
    ]
    cash = CashReport(account_id=st.ACC, available=D("-9000"), frozen=D(0))

    rep = reconcile(state.book, state.ledger, st.ACC, st.ts(60), positions=positions, cash=cash)

    assert rep.position_mismatches == []
    assert [(m.field, m.ours, m.theirs) for m in rep.cash_mismatches] == [
        ("available", D("-10000.00"), D("-9000"))
    ]
    assert rep.cash_mismatches[0].exceeds_tolerance


def test_reconcile_when_everything_matches_is_clean() -> None:
    state = state_with(st.submitted(), st.accepted(), st.filled(qty=1000))

    rep = reconcile(
        state.book,
        state.ledger,
        st.ACC,
        st.ts(60),
        orders=[report("C1", S.FILLED, 1000)],
        trades=[st.filled(qty=1000)],
        positions=[
            PositionReport(account_id=st.ACC, instrument_id=st.INST, total_qty=1000, sellable_qty=0)
        ],
        cash=CashReport(account_id=st.ACC, available=D("-10000.00"), frozen=D(0)),
    )

    assert rep.clean
