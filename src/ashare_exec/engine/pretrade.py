"""Exchange rules + risk, as the execution core sees them (:class:`RulesAndRisk`).

The exchange rules come from :func:`ashare_exec.rules.validate_order` (the normalised order
too); the risk checks and in-trade controls from :class:`ashare_exec.risk.RiskEngine`. The
trading state (kill switch) and the in-trade counters are persisted in the journal's
key-value state so that a restart keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from ashare_exec.engine.account_view import OmsAccountView
from ashare_exec.engine.core import PreTradeDecision
from ashare_exec.errors import InvalidRequest
from ashare_exec.model import (
    AccountId,
    Instrument,
    Quote,
    SubmitOrder,
    TradingState,
)
from ashare_exec.oms.state import StateChange
from ashare_exec.rules import TradingCalendar, lot_rule, tick_size, validate_order

__all__ = ["RulesAndRisk"]

STATE_KEY = "risk.state"


class RulesAndRisk:
    """Runs every pre-trade check for the core and keeps the risk state.

    Args:
        calendar: the trading calendar.
        risk: the risk engine (None: exchange rules only, e.g. in narrow tests).
        views: account id → the risk view of that account.
        load_state / save_state: the journal's key-value state.
    """

    def __init__(
        self,
        calendar: TradingCalendar,
        risk: Any | None,
        views: dict[AccountId, OmsAccountView],
        load_state: Callable[[str], str | None] = lambda _: None,
        save_state: Callable[[str, str], None] = lambda *_: None,
    ) -> None:
        self.calendar = calendar
        self.risk = risk
        self.views = views
        self._load = load_state
        self._save = save_state
        self._states: dict[str, str] = {"*": TradingState.ACTIVE.value}
        raw = load_state(STATE_KEY)
        if raw:
            self.restore(json.loads(raw))

    # ---- the core's protocol ------------------------------------------------------------

    def check(
        self, cmd: SubmitOrder, inst: Instrument, quote: Quote | None, now: datetime
    ) -> PreTradeDecision:
        """Exchange rules + risk; every reason that applies."""
        if self.risk is not None:
            d = self.risk.check_order(cmd, inst, quote, self.views[cmd.account_id], now)
            order = getattr(d, "order", None)
            return PreTradeDecision(d.allowed, tuple(d.reasons), tuple(d.messages), order)
        view = self.views.get(cmd.account_id)
        pos = view.position(cmd.instrument_id) if view is not None else None
        vr = validate_order(
            cmd,
            inst,
            quote,
            now,
            self.calendar,
            sellable_qty=pos.free_to_sell if pos is not None else 0,
            position_qty=pos.total_qty if pos is not None else 0,
        )
        reasons = list(vr.reasons)
        messages = list(vr.messages[: len(vr.reasons)])
        state = self.trading_state(cmd.account_id)
        if state == TradingState.HALTED.value:
            reasons.insert(0, "TRADING_HALTED")
            messages.insert(0, "TRADING_HALTED: trading is halted")
        elif state == TradingState.REDUCE_ONLY.value and not (
            cmd.side.value == "SELL" and pos is not None and cmd.qty <= pos.total_qty
        ):
            reasons.insert(0, "REDUCE_ONLY")
            messages.insert(0, "REDUCE_ONLY: only sells of held shares")
        return PreTradeDecision(not reasons, tuple(reasons), tuple(messages), vr.order)

    def on_cancel(self, account_id: AccountId, now: datetime) -> None:
        """Count a cancel (never blocks it)."""
        if self.risk is not None:
            self.risk.on_cancel(account_id, now)

    def on_change(self, change: StateChange, now: datetime) -> None:
        """Feed applied changes to the in-trade controls."""
        if self.risk is not None:
            self.risk.on_change(change, now)

    # ---- dry run ------------------------------------------------------------------------

    def dry_run(
        self, cmd: SubmitOrder, inst: Instrument, quote: Quote | None, now: datetime
    ) -> dict[str, Any]:
        """Validate without recording: normalised order, reasons, limits, cage, phase."""
        decision = self.check(cmd, inst, quote, now)
        vr = validate_order(cmd, inst, quote, now, self.calendar)
        lot = lot_rule(inst, cmd.side, cmd.price_type, now.date())
        normalised = decision.order or vr.order
        return {
            "ok": decision.allowed,
            "reasons": list(decision.reasons),
            "messages": list(decision.messages),
            "order": None
            if normalised is None
            else {
                "symbol": str(normalised.instrument_id),
                "side": normalised.side.value,
                "qty": normalised.qty,
                "price_type": normalised.price_type.value,
                "price": _s(normalised.price),
            },
            "limits": {
                "up": _s(vr.limits.up),
                "down": _s(vr.limits.down),
                "tick": str(tick_size(inst)),
                "lot": lot.lot,
                "min_qty": lot.min_qty,
                "max_qty": lot.max_qty,
            },
            "cage": None
            if vr.cage is None
            else {"sell_min": _s(vr.cage[0]), "buy_max": _s(vr.cage[1])},
            "phase": vr.phase.value,
        }

    # ---- trading state ------------------------------------------------------------------

    def trading_state(self, account_id: str) -> str:
        """The effective state of an account: the stricter of its own and the global one."""
        if self.risk is not None:
            return str(self.risk.effective_state(AccountId(account_id)).value)
        order = [
            TradingState.ACTIVE.value,
            TradingState.REDUCE_ONLY.value,
            TradingState.HALTED.value,
        ]
        own = self._states.get(account_id, TradingState.ACTIVE.value)
        glob = self._states.get("*", TradingState.ACTIVE.value)
        return max(own, glob, key=order.index)

    def set_state(
        self, account_id: str | None, state: str, actor: str, reason: str, now: datetime
    ) -> dict[str, Any]:
        """Set the kill switch for an account or globally; return the audit record."""
        new = TradingState(state)
        if self.risk is not None:
            record: dict[str, Any] = dict(
                self.risk.set_trading_state(
                    AccountId(account_id) if account_id else None, new, actor, reason, now
                )
            )
            return record
        key = account_id or "*"
        before = self._states.get(key, TradingState.ACTIVE.value)
        self._states[key] = new.value
        return {
            "scope": account_id or "global",
            "before": before,
            "after": new.value,
            "actor": actor,
            "reason": reason,
            "ts": now.isoformat(),
        }

    async def persist(self) -> None:
        """Write the risk state to the journal's key-value store."""
        self._save(STATE_KEY, json.dumps(self.snapshot()))

    def snapshot(self) -> dict[str, Any]:
        """Serialisable risk state."""
        if self.risk is not None:
            snap: dict[str, Any] = self.risk.to_state()
            return snap
        return {"states": dict(self._states)}

    def restore(self, data: dict[str, Any]) -> None:
        """Restore a :meth:`snapshot`."""
        if self.risk is not None:
            self.risk.restore_state(data)
            return
        self._states.update(data.get("states", {}))

    def update_limits(
        self, account_id: str | None, changes: dict[str, object], actor: str, now: datetime
    ) -> dict[str, Any]:
        """Change limits at run time; return the audit record."""
        if self.risk is None:
            raise InvalidRequest("no risk engine configured")
        record: dict[str, Any] = dict(
            self.risk.update_limits(
                AccountId(account_id) if account_id else None, changes, actor, now
            )
        )
        return record

    def view(self, now: datetime) -> dict[str, Any]:
        """Trading states, limits and counters for ``/v1/risk``."""
        out: dict[str, Any] = {"trading_state": {a: self.trading_state(a) for a in self.views}}
        if self.risk is not None:
            out.update(self.risk.view(now))
        else:
            out["global_state"] = self._states.get("*")
        return out


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
