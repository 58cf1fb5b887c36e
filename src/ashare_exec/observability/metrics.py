"""Prometheus metrics on a private registry (one :class:`Metrics` per service instance).

Every metric is listed in :data:`METRIC_HELP` (name → help) and documented in
``docs/observability.md``; ``deploy/`` dashboards and alert rules use exactly these names.
Latency histograms are in seconds, so p50/p95/p99 come from ``histogram_quantile``.

The orders+cancels-per-second tracker compares each account's busiest second against the
high-frequency threshold (300 per second, 20,000 per day by default); time comes from the
injected :class:`~ashare_exec.clock.Clock`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from ashare_exec.clock import Clock, WallClock

__all__ = [
    "CONTENT_TYPE_LATEST",
    "FAST_BUCKETS",
    "METRIC_HELP",
    "SLOW_BUCKETS",
    "Metrics",
]

FAST_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Histogram buckets (seconds) for API, broker-call, ack and journal latency."""

SLOW_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)
"""Histogram buckets (seconds) for submit→fill latency (a resting order may wait hours)."""

_P = "ashare_exec_"

METRIC_HELP: dict[str, str] = {
    f"{_P}orders_submitted_total": "Orders sent to the venue (passed risk), per account.",
    f"{_P}orders_accepted_total": "Orders acknowledged by the venue, per account.",
    f"{_P}orders_denied_total": "Orders refused by our own risk checks, per account and reason.",
    f"{_P}orders_rejected_total": "Orders rejected by broker or exchange, per account and reason.",
    f"{_P}cancels_requested_total": "Cancel requests sent to the venue, per account.",
    f"{_P}cancels_rejected_total": "Cancel requests the venue refused, per account and reason.",
    f"{_P}fills_total": "Fills (executions) received, per account.",
    f"{_P}filled_shares_total": "Shares filled, per account and side.",
    f"{_P}api_request_duration_seconds": "HTTP API request latency, per method, route, status.",
    f"{_P}broker_call_duration_seconds": "Venue adapter call latency, per venue and call.",
    f"{_P}broker_call_errors_total": "Venue adapter calls that failed, per venue, call, code.",
    f"{_P}order_ack_latency_seconds": "Submit to venue acknowledgement, per account.",
    f"{_P}order_fill_latency_seconds": "Submit to first fill, per account.",
    f"{_P}inflight_orders": "Orders sent and not yet terminal, per account.",
    f"{_P}venue_reconnects_total": "Venue reconnections after a disconnect, per venue.",
    f"{_P}venue_up": "1 when the venue link is connected, else 0, per venue.",
    f"{_P}account_status": "1 for the account's current status (OK/TRANSIENT/DOWN), else 0.",
    f"{_P}cancel_ratio": "Cancels / orders today, per account.",
    f"{_P}orders_cancels_today": "Orders plus cancels sent today, per account.",
    f"{_P}orders_cancels_per_second": "Orders plus cancels in the last complete second.",
    f"{_P}orders_cancels_peak_per_second": "Busiest second today (orders plus cancels).",
    f"{_P}hft_threshold_per_second": "High-frequency threshold: orders+cancels per second.",
    f"{_P}hft_threshold_per_day": "High-frequency threshold: orders+cancels per day.",
    f"{_P}journal_commit_duration_seconds": "Journal transaction commit latency.",
    f"{_P}journal_lag_seconds": "Age of the oldest event not yet committed to the journal.",
    f"{_P}journal_errors_total": "Journal read/write failures.",
    f"{_P}reconciliation_runs_total": "Reconciliation runs, per account and trigger.",
    f"{_P}reconciliation_corrections_total": "Corrections made by reconciliation, per kind.",
    f"{_P}risk_breaker_trips_total": "Risk circuit breakers fired, per account and breaker.",
    f"{_P}trading_halted": "1 when new orders are refused (kill switch), per account; "
    "* for all (the global kill switch, or the engine's own halt: journal, clock).",
    f"{_P}clock_drift_seconds": "Local clock minus reference time.",
    f"{_P}alerts_total": "Alerts raised (after de-duplication), per severity and code.",
    f"{_P}alerts_suppressed_total": "Alerts dropped by de-duplication or rate limiting.",
    f"{_P}notifications_total": "Alert notifications sent, per notifier and result.",
}
"""Every metric family with its help text."""

_ACCOUNT_STATUSES = ("OK", "TRANSIENT", "DOWN")


@dataclass
class _RateTracker:
    """Per-second order+cancel counts for one account, today."""

    second: int | None = None
    in_second: int = 0
    last_complete: int = 0
    peak: int = 0
    today: int = 0
    orders: int = 0
    cancels: int = 0
    day: str = ""

    def hit(self, second: int) -> None:
        if self.second != second:
            if self.second is not None:
                self.last_complete = self.in_second if second == self.second + 1 else 0
            self.second, self.in_second = second, 0
        self.in_second += 1
        self.peak = max(self.peak, self.in_second)
        self.today += 1


class Metrics:
    """All gateway metrics, registered on a private :class:`CollectorRegistry`.

    Args:
        clock: time source for the per-second order/cancel rate and the daily reset.
        hft_per_second: orders+cancels per second that make an account "high-frequency".
        hft_per_day: orders+cancels per day that make an account "high-frequency".
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        hft_per_second: int = 300,
        hft_per_day: int = 20_000,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._clock = clock or WallClock()
        self._rates: dict[str, _RateTracker] = {}
        self._venues_down: set[str] = set()
        # labels() takes a lock and validates on every call; the label sets are few.
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}
        r = self.registry
        h = METRIC_HELP

        def counter(name: str, labels: Iterable[str]) -> Counter:
            full = _P + name
            return Counter(full.removesuffix("_total"), h[full], list(labels), registry=r)

        def gauge(name: str, labels: Iterable[str] = ()) -> Gauge:
            return Gauge(_P + name, h[_P + name], list(labels), registry=r)

        def histogram(name: str, labels: Iterable[str], buckets: tuple[float, ...]) -> Histogram:
            return Histogram(_P + name, h[_P + name], list(labels), buckets=buckets, registry=r)

        self._submitted = counter("orders_submitted_total", ["account"])
        self._accepted = counter("orders_accepted_total", ["account"])
        self._denied = counter("orders_denied_total", ["account", "reason_code"])
        self._rejected = counter("orders_rejected_total", ["account", "reason_code"])
        self._cancels = counter("cancels_requested_total", ["account"])
        self._cancel_rejects = counter("cancels_rejected_total", ["account", "reason_code"])
        self._fills = counter("fills_total", ["account"])
        self._filled_shares = counter("filled_shares_total", ["account", "side"])
        self._api = histogram(
            "api_request_duration_seconds", ["method", "route", "status"], FAST_BUCKETS
        )
        self._broker = histogram("broker_call_duration_seconds", ["venue", "call"], FAST_BUCKETS)
        self._broker_errors = counter("broker_call_errors_total", ["venue", "call", "code"])
        self._ack = histogram("order_ack_latency_seconds", ["account"], FAST_BUCKETS)
        self._fill_latency = histogram("order_fill_latency_seconds", ["account"], SLOW_BUCKETS)
        self._inflight = gauge("inflight_orders", ["account"])
        self._reconnects = counter("venue_reconnects_total", ["venue"])
        self._venue_up = gauge("venue_up", ["venue"])
        self._account_status = gauge("account_status", ["account", "status"])
        self._cancel_ratio = gauge("cancel_ratio", ["account"])
        self._today = gauge("orders_cancels_today", ["account"])
        self._per_second = gauge("orders_cancels_per_second", ["account"])
        self._peak = gauge("orders_cancels_peak_per_second", ["account"])
        gauge("hft_threshold_per_second").set(hft_per_second)
        gauge("hft_threshold_per_day").set(hft_per_day)
        self._journal_commit = histogram("journal_commit_duration_seconds", [], FAST_BUCKETS)
        self._journal_lag = gauge("journal_lag_seconds")
        self._journal_errors = counter("journal_errors_total", [])
        self._recon_runs = counter("reconciliation_runs_total", ["account", "trigger"])
        self._recon_fixes = counter("reconciliation_corrections_total", ["account", "kind"])
        self._breakers = counter("risk_breaker_trips_total", ["account", "breaker"])
        self._halted = gauge("trading_halted", ["account"])
        self._drift = gauge("clock_drift_seconds")
        self._alerts = counter("alerts_total", ["severity", "code"])
        self._suppressed = counter("alerts_suppressed_total", ["code", "why"])
        self._notifications = counter("notifications_total", ["notifier", "result"])

    # -- exposition -------------------------------------------------------------------

    def render(self) -> bytes:
        """Return the registry in the Prometheus text format (serve with CONTENT_TYPE_LATEST)."""
        return generate_latest(self.registry)

    def exposed_names(self) -> frozenset[str]:
        """Return every sample name this registry can expose (``_total``, ``_bucket`` ...)."""
        names: set[str] = set()
        for family in self.registry.collect():
            suffixes = {
                "counter": ("_total", "_created"),
                "histogram": ("_bucket", "_sum", "_count", "_created"),
            }.get(family.type, ("",))
            names.update(family.name + s for s in suffixes)
        return frozenset(names)

    def _child(self, metric: Any, *values: str) -> Any:
        key = (id(metric), values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child

    # -- orders -----------------------------------------------------------------------

    def order_submitted(self, account: str) -> None:
        """Count an order sent to the venue (also feeds the rate and cancel-ratio gauges)."""
        self._child(self._submitted, account).inc()
        self._count_action(account, cancel=False)

    def order_accepted(self, account: str, ack_latency_seconds: float | None = None) -> None:
        """Count a venue acknowledgement, with its submit→ack latency when known."""
        self._child(self._accepted, account).inc()
        if ack_latency_seconds is not None:
            self._child(self._ack, account).observe(ack_latency_seconds)

    def order_denied(self, account: str, reason_code: str) -> None:
        """Count an order refused by our own risk checks."""
        self._child(self._denied, account, reason_code).inc()

    def order_rejected(self, account: str, reason_code: str) -> None:
        """Count an order rejected by the broker or exchange."""
        self._child(self._rejected, account, reason_code).inc()

    def cancel_requested(self, account: str) -> None:
        """Count a cancel sent to the venue (also feeds the rate and cancel-ratio gauges)."""
        self._child(self._cancels, account).inc()
        self._count_action(account, cancel=True)

    def cancel_rejected(self, account: str, reason_code: str) -> None:
        """Count a cancel the venue refused."""
        self._child(self._cancel_rejects, account, reason_code).inc()

    def order_filled(
        self, account: str, side: str, qty: int, first_fill_latency_seconds: float | None = None
    ) -> None:
        """Count a fill of ``qty`` shares; pass the submit→fill latency on an order's first fill."""
        self._child(self._fills, account).inc()
        self._child(self._filled_shares, account, side).inc(qty)
        if first_fill_latency_seconds is not None:
            self._child(self._fill_latency, account).observe(first_fill_latency_seconds)

    def observe_ack_latency(self, account: str, seconds: float) -> None:
        """Record a submit→ack latency."""
        self._child(self._ack, account).observe(seconds)

    def observe_fill_latency(self, account: str, seconds: float) -> None:
        """Record a submit→first-fill latency."""
        self._child(self._fill_latency, account).observe(seconds)

    def set_inflight(self, account: str, count: int) -> None:
        """Set the number of orders sent and not yet terminal."""
        self._child(self._inflight, account).set(count)

    def seed_daily_counts(self, account: str, orders: int, cancels: int) -> None:
        """Restore today's order and cancel counts (after a restart, from the journal)."""
        t = self._tracker(account)
        t.orders, t.cancels, t.today = orders, cancels, orders + cancels
        self._publish_rates(account, t)

    def _tracker(self, account: str, now: datetime | None = None) -> _RateTracker:
        day = (self._clock.now() if now is None else now).date().isoformat()
        t = self._rates.get(account)
        if t is None or t.day != day:
            t = self._rates[account] = _RateTracker(day=day)
        return t

    def _count_action(self, account: str, *, cancel: bool) -> None:
        now = self._clock.now()
        t = self._tracker(account, now)
        if cancel:
            t.cancels += 1
        else:
            t.orders += 1
        now_s = int(now.timestamp())
        t.hit(now_s)
        self._publish_rates(account, t, now_s)

    def _publish_rates(self, account: str, t: _RateTracker, now_s: int | None = None) -> None:
        self._child(self._today, account).set(t.today)
        self._child(self._peak, account).set(t.peak)
        self._child(self._cancel_ratio, account).set(t.cancels / t.orders if t.orders else 0.0)
        self._child(self._per_second, account).set(self._last_second_count(t, now_s))

    def _last_second_count(self, t: _RateTracker, now_s: int | None = None) -> int:
        if now_s is None:
            now_s = int(self._clock.now().timestamp())
        if t.second is None:
            return 0
        if t.second == now_s:
            return t.last_complete
        return t.in_second if t.second == now_s - 1 else 0

    def refresh_rates(self) -> None:
        """Recompute the per-second gauges from the clock (call about once a second)."""
        for account, t in list(self._rates.items()):
            if t.day != self._clock.now().date().isoformat():
                t = self._rates[account] = _RateTracker(day=self._clock.now().date().isoformat())
            self._publish_rates(account, t)

    def rate_snapshot(self) -> dict[str, tuple[int, int, float]]:
        """Return ``{account: (peak_per_second, today_count, cancel_ratio)}``."""
        return {
            a: (t.peak, t.today, t.cancels / t.orders if t.orders else 0.0)
            for a, t in self._rates.items()
        }

    # -- latency ----------------------------------------------------------------------

    def observe_api_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """Record one HTTP request (``route`` is the template, e.g. ``/v1/orders/{id}``)."""
        self._child(self._api, method.upper(), route, str(status)).observe(seconds)

    def observe_broker_call(
        self, venue: str, call: str, seconds: float, error_code: str | None = None
    ) -> None:
        """Record one venue adapter call (``submit``, ``cancel``, ``query_orders`` ...)."""
        self._child(self._broker, venue, call).observe(seconds)
        if error_code is not None:
            self._child(self._broker_errors, venue, call, error_code).inc()

    # -- venue and account ------------------------------------------------------------

    def venue_connected(self, venue: str, *, reconnect: bool | None = None) -> None:
        """Mark the venue up and count a reconnect.

        Args:
            venue: the venue name.
            reconnect: whether this is a reconnect; by default, when
                :meth:`venue_disconnected` was called for it before.
        """
        was_down = venue in self._venues_down
        self._venues_down.discard(venue)
        self._child(self._venue_up, venue).set(1)
        if was_down if reconnect is None else reconnect:
            self._child(self._reconnects, venue).inc()

    def venue_disconnected(self, venue: str) -> None:
        """Mark the venue down."""
        self._venues_down.add(venue)
        self._child(self._venue_up, venue).set(0)

    def set_account_status(self, account: str, status: str) -> None:
        """Set the account's status (``OK``, ``TRANSIENT`` or ``DOWN``)."""
        status = str(status).upper()
        for s in (*_ACCOUNT_STATUSES, *([status] if status not in _ACCOUNT_STATUSES else [])):
            self._child(self._account_status, account, s).set(1 if s == status else 0)

    def set_trading_halted(self, account: str, halted: bool) -> None:
        """Set whether new orders are refused for ``account`` (``"*"`` for all)."""
        self._child(self._halted, account).set(1 if halted else 0)

    def risk_breaker_tripped(self, account: str, breaker: str) -> None:
        """Count a circuit breaker (kill switch, daily loss, cancel-ratio cool-down ...)."""
        self._child(self._breakers, account, breaker).inc()

    # -- journal, reconciliation, clock -----------------------------------------------

    def observe_journal_commit(self, seconds: float) -> None:
        """Record one journal commit's latency."""
        self._journal_commit.observe(seconds)

    def set_journal_lag(self, seconds: float) -> None:
        """Set the age of the oldest event not yet committed (0 when caught up)."""
        self._journal_lag.set(seconds)

    def journal_error(self) -> None:
        """Count a journal failure."""
        self._journal_errors.inc()

    def reconciliation_run(self, account: str, trigger: str) -> None:
        """Count a reconciliation run (``startup``, ``reconnect``, ``timer``, ``eod``)."""
        self._child(self._recon_runs, account, trigger).inc()

    def reconciliation_corrected(self, account: str, kind: str, count: int = 1) -> None:
        """Count corrections (``order_status``, ``missing_fill``, ``position``, ``cash`` ...)."""
        self._child(self._recon_fixes, account, kind).inc(count)

    def set_clock_drift(self, seconds: float) -> None:
        """Set local clock minus reference time (positive when we are ahead)."""
        self._drift.set(seconds)

    # -- alerts -----------------------------------------------------------------------

    def alert_raised(self, severity: str, code: str) -> None:
        """Count an alert that was published."""
        self._child(self._alerts, severity, code).inc()

    def alert_suppressed(self, code: str, why: str) -> None:
        """Count an alert dropped (``why`` is ``dedup`` or ``rate_limit``)."""
        self._child(self._suppressed, code, why).inc()

    def notification(self, notifier: str, ok: bool) -> None:
        """Count a notification attempt."""
        self._child(self._notifications, notifier, "ok" if ok else "error").inc()
