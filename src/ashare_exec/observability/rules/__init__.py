"""The built-in alert rules (one small class each) and :func:`build_rules`.

Each rule keeps only the state it needs and never reads a clock: events and snapshots come
with ``now``. Codes, severities and defaults are listed in ``docs/observability.md``.
"""

from __future__ import annotations

from ashare_exec.observability.alerts import AlertRule
from ashare_exec.observability.rules.base import RuleBase
from ashare_exec.observability.rules.config import RulesConfig
from ashare_exec.observability.rules.connectivity import AccountRule, SessionEdgeRule, VenueRule
from ashare_exec.observability.rules.orders import (
    ConsecutiveRejectsRule,
    HftRateRule,
    InflightRule,
    ReconciliationRule,
    RiskBreakerRule,
)
from ashare_exec.observability.rules.system import ClockDriftRule, JournalRule, LatencyRule

__all__ = [
    "AccountRule",
    "ClockDriftRule",
    "ConsecutiveRejectsRule",
    "HftRateRule",
    "InflightRule",
    "JournalRule",
    "LatencyRule",
    "ReconciliationRule",
    "RiskBreakerRule",
    "RuleBase",
    "RulesConfig",
    "SessionEdgeRule",
    "VenueRule",
    "build_rules",
]

_RULES: dict[str, type[RuleBase]] = {
    "venue": VenueRule,
    "account": AccountRule,
    "consecutive_rejections": ConsecutiveRejectsRule,
    "reconciliation": ReconciliationRule,
    "inflight": InflightRule,
    "latency": LatencyRule,
    "journal": JournalRule,
    "risk_breaker": RiskBreakerRule,
    "session_edge": SessionEdgeRule,
    "clock_drift": ClockDriftRule,
    "hft_rate": HftRateRule,
}


def build_rules(config: RulesConfig | None = None) -> list[AlertRule]:
    """Return the enabled built-in rules, configured."""
    config = config or RulesConfig()
    rules: list[AlertRule] = []
    for name, cls in _RULES.items():
        sub = getattr(config, name)
        if sub.enabled:
            rules.append(cls(sub))  # type: ignore[call-arg]
    return rules
