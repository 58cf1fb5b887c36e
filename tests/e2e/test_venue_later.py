"""End to end: the gateway started before the broker terminal (QMT not running yet).

``ashare-exec serve`` points at a MiniQMT that is not there; it starts, says so, answers
``/readyz`` 503 and refuses orders ``VENUE_DISCONNECTED``. Once the terminal runs where the
gateway looks for it, the gateway connects on its own, reconciles and trades — the real
xtquant client code all along (the terminal is the stand-alone MiniQMT emulator).
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from ashare_exec.client import UnavailableError
from ashare_exec.testing.miniqmt import xtquant_available
from ashare_exec.testing.wire import ControlClient, Endpoint
from tests.e2e.conftest import BASE_CONFIG, service_env, start_service, wait_until_ready

pytestmark = pytest.mark.skipif(not xtquant_available(), reason="xtquant is not installed")

START = "2026-11-25T10:00:00+08:00"


def _unused_endpoint(path: Path) -> Endpoint:
    """An endpoint file for a loopback port nothing listens on (yet)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint = Endpoint("127.0.0.1", port, secrets.token_hex(16))
    endpoint.write(path)
    return endpoint


def test_serve_before_the_terminal_waits_for_it_then_trades(tmp_path: Path) -> None:
    folder = tmp_path / "svc"
    (folder / "config").mkdir(parents=True)
    endpoint_file = tmp_path / "miniqmt.json"
    _unused_endpoint(endpoint_file)
    (folder / "config" / "gateway.toml").write_text(
        BASE_CONFIG.format(
            start=START,
            speed=1.0,
            durability="fast",
            sessions="venue_retry_s = 0.2\nvenue_retry_max_s = 0.5",
            venue="qmt",
            # No quotes from a stand-alone terminal: an order off the market is not refused.
            extra=f"[risk]\ndisabled_checks = ['price_deviation']\n\n"
            f"[venues.qmt]\nemulator = '{endpoint_file.as_posix()}'\n",
        ),
        encoding="utf-8",
    )
    svc = start_service(folder, wait_ready=False)
    terminal: subprocess.Popen[str] | None = None
    try:
        assert "WAITING:  qmt cannot be reached" in svc.banner
        with svc.client() as c:
            r = c._http.get("/readyz")
            assert r.status_code == 503
            assert any("venue qmt not reached since start" in x for x in r.json()["reasons"])
            with pytest.raises(UnavailableError) as refused:
                c.submit("paper", "600000.SH", "BUY", 100, Decimal("9.50"), client_order_id="e1")
            assert refused.value.code == "VENUE_DISCONNECTED"
        assert svc.proc.poll() is None

        # The terminal holds the accounts of the gateway's own config (as the crash soak's).
        terminal = subprocess.Popen(
            [sys.executable, "-m", "ashare_exec.testing.miniqmt.standalone",
             "--config", str(folder / "config" / "gateway.toml"),
             "--endpoint", str(endpoint_file), "--reuse-endpoint", "--tick", "0",
             "--watch-stdin"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env=service_env(),
        )  # fmt: skip
        wait_until_ready(svc)

        with svc.client() as c:
            positions = {p["symbol"]: p for p in c.positions("paper")}
            assert positions["600000.SH"]["total_qty"] == 10000
            order = c.submit("paper", "600000.SH", "BUY", 100, Decimal("9.50"),
                             client_order_id="l1")  # fmt: skip
            assert order.status in ("PENDING_NEW", "NEW", "FILLED"), order.info
        control = ControlClient(Endpoint.read(endpoint_file))
        deadline = time.monotonic() + 10
        while not any(o["client_order_id"] == "l1" for o in _orders(control)):
            assert time.monotonic() < deadline, "the order never reached the terminal"
            time.sleep(0.05)
        log = svc.log()
        assert "not reached at start" in log  # paged as VENUE_DISCONNECTED ...
        assert "VENUE_RECONNECTED" in log  # ... and back, with the downtime
        assert svc.stop() == 0
    finally:
        svc.stop()
        if terminal is not None:
            assert terminal.stdin is not None
            assert terminal.stdout is not None
            terminal.stdin.close()  # --watch-stdin: the terminal exits
            terminal.wait(10)
            terminal.stdout.close()


def _orders(control: ControlClient) -> list[dict[str, object]]:
    orders: list[dict[str, object]] = control.call("snapshot")["orders"]
    return orders
