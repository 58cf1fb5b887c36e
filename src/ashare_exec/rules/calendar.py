"""The trading calendar (pure): weekdays minus exchange holidays.

SSE, SZSE and BSE share one holiday list. Exchanges never trade on weekends, not even on
the weekend "make-up workdays" (调休) of the State Council calendar. The I/O that builds a
calendar from ``exchange_calendars`` plus the user's holiday file lives in
:func:`ashare_exec.refdata.load_calendar`.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta

__all__ = ["TradingCalendar"]

_ONE_DAY = timedelta(days=1)
_MAX_SCAN = 60  # no A-share closure lasts longer than a few weeks


@dataclass(frozen=True, slots=True)
class TradingCalendar:
    """Trading days = weekdays not in ``holidays``.

    ``covered_until`` is the last date for which the holiday list is known to be complete.
    Past it the calendar still answers (weekdays minus the known holidays) but
    :meth:`covers` is False and :meth:`coverage_warning` returns a message the caller must
    log loudly: a holiday missing from the list would make the gateway trade on a closed day.
    """

    holidays: frozenset[date]
    covered_until: date
    _weekday_holidays: tuple[date, ...] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # Sorted once: counting holidays in a range is then two bisections, not a scan
        # (the listing-day index is computed for every order).
        object.__setattr__(
            self, "_weekday_holidays", tuple(sorted(h for h in self.holidays if h.weekday() < 5))
        )

    def covers(self, d: date) -> bool:
        """Return whether the holiday list is known to be complete for ``d``."""
        return d <= self.covered_until

    def coverage_warning(self, d: date) -> str | None:
        """A loud warning text when ``d`` is past the calendar's coverage, else None."""
        if self.covers(d):
            return None
        return (
            f"CALENDAR_NOT_COVERED: {d.isoformat()} is past the holiday data "
            f"(complete until {self.covered_until.isoformat()}); using weekdays minus known "
            f"holidays. Add the year's exchange holidays to the holidays file."
        )

    def is_trading_day(self, d: date) -> bool:
        """Return whether the exchanges trade on ``d``."""
        return d.weekday() < 5 and d not in self.holidays

    def next_trading_day(self, d: date) -> date:
        """The first trading day strictly after ``d``."""
        cur = d + _ONE_DAY
        for _ in range(_MAX_SCAN):
            if self.is_trading_day(cur):
                return cur
            cur += _ONE_DAY
        raise ValueError(f"no trading day within {_MAX_SCAN} days after {d}")

    def previous_trading_day(self, d: date) -> date:
        """The last trading day strictly before ``d``."""
        cur = d - _ONE_DAY
        for _ in range(_MAX_SCAN):
            if self.is_trading_day(cur):
                return cur
            cur -= _ONE_DAY
        raise ValueError(f"no trading day within {_MAX_SCAN} days before {d}")

    def trading_days_between(self, a: date, b: date) -> int:
        """Number of trading days ``d`` with ``a < d <= b`` (negative when ``b < a``).

        ``trading_days_between(list_date, day) + 1`` is the listing-day index of ``day``.
        """
        if b < a:
            return -self.trading_days_between(b, a)
        n_days = (b - a).days
        full_weeks, rest = divmod(n_days, 7)
        count = full_weeks * 5
        cur = a + timedelta(days=full_weeks * 7)
        for _ in range(rest):
            cur += _ONE_DAY
            if cur.weekday() < 5:
                count += 1
        hs = self._weekday_holidays
        count -= bisect_right(hs, b) - bisect_right(hs, a)
        return count

    def trading_days(self, a: date, b: date) -> list[date]:
        """Every trading day ``d`` with ``a <= d <= b``."""
        out: list[date] = []
        cur = a
        while cur <= b:
            if self.is_trading_day(cur):
                out.append(cur)
            cur += _ONE_DAY
        return out


WEEKDAYS_ONLY = TradingCalendar(frozenset(), date.min)
"""A calendar with no holidays and no coverage (every date warns)."""
