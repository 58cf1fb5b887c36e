"""check_position_limit: per-symbol cap in shares, value and % of equity."""

from __future__ import annotations

from decimal import Decimal

import pytest
from risk_helpers import StubView, ctx, order

from ashare_exec.model import Side
from ashare_exec.risk import PositionView
from ashare_exec.risk.checks import check_position_limit

POS = PositionView(total_qty=700, sellable_qty=700, working_buy_qty=200)


@pytest.mark.parametrize(
    ("limits", "qty", "ok"),
    [
        ({"max_position_qty": 1000}, 100, True),  # 700 + 200 + 100 = cap
        ({"max_position_qty": 1000}, 200, False),
        ({"max_position_value": "10000"}, 100, True),  # 1000 × 10.00
        ({"max_position_value": "10000"}, 200, False),
        ({"max_position_pct": "0.01"}, 100, True),  # 1% of 1,000,000 = 10,000
        ({"max_position_pct": "0.01"}, 200, False),
        ({}, 1_000_000, True),  # no cap configured
    ],
)
def test_position_limit_when_projected_position_crosses_cap_denies(
    limits: dict[str, object], qty: int, ok: bool
) -> None:
    c = ctx(order(qty=qty), limits=limits, position=POS, view=StubView(eq=Decimal(1_000_000)))

    r = check_position_limit(c)

    assert r.ok is ok
    assert r.reason_code == (None if ok else "POSITION_LIMIT")


def test_position_limit_when_selling_never_denies() -> None:
    c = ctx(order(side=Side.SELL, qty=700), limits={"max_position_qty": 1}, position=POS)

    assert check_position_limit(c).ok
