"""The service's scheduled day actions, and closing a day the service was down for.

A-share orders live for one day: the venue expires what is still working at the close.
The scheduler runs :meth:`ClosingMixin.end_of_day` at the configured time (default 15:35):
reconcile, expire what is still open, archive the day and seal its audit file. The day's
orders stay listed until the next day starts (:meth:`ClosingMixin.start_day`, at start-up
and at each change of date): then shares bought before it become sellable (T+1, when
brokers and the simulator roll theirs: at night, not at the close) and finished orders
leave the book, so client order ids can be used again.

When the service was not running then (it crashed at 14:00, or it is stopped at 15:00 every
day) the next start closes that day first, before its start-up reconcile
(:meth:`ClosingMixin.close_missed_day`): the venue has moved on to a new day and no longer
lists the old day's orders (QMT and XTP list only today's), so asking it would restate them
as cancelled. Instead the orders still open (``UNKNOWN`` ones too: no venue will list them
again) are expired *as of that day's end-of-day time* and the day archived, with a
``MISSED_CLOSE`` warning; then today starts as usual. Such an order says so in its message
(:data:`CLOSED_UNSEEN`): it may have filled after the last report the service got, which no
venue lists the next day; the start-up reconcile that follows sets positions and cash to
the broker's figures, which include those fills.

When the venue is out of reach at the end of day (the broker's client closed or its link
down), the end of day does not archive what the service last saw: it raises
:class:`~ashare_exec.engine.scheduler.ActionDeferred` with an ``END_OF_DAY_DEFERRED``
warning, and the scheduler tries again every :data:`EOD_RETRY_S`; the venue still lists the
day's orders that evening. If it stays away until the change of date, :meth:`begin_day`
closes the day without it, as a start would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ashare_exec.clock import CST, Clock
from ashare_exec.config import GatewayConfig
from ashare_exec.engine.core import ExecutionCore
from ashare_exec.engine.scheduler import ActionDeferred
from ashare_exec.errors import JournalError
from ashare_exec.model import (
    CancelAllOrders,
    OrderEvent,
    OrderExpired,
    OrderRestated,
    OrderStatus,
)

if TYPE_CHECKING:
    from ashare_exec.engine.pretrade import RulesAndRisk
    from ashare_exec.engine.reconciler import Reconciler
    from ashare_exec.engine.service import ServiceHooks

__all__ = ["ARCHIVE_RETRY_S", "CLOSED_UNSEEN", "EOD_RETRY_S", "ClosingMixin"]

log = logging.getLogger(__name__)

CLOSED_UNSEEN = (
    "closed without the venue: the service was down at the close, or the venue out of "
    "reach until the next day; fills after its last report are not known here (positions "
    "and cash are the broker's)"
)
"""The message of an order expired by a catch-up close (:meth:`ClosingMixin.close_missed_day`)."""

EOD_RETRY_S = 30.0
"""How often a deferred end of day tries the venue again."""

ARCHIVE_RETRY_S = 60.0
"""How often an end of day whose archive failed tries again."""


class ClosingMixin:
    """Day actions of :class:`~ashare_exec.engine.service.ExecutionService`."""

    config: GatewayConfig
    clock: Clock
    core: ExecutionCore
    pretrade: RulesAndRisk
    reconciler: Reconciler
    hooks: ServiceHooks
    last_archive: Path | None
    _deferred_close: date | None = None
    """The day whose end of day waits for a venue (alerted once)."""
    archive_executor: Executor | None = None
    """Where the day's archive is written (``None``: the loop's default thread pool)."""
    _archive_alerted: date | None = None
    """The day whose archive failed (alerted once)."""
    _archive_day: Callable[[date], Path | None]
    last_active_day: Callable[[], date | None]
    """The day of the newest journaled event (``None`` when the journal is empty)."""
    active_day_before: Callable[[date], date | None]
    """The newest day before the given one with a journaled event (``None``: none)."""
    is_archived: Callable[[date], bool]
    """Whether the day's archive is complete (journal part, and the audit seal)."""

    if TYPE_CHECKING:  # provided by the service

        async def cancel_all_orders(self, cmd: CancelAllOrders, *, actor: str) -> list[str]: ...
        def readiness(self) -> tuple[bool, list[str]]: ...
        def _alert(
            self, severity: str, code: str, message: str, context: dict[str, Any]
        ) -> None: ...
        def _publish_plain(
            self, kind: str, data: dict[str, Any], account_id: str | None
        ) -> None: ...

    async def pre_open(self, day: date) -> None:
        """Pre-open checks: venues connected, accounts OK, reconciled."""
        ready, reasons = self.readiness()
        if not ready:
            self._alert("error", "PRE_OPEN_CHECK_FAILED", "; ".join(reasons), {"day": str(day)})

    async def pre_close(self, day: date) -> None:
        """Cancel every working order (the configured pre-close cleanup)."""
        for acct in list(self.core.accounts):
            await self.cancel_all_orders(CancelAllOrders(acct), actor="scheduler:pre_close")

    async def start_day(self, day: date) -> None:
        """Start ``day`` (once; at start-up and at each change of date): shares bought
        before it become sellable and finished orders leave the book."""
        now = self.clock.now()
        changes = []
        for acct in list(self.core.accounts):
            rolled = self.core.state.roll_day(acct, day, now)
            if rolled is not None:
                changes.append(rolled)
        await self.core.commit_many(changes)
        venues = {id(rt.venue): rt.venue for rt in self.core.accounts.values()}
        for venue in venues.values():
            venue.start_day(day)  # yesterday's client ids may be sent again from now on

    def close_waiting(self) -> date | None:
        """The day whose end of day waits (for a venue out of reach, or to write its
        archive), if any."""
        for day in (self._deferred_close, self._archive_alerted):
            if day is not None and not self.is_archived(day):
                return day
        return None

    async def begin_day(self, day: date) -> None:
        """At each change of date (the scheduler's ``on_day``): close the day before if its
        end of day could not finish (the venue was out of reach all evening), then start
        ``day``."""
        await self.close_missed_day(when="the change of date")
        await self.start_day(day)

    async def start_today(self) -> None:
        """At start-up, after closing a missed day: start today, unless something was
        journaled today already (a restart: today was started then, or, by a version that
        rolled at the end of day, must not be rolled in the middle of its trading)."""
        today = self.clock.now().date()
        if self.last_active_day() != today:
            await self.start_day(today)

    async def end_of_day(self, day: date) -> None:
        """Reconcile, expire what is still open, archive the day and seal its audit.

        Raises:
            ActionDeferred: an account with orders today could not be reconciled (its venue
                is out of reach): the archive would keep what the service last saw, not how
                the venue ended the day. The scheduler tries again every
                :data:`EOD_RETRY_S`; if the venue stays away until the change of date,
                :meth:`begin_day` closes the day without it. Also when the day's archive
                could not be written (every :data:`ARCHIVE_RETRY_S`).
        """
        unreached = []
        for acct in list(self.core.accounts):
            report = await self.reconciler.reconcile(acct, "end_of_day")
            if report is None and self.core.state.book.has_orders(acct):
                unreached.append(acct)
        if unreached:
            if self._deferred_close != day:
                self._deferred_close = day
                self._alert(
                    "warning",
                    "END_OF_DAY_DEFERRED",
                    f"the end of day {day} waits for the venue of {', '.join(unreached)}: "
                    f"tried again every {EOD_RETRY_S:.0f} s; closed without it at the change "
                    "of date if it stays out of reach",
                    {"day": str(day), "accounts": ",".join(unreached)},
                )
            raise ActionDeferred(EOD_RETRY_S, f"venue out of reach for {unreached}")
        await self._close_day(day, self.clock.now(), catch_up=False)

    def missed_close(self) -> date | None:
        """The day a start must close first, or ``None``.

        That is the newest day before today with a journaled event (or the trading day
        before it, when it is not one) when its archive is incomplete: the service was
        down at its end of day, or died before the archive and the audit seal were
        written. Events of today do not hide it (before 2026-11-27 only the newest event's
        day counted: a report dated today that arrived first, a late push of yesterday's
        order, meant that day was never closed).
        """
        day = self.active_day_before(self.clock.now().date())
        if day is None:
            return None
        calendar = self.pretrade.calendar
        if not calendar.is_trading_day(day):  # e.g. a start-up reconcile on a Saturday
            day = calendar.previous_trading_day(day)
        return None if self.is_archived(day) else day

    async def close_missed_day(self, *, when: str = "start-up") -> date | None:
        """At start (before reconciling) and at each change of date: close the day
        returned by :meth:`missed_close` as of its end-of-day time; return it (``None``
        when there was none)."""
        day = self.missed_close()
        if day is None:
            return None
        at = datetime.combine(day, self.config.sessions.end_of_day, CST)
        expired = await self._close_day(day, at, catch_up=True)
        self._alert(
            "warning",
            "MISSED_CLOSE",
            f"the end of day {day} did not run or did not finish: closed at {when}, "
            f"{expired} open orders expired as of {at.time()} without asking the venue "
            "(it lists only today's); positions and cash are reconciled from the broker next",
            {"day": str(day), "expired": expired},
        )
        return day

    async def _close_day(self, day: date, at: datetime, *, catch_up: bool) -> int:
        """Expire what is still open and archive the day; return how many orders expired.
        At the end of day an ``UNKNOWN`` order stays (reconciliation settles it); a
        catch-up ends it too: no venue will list it again."""
        still_open = [
            o
            for o in self.core.state.book.open_orders()
            if catch_up or o.status is not OrderStatus.UNKNOWN
        ]
        expired: list[OrderEvent] = [
            OrderRestated(
                account_id=o.spec.account_id,
                client_order_id=o.spec.client_order_id,
                ts_event=at,
                status=OrderStatus.EXPIRED,
                message=CLOSED_UNSEEN,
            )
            if catch_up
            else OrderExpired(
                account_id=o.spec.account_id, client_order_id=o.spec.client_order_id, ts_event=at
            )
            for o in still_open
        ]
        with contextlib.suppress(JournalError):  # halted and alerted: see just below
            await self.core.commit_many(self.core.apply_internal(expired))
        if self.core.halt_reason == "journal":
            # The journal lacks what the venue did since it failed: an archive of it would
            # be complete and wrong, and never rewritten. The restart closes the day.
            self._archive_failed(day, catch_up=catch_up, why="the journal failed")
            return len(expired)
        # Both steps are idempotent: a start finishing a close cut short redoes them. The
        # archive runs off the loop: at 1M events a day it takes seconds (reads, JSON,
        # writes), while reports, requests and stream heartbeats carry on.
        loop = asyncio.get_running_loop()
        self.last_archive = await loop.run_in_executor(
            self.archive_executor, self._archive_day, day
        )
        self.hooks.on_end_of_day(day)
        if self.last_archive is None:
            self._archive_failed(day, catch_up=catch_up)
        event = {"event": "end_of_day", "day": str(day), "catch_up": catch_up}
        self._publish_plain("day", event, None)
        return len(expired)

    def _archive_failed(self, day: date, *, catch_up: bool, why: str = "the log says why") -> None:
        """The day's archive could not be written (a full or read-only disk), or must not be
        (the journal failed). Alerted once a day; the end of day tries again, and so do the
        change of date and the next start (the day counts as not closed until it is archived).

        Raises:
            ActionDeferred: at the end of day, to try again in :data:`ARCHIVE_RETRY_S`.
        """
        if self._archive_alerted != day:
            self._archive_alerted = day
            again = "at the change of date or the next start" if catch_up else (
                f"every {ARCHIVE_RETRY_S:.0f} s, then at the change of date"
            )  # fmt: skip
            self._alert(
                "error",
                "ARCHIVE_FAILED",
                f"the archive of {day} could not be written ({why}); tried {again}",
                {"day": str(day)},
            )
        if not catch_up:
            raise ActionDeferred(ARCHIVE_RETRY_S, f"the archive of {day} failed")
