"""check_order_notional: the per-order notional cap."""

from __future__ import annotations

from decimal import Decimal

import pytest
from risk_helpers import ctx, order

from ashare_exec.risk.checks import check_order_notional


@pytest.mark.parametrize(
    ("cap", "notional", "ok"),
    [
        ("10000", "9999.99", True),
        ("10000", "10000", True),
        ("10000", "10000.01", False),
        (False, "1e12", True),
        ("10000", None, True),  # unpriced: the cash check handles it
    ],
)
def test_order_notional_when_around_cap_allows_up_to_cap(
    cap: object, notional: str | None, ok: bool
) -> None:
    n = None if notional is None else Decimal(notional)
    r = check_order_notional(ctx(order(), limits={"max_order_notional": cap}, notional=n))

    assert r.ok is ok
    assert r.reason_code == (None if ok else "ORDER_NOTIONAL_LIMIT")
