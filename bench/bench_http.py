"""The order path through the HTTP API and the WebSocket event fan-out.

A real uvicorn server runs in a subprocess on 127.0.0.1 (a free port): the service built by
``build_service`` (simulator in memory, logging to file as ``serve`` does) behind
``create_app``, on the event loop ``serve`` uses (uvloop where installed) with httptools.
This process is the client, bounded in count and time: orders are sent by a minimal
keep-alive HTTP/1.1 client (``_rawhttp.py``; httpx's own per-request CPU would otherwise
dominate on two cores), cancels and the fan-out by httpx and websockets:

* ``single``: ``--n`` orders, ``POST /v1/orders``, ``--concurrency`` requests in flight;
  orders/s and request latency percentiles;
* ``batch``: ``--batches`` requests of ``--batch-size`` orders to ``/v1/orders/batch``;
* ``cancel``: resting orders cancelled one at a time, ``POST .../cancel`` latency;
* ``fanout``: ``--subscribers`` WebSocket clients on ``/v1/stream``; for orders sent at a
  fixed rate, the delay from the HTTP response to each subscriber receiving the fill.

Run: ``python bench/bench_http.py [--durability durable] [--n 4000] [--subscribers 1,10,50]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).parent))

from _harness import ACCOUNT, BUY_SYMBOLS, SYMBOLS, emit, percentiles
from _rawhttp import RawConnection

TOKEN = "bench-admin-token-0123456789abcdef"
HERE = Path(__file__).resolve()


# ---- server side (runs in the subprocess) -----------------------------------------------


def serve(folder: Path, port: int, durability: str) -> None:
    """Build the service and serve HTTP until killed."""
    import uvicorn
    from _harness import build

    from ashare_exec.api.app import create_app
    from ashare_exec.api.auth import Authenticator
    from ashare_exec.config import TokenConfig
    from ashare_exec.engine import heap
    from ashare_exec.engine.runner import run_loop

    async def main() -> None:
        service = build(folder, durability)
        await service.start()
        heap.configure()  # as `ashare-exec serve` does after start-up
        heap.settle()
        tokens = [TokenConfig("bench", TOKEN, frozenset({"admin"}))]
        app = create_app(service, Authenticator(tokens))
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", access_log=False, lifespan="off"
        )
        await uvicorn.Server(config).serve()

    run_loop(main())


# ---- client side --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Prices:
    def __init__(self, client: httpx.Client) -> None:
        self.px: dict[str, tuple[str, str, str]] = {}
        for s in SYMBOLS:
            q = client.get(f"/v1/quotes/{s}").json()
            ask, bid = Decimal(q["asks"][0][0]), Decimal(q["bids"][0][0])
            tick = Decimal(q["tick"])
            self.px[s] = (str(ask + 2 * tick), str(bid - 2 * tick), str(bid - 20 * tick))

    def order(self, k: int, prefix: str, *, resting: bool = False) -> dict[str, Any]:
        sym = BUY_SYMBOLS[k % len(BUY_SYMBOLS)] if resting else SYMBOLS[k % len(SYMBOLS)]
        buy = sym in BUY_SYMBOLS
        px = self.px[sym][2] if resting else self.px[sym][0 if buy else 1]
        return {
            "account_id": ACCOUNT,
            "symbol": sym,
            "side": "BUY" if buy else "SELL",
            "qty": 200,
            "price": px,
            "client_order_id": f"{prefix}{k}",
        }


async def _single(base: str, prices: Prices, n: int, conc: int, prefix: str) -> dict[str, Any]:
    lat: list[float] = []
    errors = 0
    counter = iter(range(n))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    conns = [await RawConnection.open(base) for _ in range(conc)]

    async def worker(c: RawConnection) -> None:
        nonlocal errors
        for k in counter:
            t = time.perf_counter()
            status, body = await c.post_json("/v1/orders", prices.order(k, prefix), headers)
            lat.append((time.perf_counter() - t) * 1e6)
            if status != 201 or body.get("status") == "DENIED":
                errors += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    dt = time.perf_counter() - t0
    for c in conns:
        await c.close()
    return {"orders": n, "concurrency": conc, "orders_per_s": round(n / dt), "errors": errors,
            "latency": percentiles(lat)}  # fmt: skip


async def _batch(
    base: str, prices: Prices, batches: int, size: int, conc: int, prefix: str
) -> dict[str, Any]:
    lat: list[float] = []
    errors = 0
    counter = iter(range(batches))
    headers = {"Authorization": f"Bearer {TOKEN}"}
    conns = [await RawConnection.open(base) for _ in range(conc)]

    async def worker(c: RawConnection) -> None:
        nonlocal errors
        for b in counter:
            body = {"orders": [prices.order(b * size + i, prefix) for i in range(size)]}
            t = time.perf_counter()
            _status, answer = await c.post_json("/v1/orders/batch", body, headers)
            lat.append((time.perf_counter() - t) * 1e6)
            results = answer["results"]
            errors += sum(1 for x in results if "error" in x or x.get("status") == "DENIED")

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in conns))
    dt = time.perf_counter() - t0
    for c in conns:
        await c.close()
    return {"batches": batches, "batch_size": size, "concurrency": conc,
            "orders_per_s": round(batches * size / dt), "errors": errors,
            "request_latency": percentiles(lat)}  # fmt: skip


async def _cancel(base: str, prices: Prices, n: int, prefix: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    lat: list[float] = []
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as c:
        for k in range(n):
            r = await c.post("/v1/orders", json=prices.order(k, prefix, resting=True))
            assert r.status_code == 201, r.text
        await asyncio.sleep(0.2)
        for k in range(n):
            t = time.perf_counter()
            r = await c.post(f"/v1/orders/{ACCOUNT}/{prefix}{k}/cancel")
            lat.append((time.perf_counter() - t) * 1e6)
            assert r.status_code < 300, r.text
    return {"cancels": n, "latency": percentiles(lat)}


async def _fanout(
    base: str, prices: Prices, subscribers: int, n: int, rate: int, prefix: str
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    ws_url = base.replace("http://", "ws://") + f"/v1/stream?kinds=fill&token=Bearer%20{TOKEN}"
    sent: dict[str, float] = {}
    delays: list[float] = []
    received = 0
    done = asyncio.Event()

    async def subscriber(ready: asyncio.Event) -> None:
        nonlocal received
        async with websockets.connect(ws_url, max_size=None) as ws:
            ready.set()
            got = 0
            while got < n:
                msg = json.loads(await ws.recv())
                coid = msg["data"].get("client_order_id", "")
                if not coid.startswith(prefix):
                    continue
                got += 1
                t = sent.get(coid)
                if t is not None:
                    delays.append((time.perf_counter() - t) * 1e6)
            received += got
            if received >= n * subscribers:
                done.set()

    readies = [asyncio.Event() for _ in range(subscribers)]
    tasks = [asyncio.create_task(subscriber(e)) for e in readies]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in readies)), 30)
    await asyncio.sleep(0.2)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as c:
        for k in range(n):
            r = await c.post("/v1/orders", json=prices.order(k, prefix))
            sent[f"{prefix}{k}"] = time.perf_counter()  # after the response: fan-out only
            assert r.status_code == 201, r.text
            await asyncio.sleep(1 / rate)
    try:
        await asyncio.wait_for(done.wait(), 60)
    finally:
        for t in tasks:
            t.cancel()
    return {"subscribers": subscribers, "orders": n, "messages": received,
            "delay_after_response": percentiles(delays)}  # fmt: skip


def run_client(base: str, args: argparse.Namespace) -> dict[str, Any]:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}) as c:
        prices = Prices(c)
    out: dict[str, Any] = {}
    asyncio.run(_single(base, prices, 300, 16, "warm"))
    out["single"] = asyncio.run(_single(base, prices, args.n, args.concurrency, "s"))
    out["batch"] = asyncio.run(
        _batch(base, prices, args.batches, args.batch_size, args.batch_concurrency, "b")
    )
    out["cancel"] = asyncio.run(_cancel(base, prices, args.cancels, "c"))
    out["fanout"] = [
        asyncio.run(_fanout(base, prices, s, args.fanout_orders, 200, f"f{s}x"))
        for s in args.subscribers
    ]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--serve", nargs=3, metavar=("FOLDER", "PORT", "DURABILITY"))
    ap.add_argument("--durability", default="durable")
    ap.add_argument("--n", type=int, default=4000)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--batches", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--batch-concurrency", type=int, default=2)
    ap.add_argument("--cancels", type=int, default=300)
    ap.add_argument("--subscribers", default="1,10,50")
    ap.add_argument("--fanout-orders", type=int, default=200)
    args = ap.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]), args.serve[2])
        return
    args.subscribers = [int(s) for s in args.subscribers.split(",") if s]
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-http-") as d:
        proc = subprocess.Popen(
            [sys.executable, str(HERE), "--serve", d, str(port), args.durability],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            deadline = time.time() + 60
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError("the server did not become ready")
                time.sleep(0.2)
            result = run_client(base, args)
        finally:
            proc.terminate()
            proc.wait(30)
    s, b, c = result["single"], result["batch"], result["cancel"]
    rows = [
        ("single", str(s["orders_per_s"]), str(s["latency"]["p50_us"]),
         str(s["latency"]["p99_us"])),
        ("batch", str(b["orders_per_s"]), str(b["request_latency"]["p50_us"]),
         str(b["request_latency"]["p99_us"])),
        ("cancel", "", str(c["latency"]["p50_us"]), str(c["latency"]["p99_us"])),
    ]  # fmt: skip
    for f in result["fanout"]:
        d_ = f["delay_after_response"]
        rows.append((f"fanout x{f['subscribers']}", "", str(d_["p50_us"]), str(d_["p99_us"])))
    emit(
        "http",
        {"durability": args.durability, "sim_state": False, "results": result},
        rows,
        ("case", "orders/s", "p50 µs", "p99 µs"),
    )


if __name__ == "__main__":
    main()
