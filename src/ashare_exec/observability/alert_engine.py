"""The alert engine: runs the rules, de-duplicates, rate-limits and publishes alerts.

Feed it every event (:meth:`AlertEngine.on_event`) and a periodic snapshot
(:meth:`AlertEngine.on_tick`), each with ``now`` from the engine's clock. Published alerts
go to every subscriber: the notifier hub
(:class:`~ashare_exec.observability.notifiers.NotifierHub`), the WebSocket stream, tests.
A failing rule or subscriber is logged and never breaks the caller.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import structlog

from ashare_exec.observability.alerts import Alert, AlertRule, Severity, Snapshot
from ashare_exec.observability.metrics import Metrics
from ashare_exec.observability.rules import build_rules
from ashare_exec.observability.rules.config import AlertsConfig

__all__ = ["AlertEngine", "AlertSubscriber"]

AlertSubscriber = Callable[[Alert], None]
"""Called with every published alert (must not block; schedule async work)."""

_log = structlog.get_logger("ashare_exec.alerts")


class AlertEngine:
    """Rule engine with de-duplication and rate limiting.

    Args:
        rules: the rules to run (see :func:`~ashare_exec.observability.rules.build_rules`).
        dedupe_window: an alert with the same :attr:`Alert.key` as one published less than
            this long ago is dropped, unless its severity is higher.
        rate_limit_max: at most this many alerts per ``rate_limit_window`` ...
        rate_limit_window: ... sliding window.
        rate_limit_exempt_critical: CRITICAL alerts are never rate-limited.
        metrics: counts published and suppressed alerts when given.
    """

    def __init__(
        self,
        rules: Iterable[AlertRule],
        *,
        dedupe_window: timedelta = timedelta(minutes=5),
        rate_limit_max: int = 20,
        rate_limit_window: timedelta = timedelta(minutes=1),
        rate_limit_exempt_critical: bool = True,
        metrics: Metrics | None = None,
    ) -> None:
        self.rules = tuple(rules)
        self._dedupe_window = dedupe_window
        self._rate_max = rate_limit_max
        self._rate_window = rate_limit_window
        self._exempt_critical = rate_limit_exempt_critical
        self._metrics = metrics
        self._last: dict[str, tuple[datetime, Severity]] = {}
        self._sent: deque[datetime] = deque()
        self._subscribers: list[AlertSubscriber] = []
        # Event type -> the rules that look at it (the order path sends every change here).
        self._by_type: dict[type, list[AlertRule]] = {}

    @classmethod
    def from_config(cls, config: AlertsConfig, *, metrics: Metrics | None = None) -> AlertEngine:
        """Build the engine and its enabled built-in rules from configuration."""
        return cls(
            build_rules(config.rules),
            dedupe_window=timedelta(seconds=config.dedupe_window_seconds),
            rate_limit_max=config.rate_limit_max,
            rate_limit_window=timedelta(seconds=config.rate_limit_window_seconds),
            rate_limit_exempt_critical=config.rate_limit_exempt_critical,
            metrics=metrics,
        )

    def subscribe(self, subscriber: AlertSubscriber) -> Callable[[], None]:
        """Call ``subscriber`` with every published alert; return a function that unsubscribes."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def on_event(self, event: object, now: datetime) -> list[Alert]:
        """Run every rule on ``event``; return the alerts published."""
        rules = self._by_type.get(type(event))
        if rules is None:
            rules = self._by_type[type(event)] = [
                r
                for r in self.rules
                if (types := getattr(r, "event_types", None)) is None or isinstance(event, types)
            ]
        if not rules:
            return []
        raised: list[Alert] = []
        for rule in rules:
            try:
                raised += rule.on_event(event, now)
            except Exception:
                _log.exception("alert rule failed", rule=rule.name, event_type=type(event).__name__)
        return self._publish_all(raised, now) if raised else []

    def on_tick(self, snapshot: Snapshot, now: datetime) -> list[Alert]:
        """Run every rule on the periodic ``snapshot``; return the alerts published."""
        raised: list[Alert] = []
        for rule in self.rules:
            try:
                raised += rule.on_tick(snapshot, now)
            except Exception:
                _log.exception("alert rule failed on tick", rule=rule.name)
        return self._publish_all(raised, now)

    def raise_alert(self, alert: Alert, now: datetime | None = None) -> bool:
        """Publish an alert raised outside the rules; return whether it was published."""
        return bool(self._publish_all([alert], now or alert.ts))

    def _publish_all(self, alerts: list[Alert], now: datetime) -> list[Alert]:
        published = [a for a in alerts if self._admit(a, now)]
        for alert in published:
            _log.log(
                _LEVELS[alert.severity],
                "alert",
                code=alert.code,
                severity=alert.severity.name,
                account=alert.account,
                alert_message=alert.message,
                labels=dict(alert.labels),
            )
            if self._metrics is not None:
                self._metrics.alert_raised(alert.severity.name, alert.code)
            for subscriber in list(self._subscribers):
                try:
                    subscriber(alert)
                except Exception:
                    _log.exception("alert subscriber failed", code=alert.code)
        return published

    def _admit(self, alert: Alert, now: datetime) -> bool:
        self._prune(now)
        last = self._last.get(alert.key)
        if last is not None and now - last[0] < self._dedupe_window and alert.severity <= last[1]:
            self._suppressed(alert, "dedup")
            return False
        rate_limited = not (self._exempt_critical and alert.severity >= Severity.CRITICAL)
        if rate_limited and len(self._sent) >= self._rate_max:
            self._suppressed(alert, "rate_limit")
            return False
        self._last[alert.key] = (now, alert.severity)
        if rate_limited:
            self._sent.append(now)
        return True

    def _prune(self, now: datetime) -> None:
        while self._sent and now - self._sent[0] >= self._rate_window:
            self._sent.popleft()
        if len(self._last) > 1000:
            self._last = {k: v for k, v in self._last.items() if now - v[0] < self._dedupe_window}

    def _suppressed(self, alert: Alert, why: str) -> None:
        if self._metrics is not None:
            self._metrics.alert_suppressed(alert.code, why)


_LEVELS = {Severity.INFO: 20, Severity.WARNING: 30, Severity.CRITICAL: 50}
