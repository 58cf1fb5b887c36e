"""Rules on orders: rejections, orders in doubt, reconciliation, risk breakers, HFT rate."""

from __future__ import annotations

from datetime import datetime, timedelta

from ashare_exec.model.events import (
    OrderAccepted,
    OrderDenied,
    OrderFilled,
    OrderRejected,
    OrderUnknown,
)
from ashare_exec.observability.alerts import (
    Alert,
    ReconciliationMismatch,
    RiskBreakerTripped,
    Severity,
    Snapshot,
)
from ashare_exec.observability.rules.base import RuleBase
from ashare_exec.observability.rules.config import (
    ConsecutiveRejectsConfig,
    HftRateRuleConfig,
    InflightRuleConfig,
    ReconciliationRuleConfig,
    RiskBreakerRuleConfig,
)

__all__ = [
    "ConsecutiveRejectsRule",
    "HftRateRule",
    "InflightRule",
    "ReconciliationRule",
    "RiskBreakerRule",
]


class ConsecutiveRejectsRule(RuleBase):
    """N rejections in a row on one account (an ack or a fill resets the count)."""

    name = "consecutive_rejections"
    event_types: tuple[type, ...] | None = (OrderAccepted, OrderFilled, OrderRejected, OrderDenied)

    def __init__(self, config: ConsecutiveRejectsConfig) -> None:
        self.c = config
        self._run: dict[str, list[str]] = {}

    def on_event(self, event: object, now: datetime) -> list[Alert]:
        if isinstance(event, OrderAccepted | OrderFilled):
            self._run.pop(str(event.account_id), None)
            return []
        if isinstance(event, OrderRejected):
            if event.unsent:  # not the venue's: the journal failed (JOURNAL_ERROR pages)
                return []
            code = event.reason_code
        elif isinstance(event, OrderDenied) and self.c.include_denials:
            code = event.reasons[0] if event.reasons else "DENIED"
        else:
            return []
        acc = str(event.account_id)
        run = self._run.setdefault(acc, [])
        run.append(code)
        if len(run) < self.c.threshold:
            return []
        recent = ", ".join(sorted(set(run[-self.c.threshold :])))
        return [
            Alert(
                severity=Severity.CRITICAL,
                code="CONSECUTIVE_REJECTIONS",
                message=f"{len(run)} orders rejected in a row on {acc} ({recent})",
                ts=now,
                account=acc,
            )
        ]


class ReconciliationRule(RuleBase):
    """Reconciliation had to correct our view of the account (beyond the tolerance)."""

    name = "reconciliation"
    event_types: tuple[type, ...] | None = (ReconciliationMismatch,)

    def __init__(self, config: ReconciliationRuleConfig) -> None:
        self.c = config

    def on_event(self, event: object, now: datetime) -> list[Alert]:
        if not isinstance(event, ReconciliationMismatch) or not event.exceeds_tolerance:
            return []
        critical = event.kind in self.c.critical_kinds
        return [
            Alert(
                severity=Severity.CRITICAL if critical else Severity.WARNING,
                code="RECONCILIATION_MISMATCH",
                message=f"{event.count} {event.kind} mismatch(es) corrected: {event.detail}",
                ts=now,
                account=event.account_id,
                labels={"kind": event.kind},
            )
        ]


class InflightRule(RuleBase):
    """Orders sent with no final answer: in doubt at once, unresolved after a while."""

    name = "inflight"
    event_types: tuple[type, ...] | None = (OrderUnknown,)

    def __init__(self, config: InflightRuleConfig) -> None:
        self.c = config

    def on_event(self, event: object, now: datetime) -> list[Alert]:
        if not isinstance(event, OrderUnknown):
            return []
        return [
            Alert(
                severity=Severity.WARNING,
                code="ORDER_IN_DOUBT",
                message=f"order {event.client_order_id} is in doubt ({event.reason_code}); "
                "it will be settled by a query, not resent",
                ts=now,
                account=str(event.account_id),
                labels={"client_order_id": str(event.client_order_id)},
            )
        ]

    def on_tick(self, snapshot: Snapshot, now: datetime) -> list[Alert]:
        limit = timedelta(seconds=self.c.max_age_seconds)
        return [
            Alert(
                severity=Severity.CRITICAL,
                code="INFLIGHT_UNRESOLVED",
                message=f"order {o.client_order_id} {o.status} for "
                f"{(now - o.since).total_seconds():.0f}s",
                ts=now,
                account=o.account_id,
                labels={"client_order_id": o.client_order_id, "status": o.status},
            )
            for o in snapshot.inflight
            if now - o.since >= limit
        ]


class RiskBreakerRule(RuleBase):
    """A risk circuit breaker fired."""

    name = "risk_breaker"
    event_types: tuple[type, ...] | None = (RiskBreakerTripped,)

    def __init__(self, config: RiskBreakerRuleConfig) -> None:
        self.c = config

    def on_event(self, event: object, now: datetime) -> list[Alert]:
        if not isinstance(event, RiskBreakerTripped):
            return []
        return [
            Alert(
                severity=Severity.CRITICAL,
                code="RISK_BREAKER_FIRED",
                message=f"risk breaker {event.breaker} fired on {event.account_id}: {event.reason}",
                ts=now,
                account=event.account_id,
                labels={"breaker": event.breaker},
            )
        ]


class HftRateRule(RuleBase):
    """An account nears (WARNING) or reaches (CRITICAL) the high-frequency thresholds."""

    name = "hft_rate"
    event_types: tuple[type, ...] | None = ()

    def __init__(self, config: HftRateRuleConfig) -> None:
        self.c = config

    def _check(self, what: str, acc: str, value: int, limit: int, now: datetime) -> list[Alert]:
        if value < limit * self.c.warn_fraction:
            return []
        return [
            Alert(
                severity=Severity.CRITICAL if value >= limit else Severity.WARNING,
                code="HFT_RATE_NEAR_LIMIT",
                message=f"{acc}: {value} orders+cancels {what} (threshold {limit})",
                ts=now,
                account=acc,
                labels={"period": what},
            )
        ]

    def on_tick(self, snapshot: Snapshot, now: datetime) -> list[Alert]:
        out: list[Alert] = []
        for acc, peak in snapshot.orders_cancels_peak_per_second.items():
            out += self._check("per second", acc, peak, self.c.per_second, now)
        for acc, today in snapshot.orders_cancels_today.items():
            out += self._check("per day", acc, today, self.c.per_day, now)
        return out
