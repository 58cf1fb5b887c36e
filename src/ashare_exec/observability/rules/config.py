"""Configuration of the alert engine and of every built-in rule (``[alerts]`` in TOML).

:func:`load_alerts_config` validates a mapping (a parsed TOML table) and names the key at
fault in a :class:`~ashare_exec.errors.ConfigError`. Codes and defaults are listed in
``docs/observability.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from typing import Any, TypeVar

from ashare_exec.errors import ConfigError

_T = TypeVar("_T")

__all__ = [
    "AccountRuleConfig",
    "AlertsConfig",
    "ClockDriftRuleConfig",
    "ConsecutiveRejectsConfig",
    "HftRateRuleConfig",
    "InflightRuleConfig",
    "JournalRuleConfig",
    "LatencyRuleConfig",
    "ReconciliationRuleConfig",
    "RiskBreakerRuleConfig",
    "RulesConfig",
    "SessionEdgeRuleConfig",
    "VenueRuleConfig",
    "load_alerts_config",
]


@dataclass(frozen=True, slots=True)
class VenueRuleConfig:
    """``VENUE_DISCONNECTED`` / ``RECONNECT_STORM`` / ``VENUE_RECONNECTED``."""

    enabled: bool = True
    grace_seconds: float = 0.0
    """Alert only if still down after this long (0: at once)."""
    storm_count: int = 3
    """Disconnects within ``storm_window_seconds`` that make a storm."""
    storm_window_seconds: float = 300.0


@dataclass(frozen=True, slots=True)
class AccountRuleConfig:
    """``ACCOUNT_LOGIN_LOST`` / ``ACCOUNT_DEGRADED`` / ``ACCOUNT_RESTORED``."""

    enabled: bool = True
    alert_on_transient: bool = False
    """Also warn when the broker marks the account TRANSIENT."""


@dataclass(frozen=True, slots=True)
class ConsecutiveRejectsConfig:
    """``CONSECUTIVE_REJECTIONS``."""

    enabled: bool = True
    threshold: int = 5
    include_denials: bool = False
    """Count our own risk denials too (not only broker/exchange rejections)."""


@dataclass(frozen=True, slots=True)
class ReconciliationRuleConfig:
    """``RECONCILIATION_MISMATCH``."""

    enabled: bool = True
    critical_kinds: tuple[str, ...] = ("position", "cash", "unknown_order")
    """Kinds alerted as CRITICAL; others are WARNING."""


@dataclass(frozen=True, slots=True)
class InflightRuleConfig:
    """``INFLIGHT_UNRESOLVED`` / ``ORDER_IN_DOUBT``."""

    enabled: bool = True
    max_age_seconds: float = 30.0
    """An order pending (new, cancel) or unknown longer than this is unresolved."""


@dataclass(frozen=True, slots=True)
class LatencyRuleConfig:
    """``HIGH_LATENCY``: ``consecutive`` samples of one kind above its threshold."""

    enabled: bool = True
    ack_seconds: float = 1.0
    broker_call_seconds: float = 2.0
    api_seconds: float = 1.0
    consecutive: int = 3


@dataclass(frozen=True, slots=True)
class JournalRuleConfig:
    """``JOURNAL_ERROR`` / ``JOURNAL_LAG``."""

    enabled: bool = True
    max_lag_seconds: float = 5.0


@dataclass(frozen=True, slots=True)
class RiskBreakerRuleConfig:
    """``RISK_BREAKER_FIRED``."""

    enabled: bool = True


@dataclass(frozen=True, slots=True)
class SessionEdgeRuleConfig:
    """``SESSION_EDGE_ANOMALY``: trouble around the open and the close (CST)."""

    enabled: bool = True
    windows: tuple[str, ...] = ("09:15-09:30", "14:50-15:00")
    min_rejections: int = 3
    """Rejections on one account within one window (per day) that raise the alert."""


@dataclass(frozen=True, slots=True)
class ClockDriftRuleConfig:
    """``CLOCK_DRIFT``."""

    enabled: bool = True
    warning_seconds: float = 0.5
    critical_seconds: float = 2.0


@dataclass(frozen=True, slots=True)
class HftRateRuleConfig:
    """``HFT_RATE_NEAR_LIMIT``: orders+cancels approaching the high-frequency thresholds."""

    enabled: bool = True
    per_second: int = 300
    per_day: int = 20_000
    warn_fraction: float = 0.8


@dataclass(frozen=True, slots=True)
class RulesConfig:
    """Configuration of every built-in rule (``[alerts.rules]``)."""

    venue: VenueRuleConfig = VenueRuleConfig()
    account: AccountRuleConfig = AccountRuleConfig()
    consecutive_rejections: ConsecutiveRejectsConfig = ConsecutiveRejectsConfig()
    reconciliation: ReconciliationRuleConfig = ReconciliationRuleConfig()
    inflight: InflightRuleConfig = InflightRuleConfig()
    latency: LatencyRuleConfig = LatencyRuleConfig()
    journal: JournalRuleConfig = JournalRuleConfig()
    risk_breaker: RiskBreakerRuleConfig = RiskBreakerRuleConfig()
    session_edge: SessionEdgeRuleConfig = SessionEdgeRuleConfig()
    clock_drift: ClockDriftRuleConfig = ClockDriftRuleConfig()
    hft_rate: HftRateRuleConfig = HftRateRuleConfig()


@dataclass(frozen=True, slots=True)
class AlertsConfig:
    """The alert engine's settings and its rules (``[alerts]``)."""

    dedupe_window_seconds: float = 300.0
    """The same alert (code + key) is sent at most once per window, unless it escalates."""
    rate_limit_max: int = 20
    """At most this many alerts per ``rate_limit_window_seconds``..."""
    rate_limit_window_seconds: float = 60.0
    rate_limit_exempt_critical: bool = True
    """...except CRITICAL alerts, which are never rate-limited (still de-duplicated)."""
    rules: RulesConfig = RulesConfig()


def _coerce(value: object, default: object, where: str) -> object:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{where} must be true or false, was {value!r}")
        return value
    if isinstance(default, int | float) and isinstance(value, int | float):
        if isinstance(value, bool) or (isinstance(default, int) and not isinstance(value, int)):
            raise ConfigError(f"{where} must be a number of type {type(default).__name__}")
        if value < 0:
            raise ConfigError(f"{where} must not be negative, was {value!r}")
        return type(default)(value)
    if isinstance(default, tuple) and isinstance(value, list | tuple):
        if not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a list of strings")
        return tuple(value)
    if isinstance(default, str) and isinstance(value, str):
        return value
    raise ConfigError(f"{where} has the wrong type: {value!r}")


def _build(cls: type[_T], data: Mapping[str, Any], where: str) -> _T:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where} must be a table")
    defaults = cls()
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    values: dict[str, object] = {}
    for name, value in data.items():
        default = getattr(defaults, name)
        key = f"{where}.{name}"
        values[name] = (
            _build(type(default), value, key)
            if is_dataclass(default)
            else _coerce(value, default, key)
        )
    return cls(**values)


def load_alerts_config(data: Mapping[str, Any]) -> AlertsConfig:
    """Build an :class:`AlertsConfig` from a parsed ``[alerts]`` table (missing keys default).

    Raises:
        ConfigError: an unknown key, a wrong type, a negative number or a bad time window.
    """
    config = _build(AlertsConfig, data, "alerts")
    for window in config.rules.session_edge.windows:
        start, sep, end = window.partition("-")
        if not sep or not _is_hhmm(start) or not _is_hhmm(end) or start.strip() >= end.strip():
            raise ConfigError(
                f"alerts.rules.session_edge.windows: {window!r} is not 'HH:MM-HH:MM' (start < end)"
            )
    return config


def _is_hhmm(text: str) -> bool:
    hh, sep, mm = text.strip().partition(":")
    return (
        bool(sep)
        and len(hh) == 2
        and len(mm) == 2
        and hh.isdigit()
        and mm.isdigit()
        and (int(hh) < 24 and int(mm) < 60)
    )
