"""Collector pauses over a long run of the order path (a plain script, not a test).

Runs ``--orders`` orders through the service layer at saturation (fast journal, INFO log
lines, as ``bench_order_path.py``) in chunks, and times every pass of CPython's cyclic
collector with ``gc.callbacks``, by generation. A trading day keeps its orders alive, so
what matters is what the collector does once tens of thousands of them exist; the short
order-path runs never get there.

``--policy``:

* ``serve`` — what ``ashare-exec serve`` does (``engine/heap.py``: thresholds, survivors of
  every pass frozen);
* ``thresholds`` — ``engine/heap.py``'s thresholds only, survivors left to age (what
  ``serve`` did before);
* ``default`` — CPython's own settings.

Run: ``python bench/bench_gc.py [--orders 60000] [--chunk 20000] [--policy serve]
[--threshold0 N]``. Prints a table (one row per chunk, cumulative), then JSON.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _harness import build, emit
from bench_order_path import saturation

from ashare_exec.engine import heap
from ashare_exec.engine.runner import run_loop


class PassTimer:
    """Durations of the collector's passes, by generation (a ``gc.callbacks`` entry)."""

    def __init__(self) -> None:
        self.passes: list[tuple[int, float]] = []
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._t0 = time.perf_counter()
        else:
            self.passes.append((info["generation"], time.perf_counter() - self._t0))

    def summary(self) -> dict[str, dict[str, float]]:
        out = {}
        for g in (0, 1, 2):
            ms = [d * 1000 for gen, d in self.passes if gen == g]
            out[f"gen{g}"] = {
                "passes": len(ms),
                "max_ms": round(max(ms), 1) if ms else 0.0,
                "total_ms": round(sum(ms), 1),
            }
        return out


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-gc-") as d:
        service = build(Path(d), "fast", log_level="INFO")
        await service.start()
        timer = PassTimer()
        previous = gc.get_threshold()
        try:
            await saturation(service, 500, 32, "service", "w")
            if args.threshold0:
                heap.THRESHOLDS = (args.threshold0, *heap.THRESHOLDS[1:])
            if args.policy == "serve":
                heap.configure()
                heap.settle()
            elif args.policy == "thresholds":
                gc.set_threshold(*heap.THRESHOLDS)
                gc.collect()
                gc.freeze()  # the start-up state, as serve froze it
            gc.callbacks.append(timer)
            done = 0
            while done < args.orders:
                r = await saturation(service, args.chunk, 256, "service", f"c{done}-")
                done += args.chunk
                rows.append({"orders": done, "orders_per_s": r["orders_per_s"], **timer.summary()})
        finally:
            if timer in gc.callbacks:
                gc.callbacks.remove(timer)
            heap.reset(previous)
            gc.unfreeze()
            service.shutdown_timeout_s = 1.0
            await service.stop()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=60_000)
    ap.add_argument("--chunk", type=int, default=20_000)
    ap.add_argument("--policy", choices=("serve", "thresholds", "default"), default="serve")
    ap.add_argument("--threshold0", type=int, default=0, help="override heap.THRESHOLDS[0]")
    args = ap.parse_args()
    rows = run_loop(run(args))

    def cell(r: dict[str, Any], g: int) -> str:
        s = r[f"gen{g}"]
        return f"{s['passes']} / {s['max_ms']} / {s['total_ms']}"

    emit(
        "gc",
        {
            "policy": args.policy,
            "thresholds": list(heap.THRESHOLDS) if args.policy != "default" else None,
            "results": rows,
        },
        [
            (str(r["orders"]), str(r["orders_per_s"]), cell(r, 0), cell(r, 1), cell(r, 2))
            for r in rows
        ],
        ("orders", "orders/s", "gen0 passes / max ms / total", "gen1", "gen2"),
    )


if __name__ == "__main__":
    main()
