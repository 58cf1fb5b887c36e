"""Day soak: one service through many simulated trading days; its memory must not grow.

Usage::

    python scripts/day_soak.py --days 60 --orders 2000 [--warmup 3] [--venue sim|qmt|vnpy]

One service (the composition root, the simulator, a simulated clock) lives through
``--days`` trading days without a restart, ``--orders`` orders a day, each day closed,
archived and rolled by its own scheduler (``tests/reliability/day_soak.py``). From the end
of the warm-up, what it allocates is traced; the sum still held after each day's archive
must stop growing. Prints a line per day and one JSON line; exits 1 when the growth per day
exceeds the bound, naming the allocation sites that grew most.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# ``tests`` is imported from the repository root: run this from a clone, not an install.
from tests.reliability.day_soak import (  # noqa: E402
    GROWTH_PER_DAY_BYTES,
    DaySoak,
    growth_per_day,
    growth_problem,
)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--days", type=int, default=20, help="trading days (default 20)")
    p.add_argument("--orders", type=int, default=500, help="orders a day (default 500)")
    p.add_argument("--warmup", type=int, default=3, help="days before tracing starts")
    p.add_argument("--dir", type=Path, help="data folder (default: a temporary one)")
    p.add_argument(
        "--venue",
        choices=("sim", "qmt", "vnpy"),
        default="sim",
        help="qmt: the QMT adapter and xtquant against the MiniQMT emulator; vnpy: the vn.py "
        "adapter and vnpy_xtp against the XTP emulator (each in a process of its own)",
    )
    args = p.parse_args(argv)
    if args.days < args.warmup + 3:
        p.error("--days must be at least --warmup + 3 (two measured days and a change)")
    logging.disable(logging.WARNING)  # the soak's own rate alerts are expected
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        t0 = time.monotonic()
        soak = DaySoak(
            folder, days=args.days, orders=args.orders, warmup=args.warmup, venue=args.venue
        )
        result = asyncio.run(soak.run())
        seconds = time.monotonic() - t0
    measured = result.days[len(result.days) - len(result.traced) :]
    for day, size in zip(measured, result.traced, strict=True):
        print(f"{day}  {size / 1024:10.1f} KiB held of what was allocated since the warm-up")
    problem = growth_problem(result)
    if result.broker_errors:
        problem = (problem or "") + f"\nthe emulator failed: {result.broker_errors[:5]}"
    print(problem or "no growth beyond the bound")
    report = {
        "script": "day_soak",
        "venue": args.venue,
        "days": args.days,
        "orders_per_day": args.orders,
        "warmup": args.warmup,
        "orders": result.orders,
        "filled": result.filled,
        "canceled": result.canceled,
        "broker_errors": len(result.broker_errors),
        "traced_kib": [round(t / 1024, 1) for t in result.traced],
        "growth_per_day_kib": round(growth_per_day(result) / 1024, 1),
        "bound_kib": GROWTH_PER_DAY_BYTES // 1024,
        # Wall time per day (traced days run several times slower): a service whose days
        # slow down as the journal grows shows it here, not in the memory measure.
        "day_s": [round(t, 2) for t in result.day_s],
        "end_of_day_s": [round(t, 2) for t in result.end_of_day_s],
        "seconds": round(seconds, 1),
        "ok": problem is None,
    }
    print(json.dumps(report))
    return 0 if problem is None else 1


if __name__ == "__main__":
    raise SystemExit(main())
