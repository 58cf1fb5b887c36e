"""The MiniQMT emulator in a process of its own (``testing/miniqmt/standalone.py``), reached
by the real xtquant client of this process through ``[venues.qmt] emulator = "<endpoint>"``.

What a crash test of the QMT adapter relies on: the terminal outlives the gateway, keeps the
orders, drops a session whose process went away, and shows its state for the checks.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ashare_exec.clock import SimClock
from ashare_exec.config import AccountConfig, GatewayConfig
from ashare_exec.errors import ConfigError
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    OrderCanceled,
    OrderFilled,
    OrderSpec,
    OrderStatus,
    PriceType,
    Side,
)
from ashare_exec.testing.miniqmt import XtQuantAsyncClient, loader
from ashare_exec.testing.miniqmt.remote import Endpoint
from ashare_exec.venues.qmt import QmtAdapter, build_qmt_venue
from tests.venues.standalone_kit import START, Standalone, running, spawn

from .conftest import eventually, needs_xtquant

pytestmark = needs_xtquant

Q1 = AccountId("q1")
SYMBOL = InstrumentId.parse("600000.SH")
QMT_MODULE = "ashare_exec.testing.miniqmt.standalone"


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[Standalone]:
    factory = XtQuantAsyncClient.terminal_factory
    current = list(loader._current)
    try:
        with running(QMT_MODULE, tmp_path, "q1", "qmt") as emulator:
            yield emulator
    finally:
        XtQuantAsyncClient.terminal_factory = factory  # leave the embedded emulator as it was
        loader._current[:] = current


def _gateway(tmp_path: Path, endpoint: Path | str) -> GatewayConfig:
    return GatewayConfig(
        data_dir=tmp_path,
        accounts=(AccountConfig(Q1, "qmt"),),
        venues={"qmt": {"emulator": str(endpoint), "heartbeat_interval_s": 0}},
    )


@contextlib.asynccontextmanager
async def _connected(
    tmp_path: Path, standalone: Standalone, reports: list[object]
) -> AsyncIterator[QmtAdapter]:
    """A QMT adapter of this process connected to the stand-alone emulator; closed after."""
    clock = SimClock(datetime.fromisoformat(START))
    adapter = build_qmt_venue(_gateway(tmp_path, standalone.endpoint_file), clock, [Q1])
    adapter.set_report_sink(reports.append)
    await adapter.connect()
    try:
        yield adapter
    finally:
        await adapter.close()


def _buy(cid: str, price: Decimal, qty: int = 100) -> OrderSpec:
    return OrderSpec(account_id=Q1, client_order_id=ClientOrderId(cid), instrument_id=SYMBOL,
                     side=Side.BUY, qty=qty, price_type=PriceType.LIMIT, price=price)  # fmt: skip


async def test_adapter_on_standalone_emulator_when_order_fills_snapshot_shows_it_by_client_id(
    tmp_path: Path, standalone: Standalone
) -> None:
    reports: list[object] = []
    async with _connected(tmp_path, standalone, reports) as adapter:
        assert standalone.sessions() == 1
        bid, ask = map(Decimal, standalone.control.call("quote", "600000.SH"))
        assert Decimal("9") < bid < ask <= Decimal("10.08")  # the market it fills in
        await adapter.submit(_buy("r1", Decimal("10.08")))  # marketable, inside the cage
        await eventually(lambda: any(isinstance(r, OrderFilled) for r in reports), within=5)
        positions = {p.instrument_id: p for p in await adapter.query_positions(Q1)}
        assert positions[SYMBOL].total_qty == 1100
        assert positions[SYMBOL].sellable_qty == 1000  # T+1, from the emulator's simulator
    snap = standalone.control.call("snapshot")
    [order] = snap["orders"]
    assert (order["client_order_id"], order["status"], order["filled_qty"]) == ("r1", "FILLED", 100)
    [account] = snap["accounts"]
    assert account["holdings"]["600000.SH"][:2] == [1100, 1000]
    assert Decimal(account["available"]) < Decimal(1_000_000)
    await eventually(lambda: standalone.sessions() == 0)  # a graceful close leaves the terminal


async def test_standalone_next_day_lists_only_the_new_days_orders_and_keeps_the_old_in_snapshot(
    tmp_path: Path, standalone: Standalone
) -> None:
    reports: list[object] = []
    async with _connected(tmp_path, standalone, reports) as adapter:
        await adapter.submit(_buy("filled", Decimal("10.08")))
        await adapter.submit(_buy("resting", Decimal("9.10")))
        await eventually(lambda: any(isinstance(r, OrderFilled) for r in reports), within=5)
        assert {o.status for o in await adapter.query_orders(Q1)} == {
            OrderStatus.FILLED,
            OrderStatus.NEW,
        }
        # The close ends the resting order; MiniQMT has no "expired": it is pushed cancelled.
        standalone.control.call("set_time", "2026-11-26T09:20:00+08:00")
        await eventually(
            lambda: any(
                isinstance(r, OrderCanceled) and r.client_order_id == "resting" for r in reports
            ),
            within=5,
        )
        assert await adapter.query_orders(Q1) == []  # a terminal lists only today's orders
        assert await adapter.query_trades(Q1) == []
        positions = {p.instrument_id: p for p in await adapter.query_positions(Q1)}
        assert positions[SYMBOL].sellable_qty == 1100  # yesterday's buy is sellable now
        await adapter.submit(_buy("today", Decimal("9.10")))
        [listed] = await adapter.query_orders(Q1)
        assert listed.client_order_id == "today"
    rows = {o["client_order_id"]: o for o in standalone.control.call("snapshot")["orders"]}
    assert {c: (o["status"], o["day"]) for c, o in rows.items()} == {
        "filled": ("FILLED", "2026-11-25"),
        "resting": ("EXPIRED", "2026-11-25"),
        "today": ("NEW", "2026-11-26"),
    }


def test_standalone_when_client_process_vanishes_terminal_drops_its_session(
    standalone: Standalone,
) -> None:
    # A raw session, as the native client opens it; then the "process" dies: no goodbye.
    conn = Endpoint.read(standalone.endpoint_file).dial()
    conn.send(("session", 7))
    conn.send(("connect",))
    assert conn.recv() == ("reply", 0)
    assert standalone.sessions() == 1
    conn.close()
    assert standalone.sessions_after_drops() == 0


def test_standalone_when_key_is_wrong_connection_is_refused_and_server_stays_up(
    standalone: Standalone,
) -> None:
    real = Endpoint.read(standalone.endpoint_file)
    forged = Endpoint(real.host, real.port, "00" * 16)
    with pytest.raises(Exception, match="digest"):
        forged.dial()
    assert standalone.sessions() == 0  # still answering


def test_standalone_set_time_moves_the_emulated_market_clock(standalone: Standalone) -> None:
    assert standalone.control.call("set_time", "2026-11-25T13:05:00+08:00").startswith(
        "2026-11-25T13:05:00"
    )
    with pytest.raises(RuntimeError, match="unknown control"):
        standalone.control.call("format_disk")


@pytest.mark.parametrize("content", [None, "{", "[]", '{"host": "127.0.0.1", "port": 1}'])
def test_build_qmt_venue_when_endpoint_file_missing_or_malformed_config_error(
    tmp_path: Path, content: str | None
) -> None:
    endpoint = tmp_path / "miniqmt.json"
    if content is not None:
        endpoint.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read"):
        build_qmt_venue(_gateway(tmp_path, endpoint), None, [Q1])  # type: ignore[arg-type]


def test_build_qmt_venue_when_emulator_is_empty_string_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="endpoint file"):
        build_qmt_venue(_gateway(tmp_path, ""), None, [Q1])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [('{"nope": true}', "unknown knob 'nope'"), ('{"noisy_link": 1}', "true or false"),
     ("[1]", "JSON object"), ("{", "--behaviour")],
)  # fmt: skip
def test_standalone_when_behaviour_knobs_invalid_exits_with_the_reason(
    tmp_path: Path, behaviour: str, message: str
) -> None:
    run = spawn(QMT_MODULE, tmp_path, "q1", "qmt", "--behaviour", behaviour)
    out, _ = run.communicate(timeout=60)
    assert run.returncode == 2
    assert message in out
    assert not (tmp_path / "endpoint.json").exists()


def test_standalone_started_again_with_reuse_endpoint_listens_where_gateways_look(
    tmp_path: Path,
) -> None:
    with running(QMT_MODULE, tmp_path, "q1", "qmt") as first:
        before = Endpoint.read(first.endpoint_file)
    # The terminal is gone; one started again where the gateway looks takes its place.
    with running(QMT_MODULE, tmp_path, "q1", "qmt", "--reuse-endpoint") as again:
        assert Endpoint.read(again.endpoint_file) == before
        conn = before.dial()  # the old port, the old key
        conn.send(("session", 7))
        conn.send(("connect",))
        assert conn.recv() == ("reply", 0)
        conn.close()


def test_standalone_reuse_endpoint_without_the_file_exits_with_the_reason(
    tmp_path: Path,
) -> None:
    run = spawn(QMT_MODULE, tmp_path, "q1", "qmt", "--reuse-endpoint")
    out, _ = run.communicate(timeout=60)
    assert run.returncode == 2
    assert "--reuse-endpoint: cannot read" in out
