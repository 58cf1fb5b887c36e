"""QMT-specific scenarios of ``qmt-xtp.md`` §5, against the real xttrader on the emulator."""

from __future__ import annotations

from decimal import Decimal

from ashare_exec.model import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderRejected,
    VenueConnected,
)

from .conftest import A1, Harness, eventually, needs_xtquant, spec

pytestmark = needs_xtquant


async def test_submit_when_limit_buy_crosses_accepted_then_filled_once(harness: Harness) -> None:
    harness.terminal.set_price("600000.SH", "10.00")
    await harness.adapter.submit(spec("c1"))
    await eventually(lambda: bool(harness.of(OrderFilled, "c1")))
    await harness.settle()
    kinds = [type(r).__name__ for r in harness.reports if getattr(r, "client_order_id", "") == "c1"]
    assert kinds == ["OrderAccepted", "OrderFilled"]
    fill = harness.of(OrderFilled, "c1")[0]
    assert isinstance(fill, OrderFilled)
    assert (fill.last_qty, fill.last_px) == (300, Decimal("10"))
    order = harness.terminal.find_by_remark("A1", harness.adapter._books[A1].by_cid["c1"].remark)
    assert order is not None and order.remark.startswith("c1.")
    assert harness.of(VenueConnected)
