"""A service that runs on into a new trading day, on each venue.

The engine lets a client order id of yesterday be used again today (its orders left the
book at the change of date). Each venue adapter must agree: until 2026-11-27 the QMT and
vn.py adapters kept yesterday's orders and refused the id ("already sent today"), and kept
saving today's id mappings under the day they were built on, where a restart today would
not find them.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from datetime import time as dt_time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.api.schemas import OrderIn
from ashare_exec.clock import CST, SimClock
from ashare_exec.config import AccountConfig, GatewayConfig, JournalConfig
from ashare_exec.engine.node import build_service
from ashare_exec.engine.service import ExecutionService
from ashare_exec.model import AccountId, ClientOrderId, OrderStatus
from ashare_exec.testing.miniqmt import xtquant_available
from ashare_exec.venues.qmt.store import KeyValueIdStore
from ashare_exec.venues.vnpy.shim import xtp_available
from ashare_exec.venues.vnpy.store import KeyValueVnpyIdStore

ACC = AccountId("55001234")
DAY1 = datetime(2026, 11, 25, 9, 31, tzinfo=CST)
DAY2 = datetime(2026, 11, 26, 9, 31, tzinfo=CST)
VENUES = [
    pytest.param("sim", {}, id="sim"),
    pytest.param(
        "qmt", {"emulator": True, "heartbeat_interval_s": 0}, id="qmt",
        marks=pytest.mark.skipif(not xtquant_available(), reason="xtquant is not installed"),
    ),
    pytest.param(
        "vnpy", {"emulator": True}, id="vnpy",
        marks=pytest.mark.skipif(not xtp_available(), reason="vnpy_xtp is not installed"),
    ),
]  # fmt: skip


async def _until(check: Any, what: str, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"not reached in {within} s: {what}")
        await asyncio.sleep(0.02)


def _order(svc: ExecutionService, coid: str) -> Any:
    return svc.core.state.book.get(ACC, ClientOrderId(coid))


@pytest.mark.parametrize(("venue", "table"), VENUES)
async def test_service_running_into_a_new_day_sends_yesterdays_client_id_as_a_new_order(
    tmp_path: Path, venue: str, table: dict[str, Any]
) -> None:
    clock = SimClock(DAY1)
    config = GatewayConfig(
        data_dir=tmp_path / "data",
        log_dir=tmp_path / "logs",
        accounts=(AccountConfig(ACC, venue, Decimal(1_000_000), {"600000.SH": 10_000}),),
        journal=JournalConfig("fast"),
        risk={"disabled_checks": ["price_deviation"]},  # a price off the market: it rests
        venues={venue: table} if table else {},
    )
    svc = build_service(config, clock)
    await svc.start()
    body = OrderIn(account_id=ACC, symbol="600000.SH", side="BUY", qty=100,
                   price=Decimal("9.50"), client_order_id="A1")  # fmt: skip
    try:
        await svc.submit(body, actor="t")
        await _until(lambda: _order(svc, "A1").status is OrderStatus.NEW, "A1 working")
        clock.set(datetime.combine(DAY1.date(), dt_time(15, 36), CST))
        await _until(lambda: svc.is_archived(DAY1.date()), "day one archived")
        clock.set(DAY2)
        ledger = svc.core.state.ledger
        await _until(lambda: ledger.trading_day(ACC) == DAY2.date(), "day two started")
        assert _order(svc, "A1") is None  # yesterday's order left the book

        view = await svc.submit(body, actor="t")

        assert view["status"] != "REJECTED", view
        await _until(lambda: _order(svc, "A1").status is OrderStatus.NEW, "A1 working again")
        if venue != "sim":  # today's mapping is saved under today, where a restart looks
            journal = svc.core.journal
            store = (KeyValueIdStore if venue == "qmt" else KeyValueVnpyIdStore)(
                journal.get_state, journal.set_state, DAY2.date().isoformat()
            )
            assert [ids.client_order_id for ids in store.load(ACC)] == ["A1"]
    finally:
        await svc.stop()
