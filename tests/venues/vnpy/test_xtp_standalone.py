"""The XTP server emulator in a process of its own (``testing/xtp/standalone.py``), reached
by the real vnpy_xtp gateway of this process through ``[venues.vnpy] emulator =
"<endpoint>"``.

What a crash test of the vn.py adapter relies on: the server outlives the gateway, keeps
the day's orders, drops a session whose process went away, and shows its state for the
checks; the gateway's callbacks run as the native API runs them (a callback may call the
API again).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from decimal import Decimal
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from xtp_kit import needs_xtp

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
    PriceType,
    Side,
)
from ashare_exec.testing.wire import Endpoint, no_delay
from ashare_exec.testing.xtp.remote import UNREACHABLE, RemoteXtp, XtpServerHost
from ashare_exec.venues.sim.config import SimAccountConfig, SimConfig
from ashare_exec.venues.sim.factory import build_sim_exchange
from ashare_exec.venues.vnpy import InMemoryVnpyIdStore, VnpyAdapter, build_vnpy_venue
from ashare_exec.venues.vnpy.emulator import XtpServer
from tests.venues.qmt.conftest import eventually
from tests.venues.standalone_kit import START, Standalone, running, spawn

X1 = AccountId("x1")
SYMBOL = InstrumentId.parse("600000.SH")
VNPY_TIMINGS = {
    "submit_timeout_s": 0.5, "query_timeout_s": 2.0, "connect_timeout_s": 3.0,
    "backoff_initial_s": 0.02, "backoff_max_s": 0.1, "event_interval_s": 0.2,
}  # fmt: skip


XTP_MODULE = "ashare_exec.testing.xtp.standalone"


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[Standalone]:
    with running(XTP_MODULE, tmp_path, "x1", "vnpy") as emulator:
        yield emulator
        assert emulator.control.call("errors") == []  # nothing failed on its callback threads


def _gateway(tmp_path: Path, endpoint: Path | str) -> GatewayConfig:
    return GatewayConfig(
        data_dir=tmp_path,
        accounts=(AccountConfig(X1, "vnpy"),),
        venues={"vnpy": {"emulator": str(endpoint), **VNPY_TIMINGS}},
    )


@contextlib.asynccontextmanager
async def _connected(
    tmp_path: Path, standalone: Standalone, reports: list[object]
) -> AsyncIterator[VnpyAdapter]:
    """A vn.py adapter of this process (the real vnpy_xtp gateway) logged in to the
    stand-alone servers; closed after."""
    clock = SimClock(datetime.fromisoformat(START))
    cfg = _gateway(tmp_path, standalone.endpoint_file)
    adapter = build_vnpy_venue(
        cfg.venues["vnpy"], clock, [X1], tmp_path, store=InMemoryVnpyIdStore()
    )
    assert isinstance(adapter, VnpyAdapter)
    assert adapter.emulator is None  # nothing of the venue lives in this process
    adapter.set_report_sink(reports.append)
    await adapter.connect()
    try:
        yield adapter
    finally:
        await adapter.close()


def _buy(cid: str, price: Decimal, qty: int = 100) -> OrderSpec:
    return OrderSpec(account_id=X1, client_order_id=ClientOrderId(cid), instrument_id=SYMBOL,
                     side=Side.BUY, qty=qty, price_type=PriceType.LIMIT, price=price)  # fmt: skip


@needs_xtp
async def test_adapter_on_standalone_xtp_when_order_fills_snapshot_shows_it_by_surrogate(
    tmp_path: Path, standalone: Standalone
) -> None:
    reports: list[object] = []
    async with _connected(tmp_path, standalone, reports) as adapter:
        assert standalone.sessions() == 1
        bid, ask = map(Decimal, standalone.control.call("quote", "600000.SH"))
        assert Decimal("9") < bid < ask <= Decimal("10.08")  # the market it fills in
        await adapter.submit(_buy("r1", Decimal("10.08")))  # marketable, inside the cage
        await eventually(lambda: any(isinstance(r, OrderFilled) for r in reports), within=5)
        positions = {p.instrument_id: p for p in await adapter.query_positions(X1)}
        assert positions[SYMBOL].total_qty == 1100
        assert positions[SYMBOL].sellable_qty == 1000  # T+1, from the emulator's simulator
        [ids] = adapter.store.load(X1)
    [order] = standalone.control.call("snapshot")["orders"]
    assert order["surrogate"] == ids.surrogate != 0  # what maps the server's order to ours
    assert (order["status"], order["terminal_status"], order["filled_qty"]) == ("FILLED", 1, 100)
    [account] = standalone.control.call("snapshot")["accounts"]
    assert account["holdings"]["600000.SH"][:2] == [1100, 1000]
    await eventually(lambda: standalone.sessions() == 0)  # a graceful close logs out


@needs_xtp
async def test_standalone_xtp_next_day_lists_only_the_new_days_orders_and_keeps_the_old(
    tmp_path: Path, standalone: Standalone
) -> None:
    reports: list[object] = []
    async with _connected(tmp_path, standalone, reports) as adapter:
        await adapter.submit(_buy("filled", Decimal("10.08")))
        await adapter.submit(_buy("resting", Decimal("9.10")))
        await eventually(lambda: any(isinstance(r, OrderFilled) for r in reports), within=5)
        # The close ends the resting order; XTP has no "expired": it is pushed cancelled.
        standalone.control.call("set_time", "2026-11-26T09:20:00+08:00")
        await eventually(
            lambda: any(
                isinstance(r, OrderCanceled) and r.client_order_id == "resting" for r in reports
            ),
            within=5,
        )
        positions = {p.instrument_id: p for p in await adapter.query_positions(X1)}
        assert positions[SYMBOL].sellable_qty == 1100  # yesterday's buy is sellable now
    rows = standalone.control.call("snapshot")["orders"]
    assert sorted((o["status"], o["terminal_status"], o["day"]) for o in rows) == [
        ("EXPIRED", 5, "2026-11-25"),
        ("FILLED", 1, "2026-11-25"),
    ]


def test_standalone_xtp_when_client_process_vanishes_server_drops_its_session(
    standalone: Standalone,
) -> None:
    # A raw trader session, as RemoteXtp opens it; then the "process" dies: no logout.
    conn = Endpoint.read(standalone.endpoint_file).dial()
    conn.send(("session", "x1"))
    conn.send(("call", 1, "login", ("127.0.0.1", 6001, "u", "p", 1)))
    op, seq, sid = conn.recv()
    assert (op, seq) == ("ret", 1)
    assert sid > 0
    conn.send(("call", 2, "onOrderEvent", ({}, {}, sid)))  # not a request: not served
    assert conn.recv() == ("ret", 2, None)
    conn.send("garbage")  # ignored
    conn.send(("call", 3, "insertOrder", ({"ticker": "600000"}, sid)))  # a malformed request
    assert conn.recv() == ("ret", 3, None)  # answered; the failure is kept, the session lives
    [error] = standalone.control.call("errors")
    assert "KeyError" in error
    standalone.control.call("clear_errors")
    assert standalone.sessions() == 1
    conn.close()
    assert standalone.sessions_after_drops() == 0


def test_standalone_xtp_when_key_is_wrong_connection_is_refused_and_server_stays_up(
    standalone: Standalone,
) -> None:
    real = Endpoint.read(standalone.endpoint_file)
    with pytest.raises(Exception, match="digest"):
        Endpoint(real.host, real.port, "00" * 16).dial()
    assert standalone.sessions() == 0  # still answering
    with pytest.raises(RuntimeError, match="unknown control"):
        standalone.control.call("format_disk")


@pytest.mark.parametrize(
    ("behaviour", "message"),
    [('{"nope": true}', "unknown knob 'nope'"), ('{"noisy": 1}', "must be a bool"),
     ('{"jitter_s": true}', "must be a float"), ("[1]", "JSON object"), ("{", "--behaviour")],
)  # fmt: skip
def test_standalone_xtp_when_behaviour_knobs_invalid_exits_with_the_reason(
    tmp_path: Path, behaviour: str, message: str
) -> None:
    run = spawn(XTP_MODULE, tmp_path, "x1", "vnpy", "--behaviour", behaviour)
    out, _ = run.communicate(timeout=60)
    assert run.returncode == 2
    assert message in out
    assert not (tmp_path / "endpoint.json").exists()


@pytest.mark.parametrize("content", [None, "{", "[]", '{"host": "127.0.0.1", "port": 1}'])
def test_build_vnpy_venue_when_endpoint_file_missing_or_malformed_config_error(
    tmp_path: Path, content: str | None
) -> None:
    endpoint = tmp_path / "xtp.json"
    if content is not None:
        endpoint.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot read"):
        build_vnpy_venue(
            {"emulator": str(endpoint)}, SimClock(datetime.fromisoformat(START)), [X1], tmp_path
        )


def test_build_vnpy_venue_when_emulator_is_empty_string_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="endpoint file"):
        build_vnpy_venue({"emulator": ""}, SimClock(datetime.fromisoformat(START)), [X1], tmp_path)


# ---- the wire in one process: what the vnpy_xtp callbacks see ----------------------------


class _Td:
    """A stand-in for vnpy_xtp's ``XtpTdApi``: records where its callbacks run, and logs in
    again from ``onDisconnected`` as vnpy_xtp does."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.relogin: list[object] = []

    def onDisconnected(self, session: int, reason: int) -> None:
        self.calls.append(("onDisconnected", threading.current_thread().name))
        self.relogin.append(self.login("127.0.0.1", 6001, "u", "p", 1))

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if not name.startswith("on"):
            raise AttributeError(name)
        return lambda *a: self.calls.append((name, threading.current_thread().name))


@contextlib.contextmanager
def _hosted() -> Iterator[tuple[XtpServer, XtpServerHost]]:
    clock = SimClock(datetime.fromisoformat(START))
    exchange = build_sim_exchange(
        SimConfig(accounts=(SimAccountConfig(X1, Decimal(1_000_000)),), state_path=None)
    )
    server = XtpServer(exchange, clock, X1)
    host = XtpServerHost({"x1": server})
    host.start()
    try:
        yield server, host
    finally:
        host.close()
        server.stop()


def _attach(host: XtpServerHost) -> tuple[_Td, Any]:
    td = _Td()
    gateway = SimpleNamespace(td_api=td, md_api=SimpleNamespace())
    RemoteXtp(host.endpoint, "x1").attach(gateway)
    return td, gateway


def test_remote_xtp_when_server_cuts_the_session_callback_logs_in_again_off_the_reader() -> None:
    with _hosted() as (server, host):
        td, gateway = _attach(host)
        td.subscribePublicTopic(0)
        first = td.login("127.0.0.1", 6001, "u", "p", 1)
        assert first > 0
        assert len(server.sessions) == 1
        assert gateway.md_api.login("127.0.0.1", 6002, "u", "p", 1, "") == 0  # quotes: stubbed
        server.drop_connections()
        deadline = time.monotonic() + 5
        while not td.relogin and time.monotonic() < deadline:
            time.sleep(0.01)
        # The callback ran on the link's callback thread, so its own request was answered.
        assert td.calls == [("onDisconnected", "xtp-remote-cb")]
        assert isinstance(td.relogin[0], int)
        assert td.relogin[0] > first
        assert len(server.sessions) == 1


def test_remote_xtp_when_nobody_listens_requests_fail_as_over_a_dead_link() -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        endpoint = Endpoint("127.0.0.1", probe.getsockname()[1], "00" * 16)
    td = _Td()
    RemoteXtp(endpoint, "x1").attach(SimpleNamespace(td_api=td, md_api=SimpleNamespace()))
    assert td.login("127.0.0.1", 6001, "u", "p", 1) == 0
    assert td.getApiLastError() == UNREACHABLE
    assert td.insertOrder({}, 1) == 0
    assert td.queryAsset(1, 1) == -1
    assert td.calls == []


def _nodelay(conn: Connection) -> int:
    with socket.fromfd(conn.fileno(), socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


def test_wire_sends_each_message_at_once_on_both_ends() -> None:
    # Without TCP_NODELAY an answer sent right after a push waits for the client's delayed
    # acknowledgement (40 ms): the crash soak's gateways sent a tenth of their orders.
    key = "ab" * 16
    with Listener(("127.0.0.1", 0), authkey=bytes.fromhex(key)) as listener:
        accepted: list[Connection] = []
        thread = threading.Thread(target=lambda: accepted.append(listener.accept()))
        thread.start()
        host, port = listener.address
        client_end = Endpoint(host, port, key).dial()
        thread.join(5)
        [server_end] = accepted
        assert _nodelay(client_end) != 0  # dial sets it
        assert _nodelay(server_end) == 0  # the default a server end gets
        no_delay(server_end)
        assert _nodelay(server_end) != 0
        client_end.close()
        server_end.close()


def test_standalone_started_again_with_reuse_endpoint_listens_where_gateways_look(
    tmp_path: Path,
) -> None:
    with running(XTP_MODULE, tmp_path, "x1", "vnpy") as first:
        before = Endpoint.read(first.endpoint_file)
    with running(XTP_MODULE, tmp_path, "x1", "vnpy", "--reuse-endpoint") as again:
        assert Endpoint.read(again.endpoint_file) == before
        assert again.sessions() == 0  # its controls answer at the old port, to the old key
