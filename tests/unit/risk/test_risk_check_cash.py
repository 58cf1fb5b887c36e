"""check_cash: buys need notional + estimated fees + reserve within available cash."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from risk_helpers import T0, StubView, ctx, engine, inst, order, quote

from ashare_exec.model import Board, Side
from ashare_exec.risk.checks import check_cash
from ashare_exec.rules import FeeSchedule, estimate_fees


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


@settings(max_examples=50, deadline=None)
@given(
    qty=st.integers(1, 10_000).map(lambda n: n * 100),
    cents=st.integers(1, 100_000),
    side=st.sampled_from([Side.BUY, Side.SELL]),
    board=st.sampled_from([Board.MAIN, Board.STAR, Board.BSE]),
)
def test_engine_fee_estimate_when_compared_to_rules_never_lower_and_within_cents(
    qty: int, cents: int, side: Side, board: Board
) -> None:
    e = engine()
    e.check_order(order(), inst(), quote(), StubView(), T0, record=False)  # sets the day
    i = inst(board=board)
    price = Decimal(cents) / 100

    ours = e._fees(i, side, qty, price)
    exact = estimate_fees(i, side, qty, price, T0.date(), FeeSchedule()).total

    assert exact <= ours <= exact + Decimal("0.05")
