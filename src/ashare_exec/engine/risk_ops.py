"""Run-time risk operations of :class:`~ashare_exec.engine.service.ExecutionService`.

Limits changed while trading (audited, persisted; kept in memory when the journal fails),
the programmatic-trading evidence pack, the once-a-second risk tick (clock guard, rolling
statistics, persistence of what changed) and what a risk control asks the service to do:
cancel an order, cancel all of an account's orders, or submit an order of its own.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from ashare_exec.clock import Clock
from ashare_exec.engine.core import ExecutionCore
from ashare_exec.errors import GatewayError, JournalError
from ashare_exec.model import AccountId, CancelAllOrders
from ashare_exec.risk.actions import CancelAllAction, CancelOrderAction, RiskAction

if TYPE_CHECKING:
    from ashare_exec.engine.pretrade import RulesAndRisk
    from ashare_exec.engine.service import ServiceHooks

__all__ = ["RiskMixin"]

log = logging.getLogger("ashare_exec.engine.service")


class RiskMixin:
    """Risk limits and risk actions of the service."""

    clock: Clock
    core: ExecutionCore
    pretrade: RulesAndRisk
    hooks: ServiceHooks

    if TYPE_CHECKING:  # provided by the service

        async def cancel_all_orders(self, cmd: CancelAllOrders, *, actor: str) -> list[str]: ...

    def update_limits(
        self, account_id: str | None, changes: dict[str, object], *, actor: str
    ) -> dict[str, Any]:
        """Change risk limits at run time (audited)."""
        if account_id is not None:
            self.core.runtime(account_id)
        record = self.pretrade.update_limits(account_id, changes, actor, self.clock.now())
        record["persisted"] = self._persist_risk()
        self.hooks.on_audit("limits", actor, record)
        return record

    def _persist_risk(self) -> bool:
        """Save the risk state now; when the journal fails, trading halts (``JOURNAL_ERROR``)
        and the change holds in memory until the restart: an operator's halt and its cancels
        must not depend on the disk."""
        try:
            self.pretrade.persist()
        except JournalError as e:
            self.core.journal_failed(e)
            return False
        return True

    async def _risk_loop(self, interval_s: float = 1.0) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                self.core.check_clock(self.clock.now())
                self.pretrade.on_tick(self.clock.now(), self.core.quotes)
                self.pretrade.persist_if_dirty()
            except JournalError as e:
                self.core.journal_failed(e)  # once; later ticks fail the same way, quietly
            except Exception:
                log.exception("risk tick failed")

    def _execute_risk_action(self, action: RiskAction) -> None:
        """Carry out what a risk control asked for (on the loop, in the background)."""
        if isinstance(action, CancelOrderAction):
            coro: Any = self.core.cancel(action.account_id, action.client_order_id)
        elif isinstance(action, CancelAllAction):
            accounts = (
                [action.account_id] if action.account_id else [str(a) for a in self.core.accounts]
            )
            coro = self._cancel_accounts(accounts, f"risk:{action.reason}")
        else:
            coro = self.core.submit(action.cmd)
        self.hooks.on_audit(
            "risk_action", "risk", {"action": type(action).__name__, "detail": repr(action)}
        )

        async def run() -> None:
            try:
                await coro
            except GatewayError as e:
                log.warning("risk action %s failed: %s", type(action).__name__, e)

        asyncio.get_running_loop().create_task(run(), name="risk-action")

    async def _cancel_accounts(self, accounts: list[str], actor: str) -> None:
        for acct in accounts:
            await self.cancel_all_orders(CancelAllOrders(AccountId(acct)), actor=actor)

    def evidence(self, account_id: str, day: str | None) -> Any:
        """The programmatic-trading evidence pack (``day`` ISO, default today)."""
        self.core.runtime(account_id)
        return self.pretrade.evidence(account_id, day or self.clock.now().date().isoformat())
