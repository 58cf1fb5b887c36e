"""Day rolls of the venue soaks (:class:`~tests.reliability.venue_soak.VenueSoak`).

Before a step, now and then (from a stream of the seed's own, so the steps stay the seed's)
the run moves on to the next trading day, one of three ways:

* **gateway up at the close**: the market closes (the venue pushes what the close ended as
  cancelled: neither MiniQMT nor XTP has an "expired"), the scheduler's end of day
  reconciles with the venue at 15:35 and archives the day;
* **venue out of reach around the close** (a user shuts QMT at 14:58 or 15:10, which users
  do; the broker's XTP server goes away): the end of day cannot reach it and waits
  (``END_OF_DAY_DEFERRED``); it comes back at 16:00 and the retry closes the day with it,
  or only the next morning, after the change of date has closed the day without it
  (``CLOSED_UNSEEN``);
* **gateway down over the close**: its next start, the next morning, closes the missed day.

The venue lists only the new day's orders the next morning. Each roll checks the day's
archive against what the venue ended each order as (an order closed unseen: ``EXPIRED``
with at most the venue's fills), that every answered order that left the book is
archived, that the new day started, and then the usual venue check.

A venue's soak provides :meth:`VenueDayRolls.day_exchange`, :meth:`~VenueDayRolls.reachable`
and :meth:`~VenueDayRolls.orders_of_day`.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from ashare_exec.clock import CST, SimClock
from ashare_exec.engine.closing import CLOSED_UNSEEN, EOD_RETRY_S
from ashare_exec.engine.service import ExecutionService
from ashare_exec.journal.archive import read_archive
from ashare_exec.model import AccountId, ClientOrderId, OrderStatus
from ashare_exec.venues.sim.exchange import SimExchange
from tests.reliability.dst_checks import DstFailure, archives_gap

__all__ = ["DAY_ROLL_ODDS", "VenueDayRolls"]

DAY_ROLL_ODDS = 0.06
"""Chance of a day roll before each step (about two in a 30-step run)."""
WAYS = (("up", 4), ("venue_closed", 3), ("gateway_down", 3))


class VenueDayRolls:
    """``maybe_roll_day`` and its checks; the rest of the run is the venue soak's."""

    seed: int
    folder: Path
    clock: SimClock
    service: ExecutionService | None
    svc: ExecutionService
    venue_word: str
    """What the trace calls the venue's side ("terminal", "server")."""
    answered: dict[str, tuple[AccountId, str, str, int, str]]
    refs: dict[str, Decimal]
    days: random.Random
    advance_market: Callable[[], None]
    boot: Callable[..., Awaitable[None]]
    settle: Callable[..., Awaitable[None]]
    _connected: Callable[[float], Awaitable[bool]]
    check_venue: Callable[..., Awaitable[None]]
    note: Callable[[str], None]
    fail: Callable[[str], DstFailure]

    async def maybe_roll_day(self) -> None:
        """Before a step: move on to the next trading day, now and then."""
        if self.days.random() >= DAY_ROLL_ODDS:
            return
        day = self.clock.now().date()
        nxt = self.svc.pretrade.calendar.next_trading_day(day)
        way = self.days.choices([w for w, _ in WAYS], [n for _, n in WAYS])[0]
        if way == "gateway_down":
            await self.svc.stop()
            self.service = None
            self.clock.set(datetime.combine(nxt, time(9, 31), CST))
            await asyncio.to_thread(self.advance_market)  # the venue's night
            await self.boot()
            await self.settle()
            if self.svc.missed_close() is not None:
                raise self.fail(f"the start did not close {day}")
        elif way == "venue_closed":
            way = await self._venue_closed_at_the_close(day, nxt)
        else:
            if not await self._connected(5.0):
                raise self.fail("the adapter was not connected before the close")
            await self._move_to(datetime.combine(day, time(15, 36), CST))
            await self._archived(day, f"{day} was not archived")
            await self._move_to(datetime.combine(nxt, time(9, 31), CST))
        await self._until(self._started(nxt), f"{nxt} was not started at the change of date")
        self._check_archive(day)
        for symbol, close in self.day_exchange().closes.items():
            self.refs[symbol] = Decimal(close)  # the next orders are priced near the close
        if await self._connected(5.0):
            await self.check_venue(final=False)
        self.note(f"day roll to {nxt} ({way.replace('_', ' ')})")

    # ---- what a venue provides ---------------------------------------------------------

    def day_exchange(self) -> SimExchange:
        """The simulator behind the venue's emulator."""
        raise NotImplementedError

    def reachable(self, on: bool) -> None:
        """Take the venue out of reach (every connection cut, none accepted) or back."""
        raise NotImplementedError

    def orders_of_day(self, day: date) -> dict[tuple[str, str], tuple[OrderStatus, int]]:
        """(account, our client id) -> (status as the venue shows it, filled) of ``day``."""
        raise NotImplementedError

    # ---- the ways -----------------------------------------------------------------------

    async def _venue_closed_at_the_close(self, day: date, nxt: date) -> str:
        """The venue goes away before or after the close; the end of day waits for it.
        Returns how it went, for the trace."""
        at = self.days.choice((time(14, 58), time(15, 10)))
        await self._move_to(datetime.combine(day, at, CST))
        await self.settle()
        await asyncio.to_thread(self.reachable, False)
        await self._move_to(datetime.combine(day, time(15, 36), CST))
        await self.settle(0.2)  # the scheduler's end of day: it must wait for the venue
        book = self.svc.core.state.book
        with_orders = any(book.has_orders(a) for a in self.svc.core.accounts)
        if self.svc.is_archived(day) == with_orders:
            raise self.fail(f"{self.venue_word} away at the close, orders {with_orders}: archived")
        if with_orders and self.days.random() < 0.5:
            await self._move_to(datetime.combine(day, time(16, 0), CST))
            await asyncio.to_thread(self.reachable, True)
            if not await self._connected(5.0):
                raise self.fail("the adapter did not reconnect at 16:00")
            await self._move_to(datetime.combine(day, time(16, 1), CST))
            await self._archived(day, f"{day} not closed at 16:01")
            await self._move_to(datetime.combine(nxt, time(9, 31), CST))
            return f"{self.venue_word} closed at {at:%H:%M}, back at 16:00"
        await self._move_to(datetime.combine(nxt, time(9, 31), CST))
        await self._until(lambda: self.svc.is_archived(day), f"the new date did not close {day}")
        await asyncio.to_thread(self.reachable, True)  # e.g. the user starts QMT again
        return f"{self.venue_word} closed at {at:%H:%M} until the next day"

    async def _archived(self, day: date, failure: str) -> None:
        """Wait for the end of day's archive. A venue query that timed out on a busy
        machine defers it (``END_OF_DAY_DEFERRED``): the scheduler tries again once its
        clock has moved on by the retry interval, so move it, up to three times."""
        for attempt in range(4):
            try:
                await self._until(lambda: self.svc.is_archived(day), failure)
                return
            except DstFailure:
                if attempt == 3:
                    raise
            self.note(f"the end of day {day} was deferred: the clock moves on for its retry")
            await self._move_to(self.clock.now() + timedelta(seconds=EOD_RETRY_S + 1))

    async def _move_to(self, at: datetime) -> None:
        self.clock.set(at)
        await asyncio.to_thread(self.advance_market)
        await self.settle()

    def _started(self, day: date) -> Callable[[], bool]:
        ledger = self.svc.core.state.ledger
        return lambda: all(ledger.trading_day(a) == day for a in self.svc.core.accounts)

    async def _until(self, check: Callable[[], bool], failure: str, within: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not check():
            if loop.time() > deadline:
                raise self.fail(failure)
            await self.settle(0.05)

    def _check_archive(self, day: date) -> None:
        """The day's archive holds every order the venue got that day as the venue ended it
        (one closed unseen: ``EXPIRED`` with at most the venue's fills), and every answered
        order that left the book."""
        folder = self.folder / "data" / "archive" / day.isoformat()
        gap = archives_gap(folder.parent)
        if gap:
            raise self.fail(gap)
        archived = {
            (str(r["account"]), str(r["client_order_id"])): r
            for r in read_archive(folder).orders
            if r["day"] == day.isoformat()
        }
        for (account, coid), (status, filled) in self.orders_of_day(day).items():
            got = archived.get((account, coid))
            if got is None:
                raise self.fail(f"{coid}: the {self.venue_word} got it on {day}, not archived")
            if CLOSED_UNSEEN in str(got.get("message") or ""):
                if got["status"] != "EXPIRED" or int(got["filled_qty"]) > filled:
                    raise self.fail(f"{coid}: closed unseen as {got}, venue {status} {filled}")
            elif (got["status"], got["filled_qty"]) != (status.value, filled):
                was = f"{got['status']} filled {got['filled_qty']}"
                raise self.fail(f"{coid}: archived {was}, the venue {status.value} {filled}")
        book = self.svc.core.state.book
        for coid, (account, *_) in list(self.answered.items()):
            if book.get(account, ClientOrderId(coid)) is None:
                if (str(account), coid) not in archived:
                    raise self.fail(f"order {coid} left the book but is not in the archive")
                del self.answered[coid]
