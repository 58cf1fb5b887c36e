"""A venue down at a gateway restart in a DST run (:class:`~tests.reliability.dst_harness.
DstRun`): now and then the restarted gateway finds its venue out of reach (a broker terminal
not running yet). It must start anyway, refuse orders, connect by itself once the venue is
back a few steps later, and reconcile; the run's checks hold throughout. Drawn from a stream
of its own, so every seed's schedule of steps is kept."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

from ashare_exec.engine.service import ExecutionService
from tests.reliability.fault_kit import ACC

__all__ = ["DOWN_AT_START_RATE", "VenueDownAtStart"]

DOWN_AT_START_RATE = 0.3
"""Per gateway restart, the chance that the venue is out of reach when it starts."""


class VenueDownAtStart:
    """``venue_down_at_start`` and ``venue_start_weather``; the rest is :class:`DstRun`'s."""

    rng_start: random.Random
    venue_down_until: int | None
    step: int
    svc: ExecutionService
    sim: Any
    settle: Callable[..., Awaitable[None]]
    note: Callable[[str], None]
    fail: Callable[[str], Exception]

    def venue_down_at_start(self, svc: ExecutionService) -> None:
        """Before ``svc`` starts: maybe take its venue out of reach for 1–3 steps (it stays
        so when it is still down from the restart before)."""
        if self.venue_down_until is None:
            if self.rng_start.random() >= DOWN_AT_START_RATE:
                return
            self.venue_down_until = self.step + self.rng_start.randint(1, 3)
        svc.core.accounts[ACC].venue.unreachable = True  # type: ignore[attr-defined]
        self.note(f"venue out of reach at start, until step {self.venue_down_until}")

    def check_down_at_start(self) -> None:
        """Started without the venue: running, not ready, its account refusing orders."""
        if self.venue_down_until is None:
            return
        svc = self.svc
        if not svc.started or "sim" not in svc.waiting_for:
            raise self.fail(f"started: {svc.started}, waiting for {svc.waiting_for}")
        if svc.readiness()[0] or svc.core.accounts[ACC].reconciled:
            raise self.fail("ready (or reconciled) with its venue out of reach")

    async def venue_start_weather(self, *, now: bool = False) -> None:
        """The venue is back when its step comes (or ``now``): the service must connect and
        reconcile by itself, within its retry waits."""
        if self.venue_down_until is None or (self.step < self.venue_down_until and not now):
            return
        self.venue_down_until = None
        self.sim.unreachable = False
        for _ in range(50):
            await self.settle(0.05)
            if self.sim.is_connected and self.svc.core.accounts[ACC].reconciled:
                break
        else:
            raise self.fail(
                f"the venue is back but the service did not connect and reconcile: connected "
                f"{self.sim.is_connected}, waiting for {self.svc.waiting_for}"
            )
        if self.svc.waiting_for:
            raise self.fail(f"connected, still waiting for {self.svc.waiting_for}")
        self.note("venue back: connected and reconciled by the service")
