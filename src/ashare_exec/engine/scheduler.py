"""The session scheduler: fires the day's actions at their times on the trading calendar.

Actions are fired once per trading day, in order, when the injected clock passes their time
(so a simulated clock running fast, or jumping, still fires each one exactly once):

* ``pre_open``  at 09:00 — pre-open checks (venue, account status, journal);
* ``phase``     on every phase change (logged and published);
* ``pre_close`` at the configured cleanup time (default 14:56) — cancel working orders;
  never inside 14:57–15:00, when cancels are refused;
* ``end_of_day`` at the configured time (default 15:35) — reconcile, expire, archive.

On a non-trading day nothing fires. Apart from those, ``on_day`` runs at every change of
date while the service runs (the ledger's T+1 roll: brokers and the simulator roll their
positions at night, not at the close).

An action that cannot complete now raises :class:`ActionDeferred`: it runs again once the
clock has moved on by ``retry_s`` (or at once after :meth:`SessionScheduler.retry_deferred`:
the service calls it when a venue connects), the same day only (the end of day waits for a
venue that is down; what is left at the change of date is for ``on_day``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ashare_exec.clock import Clock
from ashare_exec.config import SessionConfig
from ashare_exec.model import Exchange, TradingPhase
from ashare_exec.rules import TradingCalendar, phase_at

__all__ = ["ActionDeferred", "ScheduledAction", "SessionScheduler"]

log = logging.getLogger(__name__)

PRE_OPEN = time(9, 0)


class ActionDeferred(Exception):
    """Raised by an action that cannot complete now; it runs again after ``retry_s``."""

    def __init__(self, retry_s: float, why: str) -> None:
        super().__init__(why)
        self.retry_s = retry_s


@dataclass(frozen=True, slots=True)
class ScheduledAction:
    """A named action due at ``at`` on each trading day."""

    name: str
    at: time
    run: Callable[[date], Awaitable[None]]


class SessionScheduler:
    """Fires :class:`ScheduledAction` s once per trading day and reports phase changes."""

    def __init__(
        self,
        clock: Clock,
        calendar: TradingCalendar,
        actions: list[ScheduledAction],
        on_phase: Callable[[TradingPhase], None] | None = None,
        on_day: Callable[[date], Awaitable[None]] | None = None,
    ) -> None:
        self._clock = clock
        self._calendar = calendar
        self._actions = sorted(actions, key=lambda a: a.at)
        self._on_phase = on_phase
        self._on_day = on_day
        self._day = clock.now().date()
        self._fired: set[tuple[date, str]] = set()
        self._retry_at: dict[tuple[date, str], datetime] = {}
        self._phase: TradingPhase | None = None
        self._started_at = clock.now()

    @staticmethod
    def standard(
        clock: Clock,
        calendar: TradingCalendar,
        sessions: SessionConfig,
        *,
        pre_open: Callable[[date], Awaitable[None]],
        pre_close: Callable[[date], Awaitable[None]],
        end_of_day: Callable[[date], Awaitable[None]],
        on_phase: Callable[[TradingPhase], None] | None = None,
        on_day: Callable[[date], Awaitable[None]] | None = None,
    ) -> SessionScheduler:
        """The standard day: pre-open checks, pre-close cleanup, end of day; ``on_day`` at
        each change of date."""
        actions = [ScheduledAction("pre_open", PRE_OPEN, pre_open)]
        if sessions.pre_close_cancel is not None:
            actions.append(ScheduledAction("pre_close", sessions.pre_close_cancel, pre_close))
        actions.append(ScheduledAction("end_of_day", sessions.end_of_day, end_of_day))
        return SessionScheduler(clock, calendar, actions, on_phase, on_day)

    def retry_deferred(self) -> None:
        """Let deferred actions run again at the next tick, without waiting out their delay
        (a venue the end of day waits for is back)."""
        self._retry_at.clear()

    @property
    def phase(self) -> TradingPhase | None:
        """The phase seen at the last tick."""
        return self._phase

    def due(self) -> list[tuple[date, ScheduledAction]]:
        """Actions whose time has passed today and which have not fired yet.

        Actions whose time had already passed when the scheduler started are skipped for
        that day, except ``end_of_day``, which always runs (a restart after 15:35 still
        archives and rolls the day).
        """
        now = self._clock.now()
        day = now.date()
        if not self._calendar.is_trading_day(day):
            return []
        out = []
        for action in self._actions:
            key = (day, action.name)
            if key in self._fired or now.time() < action.at:
                continue
            retry = self._retry_at.get(key)
            if retry is not None and now < retry:
                continue
            started_same_day = self._started_at.date() == day
            if (
                started_same_day
                and self._started_at.time() > action.at
                and action.name != "end_of_day"
            ):
                self._fired.add(key)
                continue
            out.append((day, action))
        return out

    async def tick(self) -> list[str]:
        """Fire whatever is due and report a phase change; return the names fired."""
        fired = []
        today = self._clock.now().date()
        if today != self._day:
            self._day = today
            if self._on_day is not None:
                try:
                    await self._on_day(today)
                except Exception:
                    log.exception("the start of day %s failed", today)
                fired.append("day_start")
        phase = phase_at(Exchange.SH, self._clock.now(), self._calendar)
        if phase is not self._phase:
            self._phase = phase
            if self._on_phase is not None:
                self._on_phase(phase)
        for day, action in self.due():
            key = (day, action.name)
            self._fired.add(key)
            try:
                await action.run(day)
            except ActionDeferred as e:
                self._fired.discard(key)
                self._retry_at[key] = self._clock.now() + timedelta(seconds=e.retry_s)
                log.info("scheduled action %s deferred %.0f s: %s", action.name, e.retry_s, e)
                fired.append(f"{action.name}:deferred")
                continue
            except Exception:
                log.exception("scheduled action %s failed", action.name)
            self._retry_at.pop(key, None)
            fired.append(action.name)
        return fired

    async def run(self, poll_s: float = 0.05) -> None:
        """Tick forever (cancel the task to stop)."""
        while True:
            await self.tick()
            await asyncio.sleep(poll_s)
