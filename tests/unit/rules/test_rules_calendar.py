"""The pure trading calendar: weekdays minus holidays; make-up weekends never trade."""

from __future__ import annotations

from datetime import date

import pytest
from rules_helpers import CAL, HOLIDAYS_2026

from ashare_exec.rules import TradingCalendar


@pytest.mark.parametrize(
    ("day", "trading"),
    [
        (date(2026, 1, 1), False),  # New Year
        (date(2026, 1, 2), False),
        (date(2026, 1, 4), False),  # Sunday make-up workday: exchanges closed
        (date(2026, 1, 5), True),
        (date(2026, 2, 14), False),  # Saturday make-up workday
        (date(2026, 2, 16), False),  # Spring Festival
        (date(2026, 2, 23), False),
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), False),  # Saturday make-up workday
        (date(2026, 4, 6), False),
        (date(2026, 5, 9), False),  # Saturday make-up workday
        (date(2026, 6, 19), False),
        (date(2026, 9, 20), False),  # Sunday make-up workday
        (date(2026, 9, 25), False),
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), False),  # Saturday make-up workday
        (date(2026, 11, 25), True),
    ],
)
def test_is_trading_day_when_2026_holidays_and_makeup_weekends(day: date, trading: bool) -> None:
    assert CAL.is_trading_day(day) is trading


@pytest.mark.parametrize(
    ("day", "nxt", "prev"),
    [
        (date(2026, 9, 30), date(2026, 10, 8), date(2026, 9, 29)),
        (date(2026, 1, 4), date(2026, 1, 5), date(2025, 12, 31)),
        (date(2026, 2, 13), date(2026, 2, 24), date(2026, 2, 12)),
        (date(2026, 11, 27), date(2026, 11, 30), date(2026, 11, 26)),
    ],
)
def test_next_previous_trading_day_when_holidays_between_skip_them(
    day: date, nxt: date, prev: date
) -> None:
    assert (CAL.next_trading_day(day), CAL.previous_trading_day(day)) == (nxt, prev)


@pytest.mark.parametrize(
    ("a", "b", "n"),
    [
        (date(2026, 9, 28), date(2026, 10, 9), 4),
        (date(2026, 11, 23), date(2026, 11, 23), 0),
        (date(2026, 11, 20), date(2026, 11, 23), 1),
        (date(2026, 1, 1), date(2026, 12, 31), 242),  # XSHG has 242 sessions in 2026
        (date(2026, 10, 9), date(2026, 9, 28), -4),
    ],
)
def test_trading_days_between_when_range_given_counts_half_open(a: date, b: date, n: int) -> None:
    assert CAL.trading_days_between(a, b) == n
    assert CAL.trading_days_between(a, b) == (
        len(CAL.trading_days(a, b)) - CAL.is_trading_day(a) if a <= b else n
    )


def test_coverage_when_past_covered_until_warns_and_still_trades_weekdays() -> None:
    assert CAL.covers(date(2026, 12, 31)) is True
    assert CAL.coverage_warning(date(2026, 12, 31)) is None
    assert CAL.covers(date(2027, 1, 4)) is False
    warning = CAL.coverage_warning(date(2027, 1, 4))
    assert warning is not None
    assert "CALENDAR_NOT_COVERED" in warning
    assert CAL.is_trading_day(date(2027, 1, 4)) is True
    assert CAL.is_trading_day(date(2027, 1, 2)) is False  # a Saturday is never a trading day


def test_trading_calendar_when_extra_holiday_added_closes_that_day() -> None:
    cal = TradingCalendar(HOLIDAYS_2026 | {date(2027, 1, 1)}, date(2026, 12, 31))
    assert cal.is_trading_day(date(2027, 1, 1)) is False
    assert cal.next_trading_day(date(2026, 12, 31)) == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (date(2025, 12, 20), date(2026, 12, 31)),
        (date(2026, 1, 1), date(2026, 10, 8)),
        (date(2026, 2, 14), date(2026, 2, 14)),
        (date(2026, 10, 1), date(2026, 5, 1)),
        (date(1999, 11, 10), date(2026, 11, 25)),
    ],
)
def test_trading_days_between_when_holidays_in_range_matches_day_by_day_count(
    a: date, b: date
) -> None:
    lo, hi = min(a, b), max(a, b)
    expected = sum(1 for d in CAL.trading_days(lo, hi) if d > lo)
    assert CAL.trading_days_between(a, b) == (expected if a <= b else -expected)
