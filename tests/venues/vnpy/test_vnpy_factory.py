"""The composition root's entry point, including ``emulator = true`` (real vnpy_xtp)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from xtp_kit import needs_xtp

from ashare_exec.clock import CST, SimClock
from ashare_exec.errors import BrokerRejected, ConfigError
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    OrderFilled,
    OrderSpec,
    OrderStatus,
    PriceType,
    Side,
    VenueConnected,
    VenueDisconnected,
)
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.sim.config import SimAccountConfig
from ashare_exec.venues.vnpy import VnpyVenue, build_vnpy_venue

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
    venue = build_vnpy_venue({"emulator": True}, CLOCK, [AccountId("E1")], tmp_path, seeds=[seed])
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


@needs_xtp
def test_build_when_emulator_then_the_sim_table_shapes_its_market(tmp_path: Path) -> None:
    """``[venues.sim]`` ``walk`` (and ``seed``) apply to the emulated XTP market, as to
    QMT's: a bench's deep books, a test's flat market."""
    walk = {"level_lots_min": 7_000, "level_lots_max": 7_000}
    venue = build_vnpy_venue(
        {"emulator": True}, CLOCK, [AccountId("E1")], tmp_path, market={"walk": walk}
    )
    try:
        book = venue.emulator.exchange.book(InstrumentId.parse("600000.SH"), CLOCK.now())
        assert {level.size for level in book.asks} == {700_000}  # 7,000 lots at every level
    finally:
        venue.emulator.stop()


@pytest.mark.parametrize(
    ("sim", "match"),
    [({"walk": {"depth": 5}}, "unknown keys"), ({"seed": "x"}, "seed"),
     ({"t1_release_at": "15:00"}, "after 15:30")],
)  # fmt: skip
def test_build_when_emulator_and_sim_table_invalid_then_config_error(
    tmp_path: Path, sim: dict[str, object], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        build_vnpy_venue({"emulator": True}, CLOCK, [AccountId("E1")], tmp_path, market=sim)


def test_per_account_when_several_accounts_then_one_login_each(tmp_path: Path) -> None:
    """``logins.<account>`` is merged over the shared settings, one config per account."""
    table = {
        "gateway": "vnpy_xtp:XtpGateway", "settings": {"交易地址": "10.0.0.1", "账号": "?"},
        "logins": {"A": {"账号": "a1"}, "B": {"账号": "b1"}},
    }  # fmt: skip
    venue = build_vnpy_venue(table, CLOCK, [AccountId("A"), AccountId("B")], tmp_path)
    assert isinstance(venue, VnpyVenue)
    assert venue.capabilities.accounts == ("A", "B")
    settings = {a: dict(v.config.settings) for a, v in venue.logins.items()}
    assert settings == {
        "A": {"交易地址": "10.0.0.1", "账号": "a1"}, "B": {"交易地址": "10.0.0.1", "账号": "b1"},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("logins", "message"),
    [({"A": {"账号": "a1"}}, "logins.B is required"), ({"A": {}, "B": {}, "C": {}}, "not vnpy"),
     ({"A": 1, "B": {}}, "table of tables")],
)  # fmt: skip
def test_per_account_when_logins_incomplete_then_config_error(
    tmp_path: Path, logins: dict[str, object], message: str
) -> None:
    """Two accounts can never share one login by accident."""
    table = {"gateway": "vnpy_xtp:XtpGateway", "logins": logins}
    with pytest.raises(ConfigError, match=message):
        build_vnpy_venue(table, CLOCK, [AccountId("A"), AccountId("B")], tmp_path)


@needs_xtp
async def test_build_when_emulator_with_two_accounts_then_routed_and_link_aggregated(
    tmp_path: Path,
) -> None:
    """Two logins on one simulated market: orders route by account; one drop is one
    VenueDisconnected, and VenueConnected returns once both logins are up."""
    seeds = [SimAccountConfig(AccountId(a), Decimal(1_000_000), {}) for a in ("E1", "E2")]
    venue = build_vnpy_venue(
        {"emulator": True, "backoff_initial_s": 0.02}, CLOCK, [AccountId("E1"), AccountId("E2")],
        tmp_path, seeds=seeds,
    )  # fmt: skip
    assert isinstance(venue, VnpyVenue)
    reports: list[VenueReport] = []
    venue.set_report_sink(reports.append)
    await venue.connect()
    try:
        assert [type(r) for r in reports] == [VenueConnected]
        inst = InstrumentId.parse("600000.SH")
        ask = venue.emulator.exchange.book(inst, CLOCK.now()).asks[0].price
        for account in ("E1", "E2"):
            await venue.submit(OrderSpec(
                account_id=AccountId(account), client_order_id=ClientOrderId(f"{account}-1"),
                instrument_id=inst, side=Side.BUY, qty=100, price_type=PriceType.LIMIT,
                price=ask,
            ))  # fmt: skip
        for _ in range(400):
            if sum(isinstance(r, OrderFilled) for r in reports) == 2:
                break
            await asyncio.sleep(0.005)
        for account in ("E1", "E2"):
            positions = await venue.query_positions(AccountId(account))
            assert [(str(p.instrument_id), p.total_qty) for p in positions] == [("600000.SH", 100)]
        with pytest.raises(BrokerRejected, match="not on"):
            await venue.query_cash(AccountId("E3"))
        venue.logins[AccountId("E2")].emulator.drop_connections()
        for _ in range(400):
            if sum(isinstance(r, VenueConnected) for r in reports) == 2:
                break
            await asyncio.sleep(0.005)
        links = [type(r) for r in reports if isinstance(r, VenueConnected | VenueDisconnected)]
        assert links == [VenueConnected, VenueDisconnected, VenueConnected]
        assert venue.is_connected
    finally:
        await venue.close()
        for login in venue.logins.values():
            login.emulator.stop()
