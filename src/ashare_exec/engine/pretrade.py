"""Exchange rules + risk, as the execution core sees them (:class:`RulesAndRisk`).

The risk engine (:class:`ashare_exec.risk.RiskEngine`) runs every pre-trade check, the
exchange rules included, and drives the in-trade controls and protections. This adapter
feeds it what the engine sees (orders, cancels, acknowledgements, rejections, fills, time,
quotes), carries out the actions it asks for (cancel one, cancel all, protective sell),
forwards its alerts, and persists its state in the journal's key-value store so that a
restart keeps the kill switch, the day's counters and the protective stops.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from ashare_exec.engine.account_view import OmsAccountView
from ashare_exec.engine.core import PreTradeDecision
from ashare_exec.model import (
    AccountId,
    Instrument,
    InstrumentId,
    OrderAccepted,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
    Quote,
    SubmitOrder,
    TradingState,
)
from ashare_exec.model.order import Order
from ashare_exec.oms.state import StateChange
from ashare_exec.risk import codes
from ashare_exec.risk.actions import RiskAction, RiskAlert, RiskOutcome
from ashare_exec.risk.engine import GLOBAL, RiskEngine
from ashare_exec.risk.view import WorkingOrderView
from ashare_exec.rules import TradingCalendar, lot_rule, tick_size, validate_order

__all__ = ["BREAKERS", "STATE_KEY", "RulesAndRisk"]

log = logging.getLogger(__name__)

STATE_KEY = "risk.state"
BREAKERS = frozenset({codes.CONTROL_REJECTION_BREAKER, codes.CONTROL_DAILY_LOSS})
"""The controls that trip (halt or restrict an account by themselves)."""


class RulesAndRisk:
    """Runs every pre-trade check for the core and keeps the risk state.

    Args:
        calendar: the trading calendar.
        risk: the risk engine.
        views: account id → the risk view of that account.
        instruments: the instrument master (for quote-driven protections).
        load_state / save_state: the journal's key-value state.
    """

    def __init__(
        self,
        calendar: TradingCalendar,
        risk: RiskEngine,
        views: dict[AccountId, OmsAccountView],
        instruments: dict[InstrumentId, Instrument] | None = None,
        load_state: Callable[[str], str | None] = lambda _: None,
        save_state: Callable[[str, str], None] = lambda *_: None,
    ) -> None:
        self.calendar = calendar
        self.risk = risk
        self.views = views
        self.instruments = instruments or {}
        self._save = save_state
        self.execute: Callable[[RiskAction], None] = lambda _a: None
        """Carries out an action the risk engine asks for (set by the service)."""
        self.alert: Callable[[str, str, str, dict[str, Any]], None] = lambda *_: None
        self.on_breaker: Callable[[RiskAlert], None] | None = None
        """Takes the alert of a breaker of :data:`BREAKERS` that fired (counted, and paged
        as ``RISK_BREAKER_FIRED`` by the alert rules); unset, it is raised as any other."""
        self._dirty = False
        raw = load_state(STATE_KEY)
        if raw:
            try:
                self.risk.restore(json.loads(raw))
            except (ValueError, KeyError, TypeError) as e:
                log.error("risk state in the journal could not be restored: %s", e)

    # ---- the core's protocol ------------------------------------------------------------

    def check(
        self, cmd: SubmitOrder, inst: Instrument, quote: Quote | None, now: datetime
    ) -> PreTradeDecision:
        """Exchange rules + risk; every reason that applies."""
        decision = self.risk.check_order(cmd, inst, quote, self.views[cmd.account_id], now)
        self._dirty = True
        self._alerts(decision.alerts)
        order = _normalised(cmd, inst) if decision.allowed else None
        return PreTradeDecision(decision.allowed, decision.reasons, decision.messages, order)

    def on_cancel(self, order: Order, now: datetime) -> None:
        """Count a cancel (never blocks it)."""
        spec = order.spec
        view = WorkingOrderView(
            client_order_id=spec.client_order_id,
            instrument_id=spec.instrument_id,
            side=spec.side,
            price=spec.price,
            leaves_qty=order.leaves_qty,
            price_type=spec.price_type,
        )
        decision = self.risk.check_cancel(spec.account_id, now, order=view)
        self._dirty = True
        self._alerts(decision.alerts)

    def observe(self, change: StateChange) -> None:
        """Keep the account views current; called the moment a change is applied (before
        it is journaled), so concurrent checks see every working order."""
        order = change.order
        if order is not None:
            view = self.views.get(order.spec.account_id)
            if view is not None:
                view.observe(change)

    def on_change(self, change: StateChange, now: datetime) -> None:
        """Feed applied changes to the in-trade controls and protections."""
        event = change.event
        order = change.order
        if order is None:
            return
        view = self.views.get(order.spec.account_id)
        account = str(order.spec.account_id)
        if isinstance(event, OrderSubmitted) and not order.spec.external:
            spec = order.spec
            self.risk.watch_order(
                SubmitOrder(
                    account_id=spec.account_id,
                    instrument_id=spec.instrument_id,
                    side=spec.side,
                    qty=spec.qty,
                    price_type=spec.price_type,
                    price=spec.price,
                ),
                spec.client_order_id,
                now,
            )
        elif isinstance(event, OrderAccepted):
            self.risk.on_order_accepted(account)
        elif isinstance(event, OrderRejected) and change.result is not None:
            # An order the engine did not send (its journal failed) is no venue rejection:
            # counted, a burst of them would trip the breaker and cancel every working order.
            if change.result.applied and not event.unsent:
                self._outcome(self.risk.on_order_rejected(account, now, event.reason_code))
                self._dirty = True
        elif (
            isinstance(event, OrderFilled)
            and change.result is not None
            and change.result.applied
            and not change.result.duplicate
            and view is not None
        ):
            self._outcome(self.risk.evaluate_account(account, view, now))
        if order.status.is_terminal:
            self.risk.order_done(order.spec.client_order_id)

    # ---- periodic -----------------------------------------------------------------------

    def on_tick(self, now: datetime, quotes: Callable[[InstrumentId], Quote | None]) -> None:
        """Time and quote-driven protections (TTL, drift, stop-loss / take-profit)."""
        self._outcome(self.risk.on_time(now))
        symbols: set[InstrumentId] = set()
        for view in self.views.values():
            symbols.update(o.instrument_id for o in view.working_orders())
            symbols.update(view.held_instruments())
        for iid in symbols:
            q = quotes(iid)
            inst = self.instruments.get(iid)
            if q is None or inst is None:
                continue
            views = {str(a): v for a, v in self.views.items()}
            self._outcome(self.risk.on_quote(q, inst, views, now))

    def persist(self) -> None:
        """Write the risk state to the journal's key-value store."""
        self._save(STATE_KEY, json.dumps(self.risk.to_state(), default=str))
        self._dirty = False

    def persist_if_dirty(self) -> None:
        """Persist when counters changed since the last write (called about once a second)."""
        if self._dirty:
            self.persist()

    # ---- dry run ------------------------------------------------------------------------

    def dry_run(
        self, cmd: SubmitOrder, inst: Instrument, quote: Quote | None, now: datetime
    ) -> dict[str, Any]:
        """Validate without recording: normalised order, reasons, limits, cage, phase."""
        decision = self.risk.check_order(
            cmd, inst, quote, self.views[cmd.account_id], now, record=False
        )
        vr = validate_order(cmd, inst, quote, now, self.calendar, explain=True)
        lot = lot_rule(inst, cmd.side, cmd.price_type, now.date())
        normalised = _normalised(cmd, inst) if decision.allowed else vr.order
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

    # ---- trading state and limits -------------------------------------------------------

    def trading_state(self, account_id: str) -> str:
        """The effective state: the stricter of the account's and the global one."""
        return self.risk.trading_state(account_id).value

    def set_state(
        self, account_id: str | None, state: str, actor: str, reason: str, now: datetime
    ) -> dict[str, Any]:
        """Set the kill switch for an account or globally; return the audit record.

        The caller persists it (:meth:`persist`) and decides what a failure to do so means.
        """
        record, outcome = self.risk.set_trading_state(
            account_id or GLOBAL,
            TradingState(state),
            actor=actor,
            now=now,
            reason=reason,
            cancel_all=False,
        )
        self._alerts(outcome.alerts)
        self._dirty = True
        return record.to_dict()

    def update_limits(
        self, account_id: str | None, changes: dict[str, object], actor: str, now: datetime
    ) -> dict[str, Any]:
        """Change limits at run time (ConfigError on a bad key); return the audit record.

        The caller persists it (:meth:`persist`).
        """
        record = self.risk.update_limits(account_id, changes, actor, now=now)
        self._dirty = True
        return record.to_dict()

    def view(self, now: datetime) -> dict[str, Any]:
        """Trading states, limits and today's counters for ``/v1/risk``."""
        config = self.risk.config
        accounts = {}
        for a in self.views:
            limits = config.limits_for(a)
            accounts[a] = {
                "trading_state": self.trading_state(a),
                "limits": _jsonable(dataclasses.asdict(limits)),
                "today": self.risk.evidence(a, now.date().isoformat()).to_dict(),
            }
        return {
            "global_state": self.risk.trading_state(None).value,
            "accounts": accounts,
        }

    def evidence(self, account_id: str, day: str) -> Any:
        """The programmatic-trading evidence pack of an account and day."""
        return self.risk.evidence(account_id, day)

    # ---- internals ----------------------------------------------------------------------

    def _alerts(self, alerts: Iterable[RiskAlert]) -> None:
        for a in alerts:
            if a.control in BREAKERS and self.on_breaker is not None:
                self.on_breaker(a)
                continue
            self.alert(
                a.severity.lower(),
                a.code,
                a.message,
                {"account_id": a.account_id, "control": a.control},
            )

    def _outcome(self, outcome: RiskOutcome) -> None:
        self._alerts(outcome.alerts)
        for action in outcome.actions:
            self._dirty = True
            self.execute(action)


def _normalised(cmd: SubmitOrder, inst: Instrument) -> SubmitOrder:
    tick = tick_size(inst)
    price = cmd.price.quantize(tick) if cmd.price is not None else None
    prot = cmd.protection_price.quantize(tick) if cmd.protection_price is not None else None
    if price == cmd.price and prot == cmd.protection_price:
        return cmd
    return dataclasses.replace(cmd, price=price, protection_price=prot)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [_jsonable(v) for v in obj]
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    return str(obj)


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
