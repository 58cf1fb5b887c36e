"""check_open_orders: cap on working orders."""

from __future__ import annotations

import pytest
from risk_helpers import StubView, ctx, wo

from ashare_exec.model import Side
from ashare_exec.risk.checks import check_open_orders


@pytest.mark.parametrize(("working", "cap", "ok"), [(2, 3, True), (3, 3, False), (9, False, True)])
def test_open_orders_when_count_reaches_cap_denies(working: int, cap: object, ok: bool) -> None:
    view = StubView(orders=[wo(Side.BUY, "9.00", cid=f"w{i}") for i in range(working)])

    r = check_open_orders(ctx(view=view, limits={"max_open_orders": cap}))

    assert r.ok is ok
    assert r.reason_code == (None if ok else "OPEN_ORDERS_LIMIT")
