"""Deterministic simulation testing (issue 10): run any number of seeds of engine + simulator.

Usage::

    python scripts/dst.py --seeds 1000 [--first 0] [--steps 40]
    python scripts/dst.py --seed 123 --steps 40 --trace     # replay one seed, print its trace

Each seed runs the whole engine and the simulator in-process on a virtual-time event loop
and a manual simulated clock, with a random fault schedule, checking every invariant after
each step. A failing seed prints its seed, step and recent trace, and replays exactly.
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
from tests.reliability.dst_harness import DstFailure, run_seed  # noqa: E402
from tests.reliability.vloop import VirtualTimeLoop  # noqa: E402


def _quiet() -> None:
    import structlog

    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    logging.disable(logging.CRITICAL)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=100, help="how many seeds")
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
        with (
            tempfile.TemporaryDirectory(dir=base) as d,
            asyncio.Runner(loop_factory=VirtualTimeLoop) as runner,
        ):
            try:
                trace = runner.run(run_seed(seed, Path(d), steps=args.steps))
            except DstFailure as e:
                failures.append(str(e))
                print(f"FAIL {e}", flush=True)
                continue
        steps += args.steps
        if args.trace:
            print(f"seed {seed}:\n  " + "\n  ".join(trace))
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
