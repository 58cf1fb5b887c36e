"""Alert types and the operational signals the alert rules consume.

The rules (:mod:`~ashare_exec.observability.alert_rules`) read order events and venue
reports from :mod:`ashare_exec.model`, plus the signals defined here that have no model type
(reconciliation mismatches, journal failures, risk breakers, clock drift, latency samples),
and a periodic :class:`Snapshot` of in-flight orders and rates. Time is always passed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Protocol

__all__ = [
    "Alert",
    "AlertRule",
    "ClockDriftMeasured",
    "InflightOrder",
    "JournalFailed",
    "LatencyObserved",
    "ReconciliationMismatch",
    "RiskBreakerTripped",
    "Severity",
    "Snapshot",
]


class Severity(IntEnum):
    """How urgent an alert is (ordered: ``INFO < WARNING < CRITICAL``)."""

    INFO = 10
    WARNING = 20
    CRITICAL = 30

    @classmethod
    def parse(cls, text: str) -> Severity:
        """Parse ``"info"``, ``"warning"`` or ``"critical"`` (any case)."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """One alert.

    Args:
        severity: how urgent.
        code: stable upper-case code (``VENUE_DISCONNECTED`` ...); see ``docs/observability.md``.
        message: human-readable text.
        account: the account concerned, if any.
        ts: when the condition was seen (from the engine's clock).
        labels: more context (``venue``, ``client_order_id`` ...); also part of the
            de-duplication key unless ``dedup_key`` is given.
        dedup_key: overrides the de-duplication key.
    """

    severity: Severity
    code: str
    message: str
    ts: datetime
    account: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    dedup_key: str | None = None

    @property
    def key(self) -> str:
        """The de-duplication key: code, account and labels (or ``dedup_key``)."""
        if self.dedup_key is not None:
            return f"{self.code}|{self.dedup_key}"
        labels = ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))
        return f"{self.code}|{self.account or ''}|{labels}"

    def to_dict(self) -> dict[str, object]:
        """Return the alert as JSON-ready data (webhook body, WebSocket message)."""
        return {
            "severity": self.severity.name,
            "code": self.code,
            "message": self.message,
            "account": self.account,
            "ts": self.ts.isoformat(),
            "labels": dict(self.labels),
        }

    def title(self) -> str:
        """Return a one-line title: ``[CRITICAL] VENUE_DISCONNECTED acc1``."""
        who = f" {self.account}" if self.account else ""
        return f"[{self.severity.name}] {self.code}{who}"

    def text(self) -> str:
        """Return a plain-text body (title, message, time, labels)."""
        lines = [self.title(), self.message, f"time: {self.ts.isoformat()}"]
        lines += [f"{k}: {v}" for k, v in sorted(self.labels.items())]
        return "\n".join(lines)

    def markdown(self) -> str:
        """Return a Markdown body for chat robots."""
        lines = [f"**{self.title()}**", "", self.message, "", f"> time: {self.ts.isoformat()}"]
        lines += [f"> {k}: {v}" for k, v in sorted(self.labels.items())]
        return "\n".join(lines)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconciliationMismatch:
    """Reconciliation found (and corrected) a difference with the broker."""

    account_id: str
    kind: str
    """``order_status``, ``missing_fill``, ``unknown_order``, ``position``, ``cash`` ..."""
    detail: str
    ts_event: datetime
    count: int = 1
    exceeds_tolerance: bool = True
    """Any of them beyond the reconciliation tolerance (a cent of cash, no shares); the
    ones within it are corrected and counted, not alerted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JournalFailed:
    """A journal read or write failed (trading halts)."""

    message: str
    ts_event: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskBreakerTripped:
    """A risk circuit breaker fired (kill switch, daily loss, cancel-ratio cool-down ...)."""

    account_id: str
    breaker: str
    reason: str
    ts_event: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class ClockDriftMeasured:
    """Local clock minus a reference (NTP, broker server time); positive when ahead."""

    drift_seconds: float
    source: str
    ts_event: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class LatencyObserved:
    """One latency sample: ``kind`` is ``ack``, ``broker_call`` or ``api``."""

    kind: str
    seconds: float
    ts_event: datetime
    account_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InflightOrder:
    """An order that was sent and has no final answer yet."""

    account_id: str
    client_order_id: str
    status: str
    """``PENDING_NEW``, ``PENDING_CANCEL`` or ``UNKNOWN``."""
    since: datetime
    """When it entered that status."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """What the engine reports on every tick (about once a second)."""

    inflight: tuple[InflightOrder, ...] = ()
    journal_lag_seconds: float = 0.0
    orders_cancels_peak_per_second: Mapping[str, int] = field(default_factory=dict)
    orders_cancels_today: Mapping[str, int] = field(default_factory=dict)


class AlertRule(Protocol):
    """One alert rule: looks at events and snapshots, returns the alerts it raises."""

    name: str

    def on_event(self, event: object, now: datetime) -> list[Alert]:
        """Look at one event or signal."""
        ...

    def on_tick(self, snapshot: Snapshot, now: datetime) -> list[Alert]:
        """Look at the periodic snapshot."""
        ...
