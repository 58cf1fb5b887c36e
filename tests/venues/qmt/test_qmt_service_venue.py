"""``venue = "qmt"`` with ``emulator = true``: the composition hook builds a working venue."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from ashare_exec.config import AccountConfig, GatewayConfig
from ashare_exec.errors import ConfigError
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    OrderAccepted,
    OrderFilled,
    OrderSpec,
    PriceType,
    Side,
)
from ashare_exec.testing.miniqmt import current_terminal
from ashare_exec.venues.qmt import build_qmt_venue

from .conftest import Harness, eventually, needs_xtquant

pytestmark = needs_xtquant

Q1 = AccountId("q1")
SYMBOL = InstrumentId.parse("600000.SH")


def _config(tmp_path: Path, **qmt: object) -> GatewayConfig:
    return GatewayConfig(
        data_dir=tmp_path,
        accounts=(AccountConfig(Q1, "qmt", Decimal(1_000_000), {"600000.SH": 1000}),),
        venues={"qmt": {"emulator": True, "heartbeat_interval_s": 0, **qmt}},
    )


async def test_build_qmt_venue_when_emulated_orders_fill_under_simulator_rules(
    tmp_path: Path, clock: object
) -> None:
    adapter = build_qmt_venue(_config(tmp_path), clock, [Q1])  # type: ignore[arg-type]
    terminal = current_terminal()
    assert terminal is not None
    terminal.ticker_stop.set()
    h = Harness(terminal, adapter)
    await adapter.connect()
    try:
        assert terminal.sim is not None
        quote = terminal.sim.exchange.quote(SYMBOL, terminal.sim.clock.now())
        assert quote is not None
        ask = quote.ask_prices[0] if quote.ask_prices else quote.last
        order = OrderSpec(account_id=Q1, client_order_id=ClientOrderId("e2e1"),
                          instrument_id=SYMBOL, side=Side.BUY, qty=100,
                          price_type=PriceType.LIMIT, price=ask)  # fmt: skip
        await adapter.submit(order)
        await eventually(lambda: bool(h.of(OrderFilled, "e2e1")))
        positions = {p.instrument_id: p for p in await adapter.query_positions(Q1)}
        assert positions[SYMBOL].total_qty == 1100
        assert positions[SYMBOL].sellable_qty == 1000  # T+1 from the simulator
    finally:
        await adapter.close()


def test_build_qmt_venue_when_emulator_flag_not_bool_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="emulator"):
        build_qmt_venue(_config(tmp_path, emulator="yes"), None, [Q1])  # type: ignore[arg-type]


DEEP = {"walk": {"level_lots_min": 1_000_000, "level_lots_max": 1_000_000}}


@pytest.mark.parametrize(("sim", "all_fill"), [(DEEP, True), ({}, False)], ids=["deep", "default"])
async def test_build_qmt_venue_when_many_buys_at_stopped_clock_book_depth_follows_sim_walk(
    tmp_path: Path, clock: object, sim: dict[str, object], all_fill: bool
) -> None:
    # Under a stopped clock the emulated market keeps one snapshot: liquidity taken stays
    # taken. 80 x 1000 shares exceed three default levels (at most 3 x 200 lots).
    config = GatewayConfig(
        data_dir=tmp_path,
        accounts=(AccountConfig(Q1, "qmt", Decimal(100_000_000), {}),),
        venues={"qmt": {"emulator": True, "heartbeat_interval_s": 0}, "sim": sim},
    )
    adapter = build_qmt_venue(config, clock, [Q1])  # type: ignore[arg-type]
    terminal = current_terminal()
    assert terminal is not None
    terminal.ticker_stop.set()
    h = Harness(terminal, adapter)
    await adapter.connect()
    try:
        assert terminal.sim is not None
        quote = terminal.sim.exchange.quote(SYMBOL, terminal.sim.clock.now())
        assert quote is not None
        price = quote.ask_prices[2]
        cids = [f"b{i}" for i in range(80)]
        for cid in cids:
            await adapter.submit(OrderSpec(account_id=Q1, client_order_id=ClientOrderId(cid),
                                           instrument_id=SYMBOL, side=Side.BUY, qty=1000,
                                           price_type=PriceType.LIMIT, price=price))  # fmt: skip
        await eventually(lambda: len(h.cids(OrderAccepted)) == 80)
        await h.settle(0.3)
        filled = h.cids(OrderFilled)
        assert (len(filled) == len(cids)) is all_fill
        if sim:
            assert quote.ask_sizes[0] == 100_000_000
    finally:
        await adapter.close()


@pytest.mark.parametrize(
    ("sim", "match"),
    [
        ({"walk": {"depth": 5}}, "unknown keys"),
        ({"walk": 3}, "must be a table"),
        ({"seed": "x"}, "seed"),
        ({"t1_release_at": "15:00"}, "after 15:30"),
        ({"t1_release_at": 2000}, "after 15:30"),
        ({"t1_release_at": "8pm"}, "after 15:30"),
    ],
)
def test_build_qmt_venue_when_sim_market_settings_invalid_config_error(
    tmp_path: Path, sim: dict[str, object], match: str
) -> None:
    config = GatewayConfig(
        data_dir=tmp_path,
        accounts=(AccountConfig(Q1, "qmt", Decimal(1_000_000), {}),),
        venues={"qmt": {"emulator": True}, "sim": sim},
    )
    with pytest.raises(ConfigError, match=match):
        build_qmt_venue(config, None, [Q1])  # type: ignore[arg-type]
