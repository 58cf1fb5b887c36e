"""check_self_trade: never cross our own working order on the other side."""

from __future__ import annotations

import pytest
from risk_helpers import StubView, ctx, order, wo

from ashare_exec.model import PriceType, Side
from ashare_exec.risk import WorkingOrderView
from ashare_exec.risk.checks import check_self_trade


@pytest.mark.parametrize(
    ("side", "price", "working", "ok"),
    [
        (Side.BUY, "10.00", [wo(Side.SELL, "10.01")], True),
        (Side.BUY, "10.01", [wo(Side.SELL, "10.01")], False),  # touching crosses
        (Side.BUY, "10.02", [wo(Side.SELL, "10.01")], False),
        (Side.SELL, "10.00", [wo(Side.BUY, "9.99")], True),
        (Side.SELL, "9.99", [wo(Side.BUY, "9.99")], False),
        (Side.BUY, "10.05", [wo(Side.BUY, "10.00")], True),  # same side never crosses
        (Side.BUY, "10.05", [wo(Side.SELL, "10.00", qty=0)], True),  # nothing left
        (Side.BUY, "9.00", [wo(Side.SELL, None)], False),  # working market order
    ],
)
def test_self_trade_when_prices_cross_denies(
    side: Side, price: str, working: list[WorkingOrderView], ok: bool
) -> None:
    r = check_self_trade(ctx(order(side=side, price=price), view=StubView(orders=working)))

    assert r.ok is ok
    assert r.reason_code == (None if ok else "SELF_TRADE")


def test_self_trade_when_market_order_against_working_opposite_denies() -> None:
    cmd = order(side=Side.SELL, price=None, price_type=PriceType.BEST5_IOC)

    r = check_self_trade(ctx(cmd, view=StubView(orders=[wo(Side.BUY, "1.00")])))

    assert r.reason_code == "SELF_TRADE"
