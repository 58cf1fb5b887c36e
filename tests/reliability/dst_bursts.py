"""Bursts in a DST run (:class:`~tests.reliability.dst_harness.DstRun`): now and then,
before a step, several submits and cancels at once — some cancels right behind their own
submit, before any answer — as a strategy's rebalance sends them. Drawn from a stream of
their own, so every seed's schedule of steps is kept."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any

from ashare_exec.api.schemas import OrderIn
from ashare_exec.engine.service import ExecutionService
from ashare_exec.errors import GatewayError
from ashare_exec.model import ClientOrderId
from tests.reliability.fault_kit import ACC

__all__ = ["BURST_RATE", "Bursts"]

BURST_RATE = 0.05
"""Per step, the chance of a burst before it."""


class Bursts:
    """``burst_weather``; the rest of the run is :class:`DstRun`'s."""

    rng_burst: random.Random
    svc: ExecutionService
    _body: Callable[[random.Random], OrderIn]
    _submit: Callable[[OrderIn], Awaitable[None]]
    settle: Callable[..., Awaitable[None]]
    check_always: Callable[[], None]
    note: Callable[[str], None]

    async def burst_weather(self) -> None:
        """A burst of 3–6 submits and cancels at once, then the usual checks."""
        rng = self.rng_burst
        if rng.random() >= BURST_RATE:
            return
        ops: list[Awaitable[Any]] = []
        for _ in range(rng.randint(3, 6)):
            open_orders = self.svc.core.state.book.open_orders(ACC)
            if open_orders and rng.random() < 0.3:
                ops.append(self._burst_cancel(rng.choice(open_orders).spec.client_order_id))
            else:
                body = self._body(rng)
                ops.append(self._submit(body))
                if rng.random() < 0.4:
                    ops.append(self._burst_cancel(ClientOrderId(str(body.client_order_id))))
        self.note(f"burst of {len(ops)}")
        await asyncio.gather(*ops)
        await self.settle()
        self.check_always()

    async def _burst_cancel(self, coid: ClientOrderId) -> None:
        await asyncio.sleep(0)  # right behind its submit: let the submit start first
        try:
            view = await self.svc.cancel(ACC, coid, actor="dst")
        except GatewayError as e:
            self.note(f"cancel {coid} refused {e.code}")
            return
        self.note(f"cancel {coid} -> {view['status']}")
