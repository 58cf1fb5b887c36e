"""Wires the observability parts into the running service.

:class:`Observer` receives what the engine does — applied changes, venue requests, venue
signals, engine alerts, operator actions — and turns it into the order-action log lines,
Prometheus metrics, alert-engine input (de-duplicated, rate-limited, fanned out to the
notifiers and the WebSocket stream) and hash-chained audit records.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import structlog

from ashare_exec.clock import Clock
from ashare_exec.engine.audit_trail import AuditTrail
from ashare_exec.model import (
    AccountStatusChanged,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderPendingCancel,
    OrderRejected,
    OrderRestated,
    OrderSpec,
    OrderStatus,
    OrderSubmitted,
    OrderUnknown,
    VenueConnected,
    VenueDisconnected,
)
from ashare_exec.observability.alert_engine import AlertEngine
from ashare_exec.observability.alerts import (
    Alert,
    InflightOrder,
    JournalFailed,
    LatencyObserved,
    ReconciliationMismatch,
    Severity,
    Snapshot,
)
from ashare_exec.observability.metrics import Metrics
from ashare_exec.observability.notifiers import NotifierHub, build_notifiers
from ashare_exec.observability.order_log import OrderActionLog
from ashare_exec.observability.rules.config import load_alerts_config
from ashare_exec.oms.state import StateChange

__all__ = ["Observer"]

_ACTIONS: dict[type[OrderEvent], tuple[str, str]] = {
    OrderSubmitted: ("submit", "accepted"),
    OrderDenied: ("submit", "denied"),
    OrderAccepted: ("ack", "ok"),
    OrderRejected: ("ack", "rejected"),
    OrderFilled: ("fill", "ok"),
    OrderPendingCancel: ("cancel", "requested"),
    OrderCanceled: ("cancel", "ok"),
    OrderCancelRejected: ("cancel", "rejected"),
    OrderExpired: ("expire", "ok"),
    OrderUnknown: ("resolve", "unknown"),
    OrderRestated: ("restate", "ok"),
}
_SEVERITY = {
    "info": Severity.INFO,
    "warning": Severity.WARNING,
    "error": Severity.CRITICAL,
    "critical": Severity.CRITICAL,
}


class Observer:
    """Logs, metrics, alerts and audit for one service instance.

    Args:
        clock: the engine clock (timestamps of log lines, alerts, audit records).
        log_dir: where the audit trail lives (``<log_dir>/audit``).
        alerts: the ``[alerts]`` table (rules, windows, ``[[alerts.notifiers]]``).
        publish_alert: puts an admitted alert on the WebSocket stream.
    """

    def __init__(
        self,
        clock: Clock,
        log_dir: Path,
        alerts: Mapping[str, Any],
        publish_alert: Callable[[Alert], None],
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.clock = clock
        self.log = structlog.get_logger("ashare_exec.orders")
        self.order_log = OrderActionLog("ashare_exec.orders", clock)
        self.metrics = Metrics(clock=clock)
        raw = dict(alerts)
        notifier_entries = raw.pop("notifiers", [])
        self.alerts = AlertEngine.from_config(load_alerts_config(raw), metrics=self.metrics)
        self.hub = NotifierHub(
            build_notifiers(notifier_entries, clock=clock, environ=environ), metrics=self.metrics
        )
        self.alerts.subscribe(self.hub.publish)
        self.alerts.subscribe(publish_alert)
        self.audit_dir = log_dir / "audit"
        self.audit_dir.mkdir(parents=True, exist_ok=True)
        self.trail = AuditTrail(self.audit_dir, clock, self.on_alert)
        self._submitted_at: dict[tuple[str, str], datetime] = {}
        self.inflight: Callable[[], list[InflightOrder]] = list
        self.journal_lag: Callable[[], float] = lambda: 0.0
        """Age of the oldest write the journal has not committed yet (seconds)."""
        self.venue_of: Callable[[str], str] = lambda _a: "venue"

    def secrets(self) -> tuple[str, ...]:
        """Secret values (webhook keys ...) the log redactor must mask."""
        return self.hub.secrets()

    # ---- order actions ------------------------------------------------------------------

    def on_change(self, change: StateChange) -> None:
        """One applied change: an order-action log line, metrics, alert rules."""
        event = change.event
        now = self.clock.now()
        if not isinstance(event, OrderEvent):
            return
        order = change.order
        spec: OrderSpec | None = order.spec if order is not None else None
        action, result = _ACTIONS.get(type(event), ("event", "ok"))
        if change.result is not None and change.result.duplicate:
            result = "duplicate"
        reason = getattr(event, "reason_code", None)
        if isinstance(event, OrderDenied):
            reason = event.reasons[0] if event.reasons else None
        key = (event.account_id, event.client_order_id)
        latency_ms = None
        account = str(event.account_id)
        m = self.metrics
        if isinstance(event, OrderSubmitted):
            self._submitted_at[key] = event.ts_event
            m.order_submitted(account)
        elif isinstance(event, OrderDenied):
            m.order_denied(account, reason or "DENIED")
        elif isinstance(event, OrderAccepted):
            t0 = self._submitted_at.get(key)
            seconds = (now - t0).total_seconds() if t0 is not None else None
            latency_ms = None if seconds is None else seconds * 1000
            m.order_accepted(account, seconds)
            if seconds is not None:
                self.alerts.on_event(
                    LatencyObserved(kind="ack", seconds=seconds, ts_event=now, account_id=account),
                    now,
                )
        elif isinstance(event, OrderRejected):
            m.order_rejected(account, event.reason_code)
        elif isinstance(event, OrderFilled) and change.result is not None:
            if not change.result.duplicate:
                t0 = self._submitted_at.get(key)
                first = order is not None and len(order.fills) == 1
                latency = (now - t0).total_seconds() if t0 is not None and first else None
                m.order_filled(account, event.side.value, event.last_qty, latency)
        elif isinstance(event, OrderCancelRejected):
            m.cancel_rejected(account, event.reason_code)
        if order is not None and order.status.is_terminal:
            self._submitted_at.pop(key, None)
        self.order_log(
            action=action,
            result=result,
            reason_code=reason,
            latency_ms=latency_ms,
            account=account,
            client_order_id=event.client_order_id,
            broker_order_id=order.broker_order_id if order is not None else None,
            symbol=str(spec.instrument_id) if spec else None,
            side=spec.side.value if spec else None,
            price=str(spec.price) if spec and spec.price is not None else None,
            qty=getattr(event, "last_qty", None) or (spec.qty if spec else None),
            status=order.status.value if order is not None else None,
        )
        self.alerts.on_event(event, now)

    def on_sent(self, action: str, spec: OrderSpec, seconds: float, error: str | None) -> None:
        """A request reached (or failed to reach) the venue."""
        account = str(spec.account_id)
        if action == "cancel":
            self.metrics.cancel_requested(account)
        self.metrics.observe_broker_call(self.venue_of(account), action, seconds, error)
        self.alerts.on_event(
            LatencyObserved(
                kind="broker_call", seconds=seconds, ts_event=self.clock.now(), account_id=account
            ),
            self.clock.now(),
        )
        self.order_log(
            action=action + "_sent",
            result="ok" if error is None else "error",
            reason_code=error,
            latency_ms=seconds * 1000,
            account=account,
            client_order_id=spec.client_order_id,
            broker_order_id=None,
            symbol=str(spec.instrument_id),
            side=spec.side.value,
            price=None if spec.price is None else str(spec.price),
            qty=spec.qty,
        )

    def on_signal(self, signal: object) -> None:
        """Venue connectivity, account status, reconciliation and journal signals."""
        now = self.clock.now()
        if isinstance(signal, VenueConnected):
            self.metrics.venue_connected(signal.venue)
        elif isinstance(signal, VenueDisconnected):
            self.metrics.venue_disconnected(signal.venue)
        elif isinstance(signal, AccountStatusChanged):
            self.metrics.set_account_status(str(signal.account_id), signal.status.value)
        elif isinstance(signal, ReconciliationMismatch):
            self.metrics.reconciliation_corrected(signal.account_id, signal.kind, signal.count)
        elif isinstance(signal, JournalFailed):
            self.metrics.journal_error()
        self.alerts.on_event(signal, now)

    def on_alert(self, severity: str, code: str, message: str, context: Mapping[str, Any]) -> None:
        """An alert raised by the engine itself."""
        account = context.get("account_id")
        labels = {k: str(v) for k, v in context.items() if k != "account_id" and v is not None}
        alert = Alert(
            severity=_SEVERITY.get(severity, Severity.WARNING),
            code=code,
            message=message,
            ts=self.clock.now(),
            account=str(account) if account else None,
            labels=labels,
        )
        self.alerts.raise_alert(alert, self.clock.now())

    def on_api(self, route: str, seconds: float) -> None:
        """One API call's latency."""
        self.metrics.observe_api_request("POST", route, 200, seconds)

    # ---- audit --------------------------------------------------------------------------

    def audit(self, kind: str, actor: str, payload: Mapping[str, Any]) -> None:
        """Append an audit record (one file per trading day); a failure raises an alert,
        never an error in the command it records (``engine/audit_trail.py``)."""
        self.trail.append(kind, actor, payload)

    def seal_day(self, day: date, archive_dir: Path) -> None:
        """Seal the day's audit log into the archive."""
        self.trail.seal_day(day, archive_dir)

    # ---- periodic -----------------------------------------------------------------------

    def tick(self) -> None:
        """Once a second: rates, in-flight gauge, snapshot rules."""
        now = self.clock.now()
        self.metrics.refresh_rates()
        inflight = tuple(self.inflight())
        per_account: dict[str, int] = {}
        for o in inflight:
            per_account[o.account_id] = per_account.get(o.account_id, 0) + 1
        for account, n in per_account.items():
            self.metrics.set_inflight(account, n)
        rates = self.metrics.rate_snapshot()
        lag = self.journal_lag()
        self.metrics.set_journal_lag(lag)
        self.alerts.on_tick(
            Snapshot(
                inflight=inflight,
                journal_lag_seconds=lag,
                orders_cancels_peak_per_second={a: r[0] for a, r in rates.items()},
                orders_cancels_today={a: r[1] for a, r in rates.items()},
            ),
            now,
        )

    async def run(self, interval_s: float = 1.0) -> None:
        """Tick forever."""
        while True:
            await asyncio.sleep(interval_s)
            with contextlib.suppress(Exception):
                self.tick()

    async def aclose(self) -> None:
        """Flush notifications and close the audit log."""
        with contextlib.suppress(Exception):
            await self.hub.drain()
        await self.hub.aclose()
        self.trail.close()


def inflight_orders(orders: list[Any]) -> list[InflightOrder]:
    """The book's in-flight orders as the alert rules want them."""
    return [
        InflightOrder(
            account_id=str(o.spec.account_id),
            client_order_id=str(o.spec.client_order_id),
            status=o.status.value,
            since=o.ts_updated,
        )
        for o in orders
        if o.status in (OrderStatus.PENDING_NEW, OrderStatus.PENDING_CANCEL, OrderStatus.UNKNOWN)
    ]
