"""The command side of the service: submit (single and batch), validate, cancel, cancel-all.

Each command is turned into a model command, handed to the core and audited with the
decision taken (``engine/service.py`` composes this with the rest).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ashare_exec.clock import Clock
from ashare_exec.engine.core import ExecutionCore
from ashare_exec.engine.views import order_view
from ashare_exec.errors import GatewayError, InvalidRequest, OrderRefused
from ashare_exec.model import (
    AccountId,
    CancelAllOrders,
    ClientOrderId,
    InstrumentId,
    OrderStatus,
    PriceType,
    Side,
    StrategyId,
    SubmitOrder,
    TimeInForce,
)

if TYPE_CHECKING:
    from ashare_exec.api.schemas import CancelAllIn, OrderIn
    from ashare_exec.engine.pretrade import RulesAndRisk
    from ashare_exec.engine.service import ServiceHooks

__all__ = ["CommandsMixin"]

log = logging.getLogger("ashare_exec.engine.service")


class CommandsMixin:
    """Commands of :class:`~ashare_exec.engine.service.ExecutionService`."""

    clock: Clock
    core: ExecutionCore
    pretrade: RulesAndRisk
    hooks: ServiceHooks

    def to_command(self, body: OrderIn) -> SubmitOrder:
        """Turn a request body into a command (symbol, enums); raise InvalidRequest."""
        try:
            iid = InstrumentId.parse(body.symbol)
        except ValueError as e:
            raise InvalidRequest(str(e), code="UNKNOWN_SYMBOL") from e
        try:
            price_type = PriceType(body.price_type.upper())
        except ValueError as e:
            raise InvalidRequest(
                f"unknown price_type {body.price_type!r} (one of {', '.join(PriceType)})",
                code="PRICE_TYPE_NOT_SUPPORTED",
            ) from e
        return SubmitOrder(
            account_id=AccountId(body.account_id),
            instrument_id=iid,
            side=Side(body.side),
            qty=body.qty,
            price_type=price_type,
            price=body.price,
            protection_price=body.protection_price,
            time_in_force=TimeInForce(body.time_in_force),
            client_order_id=ClientOrderId(body.client_order_id) if body.client_order_id else None,
            strategy_id=StrategyId(body.strategy_id) if body.strategy_id else None,
        )

    async def submit(self, body: OrderIn, *, actor: str = "api") -> dict[str, Any]:
        """Submit one order; returns its view (``DENIED`` with reasons when refused by risk).

        Every submit is audited with the decision taken.
        """
        cmd = self.to_command(body)
        try:
            order, created = await self.core.submit(cmd)
        except GatewayError as e:
            self._audit_command("submit", actor, cmd, {"refused": e.code})
            raise
        view = order_view(order)
        view["created"] = created
        self._audit_command(
            "submit",
            actor,
            cmd,
            {
                "client_order_id": order.spec.client_order_id,
                "created": created,
                "status": order.status.value,
                "reasons": list(order.reasons),
            },
        )
        return view

    def _audit_command(
        self, action: str, actor: str, cmd: SubmitOrder, result: dict[str, Any]
    ) -> None:
        self.hooks.on_audit(
            "command",
            actor,
            {
                "action": action,
                "account_id": cmd.account_id,
                "symbol": str(cmd.instrument_id),
                "side": cmd.side.value,
                "qty": cmd.qty,
                "price": None if cmd.price is None else str(cmd.price),
                "price_type": cmd.price_type.value,
                **result,
            },
        )

    async def submit_batch(
        self, bodies: Sequence[OrderIn], *, actor: str = "api"
    ) -> list[dict[str, Any]]:
        """Submit several orders concurrently (they share journal commits)."""

        async def one(body: OrderIn) -> dict[str, Any]:
            try:
                return await self.submit(body, actor=actor)
            except GatewayError as e:
                reasons = list(getattr(e, "reasons", (e.code,)))
                return {"error": {"code": e.code, "message": e.message, "reasons": reasons}}

        return list(await asyncio.gather(*(one(b) for b in bodies)))

    def validate(self, body: OrderIn) -> dict[str, Any]:
        """Dry run: normalise and check an order without recording or sending it."""
        cmd = self.to_command(body)
        self.core.runtime(cmd.account_id)
        inst = self.core.instrument(cmd.instrument_id)
        quote = self.core.quotes(cmd.instrument_id)
        return self.pretrade.dry_run(cmd, inst, quote, self.clock.now())

    async def cancel(
        self, account_id: str, client_order_id: str, *, actor: str = "api"
    ) -> dict[str, Any]:
        """Cancel one order (audited)."""
        payload = {"action": "cancel", "account_id": account_id, "client_order_id": client_order_id}
        try:
            order = await self.core.cancel(account_id, client_order_id)
        except GatewayError as e:
            self.hooks.on_audit("command", actor, {**payload, "refused": e.code})
            raise
        self.hooks.on_audit("command", actor, {**payload, "status": order.status.value})
        return order_view(order)

    async def cancel_all(self, body: CancelAllIn, *, actor: str) -> list[str]:
        """Cancel every working order of an account matching the filters."""
        try:
            iid = InstrumentId.parse(body.symbol) if body.symbol else None
        except ValueError as e:
            raise InvalidRequest(str(e), code="UNKNOWN_SYMBOL") from e
        cmd = CancelAllOrders(
            account_id=AccountId(body.account_id),
            instrument_id=iid,
            side=Side(body.side) if body.side else None,
            strategy_id=StrategyId(body.strategy_id) if body.strategy_id else None,
        )
        return await self.cancel_all_orders(cmd, actor=actor)

    async def cancel_all_orders(self, cmd: CancelAllOrders, *, actor: str) -> list[str]:
        """Request a cancel for each matching working order; return their client ids."""
        self.core.runtime(cmd.account_id)
        self.hooks.on_audit("cancel_all", actor, {"account_id": cmd.account_id})
        targets = self.core.state.book.orders(
            cmd.account_id,
            instrument_id=cmd.instrument_id,
            side=cmd.side,
            strategy_id=cmd.strategy_id,
            open_only=True,
        )
        done: list[str] = []
        for order in targets:
            if order.status is OrderStatus.PENDING_CANCEL:
                done.append(order.spec.client_order_id)
                continue
            try:
                await self.core.cancel(cmd.account_id, order.spec.client_order_id)
            except (OrderRefused, GatewayError) as e:
                log.info("cancel of %s refused: %s", order.spec.client_order_id, e)
                continue
            done.append(order.spec.client_order_id)
        return done
