"""When the engine stops taking new orders by itself: the clock ran back, the journal failed.

**Clock.** A clock that steps back more than :data:`CLOCK_BACK_TOLERANCE` would put new
events before journaled ones: new orders are refused (``TRADING_HALTED``) with a critical
``CLOCK_JUMPED_BACK`` alert until an operator resumes trading. So does a start on a clock
more than :data:`JOURNAL_AHEAD_LIMIT` behind the journal's newest event (set back while the
service was down).

**Journal.** When a write fails (disk full, read-only, locked; the journal then refuses
every later write), new orders are refused with ``TRADING_HALTED`` and one critical
``JOURNAL_ERROR`` alert is raised. The halt lasts until an operator resumes trading once
the disk takes writes again: the journal then writes what it refused meanwhile (it held
the rows, ``journal/hold.py``) and new orders are taken (``JOURNAL_RECOVERED``); if it still
cannot write, the resume is refused and the halt goes on. A restart lifts it too (the stop
first tries once more to write what was held). What the engine does not do during the halt
is stop following the venue, the source of truth:

* an order whose ``OrderSubmitted`` could not be journaled was **not sent**; the caller gets
  ``TRADING_HALTED`` and the order is ``REJECTED`` (reason ``TRADING_HALTED``, see
  :attr:`~ashare_exec.model.events.OrderRejected.unsent`) in memory, so its cash is not
  left frozen and a resubmit of its id is not answered with an order that looks pending;
  the rejection breaker and the rejection alert rules do not count it;
* **cancels still go to the venue**: they only reduce what is at risk, and a lost record of
  one costs nothing (after a restart the reconcile finds the order as the venue has it);
* venue reports are still applied and published, so positions, cash and the stream follow
  the venue; the journal has them once it recovers (or, after a restart, the start-up
  reconcile restores them from the broker);
* the end of day writes no archive (``engine/closing.py``): the journal lacks the day's end,
  and an archive is never rewritten; its retry after the resume, or the restart, closes
  the day.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.engine.contracts import Journal
from ashare_exec.errors import JournalError
from ashare_exec.model import OrderEvent
from ashare_exec.model.portfolio import LedgerEvent
from ashare_exec.observability.alerts import ClockDriftMeasured, JournalFailed
from ashare_exec.oms.state import StateChange

__all__ = ["CLOCK_BACK_TOLERANCE", "JOURNAL_AHEAD_LIMIT", "HaltsMixin"]

log = logging.getLogger("ashare_exec.engine.core")

CLOCK_BACK_TOLERANCE = timedelta(seconds=1)
"""A backwards step larger than this halts new orders (NTP slews are far smaller)."""

JOURNAL_AHEAD_LIMIT = timedelta(seconds=60)
"""How far the journal's newest event may be ahead of the clock at start (broker-stamped
times run a little ahead of ours) before it counts as the clock set back."""


class HaltsMixin:
    """The halts of :class:`~ashare_exec.engine.core.ExecutionCore`, and its one commit."""

    clock: Clock
    journal: Journal
    accepting: bool
    refusal_code: str
    halt_reason: str | None
    _clock_high: datetime
    on_signal: Callable[[object], None]
    _alert: Callable[[str, str, str, dict[str, Any]], None]

    def _apply(self, event: OrderEvent | LedgerEvent) -> StateChange:  # pragma: no cover
        raise NotImplementedError  # see core

    def _after(self, change: StateChange) -> None:  # pragma: no cover - see core
        raise NotImplementedError

    async def _commit(self, event: OrderEvent) -> StateChange:
        """Apply, journal and publish one engine-made event.

        A journal failure halts new orders (:meth:`journal_failed`) but is not raised: the
        change stays applied and is published, as the venue's reports are (module docstring).
        """
        return (await self._record(event))[0]

    async def _record(self, event: OrderEvent) -> tuple[StateChange, bool]:
        """:meth:`_commit`, also telling whether the change was journaled."""
        change = self._apply(event)
        journaled = True
        try:
            await self.journal.append_many_async([change])
        except JournalError as e:
            self.journal_failed(e)
            journaled = False
        self._after(change)
        return change, journaled

    def journal_failed(self, e: JournalError) -> None:
        """Stop taking orders: never trade blind when the journal cannot record.

        Alerts once per halt; later failures (every write fails from then on) are logged.
        """
        if self.halt_reason == "journal":
            log.debug("journal still failing: %s", e)
            return
        self.accepting = False
        self.refusal_code = "TRADING_HALTED"
        self.halt_reason = "journal"
        self.on_signal(JournalFailed(message=str(e), ts_event=self.clock.now()))
        self._alert(
            "critical",
            "JOURNAL_ERROR",
            f"journal failed; trading halted: {e}. New orders are refused until an operator "
            "resumes trading once the disk takes writes again (or a restart); cancels still "
            "go to the venue and its reports are still followed (journaled on the resume)",
            {},
        )

    def recover_at_stop(self) -> None:
        """At a stop during a journal halt: write what the journal held, if the disk takes
        writes again by now, so the journal keeps what the halt followed (else the next
        start's reconcile takes it back from the venue)."""
        if self.halt_reason != "journal":
            return
        try:
            written = self.journal.recover()
        except JournalError as e:
            log.warning("journal halt: still cannot write at the stop (%s)", e)
            return
        log.info("journal halt: %d held events written at the stop", written)

    def check_clock(self, now: datetime) -> None:
        """Halt new orders when the clock runs backwards (events would be out of order).

        An operator's resume (``ACTIVE``) re-arms the guard at the new time.
        """
        if now >= self._clock_high:
            self._clock_high = now
            return
        if self._clock_high - now <= CLOCK_BACK_TOLERANCE or self.halt_reason is not None:
            return
        self.accepting = False
        self.refusal_code = "TRADING_HALTED"
        self.halt_reason = "clock"
        self.on_signal(
            ClockDriftMeasured(
                drift_seconds=(now - self._clock_high).total_seconds(),
                source="engine clock",
                ts_event=now,
            )
        )
        self._alert(
            "critical",
            "CLOCK_JUMPED_BACK",
            f"the clock went back from {self._clock_high.isoformat()} to {now.isoformat()}; "
            "new orders are refused until an operator resumes trading",
            {},
        )

    def note_journal_end(self, last_event: datetime | None) -> None:
        """At start: the clock must not be behind the journal's newest event (by more than
        :data:`JOURNAL_AHEAD_LIMIT`), or it was set back while the service was down; the
        first clock check then halts new orders as a step back while running does."""
        if last_event is not None:
            self._clock_high = max(self._clock_high, last_event - JOURNAL_AHEAD_LIMIT)

    def resume_after_halt(self) -> bool:
        """Lift a halt (an operator resumed trading); ``False`` if there was none.

        A clock halt lifts at once. A journal halt lifts once the journal has written what
        it refused since the failure.

        Raises:
            JournalError: the journal still cannot write; the halt goes on.
        """
        if self.halt_reason == "journal":
            written = self.journal.recover()
            self._alert(
                "info",
                "JOURNAL_RECOVERED",
                f"the journal writes again ({written} events held during the halt written); "
                "trading resumed",
                {"events": written},
            )
        elif self.halt_reason == "clock":
            self._clock_high = self.clock.now()  # the guard re-armed at the new time
        else:
            return False
        self.halt_reason = None
        self.accepting = True
        return True
