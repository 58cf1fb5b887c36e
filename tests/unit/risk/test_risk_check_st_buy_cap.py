"""check_st_buy_cap: ST stocks, 500,000 shares bought per stock per day."""

from __future__ import annotations

import pytest
from risk_helpers import ctx, inst, order

from ashare_exec.model import Side
from ashare_exec.risk import PositionView
from ashare_exec.risk.checks import check_st_buy_cap
from ashare_exec.rules import ST_DAILY_BUY_CAP


@pytest.mark.parametrize(
    ("is_st", "side", "bought", "working", "qty", "ok"),
    [
        (True, Side.BUY, 400_000, 99_900, 100, True),  # exactly 500,000
        (True, Side.BUY, 400_000, 99_900, 200, False),
        (True, Side.BUY, 0, 0, 500_100, False),
        (False, Side.BUY, 400_000, 99_900, 200, True),
        (True, Side.SELL, 500_000, 0, 100, True),
    ],
)
def test_st_buy_cap_when_cumulative_buys_cross_cap_denies(
    is_st: bool, side: Side, bought: int, working: int, qty: int, ok: bool
) -> None:
    pos = PositionView(
        total_qty=bought, sellable_qty=bought, working_buy_qty=working, bought_today=bought
    )
    r = check_st_buy_cap(ctx(order(side=side, qty=qty), instrument=inst(is_st=is_st), position=pos))

    assert r.ok is ok
    assert r.reason_code == (None if ok else "ST_DAILY_BUY_CAP")


def test_st_buy_cap_default_matches_the_rules_constant() -> None:
    assert ctx().limits.st_daily_buy_cap == ST_DAILY_BUY_CAP
