"""End to end: the event stream, restarts, graceful shutdown and the session scheduler."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from decimal import Decimal
from pathlib import Path

import websockets

from ashare_exec.client import AsyncClient
from tests.e2e.conftest import TOKEN, Service, start_service


def _low_price(svc: Service, symbol: str = "600000.SH") -> Decimal:
    with svc.client() as c:
        q = c.quote(symbol)
        return Decimal(q["bids"][0][0]) - Decimal("0.05")


async def _collect(url: str, n: int, from_seq: int | None = None) -> list[dict[str, object]]:
    ws_url = url.replace("http://", "ws://") + "/v1/stream"
    if from_seq is not None:
        ws_url += f"?from_seq={from_seq}"
    out: list[dict[str, object]] = []
    async with websockets.connect(
        ws_url, additional_headers={"Authorization": f"Bearer {TOKEN}"}
    ) as ws:
        while len(out) < n:
            out.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
    return out


def test_stream_delivers_order_events_in_order_and_replays_after_reconnect(
    service: Service,
) -> None:
    low = _low_price(service)

    async def scenario() -> None:
        async with AsyncClient(service.url, TOKEN) as c:
            h = await c.submit("paper", "600000.SH", "BUY", 100, low, client_order_id="ws-1")
            await c.cancel("paper", "ws-1")
            await h.wait(10)
        # Everything since the start, replayed from seq 0.
        msgs = await _collect(service.url, 1, from_seq=0)
        assert msgs[0]["seq"] == 1
        all_msgs = []
        ws_url = service.url.replace("http://", "ws://") + "/v1/stream?from_seq=0&kinds=order"
        async with websockets.connect(
            ws_url, additional_headers={"Authorization": f"Bearer {TOKEN}"}
        ) as ws:
            while True:
                m = json.loads(await asyncio.wait_for(ws.recv(), 10))
                all_msgs.append(m)
                if m["data"].get("status") == "CANCELED":
                    break
        events = [m["data"]["event"] for m in all_msgs if m["data"]["client_order_id"] == "ws-1"]
        # The venue's acknowledgement may be applied before or after our cancel request.
        assert events[0] == "OrderSubmitted"
        assert sorted(events[1:3]) == ["OrderAccepted", "OrderPendingCancel"]
        assert events[3:] == ["OrderCanceled"]
        seqs = [m["seq"] for m in all_msgs]
        assert seqs == sorted(seqs)
        assert len(set(seqs)) == len(seqs)
        # A client that saw up to the acceptance replays exactly what followed.
        accepted_seq = next(m["seq"] for m in all_msgs if m["data"]["event"] == "OrderAccepted")
        rest = await _collect(service.url, 1, from_seq=accepted_seq)
        assert rest[0]["seq"] == accepted_seq + 1

    asyncio.run(scenario())


def test_sdk_event_stream_yields_live_fills(service: Service) -> None:
    async def scenario() -> None:
        async with AsyncClient(service.url, TOKEN) as c:
            q = await c.quote("000001.SZ")
            px = str(Decimal(q["asks"][0][0]) + Decimal("0.02"))  # marketable even if it ticks
            stream = c.events(kinds=["fill"])
            task = asyncio.ensure_future(stream.__anext__())
            await asyncio.sleep(0.2)
            await c.submit("paper", "000001.SZ", "BUY", 100, px, client_order_id="ev-1")
            msg = await asyncio.wait_for(task, 10)
            assert msg["kind"] == "fill"
            assert msg["data"]["client_order_id"] == "ev-1"
            await stream.aclose()

    asyncio.run(scenario())


def test_restart_keeps_orders_and_idempotency(tmp_path: Path) -> None:
    folder = tmp_path / "svc"
    svc = start_service(folder, durability="durable")
    low = _low_price(svc)
    with svc.client() as c:
        c.submit("paper", "600000.SH", "BUY", 100, low, client_order_id="keep-1")
        with svc.client() as c2:
            px = Decimal(c2.quote("000001.SZ")["asks"][0][0]) + Decimal("0.02")
        filled = c.submit("paper", "000001.SZ", "BUY", 100, px, client_order_id="keep-2").wait(15)
        assert filled.status == "FILLED"
    assert svc.stop() == 0
    svc2 = start_service(folder)
    try:
        with svc2.client() as c:
            orders = {o.client_order_id: o for o in c.orders("paper")}
            assert orders["keep-1"].status == "NEW"
            assert orders["keep-2"].status == "FILLED"
            again = c.submit("paper", "600000.SH", "BUY", 100, low, client_order_id="keep-1")
            assert again.info.raw["created"] is False
            pos = {p["symbol"]: p for p in c.positions("paper")}
            assert pos["000001.SZ"]["total_qty"] == 100
    finally:
        svc2.stop()


def test_stream_after_a_restart_numbers_on_and_tells_an_old_client_what_it_missed(
    tmp_path: Path,
) -> None:
    # A client that saw the stream up to some seq before the service restarted reconnects
    # with it: the old process's messages are gone, so it is told (a gap), and no new
    # message carries a number it has seen already.
    folder = tmp_path / "svc"
    svc = start_service(folder)
    low = _low_price(svc)
    with svc.client() as c:
        c.submit("paper", "600000.SH", "BUY", 100, low, client_order_id="seq-1")
    before = asyncio.run(_collect(svc.url, 1, from_seq=0))
    assert svc.stop() == 0
    svc2 = start_service(folder)
    try:
        with svc2.client() as c:
            c.submit("paper", "600000.SH", "BUY", 100, low, client_order_id="seq-2")
        after = asyncio.run(_collect(svc2.url, 2, from_seq=int(before[-1]["seq"])))
    finally:
        svc2.stop()

    assert after[0]["kind"] == "gap"
    assert int(after[1]["seq"]) > int(before[-1]["seq"])


def test_resubmit_after_sigkill_returns_denied_orders_unchanged(tmp_path: Path) -> None:
    # Crash-soak finding (seed 11, life 441): a DENIED order resubmitted after a SIGKILL
    # once answered HTTP 500. Denials of every kind, killed at once, then resubmitted.
    folder = tmp_path / "svc"
    svc = start_service(folder, durability="durable")
    low = _low_price(svc)
    with svc.client() as c:
        q = c.quote("600000.SH")
        above = Decimal(q["limit_up"]) + Decimal("0.01")
        sent = {
            "kd-band": ("600000.SH", "BUY", 100, above),
            "kd-nopos": ("000001.SZ", "SELL", 100, low),
            "kd-lot": ("600000.SH", "BUY", 150, low),
        }
        for coid, (sym, side, qty, px) in sent.items():
            assert c.submit("paper", sym, side, qty, px, client_order_id=coid).status == "DENIED"
    svc.stop(signal.SIGKILL)
    svc2 = start_service(folder)
    try:
        with svc2.client() as c:
            for coid, (sym, side, qty, px) in sent.items():
                again = c.submit("paper", sym, side, qty, px, client_order_id=coid)
                assert again.info.raw["created"] is False, coid
                assert again.status == "DENIED", coid
                assert again.info.reasons, coid
            statuses = {o.client_order_id: o.status for o in c.orders("paper")}
            assert statuses == dict.fromkeys(sent, "DENIED")
    finally:
        svc2.stop()


def test_graceful_shutdown_settles_in_flight_orders_and_exits_zero(tmp_path: Path) -> None:
    folder = tmp_path / "svc"
    svc = start_service(folder)
    low = _low_price(svc)
    with svc.client() as c:
        for i in range(5):
            c.submit("paper", "600000.SH", "BUY", 100 * (i + 1), low, client_order_id=f"gs-{i}")
    assert svc.stop(signal.SIGINT) == 0
    assert "stopped cleanly" in svc.log()
    svc2 = start_service(folder)
    try:
        with svc2.client() as c:
            statuses = {o.client_order_id: o.status for o in c.orders("paper")}
            assert len(statuses) == 5
            assert set(statuses.values()) <= {"NEW", "CANCELED", "FILLED"}
    finally:
        svc2.stop()


def test_graceful_shutdown_writes_every_order_action_line_to_the_log_file(tmp_path: Path) -> None:
    folder = tmp_path / "svc"
    svc = start_service(folder)
    low = _low_price(svc)
    with svc.client() as c:
        for i in range(3):
            c.submit("paper", "600000.SH", "BUY", 100, low, client_order_id=f"lg-{i}")
        c.cancel("paper", "lg-0")
    assert svc.stop(signal.SIGTERM) == 0

    # Lines are rendered and written by the logging thread in batches; the stop writes out
    # whatever is still queued.
    text = (folder / "logs" / "ashare-exec.jsonl").read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    actions = {
        (rec["client_order_id"], rec["action"])
        for rec in lines
        if rec.get("event") == "order_action"
    }
    assert {(f"lg-{i}", "submit") for i in range(3)} <= actions
    assert {(f"lg-{i}", "send_sent") for i in range(3)} <= actions
    assert ("lg-0", "cancel_sent") in actions
    assert any(rec["level"] == "info" and rec["logger"] for rec in lines)


def test_pre_close_cleanup_cancels_working_orders_on_the_simulated_clock(tmp_path: Path) -> None:
    svc = start_service(tmp_path / "svc", start="2026-11-25T14:55:40+08:00", speed=5.0)
    try:
        low = _low_price(svc)
        with svc.client() as c:
            c.submit("paper", "600000.SH", "BUY", 100, low, client_order_id="pc-1")
            deadline = time.monotonic() + 30
            status = ""
            while time.monotonic() < deadline:
                status = c.get_order("paper", "pc-1").status
                if status == "CANCELED":
                    break
                time.sleep(0.1)
            assert status == "CANCELED"
            when = c.get_order("paper", "pc-1").raw["updated_at"]
            assert "T14:56" in when
    finally:
        svc.stop()


def test_zero_config_serve_runs_the_simulator_with_a_generated_token(tmp_path: Path) -> None:
    """No config file, no token: `ashare-exec serve` starts on the simulator and writes a token."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ASHARE_EXEC_TOKEN"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ashare_exec.cli",
            "serve",
            "--port",
            "0",
            "--clock",
            "sim",
            "--start",
            "2026-11-25T10:00:00+08:00",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    url = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and url is None:
        line = proc.stdout.readline()
        lines.append(line)
        if "API:" in line:
            url = line.split()[1].removesuffix("/v1")
    try:
        assert url is not None, "".join(lines)
        token = (tmp_path / "data" / "api-token.txt").read_text(encoding="utf-8").strip()
        from ashare_exec.client import Client

        with Client(url, token) as c:
            deadline = time.monotonic() + 30
            while c._http.get("/readyz").status_code != 200 and time.monotonic() < deadline:
                time.sleep(0.05)
            px = str(Decimal(c.quote("600000.SH")["asks"][0][0]) + Decimal("0.02"))
            assert c.submit("paper", "600000.SH", "BUY", 100, px).wait(15).status == "FILLED"
            assert c._http.get("/docs").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        proc.stdout.close()
    assert (tmp_path / "logs" / "ashare-exec.jsonl").is_file()
