"""check_trading_state: the kill switch (ACTIVE / REDUCE_ONLY / HALTED)."""

from __future__ import annotations

import pytest
from risk_helpers import ctx, order

from ashare_exec.model import Side, TradingState
from ashare_exec.risk import PositionView
from ashare_exec.risk.checks import check_trading_state

HELD = PositionView(total_qty=500, sellable_qty=500)


@pytest.mark.parametrize(
    ("state", "reason", "side", "qty", "expected"),
    [
        (TradingState.ACTIVE, None, Side.BUY, 100, ()),
        (TradingState.HALTED, "manual", Side.SELL, 100, ("TRADING_HALTED",)),
        (TradingState.HALTED, "manual", Side.BUY, 100, ("TRADING_HALTED",)),
        (TradingState.REDUCE_ONLY, None, Side.SELL, 500, ()),  # boundary: the whole holding
        (TradingState.REDUCE_ONLY, None, Side.SELL, 600, ("REDUCE_ONLY",)),
        (TradingState.REDUCE_ONLY, None, Side.BUY, 100, ("REDUCE_ONLY",)),
        (
            TradingState.REDUCE_ONLY,
            "DAILY_LOSS_LIMIT",
            Side.BUY,
            100,
            ("REDUCE_ONLY", "DAILY_LOSS_LIMIT"),
        ),
    ],
)
def test_trading_state_when_state_and_side_vary_returns_expected_codes(
    state: TradingState, reason: str | None, side: Side, qty: int, expected: tuple[str, ...]
) -> None:
    c = ctx(order(side=side, qty=qty), state=state, state_reason=reason, position=HELD)

    r = check_trading_state(c)

    assert r.ok is (expected == ())
    assert r.codes == expected
