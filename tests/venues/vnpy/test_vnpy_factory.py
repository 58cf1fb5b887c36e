"""The composition root's entry point, including ``emulator = true`` (real vnpy_xtp)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from xtp_kit import needs_xtp

from ashare_exec.clock import CST, SimClock
from ashare_exec.errors import ConfigError
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    OrderFilled,
    OrderSpec,
    OrderStatus,
    PriceType,
    Side,
)
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.sim.config import SimAccountConfig
from ashare_exec.venues.vnpy import build_vnpy_venue

CLOCK = SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))


def test_build_when_table_then_adapter_named_after_gateway_and_not_imported(
    tmp_path: Path,
) -> None:
    """Building reads the table only; vn.py loads on connect (data under data_dir/vnpy)."""
    venue = build_vnpy_venue(
        {"gateway": "vnpy_xtp:XtpGateway", "settings": {"账号": "u"}}, CLOCK,
        [AccountId("X1")], tmp_path,
    )  # fmt: skip
    assert venue.name == "vnpy:XTP"
    assert venue.capabilities.accounts == ("X1",)
    assert venue.config.data_dir == tmp_path / "vnpy"
    assert venue.host is None
    assert not venue.is_connected


def test_build_when_emulator_flag_not_bool_then_config_error(tmp_path: Path) -> None:
    """``emulator`` must be a boolean."""
    with pytest.raises(ConfigError, match="emulator"):
        build_vnpy_venue({"emulator": "yes"}, CLOCK, [AccountId("X1")], tmp_path)


@needs_xtp
async def test_build_when_emulator_then_real_gateway_trades_on_the_simulator(
    tmp_path: Path,
) -> None:
    """``emulator = true``: vnpy_xtp over the in-process XTP server; a buy fills there."""
    seed = SimAccountConfig(AccountId("E1"), Decimal(1_000_000), {"600000.SH": 1000})
    venue = build_vnpy_venue({"emulator": True}, CLOCK, [AccountId("E1")], tmp_path, seed=seed)
    reports: list[VenueReport] = []
    venue.set_report_sink(reports.append)
    await venue.connect()
    try:
        inst = InstrumentId.parse("600000.SH")
        book = venue.emulator.exchange.book(inst, CLOCK.now())
        spec = OrderSpec(
            account_id=AccountId("E1"), client_order_id=ClientOrderId("E-1"), instrument_id=inst,
            side=Side.BUY, qty=100, price_type=PriceType.LIMIT, price=book.asks[0].price,
        )  # fmt: skip
        await venue.submit(spec)
        for _ in range(400):
            if any(isinstance(r, OrderFilled) for r in reports):
                break
            await asyncio.sleep(0.005)
        rep = await venue.query_order(AccountId("E1"), ClientOrderId("E-1"))
        assert rep is not None
        assert (rep.status, rep.filled_qty) == (OrderStatus.FILLED, 100)
        positions = {str(p.instrument_id): p.total_qty for p in await venue.query_positions("E1")}
        assert positions == {"600000.SH": 1100}
    finally:
        await venue.close()
        venue.emulator.stop()
