"""Risk limits: global defaults plus per-account overrides, validated from a mapping (TOML).

The ``[risk]`` table of the service config takes every :class:`RiskLimits` key as a global
default, ``global_max_msgs_per_second`` for the all-accounts throttle, and per-account
overrides under ``[risk.accounts.<account id>]``::

    [risk]
    max_order_notional = "2000000"
    max_msgs_per_second = 20
    [risk.accounts.acc1]
    max_position_pct = "0.2"
    disabled_checks = ["duplicate"]

A limit typed ``X | None`` is switched off with ``false`` (TOML has no null). Decimal values
accept strings or numbers. ``docs/risk.md`` lists every key with its default and reason code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ashare_exec.errors import ConfigError
from ashare_exec.model.numbers import to_decimal

__all__ = ["CHECK_NAMES", "RiskConfig", "RiskLimits"]

CHECK_NAMES: tuple[str, ...] = (
    "trading_state",
    "exchange_rules",
    "symbol_lists",
    "order_qty",
    "order_notional",
    "price_deviation",
    "cash",
    "sellable",
    "position_limit",
    "gross_exposure",
    "st_buy_cap",
    "open_orders",
    "duplicate",
    "self_trade",
    "rate_limit",
    "daily_count",
    "cancel_ratio",
    "chase_guard",
)
"""Every pre-trade check, in evaluation order; names used in ``disabled_checks``."""

_FRACTION_KEYS = frozenset(
    {
        "max_position_pct",
        "daily_warn_fraction",
        "cancel_ratio_warn",
        "daily_loss_limit_pct",
        "stop_loss_pct",
        "stop_slippage_pct",
        "chase_near_limit_pct",
        "max_price_deviation",
        "max_order_drift",
    }
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskLimits:
    """The limits that apply to one account (global defaults merged with its overrides)."""

    disabled_checks: frozenset[str] = frozenset()
    """Pre-trade checks switched off by name (see :data:`CHECK_NAMES`)."""
    max_order_qty: int | None = 1_000_000
    """Per-order quantity cap in shares (ORDER_QTY_LIMIT)."""
    max_order_notional: Decimal | None = Decimal("5000000")
    """Per-order notional cap in CNY, price × qty (ORDER_NOTIONAL_LIMIT)."""
    max_position_qty: int | None = None
    """Per-symbol cap on shares held + working buys + this buy (POSITION_LIMIT)."""
    max_position_value: Decimal | None = None
    """Per-symbol cap on the value of that projected position in CNY (POSITION_LIMIT)."""
    max_position_pct: Decimal | None = None
    """Per-symbol cap on that value as a fraction of account equity (POSITION_LIMIT)."""
    max_gross_exposure: Decimal | None = None
    """Cap on market value + working buys + this buy, in CNY (EXPOSURE_LIMIT)."""
    max_gross_exposure_pct: Decimal | None = None
    """The same cap as a multiple of equity, e.g. 1 = fully invested (EXPOSURE_LIMIT)."""
    max_price_deviation: Decimal | None = Decimal("0.05")
    """Fat finger: max |price − reference| / reference; reference = last, else prev close
    (PRICE_DEVIATION)."""
    whitelist: frozenset[str] | None = None
    """When set, only these symbols may be traded (NOT_WHITELISTED)."""
    blacklist: frozenset[str] = frozenset()
    """Symbols that may not be traded (BLACKLISTED)."""
    block_st_buys: bool = False
    """Refuse buys of risk-warning (ST/*ST) stocks (BLACKLISTED); sells stay allowed."""
    block_delisting_buys: bool = True
    """Refuse buys of stocks in the delisting arrangement period (BLACKLISTED)."""
    st_daily_buy_cap: int = 500_000
    """Per-stock daily buy cap for ST stocks: filled + working + this buy (ST_DAILY_BUY_CAP)."""
    max_open_orders: int | None = 500
    """Cap on working orders of the account (OPEN_ORDERS_LIMIT)."""
    duplicate_max: int = 3
    """Identical orders (symbol, side, price, qty) allowed per window (DUPLICATE_ORDER)."""
    duplicate_window_s: float = 1.0
    """Length of the duplicate-order window in seconds."""
    min_cash_reserve: Decimal = Decimal(0)
    """Cash kept free: buys need notional + fees + this (INSUFFICIENT_CASH)."""
    max_msgs_per_second: int = 20
    """Orders + cancels per second for the account, far below the 300/s HFT line
    (RATE_LIMITED; cancels are counted, never refused)."""
    max_daily_orders: int = 10_000
    """New orders per day (DAILY_COUNT_LIMIT)."""
    max_daily_cancels: int = 10_000
    """Cancels per day: past it an alert fires, cancels still go (never blocked)."""
    max_daily_messages: int = 15_000
    """Orders + cancels per day, below the 20,000/day HFT line (DAILY_COUNT_LIMIT)."""
    daily_warn_fraction: Decimal = Decimal("0.8")
    """Warn once when a daily count reaches this fraction of its limit."""
    cancel_ratio_limit: Decimal | None = Decimal("0.8")
    """Cancels / orders over the sliding window that starts a cool-down (CANCEL_RATIO_LIMIT)."""
    cancel_ratio_warn: Decimal = Decimal("0.6")
    """Cancel ratio that raises a warning."""
    cancel_ratio_window_s: float = 60.0
    """Sliding window of the cancel ratio, in seconds."""
    cancel_ratio_min_orders: int = 20
    """The ratio is judged only once the window holds this many orders."""
    cancel_ratio_cooldown_s: float = 60.0
    """New orders are refused this long after the ratio limit fires."""
    max_consecutive_rejections: int | None = 5
    """Broker/exchange rejections in a row that halt the account and alert."""
    daily_loss_limit: Decimal | None = None
    """Loss today (realised + unrealised, CNY) that switches the account to reduce-only."""
    daily_loss_limit_pct: Decimal | None = None
    """The same as a fraction of start-of-day equity."""
    halt_cancels_all: bool = True
    """Halting (breaker or kill switch) also asks the engine to cancel all working orders."""
    order_ttl_s: float | None = None
    """Auto-cancel a working order after this many seconds."""
    max_order_drift: Decimal | None = None
    """Auto-cancel a working order when the last price moves away from it by this fraction."""
    chase_max_resubmits: int | None = 3
    """Cancel-and-resubmit cycles on one symbol+side allowed per window (CHASE_GUARD)."""
    chase_window_s: float = 10.0
    """Chase-guard window in seconds."""
    chase_near_limit_pct: Decimal | None = Decimal("0.02")
    """The chase guard applies only within this fraction of limit-up (buys) / limit-down
    (sells); ``false`` applies it at any price."""
    stop_loss_pct: Decimal | None = None
    """Fallback stop-loss below the average cost, for positions without an explicit stop."""
    take_profit_pct: Decimal | None = None
    """Fallback take-profit above the average cost."""
    stop_slippage_pct: Decimal = Decimal("0.01")
    """A triggered stop sells at last × (1 − this), clamped to limit-down, on the tick grid."""

    def check_enabled(self, name: str) -> bool:
        """Return whether the pre-trade check ``name`` is on."""
        return name not in self.disabled_checks


_LIMIT_FIELDS: dict[str, str] = {f.name: str(f.type) for f in dataclasses.fields(RiskLimits)}


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskConfig:
    """Global risk defaults, per-account overrides and the all-accounts throttle."""

    defaults: RiskLimits = RiskLimits()
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Validated per-account overrides (only the keys that differ from the defaults)."""
    global_max_msgs_per_second: int = 50
    """Orders + cancels per second summed over all accounts (RATE_LIMITED)."""
    _merged: dict[str, RiskLimits] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def limits_for(self, account_id: str) -> RiskLimits:
        """Return the effective limits of ``account_id`` (defaults + its overrides)."""
        got = self._merged.get(account_id)
        if got is None:
            extra = self.overrides.get(account_id)
            got = dataclasses.replace(self.defaults, **extra) if extra else self.defaults
            self._merged[account_id] = got
        return got

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "risk") -> RiskConfig:
        """Build and validate a config from the ``[risk]`` table.

        Raises:
            ConfigError: an unknown key or a bad value; the message names the key.
        """
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source}: must be a table", context={"key": source})
        top = {k: v for k, v in data.items() if k not in ("accounts", "global_max_msgs_per_second")}
        defaults = RiskLimits(**_parse_limits(top, source))
        gmps = data.get("global_max_msgs_per_second", 50)
        gmps = _parse_value("global_max_msgs_per_second", "int", gmps, f"{source}.")
        accounts = data.get("accounts", {})
        if not isinstance(accounts, Mapping):
            raise ConfigError(f"{source}.accounts: must be a table", context={"key": "accounts"})
        overrides: dict[str, dict[str, Any]] = {}
        for account_id, raw in accounts.items():
            where = f"{source}.accounts.{account_id}"
            if not isinstance(raw, Mapping):
                raise ConfigError(f"{where}: must be a table", context={"key": where})
            overrides[str(account_id)] = _parse_limits(raw, where)
        return cls(defaults=defaults, overrides=overrides, global_max_msgs_per_second=gmps)

    def with_changes(
        self, scope: str | None, changes: Mapping[str, Any]
    ) -> tuple[RiskConfig, dict[str, tuple[Any, Any]]]:
        """Return a new config with ``changes`` applied and the ``{key: (old, new)}`` diff.

        ``scope`` is an account id, or ``None`` for the global defaults (where
        ``global_max_msgs_per_second`` may also change).

        Raises:
            ConfigError: an unknown key or a bad value.
        """
        where = "risk" if scope is None else f"risk.accounts.{scope}"
        rest = dict(changes)
        gmps = self.global_max_msgs_per_second
        diff: dict[str, tuple[Any, Any]] = {}
        if "global_max_msgs_per_second" in rest:
            if scope is not None:
                raise ConfigError(
                    f"{where}: global_max_msgs_per_second is global only",
                    context={"key": "global_max_msgs_per_second"},
                )
            raw = rest.pop("global_max_msgs_per_second")
            new = _parse_value("global_max_msgs_per_second", "int", raw, "risk.")
            diff["global_max_msgs_per_second"] = (gmps, new)
            gmps = new
        parsed = _parse_limits(rest, where)
        if scope is None:
            for k, v in parsed.items():
                diff[k] = (getattr(self.defaults, k), v)
            defaults = dataclasses.replace(self.defaults, **parsed)
            overrides = {k: dict(v) for k, v in self.overrides.items()}
        else:
            current = self.limits_for(scope)
            for k, v in parsed.items():
                diff[k] = (getattr(current, k), v)
            defaults = self.defaults
            overrides = {k: dict(v) for k, v in self.overrides.items()}
            overrides[scope] = {**overrides.get(scope, {}), **parsed}
        new_config = RiskConfig(
            defaults=defaults, overrides=overrides, global_max_msgs_per_second=gmps
        )
        return new_config, diff


def _parse_limits(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        kind = _LIMIT_FIELDS.get(key)
        if kind is None:
            raise ConfigError(f"{where}.{key}: unknown risk key", context={"key": f"{where}.{key}"})
        out[key] = _parse_value(key, kind, value, f"{where}.")
    return out


def _parse_value(key: str, kind: str, value: Any, prefix: str) -> Any:
    def fail(problem: str) -> ConfigError:
        return ConfigError(f"{prefix}{key}: {problem}, was {value!r}", context={"key": key})

    optional = kind.endswith(" | None")
    base = kind.removesuffix(" | None")
    if optional and (value is None or value is False):
        return None
    if base == "bool":
        if not isinstance(value, bool):
            raise fail("must be true or false")
        return value
    if base == "int":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise fail("must be an integer >= 0")
        return value
    if base == "float":
        if not isinstance(value, int | float) or isinstance(value, bool) or value <= 0:
            raise fail("must be a number of seconds > 0")
        return float(value)
    if base == "Decimal":
        if isinstance(value, bool):
            raise fail("must be a number")
        try:
            d = to_decimal(value)
        except ValueError:
            raise fail("must be a number") from None
        if d < 0:
            raise fail("must be >= 0")
        if key in _FRACTION_KEYS and d > 1:
            raise fail("must be a fraction between 0 and 1")
        return d
    if base == "frozenset[str]":
        if isinstance(value, str) or not isinstance(value, list | tuple | set | frozenset):
            raise fail("must be a list of strings")
        items = frozenset(str(v).strip().upper() for v in value)
        if key == "disabled_checks":
            items = frozenset(v.lower() for v in items)
            unknown = sorted(items - set(CHECK_NAMES))
            if unknown:
                raise fail(f"unknown check(s) {unknown} (known: {', '.join(CHECK_NAMES)})")
        return items
    raise fail(f"unsupported type {kind}")  # pragma: no cover - guards new fields
