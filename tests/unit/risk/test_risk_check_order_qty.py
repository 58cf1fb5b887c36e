"""check_order_qty: the per-order quantity cap."""

from __future__ import annotations

import pytest
from risk_helpers import ctx, order

from ashare_exec.risk.checks import check_order_qty


@pytest.mark.parametrize(
    ("cap", "qty", "ok"),
    [(1000, 900, True), (1000, 1000, True), (1000, 1100, False), (False, 10_000_000, True)],
)
def test_order_qty_when_qty_around_cap_allows_up_to_cap(cap: object, qty: int, ok: bool) -> None:
    r = check_order_qty(ctx(order(qty=qty), limits={"max_order_qty": cap}))

    assert r.ok is ok
    assert r.reason_code == (None if ok else "ORDER_QTY_LIMIT")
