"""Venue fault soaks: any number of seeds of the service on a broker adapter and its real
vendor client, against the in-process emulator of the broker's side.

Usage::

    python scripts/venue_soak.py --venue qmt --seeds 200 [--first 0] [--steps 40]
    python scripts/venue_soak.py --venue xtp --seed 22 --steps 40 --trace   # one seed

``qmt``: the QMT adapter and xtquant's ``XtQuantTrader`` against the MiniQMT emulator
(needs xtquant, ``.ci/install-xtquant.sh``); ``xtp``: the vn.py adapter and vnpy_xtp's
``XtpGateway`` against the XTP server emulator (needs vnpy + vnpy_xtp,
``.ci/install-vnpy.sh``). Both emulators' counter is the built-in simulator. Each seed has
a fixed schedule of steps and faults and checks the invariants after each step; the
emulators answer on their own threads, so the timing of what they deliver is not fixed.
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


def _quiet() -> None:
    import structlog

    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    logging.disable(logging.CRITICAL)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--venue", choices=("qmt", "xtp"), default="qmt", help="which adapter")
    p.add_argument("--seeds", type=int, default=50, help="how many seeds")
    p.add_argument("--first", type=int, default=0, help="first seed")
    p.add_argument("--seed", type=int, default=None, help="run only this seed")
    p.add_argument("--steps", type=int, default=40, help="steps per seed")
    p.add_argument("--trace", action="store_true", help="print each seed's trace")
    args = p.parse_args(argv)
    _quiet()
    if args.venue == "qmt":
        from tests.reliability.qmt_soak import run_qmt_seed as run_seed
    else:
        from tests.reliability.xtp_soak import run_xtp_seed as run_seed
    seeds = [args.seed] if args.seed is not None else range(args.first, args.first + args.seeds)
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    failures: list[str] = []
    steps = 0
    t0 = time.monotonic()
    for seed in seeds:
        with tempfile.TemporaryDirectory(dir=base) as d:
            try:
                trace = asyncio.run(run_seed(seed, Path(d), steps=args.steps))
            except DstFailure as e:
                failures.append(str(e))
                print(f"FAIL {e}", flush=True)
                continue
        steps += args.steps
        if args.trace:
            print(f"seed {seed}:\n  " + "\n  ".join(trace), flush=True)
    summary = {
        "venue": args.venue,
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
