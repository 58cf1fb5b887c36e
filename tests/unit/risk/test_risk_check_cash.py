"""check_cash: buys need notional + estimated fees + reserve within available cash."""

from __future__ import annotations

from decimal import Decimal

import pytest
from risk_helpers import StubView, ctx, order

from ashare_exec.model import Side
from ashare_exec.risk.checks import check_cash


@pytest.mark.parametrize(
    ("side", "cash", "fees", "reserve", "ok"),
    [
        (Side.BUY, "1005", "5", "0", True),  # boundary: exactly enough
        (Side.BUY, "1004.99", "5", "0", False),
        (Side.BUY, "1105", "5", "100", True),
        (Side.BUY, "1104.99", "5", "100", False),
        (Side.SELL, "0", "5", "0", True),  # sells need no cash
    ],
)
def test_cash_when_available_cash_varies_denies_short_buys(
    side: Side, cash: str, fees: str, reserve: str, ok: bool
) -> None:
    c = ctx(
        order(side=side, qty=100, price="10.00"),
        view=StubView(cash=Decimal(cash)),
        fees=Decimal(fees),
        limits={"min_cash_reserve": reserve},
    )

    r = check_cash(c)

    assert r.ok is ok
    assert r.reason_code == (None if ok else "INSUFFICIENT_CASH")


def test_cash_when_buy_cannot_be_priced_denies() -> None:
    r = check_cash(ctx(order(), notional=None))

    assert r.reason_code == "INSUFFICIENT_CASH"
