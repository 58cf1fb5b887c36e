"""The emulator keeps the pybind11 boundary strict, under the real ``xtquant.xttrader``."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import threading
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from typing import Any

import pytest

from ashare_exec.clock import CST
from ashare_exec.model import ClientOrderId, OrderCanceled, OrderStatus
from ashare_exec.testing.miniqmt import MiniQmt, XtQuantAsyncClient, install
from ashare_exec.testing.miniqmt import structs as s
from ashare_exec.testing.miniqmt.driver import QmtSimDriver

from .conftest import needs_xtquant

pytestmark = needs_xtquant


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("m_strStrategyName", None),
        ("m_nOrderVolume", 100.0),
        ("m_nOrderVolume", "100"),
        ("m_nPriceType", True),
        ("m_strOrderRemark", 12),
    ],
)
def test_struct_when_wrong_type_assigned_type_error(field: str, value: object) -> None:
    req = s.OrderStockReq()
    with pytest.raises(TypeError):
        setattr(req, field, value)


def test_struct_when_unknown_attribute_assigned_attribute_error() -> None:
    req = s.OrderStockReq()
    with pytest.raises(AttributeError):
        req.m_strRemark = "x"


def test_struct_when_cpp_name_set_alias_reads_same_slot() -> None:
    req = s.CancelOrderStockReq()
    req.m_nOrderID = 7
    req.order_sysid = "S1"
    assert (req.order_id, req.m_strOrderSysID) == (7, "S1")


def test_struct_when_float_field_given_int_accepts() -> None:
    req = s.OrderStockReq()
    req.m_dPrice = 10
    assert req.price == 10.0
    assert isinstance(req.price, float)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((b"p", "xtquant", "1"), TypeError),
        (("p", "xtquant", 1), TypeError),
        ((b"p", "x", 2**31), TypeError),
    ],
)
def test_client_when_constructor_args_wrong_type_error(args: tuple[Any, ...], error: type) -> None:
    install(MiniQmt())
    with pytest.raises(error):
        XtQuantAsyncClient(*args)


_KEEP: list[Any] = []


class _Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *a: self.events.append((name, a))


def test_xttrader_when_driven_raw_order_flow_matches_native_shape() -> None:
    terminal = MiniQmt()
    terminal.add_account("A1", 100_000)
    terminal.set_price("600000.SH", "9.90")
    xttrader = install(terminal)
    assert "xtquant.xtpythonclient" in sys.modules
    xttype = sys.modules["xtquant.xttype"]
    rec = _Recorder()
    built: list[Any] = []
    # Built off the main thread, as the adapter does (the constructor sets an event loop).
    maker = threading.Thread(
        target=lambda: built.append(xttrader.XtQuantTrader("C:/MiniQMT/userdata_mini", 4242, rec))
    )
    maker.start()
    maker.join()
    trader = built[0]
    trader.start()
    try:
        assert trader.connect() == 0
        acc = xttype.StockAccount("A1")
        with pytest.raises(TypeError):
            trader.order_stock_async(acc, "600000.SH", 23, 100, 11, 10.0, None, "r")
        with pytest.raises(TypeError):
            trader.cancel_order_stock_async(acc, "1001")
        seq = trader.order_stock_async(acc, "600000.SH", 23, 100, 11, 10.0, "s", "rem.XY")
        time.sleep(0.2)
        names = [n for n, _ in rec.events]
        assert names[:1] == ["on_order_stock_async_response"]
        response = rec.events[0][1][0]
        assert (response.seq, response.order_remark) == (seq, "rem.XY")
        assert response.order_id > 0
    finally:
        trader.stop()
        trader.loop.close()
        trader.oldloop = None  # keep xttrader's __del__ harmless on the main thread
        _KEEP.append(trader)


def test_terminal_when_session_id_connected_twice_second_refused() -> None:
    terminal = MiniQmt()
    install(terminal)
    first = XtQuantAsyncClient(b"p", "xtquant", 77)
    second = XtQuantAsyncClient(b"p", "xtquant", 77)
    assert first.connect() == 0
    assert second.connect() != 0
    first.stop()
    assert second.connect() == 0
    second.stop()


@contextlib.asynccontextmanager
async def _sim_terminal(reports: list[Any]) -> AsyncIterator[tuple[QmtSimDriver, Any]]:
    """A connected QMT adapter on the simulator-backed emulated terminal; closed after."""
    driver = QmtSimDriver()
    adapter = await driver.start()
    adapter.set_report_sink(reports.append)
    await adapter.connect()
    try:
        yield driver, adapter
    finally:
        await adapter.close()


async def test_sim_terminal_when_cancels_held_the_simulator_cancels_on_release() -> None:
    # With the simulator as counter, a held cancel leaves the order working at the exchange
    # (pending cancel at the terminal); the release cancels it there.
    reports: list[Any] = []
    async with _sim_terminal(reports) as (driver, adapter):
        terminal = driver.terminal
        assert terminal.sim is not None
        spec = driver.passive_buy(ClientOrderId("h1"))
        await adapter.submit(spec)
        await driver.settle()
        terminal.behaviour.hold_cancels = True
        await adapter.cancel(spec.account_id, spec.client_order_id, None)
        await driver.settle()
        (emu,) = terminal.orders[str(spec.account_id)]
        sim_order = terminal.sim.exchange.orders[(spec.account_id, ClientOrderId(emu.key))]
        assert emu.status == 51  # pending cancel at the terminal...
        assert sim_order.status is OrderStatus.NEW  # ...and still working at the exchange
        assert not any(isinstance(r, OrderCanceled) for r in reports)

        terminal.release_cancels()
        await driver.settle()

        assert sim_order.status is OrderStatus.CANCELED
        assert emu.status == 54
        assert not emu.cancel_requested
        assert any(isinstance(r, OrderCanceled) for r in reports)


@pytest.mark.parametrize("leaves_open", [False, True])
async def test_sim_terminal_at_the_close_ends_a_working_order_as_set_then_next_day_forgets_it(
    leaves_open: bool,
) -> None:
    # MiniQMT has no "expired": the close pushes a working order cancelled (54), or, with
    # close_leaves_orders_open, leaves it reported (50) in the day's list. The next day the
    # terminal lists only the new day's orders.
    reports: list[Any] = []
    async with _sim_terminal(reports) as (driver, adapter):
        terminal = driver.terminal
        terminal.behaviour.close_leaves_orders_open = leaves_open
        today = driver.clock.now().date()
        driver.clock.set(datetime.combine(today, dt_time(14, 59), CST))
        terminal.tick()
        near = driver.passive_buy(ClientOrderId("c1"))
        assert near.price is not None
        spec = dataclasses.replace(near, price=near.price - Decimal("0.25"))  # rests to the close
        await adapter.submit(spec)
        await driver.settle()
        driver.clock.set(datetime.combine(today, dt_time(15, 30), CST))
        terminal.tick()
        await driver.settle()
        (emu,) = terminal.orders[str(spec.account_id)]
        assert terminal.sim is not None
        sim_order = terminal.sim.exchange.orders[(spec.account_id, ClientOrderId(emu.key))]
        assert sim_order.status is OrderStatus.EXPIRED
        assert emu.status == (50 if leaves_open else 54)
        [listed] = await adapter.query_orders(spec.account_id)
        assert listed.status is (OrderStatus.NEW if leaves_open else OrderStatus.CANCELED)
        assert any(isinstance(r, OrderCanceled) for r in reports) is not leaves_open

        driver.clock.set(datetime.combine(today + timedelta(days=1), dt_time(9, 20), CST))
        assert await adapter.query_orders(spec.account_id) == []
        assert [(o.status, e.remark) for o, e in terminal.past_orders] == [
            (OrderStatus.EXPIRED, emu.remark)
        ]


class _Client:
    """A connected session as the terminal sees it (no delivery)."""

    session, subscribed = 1, {"A1"}

    def deliver(self, name: str, *args: object) -> None: ...
    def kill(self) -> None: ...


def _buy(qmt: MiniQmt, client: _Client, seq: int) -> None:
    req = s.OrderStockReq()
    req.m_strAccountID, req.m_strStockCode, req.m_nOrderType = "A1", "600000.SH", 23
    req.m_nOrderVolume, req.m_nPriceType, req.m_dPrice = 100, 11, 10.5
    req.m_strOrderRemark = f"o{seq}"
    qmt.order(client, seq, req)


def _three_filled_buys(**behaviour: bool) -> tuple[MiniQmt, _Client]:
    qmt = MiniQmt()
    for knob, on in behaviour.items():
        setattr(qmt.behaviour, knob, on)
    qmt.add_account("A1", 1_000_000)
    qmt.set_price("600000.SH", "10.00")
    client = _Client()
    assert qmt.connect(client) == 0
    for seq in range(3):
        _buy(qmt, client, seq)
    return qmt, client


def test_restart_renumbers_each_order_everywhere_and_no_two_orders_share_an_id() -> None:
    qmt, client = _three_filled_buys()
    before = {o.remark: o.order_id for o in qmt.orders["A1"]}
    qmt.restart()
    after = {o.remark: o.order_id for o in qmt.orders["A1"]}
    assert set(after.values()).isdisjoint(before.values())
    by_order = {o.order_sysid: o.order_id for o in qmt.orders["A1"]}
    assert [t.order_id for t in qmt.trades["A1"]] == [
        by_order[t.order_sysid] for t in qmt.trades["A1"]
    ]
    pushed = [
        a for _, args in qmt.history["A1"] for a in args if isinstance(a, s.XtOrder | s.XtTrade)
    ]
    assert {a.order_id for a in pushed} <= set(after.values())
    _buy(qmt, client, 9)
    ids = [o.order_id for o in qmt.orders["A1"]]
    assert len(ids) == len(set(ids)) == 4


def test_restart_when_ids_are_reused_numbers_orders_again_and_leaves_trades_stale() -> None:
    qmt, client = _three_filled_buys(restart_reuses_ids=True)
    first, _, last = qmt.orders["A1"]
    assert (first.order_id, last.order_id) == (1001, 1003)
    qmt.restart()
    assert (first.order_id, last.order_id) == (1003, 1001)  # newest first
    stale = {t.order_sysid: t.order_id for t in qmt.trades["A1"]}
    assert stale[first.order_sysid] == 1001  # now the id of another order
    _buy(qmt, client, 9)
    assert qmt.orders["A1"][-1].order_id == 1004
