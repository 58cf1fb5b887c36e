"""QMT fault soak: run any number of seeds of the service on the QMT adapter and real xtquant.

Usage::

    python scripts/qmt_soak.py --seeds 200 [--first 0] [--steps 40]
    python scripts/qmt_soak.py --seed 22 --steps 40 --trace     # one seed, print its trace

Each seed runs the whole service through the QMT adapter and xtquant's ``XtQuantTrader``
against the MiniQMT emulator backed by the simulator, with a seeded schedule of steps and
terminal faults, checking the invariants after each step. The emulator answers on its own
threads: a seed's schedule is fixed, the timing of its pushes is not. Needs xtquant
(``.ci/install-xtquant.sh``).
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
from tests.reliability.dst_checks import DstFailure  # noqa: E402
from tests.reliability.qmt_soak import run_qmt_seed  # noqa: E402


def _quiet() -> None:
    import structlog

    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    logging.disable(logging.CRITICAL)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=50, help="how many seeds")
    p.add_argument("--first", type=int, default=0, help="first seed")
    p.add_argument("--seed", type=int, default=None, help="run only this seed")
    p.add_argument("--steps", type=int, default=40, help="steps per seed")
    p.add_argument("--trace", action="store_true", help="print each seed's trace")
    args = p.parse_args(argv)
    _quiet()
    seeds = [args.seed] if args.seed is not None else range(args.first, args.first + args.seeds)
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    failures: list[str] = []
    steps = 0
    t0 = time.monotonic()
    for seed in seeds:
        with tempfile.TemporaryDirectory(dir=base) as d:
            try:
                trace = asyncio.run(run_qmt_seed(seed, Path(d), steps=args.steps))
            except DstFailure as e:
                failures.append(str(e))
                print(f"FAIL {e}", flush=True)
                continue
        steps += args.steps
        if args.trace:
            print(f"seed {seed}:\n  " + "\n  ".join(trace), flush=True)
    summary = {
        "seeds": len(seeds),
        "steps_per_seed": args.steps,
        "steps_checked": steps,
        "failures": len(failures),
        "failing_seeds": [f.split(":")[0] for f in failures],
        "seconds": round(time.monotonic() - t0, 1),
    }
    print(json.dumps(summary, indent=2))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
