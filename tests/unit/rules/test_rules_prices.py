"""Ticks and daily price limits (fact sheet §2, §3): every board, dated."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from rules_helpers import CAL, inst

from ashare_exec.rules import (
    WEEKDAYS_ONLY,
    RulesConfig,
    listing_day_index,
    price_limits,
    tick_size,
)

D = Decimal
LATE_2026 = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("symbol", "tick"),
    [
        ("600000.SH", "0.01"),
        ("688981.SH", "0.01"),
        ("689009.SH", "0.01"),
        ("000001.SZ", "0.01"),
        ("300750.SZ", "0.01"),
        ("920163.BJ", "0.01"),
        ("900901.SH", "0.001"),
        ("200596.SZ", "0.01"),
        ("510300.SH", "0.001"),
        ("159915.SZ", "0.001"),
        ("161725.SZ", "0.001"),
        ("508000.SH", "0.001"),
        ("113052.SH", "0.001"),
        ("127045.SZ", "0.001"),
        ("132018.SH", "0.001"),
        ("204001.SH", "0.005"),
        ("131810.SZ", "0.001"),
    ],
)
def test_tick_size_when_product_given_returns_exchange_tick(symbol: str, tick: str) -> None:
    assert tick_size(inst(symbol)) == D(tick)


def test_tick_size_when_repo_tick_configured_uses_config() -> None:
    assert tick_size(inst("204001.SH"), config=RulesConfig(sse_repo_tick=D("0.001"))) == D("0.001")


# (symbol, prev_close, day, extra fields, expected up, expected down)
BANDS: list[tuple[str, str, date, dict[str, Any], str | None, str | None]] = [
    ("600000.SH", "10.00", LATE_2026, {}, "11.00", "9.00"),
    ("000001.SZ", "11.60", LATE_2026, {}, "12.76", "10.44"),
    ("688981.SH", "120.50", LATE_2026, {}, "144.60", "96.40"),
    ("688981.SH", "10.00", LATE_2026, {"is_st": True}, "12.00", "8.00"),
    ("300750.SZ", "10.00", LATE_2026, {}, "12.00", "8.00"),
    ("300750.SZ", "10.00", date(2020, 8, 21), {}, "11.00", "9.00"),
    ("300750.SZ", "10.00", date(2020, 8, 21), {"is_st": True}, "10.50", "9.50"),
    ("300750.SZ", "10.00", date(2020, 8, 24), {"is_st": True}, "12.00", "8.00"),
    ("920163.BJ", "10.00", LATE_2026, {}, "13.00", "7.00"),
    ("920163.BJ", "10.00", LATE_2026, {"is_st": True}, "13.00", "7.00"),
    # ST main board: 5% until 2026-07-03, 10% from 2026-07-06 [V]
    ("600777.SH", "10.00", date(2026, 7, 3), {"is_st": True}, "10.50", "9.50"),
    ("600777.SH", "10.00", date(2026, 7, 6), {"is_st": True}, "11.00", "9.00"),
    ("000004.SZ", "3.13", date(2026, 7, 3), {"is_st": True}, "3.29", "2.97"),
    ("000004.SZ", "3.13", date(2026, 7, 6), {"is_st": True}, "3.44", "2.82"),
    ("900901.SH", "0.402", LATE_2026, {}, "0.442", "0.362"),
    ("900901.SH", "0.400", date(2026, 7, 3), {"is_st": True}, "0.420", "0.380"),
    ("900901.SH", "0.400", date(2026, 7, 6), {"is_st": True}, "0.440", "0.360"),
    ("200596.SZ", "80.50", LATE_2026, {}, "88.55", "72.45"),
    ("510300.SH", "4.650", LATE_2026, {}, "5.115", "4.185"),
    ("511010.SH", "140.200", LATE_2026, {"t0": True}, "154.220", "126.180"),
    ("159915.SZ", "3.150", LATE_2026, {"band_20pct": True}, "3.780", "2.520"),
    ("159915.SZ", "3.150", date(2020, 8, 21), {"band_20pct": True}, "3.465", "2.835"),
    ("588000.SH", "1.350", date(2020, 8, 21), {"band_20pct": True}, "1.620", "1.080"),
    ("508000.SH", "2.500", LATE_2026, {}, "2.750", "2.250"),
    ("508000.SH", "2.500", LATE_2026, {"listing_day_index": 1}, "3.250", "1.750"),
    ("113052.SH", "120.000", LATE_2026, {}, "144.000", "96.000"),
    ("113052.SH", "120.000", date(2022, 7, 29), {}, None, None),
    ("204001.SH", "1.500", LATE_2026, {}, None, None),
    ("131810.SZ", "1.450", LATE_2026, {}, None, None),
    ("000001.SH", "3900.00", LATE_2026, {}, None, None),
    ("132018.SH", "110.000", LATE_2026, {}, None, None),
]


@pytest.mark.parametrize(("symbol", "pc", "day", "extra", "up", "down"), BANDS)
def test_price_limits_when_board_and_date_given_returns_dated_band(
    symbol: str, pc: str, day: date, extra: dict[str, Any], up: str | None, down: str | None
) -> None:
    limits = price_limits(inst(symbol, pc, **extra), day, CAL)
    assert (limits.up, limits.down) == (
        None if up is None else D(up),
        None if down is None else D(down),
    )


@pytest.mark.parametrize(
    ("pc", "up", "down"),
    [
        ("10.15", "11.17", "9.14"),  # 11.165: banker's rounding would give 11.16
        ("10.25", "11.28", "9.23"),  # 11.275 / 9.225: banker's gives 11.28 / 9.22
        ("3.35", "3.69", "3.02"),  # 3.685 / 3.015
    ],
)
def test_price_limits_when_exactly_half_tick_rounds_half_up_not_bankers(
    pc: str, up: str, down: str
) -> None:
    limits = price_limits(inst("600000.SH", pc), LATE_2026, CAL)
    assert (limits.up, limits.down) == (D(up), D(down))
    bankers = (D(pc) * D("1.1")).quantize(D("0.01"), rounding=ROUND_HALF_EVEN)
    bankers_down = (D(pc) * D("0.9")).quantize(D("0.01"), rounding=ROUND_HALF_EVEN)
    assert (bankers, bankers_down) != (limits.up, limits.down)


@pytest.mark.parametrize(
    ("symbol", "pc", "day", "st", "up", "down"),
    [
        # SZSE: one-tick floor since 2011-02-28
        ("000001.SZ", "0.04", LATE_2026, False, "0.05", "0.03"),
        ("000001.SZ", "0.09", LATE_2026, False, "0.10", "0.08"),
        # SSE: no floor before 2023-04-10 (5% of 0.09 rounds back to 0.09), floor after
        ("600777.SH", "0.09", date(2023, 4, 7), True, "0.09", "0.09"),
        ("600777.SH", "0.09", date(2023, 4, 10), True, "0.10", "0.08"),
    ],
)
def test_price_limits_when_band_under_one_tick_applies_dated_one_tick_floor(
    symbol: str, pc: str, day: date, st: bool, up: str, down: str
) -> None:
    limits = price_limits(inst(symbol, pc, is_st=st), day, CAL)
    assert (limits.up, limits.down) == (D(up), D(down))


@pytest.mark.parametrize(
    ("rounding", "up", "down"),
    [("INWARD", "12.98", "7.00"), ("HALF_UP", "12.99", "6.99")],
)
def test_price_limits_when_bse_uses_configured_rounding(rounding: str, up: str, down: str) -> None:
    cfg = RulesConfig(bse_limit_rounding=rounding)  # type: ignore[arg-type]
    limits = price_limits(inst("920163.BJ", "9.99"), LATE_2026, CAL, config=cfg)
    assert (limits.up, limits.down) == (D(up), D(down))


def test_price_limits_when_exchange_published_limits_given_override_computation() -> None:
    i = inst("600000.SH", "10.00", limit_up=D("10.98"), limit_down=D("8.99"))
    limits = price_limits(i, LATE_2026, CAL)
    assert (limits.up, limits.down) == (D("10.98"), D("8.99"))


def test_price_limits_when_only_limit_up_published_computes_the_other_side() -> None:
    limits = price_limits(inst("600000.SH", "10.00", limit_up=D("10.98")), LATE_2026, CAL)
    assert (limits.up, limits.down) == (D("10.98"), D("9.00"))


# IPO windows: (symbol, list_date, day, expect_unlimited)
IPO: list[tuple[str, date, date, bool]] = [
    ("688001.SH", date(2026, 11, 19), date(2026, 11, 25), False),  # day 5 -> no limit
    ("688001.SH", date(2026, 11, 18), date(2026, 11, 25), True),  # day 6 -> band
    ("301001.SZ", date(2026, 11, 19), date(2026, 11, 25), False),
    ("301001.SZ", date(2026, 11, 18), date(2026, 11, 25), True),
    ("603001.SH", date(2026, 11, 19), date(2026, 11, 25), False),  # main since 2023-04-10
    ("001001.SZ", date(2026, 11, 18), date(2026, 11, 25), True),
    ("920001.BJ", date(2026, 11, 25), date(2026, 11, 25), False),  # BSE day 1 only
    ("920001.BJ", date(2026, 11, 24), date(2026, 11, 25), True),
    # Holidays are not counted: 2026-09-28 listing, 10-01..10-07 closed -> 10-09 is day 5
    ("688002.SH", date(2026, 9, 28), date(2026, 10, 9), False),
    ("688002.SH", date(2026, 9, 28), date(2026, 10, 12), True),
]


@pytest.mark.parametrize(("symbol", "listed", "day", "banded"), IPO)
def test_price_limits_when_ipo_window_has_no_band_then_board_band(
    symbol: str, listed: date, day: date, banded: bool
) -> None:
    limits = price_limits(inst(symbol, "20.00", list_date=listed), day, CAL)
    assert (limits.up is not None, limits.down is not None) == (banded, banded)


def test_price_limits_when_main_board_ipo_day1_before_2023_uses_issue_price_range() -> None:
    i = inst("603001.SH", "10.00", list_date=date(2022, 6, 1), issue_price=D("10.00"))
    limits = price_limits(i, date(2022, 6, 1), CAL)
    assert (limits.up, limits.down) == (D("14.40"), D("6.40"))
    day2 = price_limits(i, date(2022, 6, 2), CAL)
    assert (day2.up, day2.down) == (D("11.00"), D("9.00"))


@pytest.mark.parametrize(
    ("issue", "up", "down"), [(None, "157.300", "56.700"), ("100", "157.300", "56.700")]
)
def test_price_limits_when_convertible_listing_day_uses_issue_price_bands(
    issue: str | None, up: str, down: str
) -> None:
    i = inst(
        "113052.SH",
        "100.000",
        list_date=LATE_2026,
        issue_price=None if issue is None else D(issue),
    )
    limits = price_limits(i, LATE_2026, CAL)
    assert (limits.up, limits.down) == (D(up), D(down))


@pytest.mark.parametrize(
    ("symbol", "st", "day", "up", "down"),
    [
        ("600777.SH", True, date(2026, 11, 24), None, None),  # delisting day 1: no limit
        ("600777.SH", True, date(2026, 11, 25), "11.00", "9.00"),  # day 2: 10% even if *ST
        ("600777.SH", True, date(2026, 5, 12), "11.00", "9.00"),  # before the 2026 ST change
        ("300001.SZ", True, date(2026, 11, 25), "12.00", "8.00"),
        ("920002.BJ", False, date(2026, 11, 25), "13.00", "7.00"),
    ],
)
def test_price_limits_when_in_delisting_period_day1_unlimited_then_board_band(
    symbol: str, st: bool, day: date, up: str | None, down: str | None
) -> None:
    start = date(2026, 11, 24) if day.month == 11 else date(2026, 5, 11)
    i = inst(symbol, "10.00", is_st=st, delisting_start=start)
    limits = price_limits(i, day, CAL)
    assert (limits.up, limits.down) == (
        None if up is None else D(up),
        None if down is None else D(down),
    )


def test_listing_day_index_when_master_gives_index_it_wins_over_list_date() -> None:
    i = inst("688001.SH", list_date=date(2020, 1, 2), listing_day_index=3)
    assert listing_day_index(i, LATE_2026, CAL) == 3


def test_listing_day_index_when_no_calendar_counts_weekdays() -> None:
    i = inst("688001.SH", list_date=date(2026, 9, 30))
    assert listing_day_index(i, date(2026, 10, 8), None) == 7
    assert listing_day_index(i, date(2026, 10, 8), WEEKDAYS_ONLY) == 7
    assert listing_day_index(i, date(2026, 10, 8), CAL) == 2


def test_price_limits_when_asked_again_matches_a_fresh_computation() -> None:
    # Limits are memoised per (instrument, day, calendar, config): a repeat must equal the
    # first answer, and any other argument must be computed afresh, never served stale.
    a = inst("600000.SH", "10.00")
    first = price_limits(a, LATE_2026, CAL)
    assert price_limits(a, LATE_2026, CAL) == first
    assert (first.up, first.down) == (D("11.00"), D("9.00"))
    other = price_limits(inst("600000.SH", "20.00"), LATE_2026, CAL)
    assert (other.up, other.down) == (D("22.00"), D("18.00"))
    st = inst("600000.SH", "10.00", is_st=True)
    before, after = price_limits(st, date(2026, 7, 3), CAL), price_limits(st, date(2026, 7, 6), CAL)
    assert (before.up, before.down) == (D("10.50"), D("9.50"))
    assert (after.up, after.down) == (D("11.00"), D("9.00"))
    assert price_limits(a, LATE_2026, CAL, config=RulesConfig()) == first
