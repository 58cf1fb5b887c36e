"""check_sellable: T+1 sellable shares minus working sells."""

from __future__ import annotations

import pytest
from risk_helpers import ctx, order

from ashare_exec.model import Side
from ashare_exec.risk import FLAT, PositionView
from ashare_exec.risk.checks import check_sellable


@pytest.mark.parametrize(
    ("position", "qty", "ok"),
    [
        (PositionView(total_qty=1000, sellable_qty=1000), 1000, True),
        (PositionView(total_qty=1000, sellable_qty=1000), 1100, False),
        (PositionView(total_qty=1000, sellable_qty=400), 500, False),  # 600 bought today
        (PositionView(total_qty=1000, sellable_qty=1000, working_sell_qty=600), 400, True),
        (PositionView(total_qty=1000, sellable_qty=1000, working_sell_qty=600), 500, False),
        (FLAT, 100, False),
    ],
)
def test_sellable_when_position_varies_denies_oversell(
    position: PositionView, qty: int, ok: bool
) -> None:
    r = check_sellable(ctx(order(side=Side.SELL, qty=qty), position=position))

    assert r.ok is ok
    assert r.reason_code == (None if ok else "INSUFFICIENT_POSITION")


def test_sellable_when_buy_passes_without_position() -> None:
    assert check_sellable(ctx(order(side=Side.BUY), position=FLAT)).ok
