"""In-trade control state of one account: counters, windows, cool-down, rejection streak.

Times are epoch seconds passed in by the caller (the engine reads its injected clock); this
module never reads a clock. :class:`DayStats` feeds the evidence pack.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = ["KEEP_DAYS", "AccountControls", "DayStats", "SlidingCounter"]

KEEP_DAYS = 30
"""Days of evidence statistics kept in memory (and in the persisted state)."""
SWEEP_AT = 4096
"""Keys of a duplicate window table past which recording an order sweeps out stale keys."""


class SlidingCounter:
    """Events in the last ``window`` seconds (a deque of times, pruned on read)."""

    __slots__ = ("times", "window")

    def __init__(self, window: float) -> None:
        self.window = window
        self.times: deque[float] = deque()

    def count(self, now: float) -> int:
        """Events in ``(now − window, now]``."""
        times, edge = self.times, now - self.window
        while times and times[0] <= edge:
            times.popleft()
        return len(times)

    def add(self, now: float) -> int:
        """Record one event at ``now``; return the count in the window including it."""
        self.times.append(now)
        return self.count(now)

    def clear(self) -> None:
        """Forget every event."""
        self.times.clear()


@dataclass(slots=True)
class DayStats:
    """What the evidence pack reports for one account and day."""

    day: str
    orders: int = 0
    cancels: int = 0
    max_msgs_per_second: int = 0
    max_msgs_at: float | None = None
    rejections: int = 0
    denials: dict[str, int] = field(default_factory=dict)
    alerts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "day": self.day,
            "orders": self.orders,
            "cancels": self.cancels,
            "max_msgs_per_second": self.max_msgs_per_second,
            "max_msgs_at": self.max_msgs_at,
            "rejections": self.rejections,
            "denials": dict(self.denials),
            "alerts": list(self.alerts),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> DayStats:
        """Inverse of :meth:`to_dict`."""
        return cls(
            day=d["day"],
            orders=d["orders"],
            cancels=d["cancels"],
            max_msgs_per_second=d["max_msgs_per_second"],
            max_msgs_at=d["max_msgs_at"],
            rejections=d["rejections"],
            denials=dict(d["denials"]),
            alerts=list(d["alerts"]),
        )

    @property
    def cancel_ratio(self) -> Decimal:
        """Cancels / orders today (0 without orders)."""
        return Decimal(self.cancels) / self.orders if self.orders else Decimal(0)


@dataclass(slots=True)
class AccountControls:
    """Mutable control state of one account (or the global scope)."""

    msgs: SlidingCounter = field(default_factory=lambda: SlidingCounter(1.0))
    ratio_orders: SlidingCounter = field(default_factory=lambda: SlidingCounter(60.0))
    ratio_cancels: SlidingCounter = field(default_factory=lambda: SlidingCounter(60.0))
    cooldown_until: float | None = None
    ratio_warned: bool = False
    rejection_streak: int = 0
    warned: set[str] = field(default_factory=set)
    """Daily warnings already raised today (raised once per day)."""
    duplicates: dict[tuple[object, ...], deque[float]] = field(default_factory=dict)
    chase: dict[tuple[object, ...], deque[float]] = field(default_factory=dict)
    stats: dict[str, DayStats] = field(default_factory=dict)
    today: str = ""

    def day(self, day: str) -> DayStats:
        """The stats of ``day`` (ISO date); a new day resets the daily counters."""
        if day != self.today:
            self.today = day
            self.warned.clear()
            self.rejection_streak = 0
            # Seconds-long windows: a key not seen again would otherwise stay for good.
            self.duplicates.clear()
            self.chase.clear()
        got = self.stats.get(day)
        if got is None:
            got = self.stats[day] = DayStats(day)
            for old in sorted(self.stats)[:-KEEP_DAYS]:
                del self.stats[old]
        return got

    def record_msg(self, now: float, stats: DayStats) -> int:
        """Count one order or cancel in the per-second window; track the day's maximum."""
        n = self.msgs.add(now)
        if n > stats.max_msgs_per_second:
            stats.max_msgs_per_second = n
            stats.max_msgs_at = now
        return n

    @staticmethod
    def remember(
        table: dict[tuple[object, ...], deque[float]],
        key: tuple[object, ...],
        now: float,
        window: float,
    ) -> None:
        """Record ``now`` under ``key``; past :data:`SWEEP_AT` keys, drop those whose
        window has passed (only a key asked about again is pruned otherwise)."""
        table.setdefault(key, deque()).append(now)
        if len(table) > SWEEP_AT:
            edge = now - window
            for old in [k for k, times in table.items() if times[-1] <= edge]:
                del table[old]

    @staticmethod
    def window_times(
        table: dict[tuple[object, ...], deque[float]],
        key: tuple[object, ...],
        now: float,
        window: float,
    ) -> deque[float]:
        """The times recorded under ``key`` within ``window`` seconds (pruned)."""
        times = table.get(key)
        if times is None:
            return deque()
        edge = now - window
        while times and times[0] <= edge:
            times.popleft()
        if not times:
            del table[key]
        return times

    def to_state(self) -> dict[str, Any]:
        """The durable part (counters of the day, cool-down, streak) as a JSON-ready dict.

        Per-second windows, duplicate and chase windows are seconds long and not kept.
        """
        return {
            "cooldown_until": self.cooldown_until,
            "rejection_streak": self.rejection_streak,
            "warned": sorted(self.warned),
            "today": self.today,
            "stats": {k: v.to_dict() for k, v in self.stats.items()},
        }

    @classmethod
    def from_state(cls, d: dict[str, Any]) -> AccountControls:
        """Inverse of :meth:`to_state`."""
        out = cls()
        out.cooldown_until = d.get("cooldown_until")
        out.rejection_streak = int(d.get("rejection_streak", 0))
        out.warned = set(d.get("warned", ()))
        out.today = d.get("today", "")
        out.stats = {k: DayStats.from_dict(v) for k, v in d.get("stats", {}).items()}
        return out
