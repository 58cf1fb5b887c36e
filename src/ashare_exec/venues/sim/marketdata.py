"""Market data for the simulator: a synthetic random walk, or replay of recorded snapshots.

Both feeds answer the same two questions for an instrument: the snapshots published in a
time window, and the latest snapshot at an instant. Time only moves forward.

Snapshot times of a trading day: 9:25:00 (the opening auction result), every
``interval_s`` from 9:30:00 to 11:30:00 and from 13:00:00 to 14:57:00 (end excluded), and
15:00:00 (the closing auction result).
"""

from __future__ import annotations

import bisect
import csv
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from ashare_exec.clock import CST
from ashare_exec.model import InstrumentId, Quote
from ashare_exec.venues.sim.config import WalkConfig

__all__ = [
    "CLOSE_AUCTION_AT",
    "OPEN_AUCTION_AT",
    "Band",
    "Feed",
    "RandomWalkFeed",
    "ReplayFeed",
    "day_grid",
    "read_replay_csv",
]

OPEN_AUCTION_AT = time(9, 25)
CLOSE_AUCTION_AT = time(15, 0)
_SESSIONS = ((time(9, 30), time(11, 30)), (time(13, 0), time(14, 57)))

Band = Callable[[InstrumentId, date], tuple[Decimal, Decimal, Decimal, Decimal]]
"""(prev_close, tick, limit_down, limit_up) of an instrument on a day."""


class Feed(Protocol):
    """A source of snapshots."""

    def snapshots(self, iid: InstrumentId, start: datetime, end: datetime) -> list[Quote]:
        """Snapshots with ``start < ts_event <= end``, oldest first."""
        ...

    def latest(self, iid: InstrumentId, at: datetime) -> Quote | None:
        """The last snapshot with ``ts_event <= at`` on ``at``'s day, if any."""
        ...


def day_grid(day: date, interval_s: int) -> list[datetime]:
    """Every snapshot time of ``day`` for the random walk."""
    out = [datetime.combine(day, OPEN_AUCTION_AT, CST)]
    step = timedelta(seconds=interval_s)
    for start, end in _SESSIONS:
        t = datetime.combine(day, start, CST)
        stop = datetime.combine(day, end, CST)
        while t < stop:
            out.append(t)
            t += step
    out.append(datetime.combine(day, CLOSE_AUCTION_AT, CST))
    return out


def _pick(rng: random.Random, lo: int, hi: int) -> int:
    """Uniform integer in [lo, hi]; cheaper than ``randint`` (the walk's hot path)."""
    return lo + int(rng.random() * (hi - lo + 1))


@dataclass(slots=True)
class _Walk:
    day: date
    index: int  # index in the grid of the last generated snapshot (-1: none yet)
    mid: int  # in ticks
    volume: int
    rng: random.Random
    quote: Quote | None


class RandomWalkFeed:
    """A deterministic random walk of the mid price, in ticks, inside the daily band.

    The book shows five levels each side one tick apart around the mid (best bid = mid, best
    ask = mid + 1 tick); levels outside the band are not shown, so at limit-up there are no
    asks. Each instrument's walk is seeded by ``(seed, symbol, day)`` and generated lazily.
    """

    def __init__(self, seed: int, band: Band, walk: WalkConfig | None = None) -> None:
        self._seed = seed
        self._band = band
        self._cfg = walk or WalkConfig()
        self._grids: dict[date, list[datetime]] = {}
        self._walks: dict[InstrumentId, _Walk] = {}

    def _grid(self, day: date) -> list[datetime]:
        g = self._grids.get(day)
        if g is None:
            g = day_grid(day, self._cfg.interval_s)
            self._grids = {day: g}  # one day's: a simulator that runs for weeks kept every day's
        return g

    def _walk(self, iid: InstrumentId, day: date) -> _Walk:
        w = self._walks.get(iid)
        if w is None or w.day != day:
            pc, tick, _, _ = self._band(iid, day)
            rng = random.Random(f"{self._seed}:{iid}:{day.isoformat()}")
            w = self._walks[iid] = _Walk(day, -1, int(pc / tick), 0, rng, None)
        return w

    def _step(self, iid: InstrumentId, w: _Walk, ts: datetime) -> Quote:
        cfg = self._cfg
        _, tick, down, up = self._band(iid, w.day)
        lo, hi = int(down / tick), int(up / tick)
        rng = w.rng
        auction = w.index == 0 or ts.time() == CLOSE_AUCTION_AT
        spread = cfg.max_step_ticks * (5 if w.index == 0 else 1)
        w.mid = min(max(w.mid + _pick(rng, -spread, spread), lo), hi)
        lots = cfg.auction_lots_max if auction else cfg.trade_lots_max
        w.volume += _pick(rng, 1 if auction else 0, lots) * 100
        bids = [w.mid - i for i in range(5) if w.mid - i >= max(lo, 1)]
        asks = [w.mid + 1 + i for i in range(5) if w.mid + 1 + i <= hi]
        lmin, lmax = cfg.level_lots_min, cfg.level_lots_max
        q = Quote(
            instrument_id=iid,
            ts_event=ts,
            last=w.mid * tick,
            bid_prices=tuple(t * tick for t in bids),
            bid_sizes=tuple(_pick(rng, lmin, lmax) * 100 for _ in bids),
            ask_prices=tuple(t * tick for t in asks),
            ask_sizes=tuple(_pick(rng, lmin, lmax) * 100 for _ in asks),
            volume=w.volume,
        )
        w.quote = q
        return q

    def snapshots(self, iid: InstrumentId, start: datetime, end: datetime) -> list[Quote]:
        """Generate the snapshots in ``(start, end]`` (on ``end``'s day)."""
        day = end.date()
        w = self._walk(iid, day)
        grid = self._grid(day)
        out: list[Quote] = []
        while w.index + 1 < len(grid) and grid[w.index + 1] <= end:
            w.index += 1
            q = self._step(iid, w, grid[w.index])
            if grid[w.index] > start:
                out.append(q)
        return out

    def latest(self, iid: InstrumentId, at: datetime) -> Quote | None:
        """The last snapshot at or before ``at`` (generating up to it)."""
        self.snapshots(iid, at, at)
        w = self._walks[iid]
        return w.quote if w.day == at.date() else None


_LEVELS = 5


def read_replay_csv(path: Path) -> dict[InstrumentId, list[Quote]]:
    """Read a replay file (format in ``docs/simulator.md``) into snapshots per instrument.

    Raises:
        ValueError: a row is malformed (names the line).
    """
    out: dict[InstrumentId, list[Quote]] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for lineno, row in enumerate(csv.DictReader(f), start=2):
            try:
                q = _parse_row(row)
            except (KeyError, ValueError, ArithmeticError) as e:
                raise ValueError(f"{path}:{lineno}: bad replay row: {e}") from e
            out.setdefault(q.instrument_id, []).append(q)
    for quotes in out.values():
        quotes.sort(key=lambda q: q.ts_event or datetime.min.replace(tzinfo=CST))
    return out


def _levels(row: dict[str, str], prefix: str) -> tuple[tuple[Decimal, ...], tuple[int, ...]]:
    prices: list[Decimal] = []
    sizes: list[int] = []
    for i in range(1, _LEVELS + 1):
        p, s = (row.get(f"{prefix}{i}") or "").strip(), (row.get(f"{prefix}_size{i}") or "").strip()
        if not p or not s or int(s) <= 0:
            break
        prices.append(Decimal(p))
        sizes.append(int(s))
    return tuple(prices), tuple(sizes)


def _parse_row(row: dict[str, str]) -> Quote:
    ts = datetime.fromisoformat(row["ts"].strip())
    ts = ts.replace(tzinfo=CST) if ts.tzinfo is None else ts.astimezone(CST)
    bp, bs = _levels(row, "bid")
    ap, asz = _levels(row, "ask")
    last = row.get("last", "").strip()
    return Quote(
        instrument_id=InstrumentId.parse(row["symbol"]),
        ts_event=ts,
        last=Decimal(last) if last else None,
        bid_prices=bp,
        bid_sizes=bs,
        ask_prices=ap,
        ask_sizes=asz,
        volume=int(row.get("volume") or 0),
    )


class ReplayFeed:
    """Replays recorded snapshots (any times; the file decides the grid)."""

    def __init__(self, quotes: dict[InstrumentId, list[Quote]]) -> None:
        self._quotes = quotes
        self._times = {
            iid: [q.ts_event for q in qs if q.ts_event is not None] for iid, qs in quotes.items()
        }

    @classmethod
    def from_csv(cls, path: Path) -> ReplayFeed:
        """Load a replay file."""
        return cls(read_replay_csv(path))

    def instruments(self) -> Iterable[InstrumentId]:
        """Instruments present in the recording."""
        return self._quotes.keys()

    def snapshots(self, iid: InstrumentId, start: datetime, end: datetime) -> list[Quote]:
        """Recorded snapshots in ``(start, end]``."""
        times = self._times.get(iid)
        if not times:
            return []
        i = bisect.bisect_right(times, start)
        j = bisect.bisect_right(times, end)
        return self._quotes[iid][i:j]

    def latest(self, iid: InstrumentId, at: datetime) -> Quote | None:
        """The last recorded snapshot at or before ``at`` on the same day."""
        times = self._times.get(iid)
        if not times:
            return None
        j = bisect.bisect_right(times, at)
        if j == 0:
            return None
        q = self._quotes[iid][j - 1]
        return q if q.ts_event is not None and q.ts_event.date() == at.date() else None
