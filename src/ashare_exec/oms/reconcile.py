"""Reconciliation: a pure diff of our orders, fills and balances against the venue's.

:func:`reconcile` changes nothing. The engine applies :attr:`ReconcileReport.events` in
the given order (creations of adopted orders, then missing fills, then status changes),
journals them, then calls :meth:`Ledger.apply_broker_snapshot` with the same position and
cash reports so that the broker's figures win, less the freezes of our orders the broker's
order list does not show working (:func:`~ashare_exec.oms.snapshot.unseen_freezes`); the
report is logged and kept. The balance diff here does not take those freezes off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ashare_exec.model.enums import OrderStatus
from ashare_exec.model.events import OrderEvent, OrderFilled, OrderRestated, OrderSubmitted
from ashare_exec.model.identifiers import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    ExchangeOrderId,
    InstrumentId,
)
from ashare_exec.model.order import Order
from ashare_exec.model.reports import CashReport, OrderStatusReport, PositionReport
from ashare_exec.oms.book import OrderBook
from ashare_exec.oms.ledger import Ledger
from ashare_exec.oms.reports import ReportPlan, plan_cold_report, plan_status_report

__all__ = [
    "BalanceMismatch",
    "ReconcileReport",
    "SettledKey",
    "never_acknowledged",
    "reconcile",
    "settled_key",
]

SettledKey = tuple[object, ...]
"""What a settled order's row must still say for a later reconcile to skip it."""


def settled_key(report: OrderStatusReport) -> SettledKey:
    """The fields of a venue row that decide its plan (not its time, which a venue may
    stamp afresh on every listing)."""
    return (
        report.status,
        report.filled_qty,
        report.qty,
        report.side,
        report.instrument_id,
        report.broker_order_id,
        report.exchange_order_id,
    )


@dataclass(frozen=True, slots=True)
class BalanceMismatch:
    """One figure where we and the broker disagree (``instrument_id`` ``None``: cash)."""

    account_id: AccountId
    instrument_id: InstrumentId | None
    field: str
    ours: Decimal
    theirs: Decimal
    exceeds_tolerance: bool


@dataclass(slots=True)
class ReconcileReport:
    """The diff between our state and the venue's for one account."""

    account_id: AccountId
    ts_event: datetime
    adopted_events: list[OrderEvent] = field(default_factory=list)
    missing_fills: list[OrderFilled] = field(default_factory=list)
    status_events: list[OrderEvent] = field(default_factory=list)
    fills_gaps: dict[ClientOrderId, int] = field(default_factory=dict)
    """Shares the venue reports filled that even its trade list does not explain."""
    unmatched_fills: list[OrderFilled] = field(default_factory=list)
    quarantined: list[tuple[object, str]] = field(default_factory=list)
    missing_at_venue: list[ClientOrderId] = field(default_factory=list)
    """Our open orders the venue did not report: query them by client id."""
    position_mismatches: list[BalanceMismatch] = field(default_factory=list)
    cash_mismatches: list[BalanceMismatch] = field(default_factory=list)
    unseen_freezes: dict[ClientOrderId, int | Decimal] = field(default_factory=dict)
    """Our orders' freezes the broker's balances did not include (taken off its figures)."""
    balances_deferred: bool = False
    """The venue's orders moved while its balances were read: the ledger was not corrected."""
    settled: dict[ClientOrderId, SettledKey] = field(default_factory=dict, compare=False)
    """The venue's finished orders that agree with ours, fills included: pass it to the
    next reconcile of the same day, which skips their unchanged rows and trades (not part
    of the diff: two reports with the same findings are equal)."""
    skipped: int = field(default=0, compare=False)
    """Rows of the venue's order list skipped as settled by an earlier reconcile."""

    @property
    def events(self) -> list[OrderEvent]:
        """Every event to apply, in a safe order."""
        return [*self.adopted_events, *self.missing_fills, *self.status_events]

    @property
    def alerts(self) -> bool:
        """Anything a human should look at (corrections over tolerance, unexplained data)."""
        return bool(
            self.fills_gaps
            or self.unmatched_fills
            or self.quarantined
            or any(m.exceeds_tolerance for m in self.position_mismatches)
            or any(m.exceeds_tolerance for m in self.cash_mismatches)
        )

    @property
    def clean(self) -> bool:
        """Nothing differs (and the balances were compared)."""
        return not (
            self.balances_deferred
            or self.events
            or self.alerts
            or self.missing_at_venue
            or self.position_mismatches
            or self.cash_mismatches
        )


def reconcile(
    book: OrderBook,
    ledger: Ledger,
    account_id: AccountId,
    ts_event: datetime,
    *,
    orders: Iterable[OrderStatusReport] = (),
    trades: Iterable[OrderFilled] = (),
    positions: Iterable[PositionReport] | None = None,
    cash: CashReport | None = None,
    orders_complete: bool = True,
    cash_tolerance: Decimal = Decimal("0.01"),
    qty_tolerance: int = 0,
    settled: Mapping[ClientOrderId, SettledKey] | None = None,
) -> ReconcileReport:
    """Diff the venue's orders, trades, positions and cash against our state.

    Args:
        orders_complete: ``orders`` is the venue's full list for the day, so our open
            orders missing from it are listed in ``missing_at_venue``.
        settled: :attr:`ReconcileReport.settled` of the previous reconcile of the same
            day. A row it names, unchanged, is of a finished order that agreed with ours,
            fills included; ours cannot have changed since (a finished order takes only
            late fills, and the venue's row would show them), so the row and that order's
            trades are skipped: a timer reconcile costs what changed, not the whole day.

    Balances are compared with the ledger as it is now (before the missing fills).
    """
    rep = ReconcileReport(account_id, ts_event)
    orders = [r for r in orders if r.account_id == account_id]
    trades = [f for f in trades if f.account_id == account_id]
    if settled:
        orders, trades = _skip_settled(rep, settled, orders, trades)
    cold_plans, cold_filled, known_trades = _prepare(book, account_id, orders, trades)
    adopted_by_broker_id: dict[BrokerOrderId, ClientOrderId] = {}
    venue_filled: dict[ClientOrderId, int] = {}
    seen: set[ClientOrderId] = set(rep.settled)
    candidates: dict[ClientOrderId, OrderStatusReport] = {}
    for report, cold_plan in zip(orders, cold_plans, strict=True):
        plan = cold_plan if cold_plan is not None else plan_status_report(book, report)
        if plan.quarantine_reason is not None:
            rep.quarantined.append((report, plan.quarantine_reason))
            continue
        if plan.client_order_id is None:
            continue
        seen.add(plan.client_order_id)
        venue_filled[plan.client_order_id] = report.filled_qty
        if report.status.is_terminal and not plan.events and not plan.adopted:
            candidates[plan.client_order_id] = report
        if plan.adopted and report.broker_order_id is not None:
            adopted_by_broker_id[report.broker_order_id] = plan.client_order_id
        for event in plan.events:
            if isinstance(event, OrderRestated):
                rep.status_events.append(event)
            elif plan.adopted:
                rep.adopted_events.append(event)
    adopted = {e.client_order_id for e in rep.adopted_events if isinstance(e, OrderSubmitted)}
    new_fill_qty: dict[ClientOrderId, int] = {}
    new_trade_ids: set[tuple[ClientOrderId, str]] = set()
    for fill, is_known in zip(trades, known_trades, strict=True):
        if is_known:
            continue  # of a finished order whose fills the venue counts as we do
        order = book.find(account_id, fill.client_order_id or None, fill.broker_order_id)
        if order is not None:
            coid = order.spec.client_order_id
            if fill.trade_id in order.fills:
                continue
        elif fill.broker_order_id in adopted_by_broker_id:
            coid = adopted_by_broker_id[fill.broker_order_id]
        elif fill.client_order_id in adopted:
            coid = fill.client_order_id
        else:
            rep.unmatched_fills.append(fill)
            continue
        if (coid, fill.trade_id) in new_trade_ids:
            continue
        new_trade_ids.add((coid, fill.trade_id))
        if fill.client_order_id != coid:
            fill = _with_client_id(fill, coid)
        rep.missing_fills.append(fill)
        new_fill_qty[coid] = new_fill_qty.get(coid, 0) + fill.last_qty
    for coid, venue_qty in venue_filled.items():
        if coid in cold_filled:
            have = cold_filled[coid]
        else:
            order = book.get(account_id, coid)
            have = order.filled_qty if order is not None else 0
        known = have + new_fill_qty.get(coid, 0)
        if venue_qty > known:
            rep.fills_gaps[coid] = venue_qty - known
        elif venue_qty == known == have and coid in candidates:
            _settle(rep, book, account_id, coid, candidates[coid], cold_filled)
    if orders_complete:
        rep.missing_at_venue = [
            o.spec.client_order_id
            for o in book.open_orders(account_id)
            if o.spec.client_order_id not in seen
        ]
    if positions is not None:
        _diff_positions(rep, ledger, positions, qty_tolerance)
    if cash is not None:
        ours_cash = ledger.cash(account_id)
        for name, ours, theirs in (
            ("available", ours_cash.available, cash.available),
            ("frozen", ours_cash.frozen, cash.frozen),
        ):
            if ours != theirs:
                rep.cash_mismatches.append(
                    BalanceMismatch(
                        account_id, None, name, ours, theirs, abs(theirs - ours) > cash_tolerance
                    )
                )
    return rep


def _prepare(
    book: OrderBook,
    account_id: AccountId,
    orders: list[OrderStatusReport],
    trades: list[OrderFilled],
) -> tuple[list[ReportPlan | None], dict[ClientOrderId, int], list[bool]]:
    """After a restart a broker's full list names every order of the day. Finished orders
    restored cold are judged by their summary, without building them; the others the
    reports and trades name are built in one load, not one lookup at a time.

    Returns, per report, its plan when a cold order's summary settles it; our filled
    quantity of those cold orders; and, per trade, whether it belongs to one of them whose
    venue total equals ours (then all its trades are known: nothing to build).
    """
    plans: list[ReportPlan | None] = []
    cold_filled: dict[ClientOrderId, int] = {}
    settled: set[ClientOrderId] = set()
    refs: list[tuple[ClientOrderId | None, BrokerOrderId | None, ExchangeOrderId | None]] = []
    cold_of = book.cold
    for r in orders:
        ids = (r.client_order_id, r.broker_order_id, r.exchange_order_id)
        cold = cold_of(account_id, *ids)
        plan = None if cold is None else plan_cold_report(cold, r)
        plans.append(plan)
        if cold is None or plan is None:
            refs.append(ids)
            continue
        cold_filled[cold.client_order_id] = cold.filled_qty
        if r.filled_qty == cold.filled_qty:
            settled.add(cold.client_order_id)
    known: list[bool] = []
    for f in trades:
        cold = cold_of(account_id, f.client_order_id or None, f.broker_order_id)
        known.append(cold is not None and cold.client_order_id in settled)
        if cold is not None and not known[-1]:
            refs.append((f.client_order_id or None, f.broker_order_id, None))
    book.prefetch(account_id, refs)
    return plans, cold_filled, known


def _skip_settled(
    rep: ReconcileReport,
    settled: Mapping[ClientOrderId, SettledKey],
    orders: list[OrderStatusReport],
    trades: list[OrderFilled],
) -> tuple[list[OrderStatusReport], list[OrderFilled]]:
    """The rows and trades left once those of unchanged settled orders are taken out."""
    rest: list[OrderStatusReport] = []
    for r in orders:
        coid = r.client_order_id
        if coid is not None and settled.get(coid) == settled_key(r):
            rep.settled[coid] = settled[coid]
        else:
            rest.append(r)
    rep.skipped = len(orders) - len(rest)
    if not rep.skipped:
        return orders, trades
    done = rep.settled
    return rest, [f for f in trades if not (f.client_order_id and f.client_order_id in done)]


def _settle(
    rep: ReconcileReport,
    book: OrderBook,
    account_id: AccountId,
    coid: ClientOrderId,
    report: OrderStatusReport,
    cold_filled: Mapping[ClientOrderId, int],
) -> None:
    """Remember a finished order whose row and trades agree with ours (nothing missing)."""
    if coid in cold_filled:
        ours: int | None = cold_filled[coid]  # restored cold: finished by definition
    else:
        order = book.get(account_id, coid)
        finished = order is not None and order.status.is_terminal
        ours = order.filled_qty if finished and order is not None else None
    if ours == report.filled_qty:
        rep.settled[coid] = settled_key(report)


def _diff_positions(
    rep: ReconcileReport, ledger: Ledger, positions: Iterable[PositionReport], tolerance: int
) -> None:
    account_id = rep.account_id
    theirs = {p.instrument_id: p for p in positions if p.account_id == account_id}
    ours = {p.instrument_id: p for p in ledger.positions(account_id)}
    for inst in sorted(set(theirs) | set(ours)):
        mine = ours.get(inst)
        venue = theirs.get(inst)
        pairs = (
            ("total", mine.total if mine else 0, venue.total_qty if venue else 0),
            ("sellable", mine.sellable if mine else 0, venue.sellable_qty if venue else 0),
        )
        for name, a, b in pairs:
            if a != b:
                rep.position_mismatches.append(
                    BalanceMismatch(
                        account_id, inst, name, Decimal(a), Decimal(b), abs(b - a) > tolerance
                    )
                )


def _with_client_id(fill: OrderFilled, coid: ClientOrderId) -> OrderFilled:
    return dataclasses.replace(fill, client_order_id=coid)


_UNACKNOWLEDGED = frozenset({OrderStatus.PENDING_NEW, OrderStatus.UNKNOWN})


def never_acknowledged(order: Order) -> bool:
    """The venue never confirmed the order: pending or in doubt, or a cancel asked from
    there (so an order the venue lacks never arrived, rather than being canceled)."""
    if order.status is OrderStatus.PENDING_CANCEL:
        return order.previous_status in _UNACKNOWLEDGED and order.broker_order_id is None
    return order.status in _UNACKNOWLEDGED
