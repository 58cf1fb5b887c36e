"""Rules on the service itself: latency, the journal, the clock."""

from __future__ import annotations

from datetime import datetime

from ashare_exec.observability.alerts import (
    Alert,
    ClockDriftMeasured,
    JournalFailed,
    LatencyObserved,
    Severity,
    Snapshot,
)
from ashare_exec.observability.rules.base import RuleBase
from ashare_exec.observability.rules.config import (
    ClockDriftRuleConfig,
    JournalRuleConfig,
    LatencyRuleConfig,
)

__all__ = [
    "ClockDriftRule",
    "JournalRule",
    "LatencyRule",
]


class LatencyRule(RuleBase):
    """Latency above its threshold several samples in a row."""

    name = "latency"
    event_types: tuple[type, ...] | None = (LatencyObserved,)

    def __init__(self, config: LatencyRuleConfig) -> None:
        self.c = config
        self._limits = {
            "ack": config.ack_seconds,
            "broker_call": config.broker_call_seconds,
            "api": config.api_seconds,
        }
        self._slow: dict[tuple[str, str | None], int] = {}

    def on_event(self, event: object, now: datetime) -> list[Alert]:
        if not isinstance(event, LatencyObserved) or event.kind not in self._limits:
            return []
        key = (event.kind, event.account_id)
        limit = self._limits[event.kind]
        if event.seconds <= limit:
            self._slow.pop(key, None)
            return []
        n = self._slow[key] = self._slow.get(key, 0) + 1
        if n < self.c.consecutive:
            return []
        return [
            Alert(
                severity=Severity.WARNING,
                code="HIGH_LATENCY",
                message=f"{event.kind} latency {event.seconds * 1000:.0f} ms, above "
                f"{limit * 1000:.0f} ms {n} times in a row",
                ts=now,
                account=event.account_id,
                labels={"kind": event.kind},
            )
        ]


class JournalRule(RuleBase):
    """Journal failures, and a journal falling behind."""

    name = "journal"
    event_types: tuple[type, ...] | None = (JournalFailed,)

    def __init__(self, config: JournalRuleConfig) -> None:
        self.c = config

    def on_event(self, event: object, now: datetime) -> list[Alert]:
        if not isinstance(event, JournalFailed):
            return []
        return [
            Alert(
                severity=Severity.CRITICAL,
                code="JOURNAL_ERROR",
                message=f"journal failure, trading halted: {event.message}",
                ts=now,
            )
        ]

    def on_tick(self, snapshot: Snapshot, now: datetime) -> list[Alert]:
        if snapshot.journal_lag_seconds <= self.c.max_lag_seconds:
            return []
        return [
            Alert(
                severity=Severity.WARNING,
                code="JOURNAL_LAG",
                message=f"journal {snapshot.journal_lag_seconds:.1f}s behind "
                f"(limit {self.c.max_lag_seconds:g}s)",
                ts=now,
            )
        ]


class ClockDriftRule(RuleBase):
    """The local clock differs from the reference."""

    name = "clock_drift"
    event_types: tuple[type, ...] | None = (ClockDriftMeasured,)

    def __init__(self, config: ClockDriftRuleConfig) -> None:
        self.c = config

    def on_event(self, event: object, now: datetime) -> list[Alert]:
        if not isinstance(event, ClockDriftMeasured):
            return []
        drift = abs(event.drift_seconds)
        if drift < self.c.warning_seconds:
            return []
        severity = Severity.CRITICAL if drift >= self.c.critical_seconds else Severity.WARNING
        return [
            Alert(
                severity=severity,
                code="CLOCK_DRIFT",
                message=f"local clock is {event.drift_seconds:+.3f}s off {event.source}",
                ts=now,
                labels={"source": event.source},
            )
        ]
