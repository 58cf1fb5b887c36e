"""Shared state and internals of :class:`~ashare_exec.risk.engine.RiskEngine`.

Holds the trading states, the per-account control state, the day bookkeeping, the cached
price bands and fee rates, and the in-trade control steps (counting, daily warnings,
cancel ratio, daily loss). The public API lives in ``engine.py``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_UP, Decimal
from typing import Any

from ashare_exec.clock import CST
from ashare_exec.model import Instrument, PriceType, Side, TradingState
from ashare_exec.risk import codes
from ashare_exec.risk.actions import RiskAlert
from ashare_exec.risk.checks import Check
from ashare_exec.risk.config import RiskConfig, RiskLimits
from ashare_exec.risk.controls import AccountControls, DayStats
from ashare_exec.risk.protections import OrderWatch, StopBook
from ashare_exec.risk.view import AccountView
from ashare_exec.rules import (
    DEFAULT_RULES,
    WEEKDAYS_ONLY,
    FeeSchedule,
    PriceLimits,
    RulesConfig,
    TradingCalendar,
    price_limits,
    statutory_rates,
)

__all__ = ["GLOBAL", "PRICED_TYPES", "STATE_SEVERITY", "EngineCore"]

GLOBAL = "*"
"""Scope name of the gateway-wide trading state and limits."""

STATE_SEVERITY = {TradingState.ACTIVE: 0, TradingState.REDUCE_ONLY: 1, TradingState.HALTED: 2}
PRICED_TYPES = (PriceType.LIMIT, PriceType.AFTER_HOURS_FIXED)
_CENT = Decimal("0.01")


def _pick(override: Decimal | None, statutory: Decimal) -> Decimal:
    # as in rules.estimate_fees: an override changes a rate, never whether the fee applies
    return statutory if override is None or statutory == 0 else override


class EngineCore:
    """State and internal steps shared by the engine's public methods."""

    def __init__(
        self,
        config: RiskConfig | None = None,
        *,
        calendar: TradingCalendar = WEEKDAYS_ONLY,
        fee_schedule: FeeSchedule | None = None,
        rules_config: RulesConfig = DEFAULT_RULES,
    ) -> None:
        self._config = config or RiskConfig()
        self.calendar = calendar
        self.fee_schedule = fee_schedule or FeeSchedule()
        self.rules_config = rules_config
        self._states: dict[str, tuple[TradingState, str | None]] = {}
        self._controls: dict[str, AccountControls] = {}
        self.watch = OrderWatch()
        self.stops = StopBook()
        self._day_key: tuple[float, float, str] = (0.0, 0.0, "")
        self._date = date.min
        self._chains: dict[frozenset[str], tuple[tuple[str, Check], ...]] = {}
        self._bands: dict[object, tuple[Instrument, PriceLimits]] = {}
        self._fee_rates: dict[tuple[object, ...], tuple[Decimal, Decimal, tuple[Decimal, ...]]] = {}

    def _band(self, inst: Instrument) -> PriceLimits:
        # keyed by id and checked by identity/equality: hashing a whole Instrument is slow
        got = self._bands.get(inst.instrument_id)
        if got is not None and (got[0] is inst or got[0] == inst):
            return got[1]
        band = price_limits(inst, self._date, self.calendar, config=self.rules_config)
        self._bands[inst.instrument_id] = (inst, band)
        return band

    def _fees(self, inst: Instrument, side: Side, qty: int, price: Decimal) -> Decimal:
        """Fees of the order, never below :func:`rules.estimate_fees` (components rounded up).

        The rates are cached per instrument, side and day: the exact estimate costs several
        microseconds per order.
        """
        key = (inst.instrument_id, side)
        rates = self._fee_rates.get(key)
        if rates is None:
            stat = statutory_rates(inst, side, self._date)
            sched = self.fee_schedule
            c_rate = sched.commission_rate_by_product.get(inst.product, sched.commission_rate)
            c_min = sched.commission_min_by_product.get(inst.product, sched.commission_min)
            found = [
                _pick(sched.stamp_duty_rate, stat["stamp_duty"]),
                _pick(sched.transfer_fee_rate, stat["transfer_fee"]),
            ]
            if not sched.commission_includes_exchange_fees:
                found.append(_pick(sched.handling_fee_rate, stat["handling_fee"]))
                found.append(_pick(sched.csrc_fee_rate, stat["csrc_fee"]))
            rates = self._fee_rates[key] = (c_rate, c_min, tuple(found))
        c_rate, c_min, parts = rates
        turnover = price * qty
        total = max(turnover * c_rate, c_min).quantize(_CENT, ROUND_UP)
        for r in parts:
            total += (turnover * r).quantize(_CENT, ROUND_UP)
        return total

    def _ctl(self, scope: str) -> AccountControls:
        got = self._controls.get(scope)
        if got is None:
            got = self._controls[scope] = AccountControls()
        return got

    def _day(self, ts: float, now: datetime) -> str:
        lo, hi, day = self._day_key
        if lo <= ts < hi:
            return day
        local = now.astimezone(CST)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
        self._date = local.date()
        self._bands.clear()  # day-dependent caches
        self._fee_rates.clear()
        self._day_key = (midnight, midnight + 86_400.0, self._date.isoformat())
        return self._day_key[2]

    def _effective(self, account_id: str) -> tuple[TradingState, str | None]:
        g = self._states.get(GLOBAL, (TradingState.ACTIVE, None))
        a = self._states.get(account_id, (TradingState.ACTIVE, None))
        return a if STATE_SEVERITY[a[0]] > STATE_SEVERITY[g[0]] else g

    def _alert(
        self,
        scope: str,
        now: datetime,
        control: str,
        severity: str,
        code: str,
        message: str,
        data: dict[str, Any] | None = None,
    ) -> RiskAlert:
        alert = RiskAlert(
            ts=now,
            account_id=None if scope == GLOBAL else scope,
            control=control,
            severity=severity,
            code=code,
            message=message,
            data=data or {},
        )
        self._ctl(scope).day(self._day(now.timestamp(), now)).alerts.append(alert.to_dict())
        return alert

    def _record_order(
        self,
        account: str,
        ctl: AccountControls,
        gctl: AccountControls,
        stats: DayStats,
        limits: RiskLimits,
        ts: float,
        now: datetime,
    ) -> list[RiskAlert]:
        stats.orders += 1
        gstats = gctl.day(stats.day)
        gstats.orders += 1
        ctl.record_msg(ts, stats)
        gctl.record_msg(ts, gstats)
        ctl.ratio_orders.window = ctl.ratio_cancels.window = limits.cancel_ratio_window_s
        ctl.ratio_orders.add(ts)
        return self._daily_warnings(account, ctl, stats, limits, now)

    def _daily_warnings(
        self,
        account: str,
        ctl: AccountControls,
        stats: DayStats,
        limits: RiskLimits,
        now: datetime,
    ) -> list[RiskAlert]:
        out: list[RiskAlert] = []
        frac = limits.daily_warn_fraction
        for name, value, cap in (
            ("orders", stats.orders, limits.max_daily_orders),
            ("cancels", stats.cancels, limits.max_daily_cancels),
            ("messages", stats.orders + stats.cancels, limits.max_daily_messages),
        ):
            for level, threshold in (("limit", cap), ("warn", cap * frac)):
                key = f"{name}:{level}"
                if value >= threshold and key not in ctl.warned:
                    ctl.warned.add(key)
                    sev = "CRITICAL" if level == "limit" else "WARNING"
                    out.append(
                        self._alert(
                            account,
                            now,
                            codes.CONTROL_DAILY_COUNT,
                            sev,
                            codes.DAILY_COUNT_LIMIT,
                            f"daily {name} {value} reached {level} {threshold}",
                        )
                    )
                    break
        return out

    def _cancel_ratio(
        self, account: str, ctl: AccountControls, limits: RiskLimits, ts: float, now: datetime
    ) -> list[RiskAlert]:
        cap = limits.cancel_ratio_limit
        orders = ctl.ratio_orders.count(ts)
        cancels = ctl.ratio_cancels.count(ts)
        if cap is None or orders < limits.cancel_ratio_min_orders:
            return []
        ratio = Decimal(cancels) / orders
        if ratio > cap:
            ctl.cooldown_until = ts + limits.cancel_ratio_cooldown_s
            ctl.ratio_orders.clear()
            ctl.ratio_cancels.clear()
            ctl.ratio_warned = False
            return [
                self._alert(
                    account,
                    now,
                    codes.CONTROL_CANCEL_RATIO,
                    "CRITICAL",
                    codes.CANCEL_RATIO_LIMIT,
                    f"cancel ratio {ratio:.2f} > {cap}; new orders paused "
                    f"{limits.cancel_ratio_cooldown_s}s",
                )
            ]
        if ratio >= limits.cancel_ratio_warn and not ctl.ratio_warned:
            ctl.ratio_warned = True
            return [
                self._alert(
                    account,
                    now,
                    codes.CONTROL_CANCEL_RATIO,
                    "WARNING",
                    codes.CANCEL_RATIO_LIMIT,
                    f"cancel ratio {ratio:.2f} >= warning {limits.cancel_ratio_warn}",
                )
            ]
        return []

    def _daily_loss(
        self, account: str, view: AccountView, limits: RiskLimits, now: datetime
    ) -> list[RiskAlert]:
        if limits.daily_loss_limit is None and limits.daily_loss_limit_pct is None:
            return []
        if self._states.get(account, (TradingState.ACTIVE, None))[0] is not TradingState.ACTIVE:
            return []
        pnl = view.pnl_today()
        if pnl >= 0:
            return []
        loss = -pnl
        hit = limits.daily_loss_limit is not None and loss >= limits.daily_loss_limit
        if not hit and limits.daily_loss_limit_pct is not None:
            start = view.equity() - pnl
            hit = start > 0 and loss >= start * limits.daily_loss_limit_pct
        if not hit:
            return []
        self._states[account] = (TradingState.REDUCE_ONLY, codes.DAILY_LOSS_LIMIT)
        return [
            self._alert(
                account,
                now,
                codes.CONTROL_DAILY_LOSS,
                "CRITICAL",
                codes.DAILY_LOSS_LIMIT,
                f"loss today {loss} hit the daily limit; account is reduce-only",
            )
        ]
