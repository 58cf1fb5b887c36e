"""check_daily_count: daily orders, and orders + cancels."""

from __future__ import annotations

import pytest
from risk_helpers import ctx

from ashare_exec.risk.checks import check_daily_count

LIMITS = {"max_daily_orders": 100, "max_daily_messages": 150}


@pytest.mark.parametrize(
    ("orders", "cancels", "ok"),
    [(99, 0, True), (100, 0, False), (99, 50, True), (99, 51, False)],
)
def test_daily_count_when_limits_reached_denies(orders: int, cancels: int, ok: bool) -> None:
    r = check_daily_count(ctx(orders_today=orders, cancels_today=cancels, limits=LIMITS))

    assert r.ok is ok
    assert r.reason_code == (None if ok else "DAILY_COUNT_LIMIT")


def test_daily_count_defaults_stay_below_the_hft_line() -> None:
    limits = ctx().limits

    assert limits.max_daily_messages < 20_000
    assert limits.max_msgs_per_second < 300
