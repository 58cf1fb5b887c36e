"""Fixtures: a MiniQMT emulator under the real xtquant, and a connected QmtAdapter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from decimal import Decimal

import pytest

from ashare_exec.clock import CST, SimClock
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    OrderSpec,
    PriceType,
    Side,
)
from ashare_exec.testing.miniqmt import MiniQmt, install, xtquant_available
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.qmt import QmtAdapter, QmtConfig

A1 = AccountId("A1")
A2 = AccountId("A2")
needs_xtquant = pytest.mark.skipif(
    not xtquant_available(), reason="xtquant is not installed (.ci/install-xtquant.sh)"
)


def make_config(**overrides: object) -> QmtConfig:
    """A fast-timing config for the emulator."""
    values: dict[str, object] = {
        "userdata_path": "C:/MiniQMT/userdata_mini",
        "accounts": (A1, A2),
        "request_timeout_s": 1.0,
        "submit_timeout_s": 0.4,
        "connect_timeout_s": 3.0,
        "heartbeat_interval_s": 0.0,
        "backoff_initial_s": 0.05,
        "backoff_max_s": 0.2,
    }
    values.update(overrides)
    return QmtConfig(**values)  # type: ignore[arg-type]


def spec(
    cid: str,
    *,
    account: AccountId = A1,
    symbol: str = "600000.SH",
    side: Side = Side.BUY,
    qty: int = 300,
    price: str | None = "10.50",
    price_type: PriceType = PriceType.LIMIT,
    protection: str | None = None,
) -> OrderSpec:
    """An order spec with test defaults."""
    return OrderSpec(
        account_id=account,
        client_order_id=ClientOrderId(cid),
        instrument_id=InstrumentId.parse(symbol),
        side=side,
        qty=qty,
        price_type=price_type,
        price=Decimal(price) if price is not None else None,
        protection_price=Decimal(protection) if protection is not None else None,
    )


async def eventually(check: Callable[[], bool], within: float = 3.0) -> None:
    """Wait until ``check()`` holds (the emulator delivers on its own threads)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


class Harness:
    """A connected adapter, its emulator and the reports it pushed."""

    def __init__(self, terminal: MiniQmt, adapter: QmtAdapter) -> None:
        self.terminal = terminal
        self.adapter = adapter
        self.reports: list[VenueReport] = []
        adapter.set_report_sink(self.reports.append)

    def of(self, kind: type, cid: str | None = None) -> list[VenueReport]:
        """Reports of one type (and client order id)."""
        return [
            r
            for r in self.reports
            if isinstance(r, kind) and (cid is None or getattr(r, "client_order_id", None) == cid)
        ]

    def cids(self, kind: type) -> set[str]:
        """Client order ids that got at least one report of this type."""
        return {str(getattr(r, "client_order_id", "")) for r in self.of(kind)}

    async def settle(self, delay: float = 0.15) -> None:
        """Let queued pushes arrive."""
        await asyncio.sleep(delay)


@pytest.fixture
def terminal() -> MiniQmt:
    """A fresh emulated MiniQMT with two accounts."""
    if not xtquant_available():
        pytest.skip("xtquant is not installed (.ci/install-xtquant.sh)")
    t = MiniQmt()
    t.add_account("A1", 1_000_000, {"600000.SH": 1000, "000001.SZ": 500})
    t.add_account("A2", 50_000)
    install(t)
    return t


@pytest.fixture
def clock() -> SimClock:
    """A manual clock on a trading morning."""
    return SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))


@pytest.fixture
async def harness(terminal: MiniQmt, clock: SimClock) -> AsyncIterator[Harness]:
    """A connected adapter on the emulator."""
    adapter = QmtAdapter(make_config(), clock)
    h = Harness(terminal, adapter)
    await adapter.connect()
    yield h
    await adapter.close()
