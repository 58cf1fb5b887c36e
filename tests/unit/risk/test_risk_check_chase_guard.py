"""check_chase_guard: cancel-and-resubmit loops on one symbol+side near the limit."""

from __future__ import annotations

import pytest
from risk_helpers import T0, ctx, order

from ashare_exec.model import Side
from ashare_exec.risk.checks import check_chase_guard

NOW = T0.timestamp()
THREE = [NOW - 9, NOW - 5, NOW - 1]


@pytest.mark.parametrize(
    ("side", "price", "times", "limits", "ok"),
    [
        (Side.BUY, "10.80", THREE, {}, False),  # 10.80 >= 11.00 × 0.98
        (Side.BUY, "10.77", THREE, {}, True),  # not near limit-up
        (Side.BUY, "10.80", THREE[1:], {}, True),  # only two resubmits
        (Side.BUY, "10.80", [NOW - 10, *THREE[1:]], {}, True),  # oldest left the window
        (Side.SELL, "9.18", THREE, {}, False),  # 9.18 <= 9.00 × 1.02
        (Side.SELL, "9.19", THREE, {}, True),
        (Side.BUY, "10.00", THREE, {"chase_near_limit_pct": False}, False),  # anywhere
        (Side.BUY, "10.80", THREE, {"chase_max_resubmits": False}, True),  # off
    ],
)
def test_chase_guard_when_resubmits_near_limit_denies(
    side: Side, price: str, times: list[float], limits: dict[str, object], ok: bool
) -> None:
    r = check_chase_guard(ctx(order(side=side, price=price), chase_times=times, limits=limits))

    assert r.ok is ok
    assert r.reason_code == (None if ok else "CHASE_GUARD")
