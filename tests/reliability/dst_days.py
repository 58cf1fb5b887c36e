"""The day rolls of a DST run (:class:`~tests.reliability.dst_harness.DstRun`): the end of
day with the gateway up (and the broker's evening T+1 release), with the venue's link down
at the close, and with the gateway down over the close, whose next start closes the day."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from ashare_exec.clock import CST
from ashare_exec.engine.service import ExecutionService
from ashare_exec.journal.archive import read_archive
from ashare_exec.model import ClientOrderId
from tests.reliability.dst_checks import DstFailure, archives_gap, check_ledger
from tests.reliability.fault_kit import ACC

__all__ = ["DayRolls"]


class DayRolls:
    """``do_day_roll`` and its checks; the rest of the run is :class:`DstRun`'s."""

    folder: Path
    clock: Any
    rng_down: random.Random
    rng_link: random.Random
    t1_release_at: str | None
    lossless: bool
    mismatches: list[tuple[int, str]]
    answered: dict[str, tuple[str, str, int, str]]
    journal_fault: object | None
    service: ExecutionService | None
    svc: ExecutionService
    sim: Any
    boot: Callable[..., Awaitable[None]]
    settle: Callable[..., Awaitable[None]]
    _heal_journal: Callable[[], Awaitable[None]]
    note: Callable[[str], None]
    fail: Callable[[str], DstFailure]
    check_venue: Callable[..., None]

    async def do_day_roll(self) -> None:
        if self.journal_fault is not None:
            await self._heal_journal()  # no archive from a failed journal; heal, then roll
        day = self.clock.now().date()
        if self.rng_down.random() < 0.5:
            await self._day_roll_while_down(day)
            return
        if self.rng_link.random() < 0.3:
            await self._day_roll_link_down(day)
            return
        if self.clock.now().time() < time(15, 0, 10):
            await self.sim.advance_to(datetime.combine(day, time(15, 0, 10), CST))
        await self.settle()
        await self.svc.end_of_day(day)
        if self.svc.last_archive is None:
            raise self.fail(f"no archive written for {day}")
        if self.t1_release_at is not None:
            await self._evening(day)
        nxt = self.svc.pretrade.calendar.next_trading_day(day)
        await self.sim.advance_to(datetime.combine(nxt, time(9, 31), CST))
        await self.settle()
        # The scheduler starts each new date (T+1 roll, the day's orders leave the book).
        if self.svc.core.state.ledger.trading_day(ACC) != nxt:
            raise self.fail(f"{nxt} was not started at the change of date")
        self._check_archived(day)
        if self.t1_release_at is not None and self.lossless and self.sim.is_connected:
            self._check_exact("after our roll (released once, not twice)")
        self.note(f"day roll to {nxt}")

    async def _day_roll_link_down(self, day: date) -> None:
        """The venue is out of reach at the close: the scheduler's end of day waits for it
        (deferred, retried), then closes the day when the link is back that evening, or,
        when it stays down, the change of date closes the day without it."""
        self.lossless = False
        self.sim.disconnect("dst link down at the close", auto_reconnect=False)
        if self.clock.now().time() < time(15, 36):
            await self.sim.advance_to(datetime.combine(day, time(15, 36), CST))
        await self.settle()  # the scheduler fires the end of day: it must wait
        orders = self.svc.core.state.book.has_orders(ACC)
        if self.svc.is_archived(day) == orders:  # it waits for the venue only with orders
            raise self.fail(f"link down at the close, orders today {orders}: archived {orders}")
        nxt = self.svc.pretrade.calendar.next_trading_day(day)
        back = orders and self.rng_link.random() < 0.5
        if back:
            await self.sim.advance_to(datetime.combine(day, time(16, 0), CST))
            self.sim.reconnect()
            await self.settle()
            await self.sim.advance_to(datetime.combine(day, time(16, 1), CST))
            await self.settle()  # the retry: the venue is back, the day closes with it
            if not self.svc.is_archived(day):
                raise self.fail(f"the link came back at 16:00 but {day} was not closed")
            await self._check_closed_with_venue(day)
        await self.sim.advance_to(datetime.combine(nxt, time(9, 31), CST))
        await self.settle()  # still down: the change of date closes the day without it
        if not self.svc.is_archived(day):
            raise self.fail(f"the change of date did not close {day}")
        self.sim.reconnect()
        await self.settle()
        if self.svc.core.state.ledger.trading_day(ACC) != nxt:
            raise self.fail(f"{nxt} was not started at the change of date")
        self._check_archived(day)
        how = "back at 16:00" if back else "down until the next day"
        self.note(f"day roll to {nxt}, the link down at the close ({how})")

    async def _check_closed_with_venue(self, day: date) -> None:
        """Closed with the venue: every order of the day as the venue ended it."""
        folder = self.svc.last_archive
        if folder is None:
            raise self.fail(f"no archive for {day}")
        archived = {
            o["client_order_id"]: o for o in read_archive(folder).orders if o["day"] == str(day)
        }
        for v in self.sim.exchange.order_reports(ACC):
            got = archived.get(str(v.client_order_id))
            if got is None or (got["status"], got["filled_qty"]) != (v.status, v.filled_qty):
                raise self.fail(
                    f"{v.client_order_id}: archived {got}, venue {v.status} {v.filled_qty}"
                )

    async def _evening(self, day: date) -> None:
        """The broker's night clearing comes before our midnight: the evening's reconcile
        sees the day's buys sellable. That is the T+1 release, not a drift: corrected
        without a mismatch signal, and our roll at the change of date adds nothing."""
        seen = len(self.mismatches)
        await self.sim.advance_to(datetime.combine(day, time(20, 30), CST))
        await self.settle()
        await self.svc.reconciler.reconcile(ACC, "dst-evening")
        await self.settle()
        self.note("evening reconcile after the broker's T+1 release")
        if self.sim.is_connected and self.svc.core.accounts[ACC].reconciled:
            self.check_venue(final=False)
        if not (self.lossless and self.sim.is_connected):
            return
        self._check_exact("in the evening, after the broker's T+1 release")
        drifts = [kind for _step, kind in self.mismatches[seen:]]
        if drifts:
            raise self.fail(f"the evening's T+1 release was signalled as a drift: {drifts}")

    def _check_exact(self, when: str) -> None:
        state = self.svc.core.state
        problem = check_ledger(state.ledger, self.sim.exchange, ACC, state.book)
        if problem:
            raise self.fail(f"{when}: {problem}")

    async def _day_roll_while_down(self, day: date) -> None:
        """The gateway stops before the close and starts the next trading day: that start
        closes the day it missed (``engine/closing.py``) before it reconciles."""
        nxt = self.svc.pretrade.calendar.next_trading_day(day)
        await self.svc.stop()
        self.service = None
        self.lossless = False  # what the venue reported meanwhile is lost
        self.clock.set(datetime.combine(nxt, time(9, 31), CST))
        await self.boot()
        await self.settle()
        if self.svc.missed_close() is not None:
            raise self.fail(f"the start did not close {day}")
        self._check_archived(day)
        self.note(f"day roll to {nxt} while the gateway was down (closed at start)")

    def _check_archived(self, day: date) -> None:
        """Orders evicted at the day roll must be in the day's archive."""
        where = self.folder / "data" / "archive" / day.isoformat()
        archived = (
            {str(r["client_order_id"]) for r in read_archive(where).orders}
            if where.is_dir()
            else set()
        )
        gap = archives_gap(where.parent)
        if gap:
            raise self.fail(gap)
        book = self.svc.core.state.book
        for coid in list(self.answered):
            if book.get(ACC, ClientOrderId(coid)) is None:
                if coid not in archived:
                    raise self.fail(f"order {coid} left the book but is not in the archive")
                del self.answered[coid]
