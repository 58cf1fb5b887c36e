"""Turning venue reports into order events, adopting external orders, and quarantine.

A status report can move an order's status but cannot invent fills: when the venue says
more is filled than we have fills for, the plan carries ``fills_gap`` and the engine must
query the venue's trades. Reports that cannot be applied go to the :class:`Quarantine`
with the reason, and the order concerned is reconciled; nothing is dropped silently.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import datetime

from ashare_exec.errors import InvalidTransition
from ashare_exec.model.enums import OrderStatus
from ashare_exec.model.events import (
    OrderAccepted,
    OrderEvent,
    OrderFilled,
    OrderRejected,
    OrderRestated,
    OrderSpec,
    OrderSubmitted,
)
from ashare_exec.model.fsm import RESTATE_TRIGGERS, next_status
from ashare_exec.model.identifiers import AccountId, ClientOrderId, is_valid_client_order_id
from ashare_exec.model.order import VENUE_FILLED_QTY, Order
from ashare_exec.model.reports import OrderStatusReport
from ashare_exec.oms.book import ColdOrder, OrderBook

__all__ = [
    "Quarantine",
    "QuarantinedReport",
    "ReportPlan",
    "external_client_order_id",
    "plan_cold_report",
    "plan_status_report",
    "route_fill",
]

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_STALE = "stale report: venue shows fewer fills than we have"


@dataclass(frozen=True, slots=True)
class ReportPlan:
    """The events that bring our order to the venue's view, and what is still missing."""

    client_order_id: ClientOrderId | None
    events: tuple[OrderEvent, ...] = ()
    fills_gap: int = 0
    """Shares the venue reports filled without a fill on our side: query its trades."""
    adopted: bool = False
    quarantine_reason: str | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class QuarantinedReport:
    """A report that could not be parsed or applied, kept with the reason."""

    report: object
    reason: str
    ts_recv: datetime
    account_id: AccountId | None = None
    client_order_id: ClientOrderId | None = None


@dataclass(slots=True)
class Quarantine:
    """Reports kept aside for a human and for the reconcile of their order."""

    items: list[QuarantinedReport] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def add(
        self,
        report: object,
        reason: str,
        ts_recv: datetime,
        *,
        account_id: AccountId | None = None,
        client_order_id: ClientOrderId | None = None,
    ) -> QuarantinedReport:
        """Keep a report with the reason it could not be applied; return the entry."""
        entry = QuarantinedReport(report, reason, ts_recv, account_id, client_order_id)
        self.items.append(entry)
        return entry

    def for_order(self, account_id: AccountId, client_order_id: ClientOrderId) -> list[object]:
        """The quarantined reports of one order."""
        return [
            q.report
            for q in self.items
            if q.account_id == account_id and q.client_order_id == client_order_id
        ]


def external_client_order_id(report: OrderStatusReport) -> ClientOrderId | None:
    """A stable client id for an order we did not send (``X`` + the venue's id)."""
    raw = report.exchange_order_id or report.broker_order_id
    if not raw:
        return None
    cleaned = _UNSAFE.sub("", raw)
    return ClientOrderId("X" + cleaned[-19:]) if cleaned else None


def plan_status_report(book: OrderBook, report: OrderStatusReport) -> ReportPlan:
    """Plan the events that bring our view of an order to the venue's ``report``.

    Unknown orders are adopted as external orders (``spec.external=True``).
    """
    cold = book.cold(
        report.account_id,
        report.client_order_id,
        report.broker_order_id,
        report.exchange_order_id,
    )
    plan = None if cold is None else plan_cold_report(cold, report)
    if plan is not None:
        return plan
    order = book.find(
        report.account_id,
        report.client_order_id,
        report.broker_order_id,
        report.exchange_order_id,
    )
    if order is None:
        return _adopt(book, report)
    coid = order.spec.client_order_id
    spec = order.spec
    if (
        spec.instrument_id != report.instrument_id
        or spec.side is not report.side
        or spec.qty != report.qty
    ):
        return ReportPlan(coid, quarantine_reason="report content differs from the order")
    gap = max(report.filled_qty - order.filled_qty, 0)
    if report.filled_qty < order.filled_qty:
        return ReportPlan(coid, note=_STALE)
    new_ids = (report.broker_order_id is not None and order.broker_order_id is None) or (
        report.exchange_order_id is not None and order.exchange_order_id is None
    )
    needs_restate = (
        report.status is not order.status
        or new_ids
        or (gap > 0 and order.venue_filled_qty != report.filled_qty)
    )
    if order.status.is_terminal or not needs_restate:
        return ReportPlan(coid, fills_gap=gap)
    trigger = RESTATE_TRIGGERS.get(report.status)
    if trigger is None:
        return ReportPlan(coid, quarantine_reason=f"venue status {report.status.value}")
    try:
        next_status(order.status, trigger, order.previous_status)
    except InvalidTransition as e:
        return ReportPlan(coid, fills_gap=gap, quarantine_reason=e.message)
    event = _restated(coid, report)
    return ReportPlan(coid, events=(event,), fills_gap=gap)


def plan_cold_report(cold: ColdOrder, report: OrderStatusReport) -> ReportPlan | None:
    """The plan :func:`plan_status_report` would make for this finished order restored
    cold, from its summary; ``None`` when the report names another instrument, side or
    quantity, or there is no summary (then the order must be built to judge)."""
    if (
        cold.qty != report.qty
        or cold.side != report.side
        or cold.instrument != str(report.instrument_id)  # also "": no summary
    ):
        return None
    if report.filled_qty < cold.filled_qty:
        return ReportPlan(cold.client_order_id, note=_STALE)
    return ReportPlan(cold.client_order_id, fills_gap=report.filled_qty - cold.filled_qty)


def _restated(coid: ClientOrderId, report: OrderStatusReport) -> OrderRestated:
    return OrderRestated(
        account_id=report.account_id,
        client_order_id=coid,
        ts_event=report.ts_event,
        status=report.status,
        broker_order_id=report.broker_order_id,
        exchange_order_id=report.exchange_order_id,
        message=report.message,
        extra={VENUE_FILLED_QTY: str(report.filled_qty)},
    )


def _adopt(book: OrderBook, report: OrderStatusReport) -> ReportPlan:
    coid: ClientOrderId | None = report.client_order_id
    if coid is None or not is_valid_client_order_id(coid) or book.get(report.account_id, coid):
        coid = external_client_order_id(report)
    if coid is None or book.get(report.account_id, coid) is not None:
        return ReportPlan(None, quarantine_reason="external order without a usable id")
    if report.status is OrderStatus.DENIED:
        return ReportPlan(coid, quarantine_reason="venue cannot report a DENIED order")
    spec = OrderSpec(
        account_id=report.account_id,
        client_order_id=coid,
        instrument_id=report.instrument_id,
        side=report.side,
        qty=report.qty,
        price_type=report.price_type,
        price=report.price,
        external=True,
    )
    ts = report.ts_event
    events: list[OrderEvent] = [
        OrderSubmitted(account_id=report.account_id, client_order_id=coid, ts_event=ts, spec=spec)
    ]
    if report.status is OrderStatus.REJECTED:
        events.append(
            OrderRejected(
                account_id=report.account_id,
                client_order_id=coid,
                ts_event=ts,
                message=report.message,
                broker_order_id=report.broker_order_id,
            )
        )
    elif report.status is not OrderStatus.PENDING_NEW:
        events.append(
            OrderAccepted(
                account_id=report.account_id,
                client_order_id=coid,
                ts_event=ts,
                broker_order_id=report.broker_order_id,
                exchange_order_id=report.exchange_order_id,
            )
        )
        if report.status is not OrderStatus.NEW or report.filled_qty:
            events.append(_restated(coid, report))
    return ReportPlan(coid, events=tuple(events), fills_gap=report.filled_qty, adopted=True)


def route_fill(book: OrderBook, fill: OrderFilled) -> tuple[Order, OrderFilled] | None:
    """Find the order of a venue fill (by client id, else broker id).

    Returns the order and the fill carrying our client id, or ``None`` (quarantine it,
    or adopt its order first from a status report).
    """
    order = book.find(fill.account_id, fill.client_order_id or None, fill.broker_order_id)
    if order is None:
        return None
    if fill.client_order_id != order.spec.client_order_id:
        fill = dataclasses.replace(fill, client_order_id=order.spec.client_order_id)
    return order, fill
