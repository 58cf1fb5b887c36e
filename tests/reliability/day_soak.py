"""Many trading days in one process: the service's memory must not grow with the days.

``ashare-exec serve`` is meant to run for weeks without a restart. One service (the
composition root, the simulator, a simulated clock) lives through ``days`` trading days,
as ``serve`` does: each morning the scheduler starts the day, ``orders`` orders come in
(marketable buys that fill, passive buys that rest and are partly cancelled, sells of
the shares held), the market closes, and at 15:35 the scheduler's end of day reconciles,
expires what is still open, archives the day and seals its audit file.

From the morning after a warm-up (caches filling to their bounds) ``tracemalloc`` traces
what is allocated, and each later morning, once the day's start has let the finished
orders go, the run collects garbage and sums what of it is still held: what the days left
behind. Every day does the same work, so that sum must stop growing:
:func:`growth_problem` compares its growth per day against a bound and names the
allocation sites that grew most when it is exceeded. Tracing only after the warm-up keeps
the run fast (``tracemalloc`` slows allocation several times over). With ``venue="qmt"`` or
``"vnpy"`` the service trades through that adapter and its real vendor client against the
emulator in a process of its own (:mod:`tests.reliability.day_broker`), as against a real
terminal or XTP server: everything traced is the gateway's.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import re
import time as time_module
import tracemalloc
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import ashare_exec.clock as clock_module
import ashare_exec.rules.prices as prices_module
import ashare_exec.venues.qmt.parsing as qmt_parsing
from ashare_exec.api.schemas import OrderIn
from ashare_exec.clock import CST, SimClock
from ashare_exec.config import AccountConfig, SessionConfig, default_config
from ashare_exec.engine.node import build_service
from ashare_exec.engine.service import ExecutionService
from ashare_exec.errors import GatewayError
from ashare_exec.model import AccountId, InstrumentId, OrderStatus, TradingPhase
from ashare_exec.observability.audit import day_path, seal_path_for
from ashare_exec.observability.logging import configure_logging
from ashare_exec.venues.sim.adapter import SimVenue
from tests.reliability.day_broker import RemoteBroker
from tests.reliability.dst_harness import RISK  # the throttles a test flow trips, off

__all__ = ["DaySoak", "DaySoakResult", "growth_per_day", "growth_problem"]

ACCOUNT = AccountId("soak")
SYMBOLS = ("600000.SH", "000001.SZ", "601318.SH", "300750.SZ", "510300.SH")
POSITIONS = dict.fromkeys(SYMBOLS, 10_000_000)
CASH = Decimal("10000000000")
FIRST_DAY = date(2026, 11, 23)
WAIT_S = 20.0
STREAM_REPLAY = 100
WATCH_S = 0.2
WALK_S = 60
_AFTER_THE_CLOSE = (TradingPhase.AFTER_HOURS, TradingPhase.POST_CLOSE)
GROWTH_PER_DAY_BYTES = 24 * 1024
"""Allowed growth per day of what is held each morning. What a day legitimately adds is
bounded and small: its risk statistics (30 days kept), a cached glob pattern for its audit
file (``pathlib``'s cache of 128), the SQLite connection's cursor references (pruned every
few hundred), about 10 KiB a day in all while those fill. A leak of anything per order is
above it from ~100 orders a day: the journal's id-map memo leaked ≈ 300 bytes an order, the
duplicate-order windows ≈ 600 (both found by this soak, fixed)."""


@dataclass(slots=True)
class DaySoakResult:
    """What was held each morning after the warm-up, and what the days did."""

    days: list[date] = field(default_factory=list)
    traced: list[int] = field(default_factory=list)
    """Each morning from the second after the warm-up on, once the day has started
    (garbage collected first): the bytes still held of what was allocated since tracing
    began, the first morning after the warm-up."""
    orders: int = 0
    filled: int = 0
    canceled: int = 0
    day_s: list[float] = field(default_factory=list)
    """Each day, the seconds its orders took (submitted, cancels sent, drained)."""
    end_of_day_s: list[float] = field(default_factory=list)
    """Each day, the seconds from 15:36 until the day was archived and its audit sealed."""
    broker_errors: list[str] = field(default_factory=list)
    """QMT, XTP: failures on the emulator's own threads (none in a sound run)."""
    top_growth: list[str] = field(default_factory=list)
    """The allocation sites that grew most from the first measured morning to the last."""


class DaySoak:
    """Drive one service through ``days`` trading days of ``orders`` orders each."""

    def __init__(
        self, folder: Path, *, days: int, orders: int, warmup: int = 3, venue: str = "sim"
    ) -> None:
        self.folder = folder
        self.venue = venue
        self.days = days
        self.orders = orders
        self.warmup = min(warmup, days - 1)
        self.clock = SimClock(datetime.combine(FIRST_DAY, time(9, 0), CST))
        self.result = DaySoakResult()
        self._seq = 0
        self._resting: list[str] = []
        self._broker: RemoteBroker | None = None

    def build(self) -> ExecutionService:
        """The service as ``serve`` builds it, on ``venue`` (``sim``, or ``qmt`` / ``vnpy``
        against their emulators, started here in a process of their own), the timer
        reconcile hourly."""
        venue: dict[str, Any] = {}
        if self.venue != "sim":
            self._broker = RemoteBroker(
                self.venue, self.folder, self.clock.now(), account=ACCOUNT, cash=CASH,
                positions=POSITIONS, walk_s=WALK_S,
            )  # fmt: skip
            venue = self._broker.venue_table()
        base = default_config()
        cfg = dataclasses.replace(
            base,
            # The stream's replay buffer is bounded by its count of messages, not by days:
            # kept small, it is full after the first day and its growth is not a leak.
            api=dataclasses.replace(base.api, stream_replay=STREAM_REPLAY),
            data_dir=self.folder / "data",
            log_dir=self.folder / "logs",
            accounts=(AccountConfig(ACCOUNT, self.venue, CASH, dict(POSITIONS)),),
            sessions=SessionConfig(pre_close_cancel=None, reconcile_interval_s=3600.0),
            risk=dict(RISK),
            # A snapshot a minute, not every 3 s: the day's market data is not what is
            # measured, and walking 24,000 snapshots a day was most of the run's time.
            venues={
                "sim": {"walk": {"interval_s": WALK_S}},
                "qmt": venue,
                # An order's watcher sleeps this long in real time: days pass here in about
                # a second each, and a day's watchers would still hold its orders days later.
                "vnpy": {**venue, "submit_timeout_s": WATCH_S},
            },
        )
        return build_service(cfg, self.clock)

    async def run(self) -> DaySoakResult:
        """Run every day; trace allocations from the end of the warm-up on.

        The service logs as ``serve`` makes it (JSON lines in its folder, written on the
        logging thread); other handlers of the root logger are detached meanwhile: a test
        runner's capture keeps every record, which is a leak of its own.
        """
        root = logging.getLogger()
        others, root.handlers = root.handlers, []
        logs = configure_logging(self.folder / "logs", console=False, background=True)
        try:
            return await self._run()
        finally:
            logs.close()
            root.handlers = others
            if self._broker is not None:
                self._broker.close()

    async def _run(self) -> DaySoakResult:
        svc = self.build()
        await svc.start()
        tracing = False
        first: tracemalloc.Snapshot | None = None
        try:
            day = FIRST_DAY
            for n in range(self.days + 1):
                # Measured each morning, once the roll has let the finished orders go:
                # what is held then is what the days left behind, not the day's own state.
                await self._morning(svc, day)
                _empty_bounded_memos()
                gc.collect()
                if tracing:
                    snap = _without_bounded_caches(tracemalloc.take_snapshot())
                    self.result.traced.append(sum(s.size for s in snap.statistics("filename")))
                    first = first or snap
                    if n == self.days:
                        diff = snap.compare_to(first, "lineno")
                        self.result.top_growth = [str(s) for s in diff[:12]]
                elif n > self.warmup:
                    # Only what is allocated from here on is traced: what bounded caches
                    # add, and whatever a leak keeps.
                    tracemalloc.start(1)
                    tracing = True
                if n == self.days:
                    break
                await self._one_day(svc, day)
                self.result.days.append(day)
                day = svc.pretrade.calendar.next_trading_day(day)
        finally:
            if tracing:
                tracemalloc.stop()
            await svc.stop()
            if self._broker is not None:
                self.result.broker_errors = self._broker.errors()
        return self.result

    def _set_time(self, day: date, at: time) -> None:
        # The broker first: the gateway's orders of the new moment find its market there.
        moment = datetime.combine(day, at, CST)
        if self._broker is not None:
            self._broker.set_time(moment)
        self.clock.set(moment)

    async def _morning(self, svc: ExecutionService, day: date) -> None:
        self._set_time(day, time(9, 31))
        await _until(lambda: svc.core.state.ledger.trading_day(ACCOUNT) == day, f"{day} started")
        # The simulator rolls its own day when it next moves: now, not at the first order,
        # so that a morning's measure never holds the day before's venue orders.
        venue = svc.core.accounts[ACCOUNT].venue
        if isinstance(venue, SimVenue):
            await venue.sync()
        else:
            await asyncio.sleep(2 * WATCH_S)  # yesterday's last watchers end

    async def _one_day(self, svc: ExecutionService, day: date) -> None:
        self._resting = []
        began = time_module.perf_counter()
        for i in range(self.orders):
            await self._order(svc, i)
            if i % 20 == 19:
                await svc.core.drain()
        for coid in self._resting[::2]:
            with contextlib.suppress(GatewayError):  # already filled or ended: nothing to cancel
                await svc.cancel(str(ACCOUNT), coid, actor="soak")
        await svc.core.drain()
        self.result.day_s.append(time_module.perf_counter() - began)
        self._set_time(day, time(15, 1))
        await _until(lambda: svc.scheduler is None or _closed_phase(svc), f"{day} closed")
        self._set_time(day, time(15, 36))
        closing = time_module.perf_counter()
        archive = self.folder / "data" / "archive" / day.isoformat()
        await _until(lambda: (archive / "orders.jsonl").is_file(), f"{day} archived")
        await _until(lambda: _sealed(archive, day), f"{day} audit sealed")
        self.result.end_of_day_s.append(time_module.perf_counter() - closing)
        for order in svc.core.state.book.orders(ACCOUNT):
            if order.status is OrderStatus.FILLED:
                self.result.filled += 1
            elif order.status is OrderStatus.CANCELED:
                self.result.canceled += 1

    def _quote(self, svc: ExecutionService, symbol: str) -> tuple[Decimal, Decimal]:
        if self._broker is not None:
            quote = self._broker.quote(symbol)
            if quote is not None:
                return quote
        else:
            q = svc.core.quotes(InstrumentId.parse(symbol))
            if q is not None and q.best_bid is not None and q.best_ask is not None:
                return q.best_bid, q.best_ask
        raise AssertionError(f"no quote for {symbol}")

    async def _order(self, svc: ExecutionService, i: int) -> None:
        symbol = SYMBOLS[i % len(SYMBOLS)]
        bid, ask = self._quote(svc, symbol)
        kind = i % 3
        self._seq += 1
        coid = f"d{self._seq}"
        if kind == 0:
            side, price = "BUY", ask  # fills
        elif kind == 1:  # rests, a few ticks under the bid
            side, price = "BUY", bid - Decimal("0.01") * (5 + self._seq % 11)
            self._resting.append(coid)
        else:
            side, price = "SELL", bid  # sells shares held since before today
        body = OrderIn(
            account_id=str(ACCOUNT),
            symbol=symbol,
            side=side,
            qty=100 * (1 + self._seq % 7),  # sizes and prices vary, as a strategy's do
            price=price,
            client_order_id=coid,
        )
        await svc.submit(body, actor="soak")
        self.result.orders += 1


def _closed_phase(svc: ExecutionService) -> bool:
    assert svc.scheduler is not None
    return svc.scheduler.phase in _AFTER_THE_CLOSE


def _sealed(archive: Path, day: date) -> bool:
    return seal_path_for(day_path(archive, day)).is_file()


async def _until(ok: Any, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not ok():
        if loop.time() > deadline:
            raise AssertionError(f"day soak: {what} did not happen within {WAIT_S:.0f} s")
        await asyncio.sleep(0.01)


def _empty_bounded_memos() -> None:
    # Memos bounded by their size (thousands of entries) grow through a short soak as a
    # leak would; emptied before each measure, what they keep is not counted.
    clock_module._ISO.clear()
    prices_module._LIMITS_CACHE.clear()
    qmt_parsing._px_float.cache_clear()
    re.purge()


def _without_bounded_caches(snap: tracemalloc.Snapshot) -> tracemalloc.Snapshot:
    # pydantic-core keeps the last 16,384 strings it built (a stripped ``client_order_id``
    # per order), out of reach: its allocations are not counted.
    return snap.filter_traces(
        [
            tracemalloc.Filter(False, "*/pydantic/*"),
            tracemalloc.Filter(False, tracemalloc.__file__),
        ]
    )


def growth_per_day(result: DaySoakResult) -> float:
    """Bytes a day: the slope of a least-squares line through the mornings' sums, so that
    one morning that happens to hold a little more does not decide it (0 with fewer than
    two mornings)."""
    traced = result.traced
    n = len(traced)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(traced) / n
    return sum((x - mean_x) * (y - mean_y) for x, y in enumerate(traced)) / sum(
        (x - mean_x) ** 2 for x in range(n)
    )


def growth_problem(result: DaySoakResult) -> str | None:
    """Why the traced memory grew with the days (``None`` when it did not)."""
    per_day = growth_per_day(result)
    if per_day <= GROWTH_PER_DAY_BYTES:
        return None
    traced = result.traced
    measured = result.days[len(result.days) - len(traced) :]
    sizes = ", ".join(f"after {d}: {t / 1e6:.2f} MB" for d, t in zip(measured, traced, strict=True))
    top = "\n  ".join(result.top_growth)
    return (
        f"traced memory grew {per_day / 1024:.0f} KiB a day (bound "
        f"{GROWTH_PER_DAY_BYTES // 1024} KiB): {sizes}\n  {top}"
    )
