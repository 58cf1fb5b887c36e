"""The read side of the service: orders, trades, positions, accounts, quotes, status."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ashare_exec.clock import Clock
from ashare_exec.engine.bus import EventBus
from ashare_exec.engine.core import ExecutionCore
from ashare_exec.engine.views import cash_view, fill_view, order_view, position_view
from ashare_exec.errors import InvalidRequest
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    OrderFilled,
    OrderStatus,
    StrategyId,
)
from ashare_exec.rules import price_limits, tick_size

if TYPE_CHECKING:
    from ashare_exec.engine.pretrade import RulesAndRisk
    from ashare_exec.engine.scheduler import SessionScheduler
    from ashare_exec.engine.service import ServiceHooks

__all__ = ["QueriesMixin"]


class QueriesMixin:
    """Queries of :class:`~ashare_exec.engine.service.ExecutionService`."""

    clock: Clock
    core: ExecutionCore
    pretrade: RulesAndRisk
    scheduler: SessionScheduler | None
    bus: EventBus
    hooks: ServiceHooks
    started: bool
    last_archive: Path | None
    waiting_for: dict[str, str]
    close_waiting: Callable[[], date | None]

    # ---- queries ------------------------------------------------------------------------

    def list_orders(
        self,
        account_id: str | None,
        status: str | None,
        symbol: str | None,
        strategy: str | None,
        open_only: bool,
    ) -> list[dict[str, Any]]:
        """Every order matching the filters, oldest first (builds every restored order
        that may match: the API pages with :meth:`order_page` instead)."""
        orders = self.core.state.book.orders(
            **_order_filters(account_id, status, symbol, strategy), open_only=open_only
        )
        return [order_view(o) for o in orders]

    def order_page(
        self,
        account_id: str | None,
        status: str | None,
        symbol: str | None,
        strategy: str | None,
        open_only: bool,
        *,
        limit: int,
        before: int | None = None,
        visible: Callable[[str], bool] | None = None,
    ) -> dict[str, Any]:
        """One page of orders: the newest ``limit`` matches created before the cursor
        ``before``, and ``next_before``, the cursor of the next (older) page or ``None``
        at the oldest order (see :meth:`OrderBook.page`). ``visible`` filters by account
        id (the caller's permissions)."""
        page = self.core.state.book.page(
            **_order_filters(account_id, status, symbol, strategy),
            limit=limit,
            before=before,
            open_only=open_only,
            where=None if visible is None else (lambda o: visible(o.spec.account_id)),
        )
        return {"orders": [order_view(o) for o in page.orders], "next_before": page.next_before}

    def get_order(
        self, account_id: str, client_order_id: str, *, with_events: bool = False
    ) -> dict[str, Any]:
        """One order (raises OrderNotFound)."""
        self.core.runtime(account_id)
        order = self.core.state.book.require(AccountId(account_id), ClientOrderId(client_order_id))
        return order_view(order, with_events=with_events)

    def list_trades(self, account_id: str) -> list[dict[str, Any]]:
        """Every fill of the account's orders today."""
        self.core.runtime(account_id)
        out = []
        for order in self.core.state.book.orders(AccountId(account_id)):
            for entry in order.log:
                if isinstance(entry.event, OrderFilled) and entry.note != "duplicate trade id":
                    out.append(fill_view(entry.event))
        out.sort(key=lambda f: f["ts"])
        return out

    def list_positions(self, account_id: str) -> list[dict[str, Any]]:
        """The account's positions (non-flat)."""
        self.core.runtime(account_id)
        ledger = self.core.state.ledger
        return [position_view(p) for p in ledger.positions(AccountId(account_id)) if not p.is_flat]

    def account_view(self, account_id: str) -> dict[str, Any]:
        """Cash, status, trading state and counters of an account."""
        rt = self.core.runtime(account_id)
        return {
            "account_id": rt.account_id,
            "venue": rt.venue.name,
            "venue_connected": rt.venue.is_connected,
            "account_status": rt.status.value,
            "reconciled": rt.reconciled,
            "trading_state": self.pretrade.trading_state(rt.account_id),
            "cash": cash_view(self.core.state.ledger.cash(rt.account_id)),
            "open_orders": len(self.core.state.book.open_orders(rt.account_id)),
        }

    def quote(self, symbol: str) -> dict[str, Any]:
        """The latest quote of ``symbol`` (if the venue provides one) and its limits."""
        try:
            iid = InstrumentId.parse(symbol)
        except ValueError as e:
            raise InvalidRequest(str(e), code="UNKNOWN_SYMBOL") from e
        inst = self.core.instrument(iid)
        q = self.core.quotes(iid)
        limits = price_limits(inst, self.clock.now().date(), self.pretrade.calendar)

        def s(v: Decimal | None) -> str | None:
            return None if v is None else str(v)

        return {
            "symbol": str(iid),
            "name": inst.name,
            "prev_close": str(inst.prev_close),
            "limit_up": s(limits.up),
            "limit_down": s(limits.down),
            "tick": str(tick_size(inst)),
            "ts": q.ts_event.isoformat() if q is not None and q.ts_event else None,
            "last": s(q.last) if q is not None else None,
            "bids": [[str(p), n] for p, n in zip(q.bid_prices, q.bid_sizes, strict=False)]
            if q is not None
            else [],
            "asks": [[str(p), n] for p, n in zip(q.ask_prices, q.ask_sizes, strict=False)]
            if q is not None
            else [],
        }

    def risk_view(self) -> dict[str, Any]:
        """Trading states, limits and counters."""
        return self.pretrade.view(self.clock.now())

    def status(self) -> dict[str, Any]:
        """A summary for ``/v1/status`` and ``ashare-exec status``."""
        ready, reasons = self.readiness()
        now = self.clock.now()
        out: dict[str, Any] = {
            "ready": ready,
            "reasons": reasons,
            "now": now.isoformat(),
            "phase": self.scheduler.phase.value
            if self.scheduler and self.scheduler.phase
            else None,
            "accepting_orders": self.core.accepting,
            "accounts": [self.account_view(a) for a in self.core.accounts],
            "last_seq": self.bus.last_seq,
            "quarantined_reports": len(self.core.quarantine),
            "last_archive": str(self.last_archive) if self.last_archive else None,
            "end_of_day_waiting": str(waiting) if (waiting := self.close_waiting()) else None,
        }
        for key, fn in self.hooks.extra_status.items():
            out[key] = fn()
        return out

    def readiness(self) -> tuple[bool, list[str]]:
        """Ready = started, accepting, journal writable, clock sane, venues connected,
        accounts OK and reconciled; otherwise every reason."""
        reasons = []
        if not self.started:
            reasons.append("not started")
        if not self.core.accepting:
            reasons.append(f"not accepting orders ({self.core.refusal_code})")
        if self.core.halt_reason == "journal":
            journal = self.core.journal
            reasons.append(
                f"journal not writable ({journal.held_events} events held for it); once it is, "
                "resume trading or restart (cancels still work)"
                if journal.recoverable
                else "journal not writable, and too much refused to hold: restart once it is "
                "(cancels still work)"
            )
        elif self.core.halt_reason == "clock":
            reasons.append("clock jumped backwards; waiting for an operator to resume")
        for name, why in self.waiting_for.items():
            reasons.append(f"venue {name} not reached since start ({why}); still trying")
        for rt in self.core.accounts.values():
            if not rt.venue.is_connected or not self.core.venue_up(rt.venue.name):
                reasons.append(f"{rt.account_id}: venue {rt.venue.name} disconnected")
            if not rt.reconciled:
                reasons.append(f"{rt.account_id}: not reconciled")
            if rt.status.value != "OK":
                reasons.append(f"{rt.account_id}: account {rt.status.value}")
        return not reasons, reasons


def _order_filters(
    account_id: str | None, status: str | None, symbol: str | None, strategy: str | None
) -> dict[str, Any]:
    """The book's filter arguments from the API's strings (raises InvalidRequest)."""
    try:
        st = OrderStatus(status.upper()) if status else None
        iid = InstrumentId.parse(symbol) if symbol else None
    except ValueError as e:
        raise InvalidRequest(str(e)) from e
    return {
        "account_id": AccountId(account_id) if account_id else None,
        "status": st,
        "instrument_id": iid,
        "strategy_id": StrategyId(strategy) if strategy else None,
    }
