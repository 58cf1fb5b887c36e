"""Exact numbers: half-up rounding to the tick, never banker's rounding, no float drift."""

from decimal import Decimal

import pytest

from ashare_exec.model.numbers import CENT, MILLI, is_on_tick, money, round_half_up, to_decimal


@pytest.mark.parametrize(
    ("value", "tick", "expected"),
    [
        ("10.005", CENT, "10.01"),  # banker's rounding would give 10.00
        ("10.015", CENT, "10.02"),
        ("10.0049", CENT, "10.00"),
        ("1.0005", MILLI, "1.001"),
        ("-1.005", CENT, "-1.01"),
    ],
)
def test_round_half_up_when_half_rounds_away_from_zero(
    value: str, tick: Decimal, expected: str
) -> None:
    assert round_half_up(Decimal(value), tick) == Decimal(expected)


def test_to_decimal_when_float_uses_shortest_repr() -> None:
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal("10.01") == Decimal("10.01")
    assert to_decimal(7) == Decimal(7)


@pytest.mark.parametrize("bad", ["abc", "nan", "inf", True, None, [1]])
def test_to_decimal_when_not_a_finite_number_raises(bad: object) -> None:
    with pytest.raises(ValueError, match="number"):
        to_decimal(bad)


def test_is_on_tick_and_money() -> None:
    assert is_on_tick(Decimal("10.01"), CENT)
    assert not is_on_tick(Decimal("10.015"), CENT)
    assert money(Decimal("5.005")) == Decimal("5.01")
