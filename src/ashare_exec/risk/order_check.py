"""The pre-trade check run of :class:`~ashare_exec.risk.engine.RiskEngine`.

Builds the :class:`~ashare_exec.risk.checks.CheckContext` of an order (exchange rules, price,
fees, the account's and the gateway's control state), runs the enabled checks and counts an
allowed order. The public API lives in ``engine.py``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ashare_exec.model import Instrument, Quote, Side, SubmitOrder
from ashare_exec.risk import codes
from ashare_exec.risk._core import GLOBAL, PRICED_TYPES, EngineCore
from ashare_exec.risk.actions import RiskDecision
from ashare_exec.risk.checks import CHECKS, CheckContext
from ashare_exec.risk.view import FLAT, AccountView
from ashare_exec.rules import PriceLimits, validate_order

__all__ = ["OrderCheckCore"]


class OrderCheckCore(EngineCore):
    """The engine's state and internals plus the pre-trade check run."""

    def _check_order(
        self,
        cmd: SubmitOrder,
        inst: Instrument,
        quote: Quote | None,
        view: AccountView,
        now: datetime,
        record: bool,
    ) -> RiskDecision:
        account = cmd.account_id
        ts = now.timestamp()
        day = self._day(ts, now)
        limits = self._config.limits_for(account)
        ctl = self._ctl(account)
        stats = ctl.day(day)
        gctl = self._ctl(GLOBAL)
        gctl.day(day)
        alerts = self._daily_loss(account, view, limits, now)
        state, state_reason = self._effective(account)
        position = view.position(cmd.instrument_id) or FLAT
        ex_reasons: tuple[str, ...] = ()
        ex_message = ""
        if "exchange_rules" not in limits.disabled_checks:
            res = validate_order(
                cmd,
                inst,
                quote,
                now,
                self.calendar,
                sellable_qty=position.free_to_sell,
                position_qty=position.total_qty,
                config=self.rules_config,
            )
            band = res.limits
            ex_reasons, ex_message = res.reasons, "; ".join(res.messages[: len(res.reasons)])
        else:
            band = self._band(inst)
        price = self._price(cmd, quote, band)
        notional = None if price is None else price * cmd.qty
        fees = Decimal(0)
        if (
            price is not None
            and cmd.side is Side.BUY
            and cmd.qty > 0
            and "cash" not in limits.disabled_checks
        ):
            fees = self._fees(inst, cmd.side, cmd.qty, price)
        dup_key = (cmd.instrument_id, cmd.side, cmd.price_type, cmd.price, cmd.qty)
        chase_key = (cmd.instrument_id, cmd.side)
        ctx = CheckContext(
            cmd=cmd,
            instrument=inst,
            symbol=str(cmd.instrument_id),
            quote=quote,
            view=view,
            now=now,
            now_ts=ts,
            limits=limits,
            position=position,
            price=price,
            notional=notional,
            fees=fees,
            limit_up=band.up,
            limit_down=band.down,
            exchange_reasons=ex_reasons,
            exchange_message=ex_message,
            state=state,
            state_reason=state_reason,
            msgs_last_second=ctl.msgs.count(ts),
            global_msgs_last_second=gctl.msgs.count(ts),
            global_max_msgs_per_second=self._config.global_max_msgs_per_second,
            orders_today=stats.orders,
            cancels_today=stats.cancels,
            cooldown_until=ctl.cooldown_until,
            duplicate_times=ctl.window_times(
                ctl.duplicates, dup_key, ts, limits.duplicate_window_s
            ),
            chase_times=ctl.window_times(ctl.chase, chase_key, ts, limits.chase_window_s),
        )
        reasons: list[str] = []
        messages: list[str] = []
        chain = self._chains.get(limits.disabled_checks)
        if chain is None:
            disabled = limits.disabled_checks
            chain = tuple((n, c) for n, c in CHECKS if n not in disabled)
            self._chains[limits.disabled_checks] = chain
        for name, check in chain:
            try:
                r = check(ctx)
            except Exception as e:
                reasons.append(codes.RISK_CHECK_ERROR)
                messages.append(f"{name}: {e!r}")
                continue
            if not r.ok:
                for c in r.codes:
                    if c not in reasons:
                        reasons.append(c)
                messages.append(f"{name}: {r.message}")
        if reasons:
            for c in reasons:
                stats.denials[c] = stats.denials.get(c, 0) + 1
            return RiskDecision(False, tuple(reasons), tuple(messages), tuple(alerts))
        if record:
            alerts.extend(self._record_order(account, ctl, gctl, stats, limits, ts, now))
            ctl.remember(ctl.duplicates, dup_key, ts, limits.duplicate_window_s)
        return RiskDecision(True, (), (), tuple(alerts))

    @staticmethod
    def _price(cmd: SubmitOrder, quote: Quote | None, band: PriceLimits) -> Decimal | None:
        if cmd.price_type in PRICED_TYPES:
            return cmd.price
        if cmd.protection_price is not None:
            return cmd.protection_price
        if cmd.side is Side.BUY:
            return band.up if band.up is not None else (quote.best_ask if quote else None)
        return band.down if band.down is not None else (quote.best_bid if quote else None)
