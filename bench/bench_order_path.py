"""In-process order path: submit → rules + risk → OMS → journal → simulator ack + fill →
ledger → event published on the stream.

Each order is a marketable limit order (alternating buy / sell over five symbols) that the
simulator acknowledges and fills at once, so one order makes three journaled changes
(submitted, accepted, filled) and three stream messages. Two latencies per order:

* ``submit``: from the intended send time to the return of ``ExecutionService.submit``
  (the order is checked, journaled — committed, in durable mode — and handed to the venue);
* ``fill``: from the intended send time to the fill being published on the event stream.

``saturation`` runs ``--n`` orders from ``--concurrency`` submitters and reports orders/s
(all fills published) and the event loop thread's CPU time per order (steadier than orders/s
on a shared VM, so the measure to compare code changes by). ``load R`` offers R orders/s
open-loop for ``--seconds`` (latency counted from each order's scheduled time, so queueing
is included).

Run: ``python bench/bench_order_path.py [--modes durable,fast] [--n 20000] [--rates
100,1000,5000] [--layer service|core] [--log-level INFO|WARNING] [--venue sim|qmt|vnpy]
[--sim-state]``. The audit trail is as the engine ships it (grouped fsync on a thread);
``--log-level WARNING`` shows the cost of the per-order log lines; ``--venue qmt`` puts the
QMT adapter and the MiniQMT emulator in the path (keep ``--concurrency`` ≤ 64: the adapter
refuses more pending submits); ``--venue vnpy`` the vn.py adapter, the real vnpy_xtp
gateway and the in-process XTP server emulator.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _harness import (
    ACCOUNT,
    BUY_SYMBOLS,
    SYMBOLS,
    build,
    emit,
    marketable_prices,
    percentiles,
)

from ashare_exec.api.schemas import OrderIn
from ashare_exec.engine import heap
from ashare_exec.engine.runner import loop_name, run_loop
from ashare_exec.engine.service import ExecutionService
from ashare_exec.model import AccountId, InstrumentId, Side, SubmitOrder


class Probe:
    """Records when each order's fill is published on the stream."""

    def __init__(self, service: ExecutionService) -> None:
        self.filled: dict[str, float] = {}
        self.waiters: dict[str, asyncio.Future[float]] = {}
        bus = service.bus
        original = bus.publish

        def publish(kind: str, ts: str, data: Any, account_id: str | None = None) -> Any:
            msg = original(kind, ts, data, account_id)
            if kind == "fill":
                coid = data["client_order_id"]
                now = time.perf_counter()
                self.filled[coid] = now
                fut = self.waiters.pop(coid, None)
                if fut is not None and not fut.done():
                    fut.set_result(now)
            return msg

        bus.publish = publish  # type: ignore[method-assign]

    def wait(self, coid: str) -> asyncio.Future[float]:
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        if coid in self.filled:
            fut.set_result(self.filled[coid])
        else:
            self.waiters[coid] = fut
        return fut


class Orders:
    """An endless supply of marketable orders with fresh client ids."""

    def __init__(self, service: ExecutionService, prefix: str, layer: str) -> None:
        self.prices = marketable_prices(service)
        self.prefix = prefix
        self.layer = layer
        self.counter = itertools.count()
        self.service = service

    def next(self) -> tuple[str, Any]:
        k = next(self.counter)
        sym = SYMBOLS[k % len(SYMBOLS)]
        buy = sym in BUY_SYMBOLS
        px = self.prices[sym][0 if buy else 1]
        coid = f"{self.prefix}{k}"
        if self.layer == "core":
            return coid, SubmitOrder(
                account_id=AccountId(ACCOUNT),
                instrument_id=InstrumentId.parse(sym),
                side=Side.BUY if buy else Side.SELL,
                qty=200,
                price=px,
                client_order_id=coid,  # type: ignore[arg-type]
            )
        return coid, OrderIn(
            account_id=ACCOUNT,
            symbol=sym,
            side="BUY" if buy else "SELL",
            qty=200,
            price=Decimal(px),
            client_order_id=coid,
        )

    async def submit(self, cmd: Any) -> None:
        if self.layer == "core":
            await self.service.core.submit(cmd)
        else:
            await self.service.submit(cmd, actor="bench")


def _statuses(service: ExecutionService) -> dict[str, int]:
    out: dict[str, int] = {}
    for o in service.core.state.book.orders(None):
        out[o.status.value] = out.get(o.status.value, 0) + 1
    return out


async def saturation(
    service: ExecutionService, n: int, concurrency: int, layer: str, prefix: str = "s"
) -> dict[str, Any]:
    probe = Probe(service)
    orders = Orders(service, prefix, layer)
    remaining = itertools.count()

    async def worker() -> None:
        while next(remaining) < n:
            _coid, cmd = orders.next()
            await orders.submit(cmd)

    cpu0 = time.thread_time()
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    t_submitted = time.perf_counter()
    deadline = time.perf_counter() + 30
    while len(probe.filled) < n:
        if time.perf_counter() > deadline:
            raise RuntimeError(
                f"only {len(probe.filled)} of {n} orders filled: {_statuses(service)}"
            )
        await asyncio.sleep(0.001)
    t_done = time.perf_counter()
    return {
        "orders": n,
        "concurrency": concurrency,
        "submit_per_s": round(n / (t_submitted - t0)),
        "orders_per_s": round(n / (t_done - t0)),
        "loop_cpu_us_per_order": round((time.thread_time() - cpu0) / n * 1e6, 1),
        "events_journaled": service.core.journal.last_seq,
    }


async def offered_load(
    service: ExecutionService, rate: int, seconds: float, layer: str
) -> dict[str, Any]:
    probe = Probe(service)
    orders = Orders(service, f"r{rate}x", layer)
    n = max(1, int(rate * seconds))
    submit_lat: list[float] = []
    fill_lat: list[float] = []
    tasks = []

    async def one(due: float, coid: str, cmd: Any) -> None:
        fill = probe.wait(coid)
        await orders.submit(cmd)
        submit_lat.append((time.perf_counter() - due) * 1e6)
        try:
            done = await asyncio.wait_for(fill, 30)
        except TimeoutError:
            raise RuntimeError(
                f"order {coid} not filled in 30 s (statuses: {_statuses(service)}): "
                "the simulated book may have run dry"
            ) from None
        fill_lat.append((done - due) * 1e6)

    loop = asyncio.get_running_loop()
    start = time.perf_counter() + 0.01
    interval = 1.0 / rate
    i = 0
    while i < n:
        now = time.perf_counter()
        while i < n and start + i * interval <= now:
            coid, cmd = orders.next()
            tasks.append(loop.create_task(one(start + i * interval, coid, cmd)))
            i += 1
        if i < n:
            delay = start + i * interval - time.perf_counter()
            # Loop timers are ms-coarse (uvloop rounds to whole ms) and would fire late,
            # counted as latency: sleep to 2 ms before the due time, then only yield.
            await asyncio.sleep(delay - 0.002 if delay > 0.003 else 0)
    await asyncio.gather(*tasks)
    achieved = n / (time.perf_counter() - start)
    return {
        "rate": rate,
        "orders": n,
        "achieved_per_s": round(achieved),
        "submit": percentiles(submit_lat),
        "fill": percentiles(fill_lat),
    }


async def run_mode(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as d:
        service = build(
            Path(d),
            mode,
            sim_state=args.sim_state,
            log_level=args.log_level,
            venue=args.venue,
            console=args.console,
        )
        await service.start()
        out["loop"] = loop_name()
        try:
            # warm-up (imports, caches, sqlite pages)
            await saturation(service, 500, 32, args.layer, "w")
            if args.heap == "serve":  # what `ashare-exec serve` does after start-up
                heap.configure()
                heap.settle()
            gc.collect()
            out["saturation"] = await saturation(service, args.n, args.concurrency, args.layer)
            for rate in args.rates:
                gc.collect()
                out[f"load_{rate}"] = await offered_load(service, rate, args.seconds, args.layer)
        finally:
            service.shutdown_timeout_s = 1.0
            await service.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modes", default="durable,fast")
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("--rates", default="100,1000,5000")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--layer", choices=("service", "core"), default="service")
    ap.add_argument(
        "--venue",
        choices=("sim", "qmt", "vnpy"),
        default="sim",
        help="qmt: MiniQMT emulator; vnpy: vnpy_xtp and the XTP server emulator",
    )
    ap.add_argument("--log-level", default="INFO", help="WARNING: no per-order log lines")
    ap.add_argument("--sim-state", action="store_true", help="simulator state in SQLite")
    ap.add_argument(
        "--console",
        action="store_true",
        help="also log human-readable lines to stderr, as serve in a terminal (redirect it)",
    )
    ap.add_argument(
        "--heap",
        choices=("serve", "default"),
        default="serve",
        help="serve: the collector settings `ashare-exec serve` applies (engine/heap.py)",
    )
    ap.add_argument(
        "--loop",
        choices=("serve", "asyncio"),
        default="serve",
        help="serve: the loop `ashare-exec serve` runs on (uvloop where installed)",
    )
    args = ap.parse_args()
    args.rates = [int(r) for r in args.rates.split(",") if r]
    results: dict[str, Any] = {}
    rows = []
    for mode in args.modes.split(","):
        main = run_mode(mode, args)
        r = run_loop(main) if args.loop == "serve" else asyncio.run(main)
        results[mode] = r
        sat = r["saturation"]
        rows.append(
            (
                mode,
                "saturation",
                str(sat["orders_per_s"]),
                *[""] * 6,
                str(sat["loop_cpu_us_per_order"]),
            )
        )
        for rate in args.rates:
            L = r[f"load_{rate}"]
            s, f = L["submit"], L["fill"]
            rows.append(
                (
                    mode,
                    f"{rate}/s",
                    str(L["achieved_per_s"]),
                    str(s["p50_us"]),
                    str(s["p99_us"]),
                    str(f["p50_us"]),
                    str(f["p95_us"]),
                    str(f["p99_us"]),
                    str(f["max_us"]),
                    "",
                )
            )
    emit(
        "order_path_inprocess",
        {
            "layer": args.layer,
            "sim_state": args.sim_state,
            "log_level": args.log_level,
            "venue": args.venue,
            "console": args.console,
            "loop": args.loop,
            "heap": args.heap,
            "results": results,
        },
        rows,
        (
            "mode",
            "load",
            "orders/s",
            "submit p50",
            "submit p99",
            "fill p50",
            "fill p95",
            "fill p99",
            "fill max",
            "loop CPU µs/order",
        ),
    )


if __name__ == "__main__":
    main()
