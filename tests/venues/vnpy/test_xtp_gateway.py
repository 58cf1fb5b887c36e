"""XTP specifics through the REAL vnpy_xtp gateway: ids, replay, status 3, login, link."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from xtp_kit import XtpDriver, needs_xtp

from ashare_exec.clock import CST
from ashare_exec.errors import BrokerRejected, BrokerUnavailable
from ashare_exec.model import (
    ClientOrderId,
    InstrumentId,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderRejected,
    OrderStatus,
    PriceType,
    VenueConnected,
    VenueDisconnected,
)
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.vnpy import VnpyAdapter
from ashare_exec.venues.vnpy.parsing import surrogate

pytestmark = needs_xtp


class Rig:
    """A connected adapter on the XTP server double, and what it pushed."""

    def __init__(self, driver: XtpDriver, adapter: VnpyAdapter) -> None:
        self.driver = driver
        self.server = driver.server
        self.adapter = adapter
        self.reports: list[VenueReport] = []
        adapter.set_report_sink(self.reports.append)

    def of(self, kind: type, cid: str | None = None) -> list[Any]:
        return [
            r
            for r in self.reports
            if isinstance(r, kind) and (cid is None or getattr(r, "client_order_id", "") == cid)
        ]

    async def until(self, check: Callable[[], bool], within: float = 3.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + within
        while not check():
            assert loop.time() < end, f"condition not reached; reports: {self.reports!r}"
            await asyncio.sleep(0.005)

    async def settle(self) -> None:
        await self.driver.settle()


async def _adapter(driver: XtpDriver, **overrides: Any) -> VnpyAdapter:
    config = dataclasses.replace(driver.config, **overrides)
    return VnpyAdapter(config, driver.clock, store=driver.store,
                       prepare_gateway=driver.server.attach)  # fmt: skip


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    driver = XtpDriver(tmp_path)
    r = Rig(driver, await _adapter(driver))
    await r.adapter.connect()
    yield r
    await r.adapter.close()
    driver.server.stop()
    assert driver.server.errors == [], "a vnpy_xtp callback raised"


def _gateway(rig: Rig) -> Any:
    assert rig.adapter.host is not None
    return rig.adapter.host.gateway


async def test_submit_when_xtp_then_surrogate_rides_in_order_client_id_and_is_persisted(
    rig: Rig,
) -> None:
    """The 32-bit surrogate reaches insertOrder and the mapping is stored with the vt id."""
    spec = rig.driver.passive_buy(ClientOrderId("S1"))
    await rig.adapter.submit(spec)
    sent = rig.server.inserts[-1]
    assert sent["order_client_id"] == surrogate(1, 1)
    assert sent["order_client_id"] < 2**32
    (ids,) = rig.driver.store.load(rig.driver.account_id)
    assert ids.surrogate == sent["order_client_id"]
    assert ids.vt_orderid == f"XTP.{max(rig.server.orders)}"
    await rig.until(lambda: bool(rig.of(OrderAccepted, "S1")))


async def test_restart_when_store_kept_then_replayed_pushes_map_back_to_our_orders(
    tmp_path: Path,
) -> None:
    """A new gateway (RESTART replay + reconcile) finds our orders by surrogate, fills once."""
    driver = XtpDriver(tmp_path)
    first = Rig(driver, await _adapter(driver))
    await first.adapter.connect()
    await first.adapter.submit(driver.sweeping_buy(ClientOrderId("R1")))
    await first.until(lambda: bool(first.of(OrderFilled, "R1")))
    before = {f.trade_id for f in first.of(OrderFilled, "R1")}
    await first.adapter.close()

    second = Rig(driver, await _adapter(driver))
    await second.adapter.connect()
    await second.settle()
    rep = await second.adapter.query_order(driver.account_id, ClientOrderId("R1"))
    assert rep is not None
    assert rep.status is OrderStatus.PARTIALLY_FILLED
    assert {f.trade_id for f in second.of(OrderFilled, "R1")} == before
    assert len(second.of(OrderFilled, "R1")) == len(before), "replay + query: each fill once"
    orders = await second.adapter.query_orders(driver.account_id)
    assert [o.client_order_id for o in orders] == ["R1"]
    await second.adapter.cancel(driver.account_id, ClientOrderId("R1"), None)
    await second.until(lambda: bool(second.of(OrderCanceled, "R1")))
    await second.adapter.close()
    driver.server.stop()
    assert driver.server.errors == []


async def test_restart_when_crash_before_vt_orderid_saved_then_surrogate_maps_back(
    tmp_path: Path,
) -> None:
    """Only the pre-send row (surrogate, no vt_orderid) survived: order_client_id maps back."""
    driver = XtpDriver(tmp_path)
    first = Rig(driver, await _adapter(driver))
    await first.adapter.connect()
    await first.adapter.submit(driver.passive_buy(ClientOrderId("C1")))
    await first.until(lambda: bool(first.of(OrderAccepted, "C1")))
    await first.adapter.close()
    (ids,) = driver.store.load(driver.account_id)
    driver.store.save(type(ids)(account_id=ids.account_id, client_order_id=ids.client_order_id,
                                surrogate=ids.surrogate))  # fmt: skip

    second = Rig(driver, await _adapter(driver))
    await second.adapter.connect()
    rep = await second.adapter.query_order(driver.account_id, ClientOrderId("C1"))
    assert rep is not None
    assert (rep.status, rep.broker_order_id) == (OrderStatus.NEW, ids.vt_orderid)
    await second.adapter.submit(driver.passive_buy(ClientOrderId("C2")))
    assert driver.server.inserts[-1]["order_client_id"] == ids.surrogate + 1, "no reuse"
    await second.adapter.close()
    driver.server.stop()


async def test_restart_when_mapping_lost_then_orders_are_external(tmp_path: Path) -> None:
    """Without the persisted mapping the replayed order carries no client id (why we store)."""
    driver = XtpDriver(tmp_path)
    first = Rig(driver, await _adapter(driver))
    await first.adapter.connect()
    await first.adapter.submit(driver.passive_buy(ClientOrderId("L1")))
    await first.until(lambda: bool(first.of(OrderAccepted, "L1")))
    await first.adapter.close()
    driver.store = type(driver.store)()

    second = Rig(driver, await _adapter(driver))
    await second.adapter.connect()
    orders = await second.adapter.query_orders(driver.account_id)
    assert [(o.client_order_id, o.status) for o in orders] == [(None, OrderStatus.NEW)]
    await second.adapter.close()
    driver.server.stop()


async def test_cancel_when_partly_filled_then_status_3_is_canceled_with_fills(rig: Rig) -> None:
    """Hand-made XTP pushes: trade 100/300, then order_status 3 -> CANCELED, filled 100."""
    spec = dataclasses.replace(rig.driver.passive_buy(ClientOrderId("P3")), qty=300)
    await rig.adapter.submit(spec)
    await rig.until(lambda: bool(rig.of(OrderAccepted, "P3")))
    xtp_id = max(rig.server.orders)
    order = dict(rig.server.orders[xtp_id])
    rig.server.hold_cancels = True
    await rig.adapter.cancel(rig.driver.account_id, ClientOrderId("P3"), None)
    rep = await rig.adapter.query_order(rig.driver.account_id, ClientOrderId("P3"))
    assert rep is not None
    assert rep.status is OrderStatus.PENDING_CANCEL, "vn.py has no pending cancel: ours"
    trade = {
        "order_xtp_id": xtp_id, "order_client_id": order["order_client_id"],
        "ticker": order["ticker"], "market": order["market"], "local_order_id": "",
        "exec_id": "9000001", "price": order["price"], "quantity": 100,
        "trade_time": 20261125100001000, "trade_amount": order["price"] * 100,
        "report_index": 1, "order_exch_id": "", "trade_type": "0", "u32": 0, "side": 1,
        "position_effect": 0, "reserved1": 0, "reserved2": 0, "business_type": 0,
        "branch_pbu": "",
    }  # fmt: skip
    rig.server.push("trade", trade)
    rig.server.push("trade", trade)  # a duplicate push
    rig.server.push("order", {**order, "order_status": 3, "qty_traded": 100, "qty_left": 200})
    await rig.until(lambda: bool(rig.of(OrderCanceled, "P3")))
    await rig.settle()
    fills = rig.of(OrderFilled, "P3")
    assert [(f.last_qty, f.last_px) for f in fills] == [(100, Decimal(str(order["price"])))]
    rep = await rig.adapter.query_order(rig.driver.account_id, ClientOrderId("P3"))
    assert rep is not None
    assert (rep.status, rep.filled_qty) == (OrderStatus.CANCELED, 100)
    vn_order = _gateway(rig).td_api.orders[str(xtp_id)]
    assert vn_order.status.name == "CANCELLED", "the real vnpy_xtp mapping of status 3"


async def test_login_when_server_refuses_then_connect_raises_with_xtp_text(
    tmp_path: Path,
) -> None:
    """A refused login surfaces XTP's own error text and pushes no VenueConnected."""
    driver = XtpDriver(tmp_path)
    driver.server.refuse_login = "[XTP:1]connect server failed.[OS:111]Connection refused"
    r = Rig(driver, await _adapter(driver))
    with pytest.raises(BrokerUnavailable, match="Connection refused"):
        await r.adapter.connect()
    assert not r.adapter.is_connected
    assert r.of(VenueConnected) == []
    with pytest.raises(BrokerUnavailable):
        await r.adapter.submit(driver.passive_buy(ClientOrderId("F1")))
    await r.adapter.close()
    driver.server.stop()


async def test_disconnect_when_logins_fail_then_backoff_until_server_is_back(rig: Rig) -> None:
    """Drop -> VenueDisconnected; refused relogins back off (doubling); then VenueConnected."""
    rig.server.refuse_login = "[XTP:1]connect server failed."
    rig.server.drop_connections()
    await rig.until(lambda: bool(rig.of(VenueDisconnected)))
    assert not rig.adapter.is_connected
    with pytest.raises(BrokerUnavailable):
        await rig.adapter.submit(rig.driver.passive_buy(ClientOrderId("D1")))
    start = len(rig.server.logins)
    await rig.until(lambda: len(rig.server.logins) >= start + 3)
    gaps = [b - a for a, b in itertools.pairwise(rig.server.logins[start:])]
    assert gaps[-1] >= gaps[0] * 1.5, f"backoff must grow: {gaps}"
    rig.server.refuse_login = ""
    await rig.until(lambda: len(rig.of(VenueConnected)) == 2)
    assert rig.adapter.is_connected
    await rig.adapter.submit(rig.driver.marketable_buy(ClientOrderId("D2")))
    await rig.until(lambda: bool(rig.of(OrderFilled, "D2")))


async def test_disconnect_when_new_session_drops_during_its_reconcile_then_logs_in_again(
    rig: Rig,
) -> None:
    """A drop while the reconnect still reconciles is not lost: before, the link declared
    itself up on a dead session and stayed so (every order refused, no reconnect)."""
    server = rig.server
    query = server._query_orders
    cut = []

    def cut_once(td: Any, session: int, rid: int, xtp_id: int | None) -> int:
        if not cut:  # the first reconcile after the reconnect: the new session drops
            cut.append(session)
            server.drop_connections()
        return query(td, session, rid, xtp_id)

    server._query_orders = cut_once  # type: ignore[method-assign]
    server.drop_connections()
    await rig.until(lambda: bool(cut) and len(rig.of(VenueConnected)) == 2, within=5.0)
    await rig.settle()
    assert rig.adapter.is_connected
    assert server.sessions, "connected to a live session"
    assert cut[0] not in server.sessions
    await rig.adapter.submit(rig.driver.marketable_buy(ClientOrderId("D3")))
    await rig.until(lambda: bool(rig.of(OrderFilled, "D3")))


async def test_reconnect_when_login_outlives_its_timeout_then_waits_for_it_one_session(
    tmp_path: Path,
) -> None:
    """A slow server: each relogin takes longer than ``connect_timeout_s``. The next attempt
    waits for the one still running instead of opening another session beside it (before,
    every attempt timed out, never connected, and each left a session at the server)."""
    driver = XtpDriver(tmp_path)
    adapter = await _adapter(driver, connect_timeout_s=0.25)
    rig = Rig(driver, adapter)
    await adapter.connect()
    server = driver.server
    login = server._login
    slow: list[float] = []

    def slow_login(td: Any) -> int:
        slow.append(time.monotonic())
        time.sleep(0.4)
        return login(td)

    try:
        server._login = slow_login  # type: ignore[method-assign]
        server.drop_connections()
        await rig.until(lambda: len(rig.of(VenueConnected)) == 2, within=5.0)
        await asyncio.sleep(0.6)  # a second login, had one started, would have finished
        assert adapter.is_connected
        assert len(slow) == 1, "one login for the reconnect"
        assert len(server.sessions) == 1
    finally:
        await adapter.close()
        server.stop()


async def test_submit_when_insert_order_fails_then_rejected_not_phantom(rig: Rig) -> None:
    """insertOrder -> 0 ("XTP.0"): an OrderRejected with XTP's text; no order "XTP.0" appears."""
    rig.server.fail_next_insert = "资金账户被冻结"
    await rig.adapter.submit(rig.driver.passive_buy(ClientOrderId("X0")))
    assert rig.of(OrderRejected, "X0") == [], "never inside submit()"
    await rig.until(lambda: bool(rig.of(OrderRejected, "X0")))
    rej = rig.of(OrderRejected, "X0")[0]
    assert "资金账户被冻结" in rej.message
    assert "XTP.0" in rej.message
    rep = await rig.adapter.query_order(rig.driver.account_id, ClientOrderId("X0"))
    assert rep is not None
    assert rep.status is OrderStatus.REJECTED
    await rig.settle()
    assert all(o.broker_order_id != "XTP.0" for o in await rig.adapter.query_orders("conf"))
    await rig.adapter.cancel(rig.driver.account_id, ClientOrderId("X0"), None)
    await rig.until(lambda: bool(rig.of(OrderCancelRejected, "X0")))
    assert 0 not in rig.server.cancels, "cancelOrder(0) must never be sent"


async def test_submit_when_never_confirmed_then_looked_up_flagged_not_resent(rig: Rig) -> None:
    """No push at all: one queryOrderByXTPIDEx, an ORDER_IN_DOUBT alert, no second insert."""
    rig.server.swallow = 1
    await rig.adapter.submit(rig.driver.passive_buy(ClientOrderId("U1")))
    await rig.until(lambda: any(a.kind == "ORDER_IN_DOUBT" for a in rig.adapter.alerts))
    ids = rig.adapter.id_mapping(ClientOrderId("U1"))
    assert ids is not None
    by_id = [q for q in rig.server.order_queries if q is not None]  # None: the connect's query
    assert by_id == [int(ids.vt_orderid.removeprefix("XTP."))]
    assert len(rig.server.inserts) == 1
    assert await rig.adapter.query_order(rig.driver.account_id, ClientOrderId("U1")) is None


@pytest.mark.parametrize(
    ("price_type", "symbol", "code"),
    [
        (PriceType.FOK, "600000.SH", "PRICE_TYPE_NOT_SUPPORTED"),
        (PriceType.OWN_BEST, "000001.SZ", "PRICE_TYPE_NOT_SUPPORTED"),
        (PriceType.LIMIT, "830799.BJ", "NOT_PERMITTED"),
    ],
)
async def test_submit_when_gateway_cannot_express_order_then_refused_before_sending(
    rig: Rig, price_type: PriceType, symbol: str, code: str
) -> None:
    """Price types vn.py's OrderType cannot reach, and exchanges XTP does not route to."""
    spec = dataclasses.replace(
        rig.driver.passive_buy(ClientOrderId("N1")),
        price_type=price_type, instrument_id=InstrumentId.parse(symbol),
    )  # fmt: skip
    with pytest.raises(BrokerRejected) as e:
        await rig.adapter.submit(spec)
    assert e.value.code == code
    assert rig.server.inserts == []


async def test_connect_when_vnpy_imported_then_home_and_cwd_are_restored(rig: Rig) -> None:
    """vn.py's import-time .vntrader went to a data dir; HOME and the cwd are ours again."""
    import vnpy.trader.utility as vt_utility

    assert Path(os.environ["HOME"]) != vt_utility.TRADER_DIR
    assert Path.cwd() != vt_utility.TRADER_DIR
    assert not (Path.home() / ".vntrader").exists() or Path.home() != vt_utility.TRADER_DIR
    data_dir = rig.driver.config.data_dir
    assert data_dir is not None
    assert (data_dir / ".vntrader").is_dir()


async def test_order_when_xtp_reports_status_7_then_queried_unknown(rig: Rig) -> None:
    """XTP 7 (unknown) is SUBMITTING in vn.py; our queried status says UNKNOWN, no report."""
    await rig.adapter.submit(rig.driver.passive_buy(ClientOrderId("S7")))
    await rig.until(lambda: bool(rig.of(OrderAccepted, "S7")))
    order = rig.server.orders[max(rig.server.orders)]
    count = len(rig.reports)
    rig.server.push("order", {**order, "order_status": 7})
    await rig.settle()
    rep = await rig.adapter.query_order(rig.driver.account_id, ClientOrderId("S7"))
    assert rep is not None
    assert rep.status is OrderStatus.UNKNOWN
    assert len(rig.reports) == count
    assert _gateway(rig).td_api.orders[str(order["order_xtp_id"])].status.name == "SUBMITTING"


async def test_server_next_day_lists_only_the_new_days_orders_and_pushes_yesterdays_cancelled(
    rig: Rig,
) -> None:
    """Like a real XTP server reset each night: the close ends a working order (cancelled:
    XTP has no "expired"), and the next day's queries list only that day's orders."""
    today = rig.driver.clock.now().date()
    rig.driver.clock.set(datetime.combine(today, dt_time(14, 59), CST))
    rig.server.advance()
    spec = rig.driver.passive_buy(ClientOrderId("Y1"))
    assert spec.price is not None
    deep = dataclasses.replace(spec, price=spec.price - Decimal("0.25"))  # rests to the close
    await rig.adapter.submit(deep)
    await rig.until(lambda: bool(rig.of(OrderAccepted, "Y1")))

    rig.driver.clock.set(datetime.combine(today + timedelta(days=1), dt_time(9, 20), CST))
    rig.server.advance()

    await rig.until(lambda: bool(rig.of(OrderCanceled, "Y1")))
    assert (rig.server.orders, rig.server.trades) == ({}, [])
    rig.adapter.start_day(today + timedelta(days=1))  # as the engine does at the new date
    assert await rig.adapter.query_orders(rig.driver.account_id) == []
    [(sim_order, row)] = rig.server.past_orders
    assert sim_order is not None
    assert sim_order.status is OrderStatus.EXPIRED
    assert row["order_status"] == 5  # XTP_ORDER_STATUS_CANCELED


async def test_start_day_drops_the_finished_orders_vnpy_xtp_keeps_for_good(rig: Rig) -> None:
    """vnpy_xtp's ``td_api.orders`` gains one order per order and never loses one: a
    gateway running for weeks kept them all. A new day drops the finished ones."""
    await rig.adapter.submit(rig.driver.marketable_buy(ClientOrderId("F1")))
    await rig.adapter.submit(rig.driver.passive_buy(ClientOrderId("W1")))
    await rig.until(lambda: bool(rig.of(OrderFilled, "F1")) and bool(rig.of(OrderAccepted, "W1")))
    kept = _gateway(rig).td_api.orders
    before = len(kept)

    rig.adapter.start_day(rig.driver.clock.now().date() + timedelta(days=1))

    assert before == 2
    assert [o.is_active() for o in kept.values()] == [True]  # the working one stays


async def test_start_day_drops_an_order_vnpy_xtp_recorded_after_its_pushes(rig: Rig) -> None:
    """vnpy_xtp's ``send_order`` records the order after ``insertOrder`` returns; when the
    server's pushes come first (on the API's thread), the fresh ``SUBMITTING`` record
    replaces the pushed one and no later push corrects it. A new day drops it too."""
    await rig.adapter.submit(rig.driver.marketable_buy(ClientOrderId("R1")))
    await rig.until(lambda: bool(rig.of(OrderFilled, "R1")))
    kept = _gateway(rig).td_api.orders
    [(orderid, pushed)] = kept.items()
    assert pushed.status.name == "ALLTRADED"
    # The race, as vnpy_xtp's own send_order would lose it:
    stale = dataclasses.replace(pushed, status=type(pushed.status).SUBMITTING, datetime=None)
    kept[orderid] = stale
    assert stale.is_active()

    rig.adapter.start_day(rig.driver.clock.now().date() + timedelta(days=1))

    assert kept == {}
