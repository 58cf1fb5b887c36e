"""The risk engine: runs the pre-trade checks, drives the in-trade controls and protections.

Time is always passed in (``now``, aware); the engine never reads a clock. Denials never
raise: :meth:`RiskEngine.check_order` returns a :class:`RiskDecision` with every reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ashare_exec.clock import CST
from ashare_exec.model import Instrument, Quote, SubmitOrder, TradingState
from ashare_exec.risk import codes
from ashare_exec.risk._core import GLOBAL, STATE_SEVERITY
from ashare_exec.risk.actions import (
    AuditRecord,
    CancelAllAction,
    RiskAction,
    RiskAlert,
    RiskDecision,
    RiskOutcome,
)
from ashare_exec.risk.config import RiskConfig, RiskLimits
from ashare_exec.risk.controls import AccountControls, DayStats
from ashare_exec.risk.evidence import EvidencePack
from ashare_exec.risk.order_check import OrderCheckCore
from ashare_exec.risk.protections import OrderWatch, StopBook, WatchedOrder
from ashare_exec.risk.view import AccountView, WorkingOrderView
from ashare_exec.rules import (
    PriceLimits,
    price_limits,
)

__all__ = ["GLOBAL", "RiskEngine"]


class RiskEngine(OrderCheckCore):
    """Pre-trade checks, in-trade controls, kill switch, protections and evidence.

    Args:
        config: limits (global defaults + per-account overrides).
        calendar: trading calendar for the exchange-rule validator.
        fee_schedule: fee terms for the cash check's fee estimate.
        rules_config: choices for unconfirmed exchange rules.
    """

    # ---------------------------------------------------------------- config & state
    @property
    def config(self) -> RiskConfig:
        """The limits in force."""
        return self._config

    def limits_for(self, account_id: str) -> RiskLimits:
        """The effective limits of an account."""
        return self._config.limits_for(account_id)

    def trading_state(self, account_id: str | None = None) -> TradingState:
        """The effective state: the stricter of the global and the account state."""
        g = self._states.get(GLOBAL, (TradingState.ACTIVE, None))[0]
        if account_id is None:
            return g
        a = self._states.get(account_id, (TradingState.ACTIVE, None))[0]
        return a if STATE_SEVERITY[a] > STATE_SEVERITY[g] else g

    def set_trading_state(
        self,
        scope: str,
        state: TradingState,
        *,
        actor: str,
        now: datetime,
        reason: str = "",
        cancel_all: bool | None = None,
    ) -> tuple[AuditRecord, RiskOutcome]:
        """Set the kill switch of an account or of :data:`GLOBAL` (audited).

        Halting requests a cancel-all when ``cancel_all`` is true, or when it is ``None``
        and the scope's ``halt_cancels_all`` limit is on.
        """
        old = self._states.get(scope, (TradingState.ACTIVE, None))[0]
        self._states[scope] = (state, reason or None)
        record = AuditRecord(
            ts=now,
            actor=actor,
            scope=scope,
            action="set_trading_state",
            changes={"trading_state": (old.value, state.value)},
            reason=reason,
        )
        alert = self._alert(
            scope,
            now,
            codes.CONTROL_KILL_SWITCH,
            "CRITICAL" if state is TradingState.HALTED else "WARNING",
            state.value,
            f"{scope} {old.value} -> {state.value} by {actor}: {reason}",
        )
        actions: tuple[RiskAction, ...] = ()
        if state is TradingState.HALTED:
            limits = self._config.defaults if scope == GLOBAL else self.limits_for(scope)
            if cancel_all or (cancel_all is None and limits.halt_cancels_all):
                actions = (CancelAllAction(None if scope == GLOBAL else scope, state.value),)
        return record, RiskOutcome((alert,), actions)

    def update_limits(
        self, scope: str | None, changes: Mapping[str, Any], actor: str, *, now: datetime
    ) -> AuditRecord:
        """Change limits at run time for an account or globally (``None`` / ``"*"``).

        Returns the audit record for the engine to journal.

        Raises:
            ConfigError: an unknown key or an invalid value (nothing is changed).
        """
        account = None if scope in (None, GLOBAL) else scope
        self._config, diff = self._config.with_changes(account, changes)
        return AuditRecord(
            ts=now, actor=actor, scope=account or GLOBAL, action="update_limits", changes=diff
        )

    # ---------------------------------------------------------------- pre-trade
    def check_order(
        self,
        cmd: SubmitOrder,
        instrument: Instrument,
        quote: Quote | None,
        view: AccountView,
        now: datetime,
        *,
        record: bool = True,
    ) -> RiskDecision:
        """Run every enabled check; never raises for business input.

        When the order is allowed and ``record`` is true it is counted (rate, daily,
        duplicate and cancel-ratio windows): call it once per order that will be sent.
        """
        try:
            return self._check_order(cmd, instrument, quote, view, now, record)
        except Exception as e:  # a broken view must deny, never crash the command path
            return RiskDecision(False, (codes.RISK_CHECK_ERROR,), (f"risk check failed: {e!r}",))

    # ---------------------------------------------------------------- in-trade
    def check_cancel(
        self, account_id: str, now: datetime, *, order: WorkingOrderView | None = None
    ) -> RiskDecision:
        """Count a cancel (never refused by risk). Feeds rate, daily, ratio and chase state."""
        ts = now.timestamp()
        day = self._day(ts, now)
        limits = self._config.limits_for(account_id)
        ctl, gctl = self._ctl(account_id), self._ctl(GLOBAL)
        stats = ctl.day(day)
        gstats = gctl.day(day)
        stats.cancels += 1
        gstats.cancels += 1
        ctl.record_msg(ts, stats)
        gctl.record_msg(ts, gstats)
        if order is not None:
            ctl.remember(ctl.chase, (order.instrument_id, order.side), ts, limits.chase_window_s)
        alerts = self._daily_warnings(account_id, ctl, stats, limits, now)
        ctl.ratio_cancels.window = ctl.ratio_orders.window = limits.cancel_ratio_window_s
        ctl.ratio_cancels.add(ts)
        alerts.extend(self._cancel_ratio(account_id, ctl, limits, ts, now))
        return RiskDecision(True, (), (), tuple(alerts))

    def on_order_accepted(self, account_id: str) -> None:
        """The venue accepted an order: the consecutive-rejection streak restarts."""
        self._ctl(account_id).rejection_streak = 0

    def on_order_rejected(self, account_id: str, now: datetime, reason: str = "") -> RiskOutcome:
        """The venue rejected an order; enough in a row halts the account and alerts."""
        ctl = self._ctl(account_id)
        stats = ctl.day(self._day(now.timestamp(), now))
        stats.rejections += 1
        ctl.rejection_streak += 1
        cap = self._config.limits_for(account_id).max_consecutive_rejections
        if cap is None or ctl.rejection_streak < cap:
            return RiskOutcome()
        n = ctl.rejection_streak
        ctl.rejection_streak = 0
        _, out = self.set_trading_state(
            account_id,
            TradingState.HALTED,
            actor="risk",
            now=now,
            reason=f"{n} consecutive rejections (last: {reason})",
        )
        alert = self._alert(
            account_id,
            now,
            codes.CONTROL_REJECTION_BREAKER,
            "CRITICAL",
            codes.TRADING_HALTED,
            f"{n} consecutive rejections; account halted",
            {"last_reason": reason},
        )
        return RiskOutcome((alert, *out.alerts), out.actions)

    def evaluate_account(self, account_id: str, view: AccountView, now: datetime) -> RiskOutcome:
        """Periodic evaluation (e.g. on every fill / quote): the daily loss limit."""
        limits = self._config.limits_for(account_id)
        return RiskOutcome(tuple(self._daily_loss(account_id, view, limits, now)))

    # ---------------------------------------------------------------- protections
    def watch_order(self, cmd: SubmitOrder, client_order_id: str, now: datetime) -> None:
        """Put a just-sent order under TTL / drift protection per the account's limits."""
        limits = self._config.limits_for(cmd.account_id)
        self.watch.watch(
            WatchedOrder(
                cmd.account_id,
                client_order_id,
                str(cmd.instrument_id),
                cmd.side,
                cmd.price,
                now.timestamp(),
                limits.order_ttl_s,
                limits.max_order_drift,
            )
        )

    def order_done(self, client_order_id: str) -> None:
        """The order is terminal: stop protecting it."""
        self.watch.forget(client_order_id)

    def on_time(self, now: datetime) -> RiskOutcome:
        """Time-driven protections (order TTL)."""
        return RiskOutcome((), tuple(self.watch.on_time(now.timestamp())))

    def on_quote(
        self,
        quote: Quote,
        instrument: Instrument,
        views: Mapping[str, AccountView],
        now: datetime,
    ) -> RiskOutcome:
        """Quote-driven protections: order drift, stop-loss / take-profit per account."""
        actions: list[RiskAction] = list(self.watch.on_quote(quote))
        alerts: list[RiskAlert] = []
        day = now.astimezone(CST).date()
        band: PriceLimits | None = None
        for account_id, view in views.items():
            pos = view.position(quote.instrument_id)
            limits = self._config.limits_for(account_id)
            symbol = str(quote.instrument_id)
            self.stops.ensure_fallback(
                account_id, symbol, pos, limits.stop_loss_pct, limits.take_profit_pct
            )
            if (account_id, symbol) not in self.stops.stops:
                continue
            if band is None:
                band = price_limits(instrument, day, self.calendar, config=self.rules_config)
            for act in self.stops.on_quote(
                account_id, quote, instrument, pos, band, day, limits.stop_slippage_pct
            ):
                actions.append(act)
                alerts.append(
                    self._alert(
                        account_id,
                        now,
                        codes.CONTROL_STOP,
                        "WARNING",
                        act.reason,
                        f"{act.reason} on {symbol}: sell {act.cmd.qty} @ {act.cmd.price}",
                    )
                )
        return RiskOutcome(tuple(alerts), tuple(actions))

    # ---------------------------------------------------------------- evidence & persistence
    def evidence(self, account_id: str, day: str) -> EvidencePack:
        """The programmatic-trading evidence of ``account_id`` on ``day`` (ISO date)."""
        stats = self._ctl(account_id).stats.get(day) or DayStats(day)
        lim = self._config.limits_for(account_id)
        thresholds = {
            "max_msgs_per_second": lim.max_msgs_per_second,
            "global_max_msgs_per_second": self._config.global_max_msgs_per_second,
            "max_daily_orders": lim.max_daily_orders,
            "max_daily_cancels": lim.max_daily_cancels,
            "max_daily_messages": lim.max_daily_messages,
            "daily_warn_fraction": str(lim.daily_warn_fraction),
            "cancel_ratio_limit": None
            if lim.cancel_ratio_limit is None
            else str(lim.cancel_ratio_limit),
            "cancel_ratio_window_s": lim.cancel_ratio_window_s,
            "cancel_ratio_cooldown_s": lim.cancel_ratio_cooldown_s,
            "max_consecutive_rejections": lim.max_consecutive_rejections,
        }
        return EvidencePack(
            account_id=account_id,
            day=day,
            max_msgs_per_second=stats.max_msgs_per_second,
            max_msgs_at=stats.max_msgs_at,
            orders=stats.orders,
            cancels=stats.cancels,
            cancel_ratio=stats.cancel_ratio,
            rejections=stats.rejections,
            denials=dict(stats.denials),
            thresholds=thresholds,
            alerts=list(stats.alerts),
        )

    def to_state(self) -> dict[str, Any]:
        """Everything that must survive a restart, as a JSON-ready dict (for the journal)."""
        return {
            "version": 1,
            "states": {k: {"state": s.value, "reason": r} for k, (s, r) in self._states.items()},
            "controls": {k: c.to_state() for k, c in self._controls.items()},
            "watch": self.watch.to_state(),
            "stops": self.stops.to_state(),
        }

    def restore(self, state: Mapping[str, Any]) -> None:
        """Load :meth:`to_state` output (replaces trading states, counters and protections)."""
        self._states = {
            k: (TradingState(v["state"]), v.get("reason")) for k, v in state["states"].items()
        }
        self._controls = {
            k: AccountControls.from_state(v) for k, v in state.get("controls", {}).items()
        }
        self.watch = OrderWatch.from_state(list(state.get("watch", [])))
        self.stops = StopBook.from_state(list(state.get("stops", [])))
