"""Dated tables and the T+0 flag."""

from __future__ import annotations

from datetime import date

import pytest
from rules_helpers import inst

from ashare_exec.rules import in_force, sellable_same_day

TABLE = ((date(2020, 1, 1), "a"), (date(2023, 8, 28), "b"), (date(2026, 7, 6), "c"))


@pytest.mark.parametrize(
    ("day", "value"),
    [
        (date(2019, 12, 31), "a"),  # before the first row: the first row
        (date(2020, 1, 1), "a"),
        (date(2023, 8, 27), "a"),
        (date(2023, 8, 28), "b"),  # a rule is in force from its effective date
        (date(2026, 7, 5), "b"),
        (date(2026, 7, 6), "c"),
        (date(2030, 1, 1), "c"),
    ],
)
def test_in_force_when_day_given_returns_row_in_force(day: date, value: str) -> None:
    assert in_force(TABLE, day) == value


def test_in_force_when_table_empty_raises() -> None:
    with pytest.raises(ValueError, match="empty"):
        in_force((), date(2026, 1, 1))


@pytest.mark.parametrize(
    ("symbol", "t0"),
    [("511010.SH", True), ("510300.SH", False), ("113052.SH", True), ("600000.SH", False)],
)
def test_sellable_same_day_when_master_flag_set_follows_flag_not_code(
    symbol: str, t0: bool
) -> None:
    assert sellable_same_day(inst(symbol, t0=t0)) is t0
    assert sellable_same_day(inst(symbol, t0=not t0)) is (not t0)
