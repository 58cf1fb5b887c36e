"""Hosting a generic vn.py ``BaseGateway`` (not XTP): what the vn.py contract alone offers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from xtp_kit import needs_vnpy

from ashare_exec.clock import CST, SimClock
from ashare_exec.errors import BrokerRejected
from ashare_exec.model import (
    ClientOrderId,
    InstrumentId,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderRejected,
    OrderSpec,
    OrderStatus,
    PriceType,
    Side,
)
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.vnpy import VnpyAdapter, VnpyConfig

pytestmark = needs_vnpy


def _spec(cid: str, price_type: PriceType = PriceType.LIMIT, qty: int = 300) -> OrderSpec:
    return OrderSpec(
        account_id="G1", client_order_id=ClientOrderId(cid),
        instrument_id=InstrumentId.parse("600000.SH"), side=Side.BUY, qty=qty,
        price_type=price_type, price=Decimal("10.50") if price_type is PriceType.LIMIT else None,
    )  # fmt: skip


class GenericRig:
    def __init__(self, adapter: VnpyAdapter) -> None:
        self.adapter = adapter
        self.reports: list[VenueReport] = []
        adapter.set_report_sink(self.reports.append)

    @property
    def gateway(self) -> Any:
        assert self.adapter.host is not None
        return self.adapter.host.gateway

    def of(self, kind: type, cid: str) -> list[Any]:
        return [r for r in self.reports if isinstance(r, kind) and r.client_order_id == cid]

    async def until(self, check: Callable[[], bool]) -> None:
        for _ in range(400):
            if check():
                return
            await asyncio.sleep(0.005)
        raise AssertionError(f"condition not reached; reports: {self.reports!r}")


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[GenericRig]:
    config = VnpyConfig(
        gateway="fake_gateway:FakeStockGateway", settings={"账号": "u1", "密码": "p"},
        account="G1", gateway_name="FAKE", data_dir=tmp_path, query_timeout_s=0.3,
        query_settle_s=0.1, event_interval_s=0.2,
    )  # fmt: skip
    r = GenericRig(VnpyAdapter(config, SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))))
    await r.adapter.connect()
    yield r
    await r.adapter.close()


async def test_generic_when_acked_and_filled_then_accepted_fills_filled(rig: GenericRig) -> None:
    """SUBMITTING -> NOTTRADED -> trades: accepted once, one fill per trade, FILLED."""
    await rig.adapter.submit(_spec("G-1"))
    await rig.until(lambda: bool(rig.of(OrderAccepted, "G-1")))
    rig.gateway.fill("1", 100)
    rig.gateway.fill("1", 200)
    await rig.until(lambda: len(rig.of(OrderFilled, "G-1")) == 2)
    rep = await rig.adapter.query_order("G1", ClientOrderId("G-1"))
    assert rep is not None
    assert (rep.status, rep.filled_qty, rep.broker_order_id) == (OrderStatus.FILLED, 300, "FAKE.1")
    assert rig.adapter.name == "vnpy:FAKE"


async def test_generic_when_counter_refuses_then_rejected_with_logged_text(
    rig: GenericRig,
) -> None:
    """vn.py carries no error code: the reason is read from the gateway's last log line."""
    rig.gateway.reject_next = "委托失败：可用资金不足"
    await rig.adapter.submit(_spec("G-2"))
    await rig.until(lambda: bool(rig.of(OrderRejected, "G-2")))
    rej = rig.of(OrderRejected, "G-2")[0]
    assert (rej.reason_code, rej.message) == ("INSUFFICIENT_CASH", "委托失败：可用资金不足")


async def test_generic_when_cancel_answered_then_canceled_else_refused_after_timeout(
    rig: GenericRig,
) -> None:
    """A generic gateway pushes no cancel error: silence becomes a cancel reject."""
    await rig.adapter.submit(_spec("G-3"))
    await rig.adapter.submit(_spec("G-4"))
    await rig.until(lambda: bool(rig.of(OrderAccepted, "G-4")))
    await rig.adapter.cancel("G1", ClientOrderId("G-3"), None)
    await rig.until(lambda: bool(rig.of(OrderCanceled, "G-3")))
    rig.gateway.silent_cancels = True
    await rig.adapter.cancel("G1", ClientOrderId("G-4"), None)
    rep = await rig.adapter.query_order("G1", ClientOrderId("G-4"))
    assert rep is not None
    assert rep.status is OrderStatus.PENDING_CANCEL
    await rig.until(lambda: bool(rig.of(OrderCancelRejected, "G-4")))
    rep = await rig.adapter.query_order("G1", ClientOrderId("G-4"))
    assert rep is not None
    assert rep.status is OrderStatus.NEW


async def test_generic_when_market_order_then_refused_before_sending(rig: GenericRig) -> None:
    """Generic gateways map market orders differently per counter: limit orders only."""
    with pytest.raises(BrokerRejected) as e:
        await rig.adapter.submit(_spec("G-5", PriceType.BEST5_IOC))
    assert e.value.code == "PRICE_TYPE_NOT_SUPPORTED"
    assert rig.gateway.count == 0


async def test_generic_when_queried_then_cash_and_positions_from_events(rig: GenericRig) -> None:
    """Cash comes from the next account event; positions after a quiet period."""
    cash = await rig.adapter.query_cash("G1")
    assert (cash.available, cash.frozen, cash.total_asset) == (
        Decimal("997499.5"), Decimal("2500.5"), Decimal("1000000"),
    )  # fmt: skip
    (pos,) = await rig.adapter.query_positions("G1")
    assert (str(pos.instrument_id), pos.total_qty, pos.sellable_qty) == ("600000.SH", 1000, 700)


async def test_host_when_started_engine_threads_never_keep_the_process_alive(
    rig: GenericRig,
) -> None:
    # vn.py starts plain threads; a service that dies before close() must still exit.
    host = rig.adapter.host
    assert host is not None
    threads = [host.engine._thread, host.engine._timer]
    assert all(t.is_alive() for t in threads)
    assert all(t.daemon for t in threads)
