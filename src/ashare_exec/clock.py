"""Injected time. Code reads a :class:`Clock`; nothing in the core calls ``datetime.now()``.

Times are timezone-aware in China Standard Time (UTC+8, no daylight saving). A fixed
offset is used instead of ``zoneinfo`` so that Windows hosts need no tz database.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from typing import Protocol

CST = timezone(timedelta(hours=8), name="CST")
"""China Standard Time."""

__all__ = ["CST", "Clock", "SimClock", "WallClock", "cst_date", "iso"]


_ISO: dict[datetime, tuple[object, int, str]] = {}
_ISO_MAX = 4096


def iso(ts: datetime) -> str:
    """``ts.isoformat()``, remembered for the last few thousand instants.

    One order change renders the same event time in the journal row, the event payload,
    the stream message and the API view (about a dozen times per order).
    """
    hit = _ISO.get(ts)
    # Equal instants in different zones compare equal: the zone (and fold) must match too.
    if hit is not None and hit[0] is ts.tzinfo and hit[1] == ts.fold:
        return hit[2]
    text = ts.isoformat()
    if len(_ISO) >= _ISO_MAX:
        _ISO.clear()
    _ISO[ts] = (ts.tzinfo, ts.fold, text)
    return text


class Clock(Protocol):
    """A source of the current time."""

    def now(self) -> datetime:
        """Return the current time (aware, CST)."""
        ...


class WallClock:
    """The real time."""

    def now(self) -> datetime:
        """Return the current wall-clock time in CST."""
        return datetime.now(CST)


def cst_date(clock: Clock) -> date:
    """Today's date in China Standard Time (the date a trading day is named by)."""
    return clock.now().astimezone(CST).date()


class SimClock:
    """A simulated clock that starts at any instant.

    With ``speed=None`` it only moves when :meth:`advance` or :meth:`set` is called (tests);
    with a ``speed`` it runs that many times faster than real time from its start (demos).
    """

    def __init__(self, start: datetime, *, speed: float | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("SimClock start must be timezone-aware")
        self._base = start.astimezone(CST)
        self._speed = speed
        self._mono0 = time.monotonic()

    @property
    def speed(self) -> float | None:
        """Multiple of real time, or ``None`` for a manual clock."""
        return self._speed

    def now(self) -> datetime:
        """Return the simulated current time."""
        if self._speed is None:
            return self._base
        elapsed = (time.monotonic() - self._mono0) * self._speed
        return self._base + timedelta(seconds=elapsed)

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward by ``delta`` and return the new time."""
        if delta < timedelta(0):
            raise ValueError("a clock never moves backwards")
        self.set(self.now() + delta)
        return self._base

    def set(self, instant: datetime) -> None:
        """Jump to ``instant`` (aware)."""
        if instant.tzinfo is None:
            raise ValueError("instant must be timezone-aware")
        self._base = instant.astimezone(CST)
        self._mono0 = time.monotonic()
