"""Execution-side protections work through the whole service (in-process, simulated clock):
an order past its time-to-live is canceled, and a fallback stop-loss sells a losing holding."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ashare_exec.api.schemas import OrderIn
from ashare_exec.clock import CST, SimClock
from ashare_exec.config import AccountConfig, default_config
from ashare_exec.engine.node import build_service
from ashare_exec.engine.service import ExecutionService
from ashare_exec.model import AccountId, InstrumentId, OrderStatus

PF = InstrumentId.parse("600000.SH")


@pytest.fixture
async def make(tmp_path: Path) -> AsyncIterator[object]:
    made: list[ExecutionService] = []

    async def build(risk: dict[str, object]) -> tuple[ExecutionService, SimClock]:
        clock = SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
        cfg = dataclasses.replace(
            default_config(),
            data_dir=tmp_path / "data",
            log_dir=tmp_path / "logs",
            accounts=(AccountConfig(AccountId("paper"), positions={"600000.SH": 1000}),),
            risk=risk,
        )
        svc = build_service(cfg, clock)
        await svc.start()
        made.append(svc)
        return svc, clock

    yield build
    for svc in made:
        await svc.stop()


async def _settle(svc: ExecutionService) -> None:
    for _ in range(5):
        await asyncio.sleep(0.01)
        await svc.core.drain()


async def test_order_past_its_time_to_live_is_canceled_by_the_engine(make) -> None:  # type: ignore[no-untyped-def]
    svc, clock = await make({"order_ttl_s": 30})
    bid = svc.core.quotes(PF).best_bid  # type: ignore[union-attr]
    body = OrderIn(
        account_id="paper",
        symbol="600000.SH",
        side="BUY",
        qty=100,
        price=bid - Decimal("0.05"),
        client_order_id="ttl-1",
    )
    await svc.submit(body)
    await _settle(svc)
    order = svc.core.state.book.get(AccountId("paper"), "ttl-1")  # type: ignore[arg-type]
    assert order is not None
    assert order.status is OrderStatus.NEW
    clock.advance(timedelta(seconds=10))
    svc.pretrade.on_tick(clock.now(), svc.core.quotes)
    await _settle(svc)
    assert order.status is OrderStatus.NEW  # not yet
    clock.advance(timedelta(seconds=25))
    svc.pretrade.on_tick(clock.now(), svc.core.quotes)
    await _settle(svc)
    assert order.status is OrderStatus.CANCELED


async def test_fallback_stop_loss_sells_a_losing_holding(make) -> None:  # type: ignore[no-untyped-def]
    svc, clock = await make({"stop_loss_pct": "0.001"})
    quote = svc.core.quotes(PF)
    assert quote is not None
    assert quote.last is not None
    # The seeded position costs the previous close (10.02); the market trades below it.
    assert quote.last < Decimal("10.02") * Decimal("0.999")
    svc.pretrade.on_tick(clock.now(), svc.core.quotes)
    await _settle(svc)
    sells = [
        o for o in svc.core.state.book.orders(AccountId("paper")) if o.spec.side.value == "SELL"
    ]
    assert len(sells) == 1
    assert sells[0].spec.qty == 1000
    assert sells[0].status is not OrderStatus.DENIED
