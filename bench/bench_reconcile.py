"""The timer reconcile during a busy day: how long it takes and how long it holds the loop.

Every ``reconcile_interval_s`` (60 s by default) the service lists the venue's orders and
trades of the whole day and diffs them against its own (``engine/reconciler.py``). The
event loop serves orders meanwhile, so the longest stretch the reconcile keeps it busy is
a latency spike every order sent during it pays.

For each size N: a service on the simulator (as ``bench_order_path.py`` builds it, fast
durability, no per-order log lines) takes N marketable orders, all filled; then the timer
reconcile runs ``--repeat`` times while a probe task on the loop asks to wake every 1 ms.
Reported per size: the reconcile's wall time and the longest time the probe waited beyond
its 1 ms (the loop stall), medians over the repeats; and whether the reconcile was clean
(it must be: the venue and the service agree).

``--venue qmt`` puts the QMT adapter (real ``xttrader`` client code) and the in-process
MiniQMT emulator in place of the simulator's adapter: the broker's rows then become reports
on the loop, as in production. Keep its sizes to ~2,000: the emulator's ticker moves prices
in real time while the bench's clock stands still (``bench_order_path.py``). With QMT it
also times a burst of ``--lookups`` single-order lookups at once (``query_order``, as the
in-flight timer does for every silent order after a stall; QMT has no query by our id, so
each is answered from the day's listing): the wall time, the longest loop stall and how many
listings the emulator served; and the loop time to convert one listing of orders and one
of trades into reports, fresh and with every row unchanged since the previous listing.

Run: ``python bench/bench_reconcile.py [--sizes 1000,10000,30000] [--repeat 5] [--venue
sim|qmt] [--lookups 50]``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _harness import ACCOUNT, build, emit
from bench_order_path import saturation

from ashare_exec.engine import heap
from ashare_exec.engine.runner import run_loop
from ashare_exec.model import AccountId
from ashare_exec.testing.miniqmt.loader import current_terminal
from ashare_exec.venues.qmt import parsing as p


async def _stall_during(work: Any) -> tuple[float, float, Any]:
    """Run ``work`` (an awaitable) with a 1 ms probe beside it; (wall s, stall s, result)."""
    lags: list[float] = []
    done = asyncio.Event()

    async def probe() -> None:
        while not done.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append(time.perf_counter() - t - 0.001)

    task = asyncio.ensure_future(probe())
    await asyncio.sleep(0.005)
    t0 = time.perf_counter()
    result = await work
    wall = time.perf_counter() - t0
    done.set()
    await task
    return wall, max(lags, default=0.0), result


async def _conversion(service: Any) -> dict[str, Any]:
    """Loop time to turn one listing of orders and of trades into reports: fresh (a new
    connection), and again with every row unchanged (``venues/qmt/listing.py``)."""
    account = AccountId(ACCOUNT)
    adapter = service.core.accounts[account].venue
    orders = await adapter._query_rows("orders", account, p.copy_order)
    trades = await adapter._query_rows("trades", account, p.copy_trade)
    router = adapter.router
    out = {}
    for label, fresh in (("fresh", True), ("unchanged", False)):
        if fresh:
            router._orders_listed._last.clear()
            router._trades_listed._last.clear()
        t0 = time.perf_counter()
        router.status_reports(account, orders)
        router.fill_reports(account, trades)
        out[f"convert_{label}_ms"] = round((time.perf_counter() - t0) * 1000, 2)
    return out


async def _lookup_burst(service: Any, n: int) -> dict[str, Any]:
    """``n`` concurrent ``query_order`` calls for the first ``n`` orders of the day."""
    adapter = service.core.accounts[AccountId(ACCOUNT)].venue
    terminal = current_terminal()
    assert terminal is not None
    calls = terminal.calls
    before = sum(1 for m, _ in calls if m == "queryStockOrdersWithSeq")
    cids = [o.spec.client_order_id for o in service.core.state.book.orders()][:n]
    lookups = asyncio.gather(*(adapter.query_order(AccountId(ACCOUNT), c) for c in cids))
    wall, stall, found = await _stall_during(lookups)
    assert all(r is not None for r in found)
    return {
        "lookups": len(cids),
        "burst_ms": round(wall * 1000, 1),
        "burst_stall_ms": round(stall * 1000, 1),
        "burst_listings": sum(1 for m, _ in calls if m == "queryStockOrdersWithSeq") - before,
    }


async def run_size(n: int, repeat: int, venue: str, lookups: int = 0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-") as d:
        service = build(Path(d), "fast", log_level="WARNING", venue=venue)
        await service.start()
        try:
            await saturation(service, n, 64 if venue == "qmt" else 128, "service", "r")
            heap.configure()  # the collector as `ashare-exec serve` sets it
            heap.settle()
            account = AccountId(ACCOUNT)
            walls, stalls, clean = [], [], True
            for _ in range(repeat):
                wall, stall, rep = await _stall_during(
                    service.reconciler.reconcile(account, "timer")
                )
                walls.append(wall)
                stalls.append(stall)
                clean = clean and rep is not None and rep.clean
            burst = await _lookup_burst(service, lookups) if venue == "qmt" and lookups else {}
            if venue == "qmt":
                burst |= await _conversion(service)
        finally:
            service.shutdown_timeout_s = 1.0
            await service.stop()
    return {
        "orders": n,
        "reconcile_ms": round(statistics.median(walls) * 1000, 1),
        "longest_stall_ms": round(statistics.median(stalls) * 1000, 1),
        "worst_stall_ms": round(max(stalls) * 1000, 1),
        "clean": clean,
        "rows_skipped": rep.skipped if rep is not None else 0,
        **burst,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--sizes", default="1000,10000,30000")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--venue", choices=("sim", "qmt"), default="sim")
    ap.add_argument("--lookups", type=int, default=50, help="qmt: single-order lookups at once")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    results = {str(n): run_loop(run_size(n, args.repeat, args.venue, args.lookups)) for n in sizes}
    rows = [
        (
            str(n),
            str(r["reconcile_ms"]),
            str(r["longest_stall_ms"]),
            str(r["worst_stall_ms"]),
            str(r["clean"]),
        )
        for n, r in results.items()
    ]
    emit(
        "timer_reconcile",
        {"repeat": args.repeat, "venue": args.venue, "results": results},
        rows,
        ("orders in the day", "reconcile ms", "longest stall ms", "worst stall ms", "clean"),
    )


if __name__ == "__main__":
    main()
