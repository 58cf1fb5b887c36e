"""The journal's weather in a DST run (:class:`~tests.reliability.dst_harness.DstRun`): now
and then the journal stops writing (disk full, read-only, locked), the run goes on in the
halt for a few steps, and then the fault is lifted and the halt healed, one of two ways:

* by an operator's **resume** (since session 17): the journal writes what it held and the
  run goes on in the same service. Nothing may be missing: the replay of the next gateway
  restart (one is made at the end of the run if none came) must equal the live state;
* by a **gateway restart**: no replay check (the journal lacks what the halt followed of
  the venue); the start-up reconcile brings it back, which the next venue check verifies.

Drawn from streams of their own, so a seed without a fault runs as before.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

from ashare_exec.engine.service import ExecutionService
from ashare_exec.errors import JournalError
from tests.reliability.fault_kit import ACC, FAULTS

__all__ = ["JOURNAL_FAULT_RATE", "RESUME_RATE", "JournalWeather"]

JOURNAL_FAULT_RATE = 0.01
"""Per step, the chance that the journal stops writing."""
RESUME_RATE = 0.5
"""Per healed fault, the chance that an operator's resume heals it (else a restart)."""


class JournalWeather:
    """``_journal_weather`` and ``_heal_journal``; the rest is :class:`DstRun`'s."""

    rng_journal: random.Random
    rng_heal: random.Random
    journal_fault: tuple[str, Callable[[], None], int] | None
    resumed: bool
    """A journal halt was healed by a resume (the final check then restarts and replays)."""
    lossless: bool
    step: int
    service: ExecutionService | None
    svc: ExecutionService
    sim: Any
    clock: Any
    settle: Callable[..., Awaitable[None]]
    boot: Callable[..., Awaitable[None]]
    note: Callable[[str], None]
    fail: Callable[[str], Exception]
    check_venue: Callable[..., None]
    stop_and_replay: Callable[[str], Awaitable[ExecutionService]]

    async def _journal_weather(self) -> None:
        """Now and then the journal stops writing; it is healed a few steps later."""
        if self.journal_fault is not None:
            if self.step >= self.journal_fault[2]:
                await self._heal_journal()
            return
        if self.rng_journal.random() >= JOURNAL_FAULT_RATE:
            return
        kind = self.rng_journal.choice(sorted(FAULTS))
        heal_at = self.step + self.rng_journal.randint(2, 8)
        self.journal_fault = (kind, FAULTS[kind](self.svc), heal_at)
        self.note(f"journal fault: {kind} until step {heal_at}")

    async def _heal_journal(self) -> None:
        """Lift the fault; then an operator's resume or a gateway restart heals the halt."""
        assert self.journal_fault is not None
        kind, lift, _ = self.journal_fault
        self.journal_fault = None
        if self.rng_heal.random() < RESUME_RATE:
            lift()
            await self._heal_by_resume(kind)
            return
        await self.svc.stop()
        lift()
        self.service = None
        self.lossless = False  # the journal lost reports, as a link can
        await self.boot()
        await self.settle()
        if self.sim.is_connected and self.svc.core.accounts[ACC].reconciled:
            self.check_venue(final=False)
        self.note(f"journal healed ({kind}) by a gateway restart")

    async def _heal_by_resume(self, kind: str) -> None:
        svc = self.svc
        halted = svc.core.halt_reason == "journal"  # (a fault no write met yet: no halt)
        try:
            record = await svc.set_trading_state(None, "ACTIVE", actor="dst")
        except JournalError as e:
            raise self.fail(f"the resume failed with the fault lifted: {e}") from e
        if halted and record.get("resumed_engine") is not True:
            raise self.fail(f"the resume did not lift the journal halt: {record}")
        if svc.core.halt_reason is not None or not svc.core.accepting:
            raise self.fail("still halted after the resume")
        self.resumed = True
        self.note(f"journal healed ({kind}) by a resume")

    async def check_replay_after_resume(self) -> None:
        """At the end of a run that resumed from a journal halt: a graceful restart, whose
        replay must equal the live state (the journal lacks nothing the halt followed)."""
        if not self.resumed:
            return
        await self.boot(await self.stop_and_replay("after a resume "))
        self.note("gateway restart after the resume (replay equal)")
