"""Venue fault soaks: any number of seeds of the service on a broker adapter and its real
vendor client, against the in-process emulator of the broker's side.

Usage::

    python scripts/venue_soak.py --venue qmt --seeds 200 [--first 0] [--steps 40]
    python scripts/venue_soak.py --venue xtp --seed 22 --steps 40 --trace   # one seed

``qmt``: the QMT adapter and xtquant's ``XtQuantTrader`` against the MiniQMT emulator
(needs xtquant, ``.ci/install-xtquant.sh``); ``xtp``: the vn.py adapter and vnpy_xtp's
``XtpGateway`` against the XTP server emulator (needs vnpy + vnpy_xtp,
``.ci/install-vnpy.sh``). Both emulators' counter is the built-in simulator. Each seed has
a fixed schedule of steps and faults and checks the invariants after each step, and now
and then moves on to the next trading day (``tests/reliability/venue_days.py``); the
emulators answer on their own threads, so the timing of what they deliver is not fixed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# ``tests`` is imported from the repository root: run this from a clone, not an install.
from tests.reliability.seed_runs import run_seeds, seed_arguments  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--venue", choices=("qmt", "xtp"), default="qmt", help="which adapter")
    seed_arguments(p, seeds=50)
    args = p.parse_args(argv)
    if args.venue == "qmt":
        from tests.reliability.qmt_soak import run_qmt_seed as run_seed
    else:
        from tests.reliability.xtp_soak import run_xtp_seed as run_seed

    def run_one(seed: int, folder: Path) -> Sequence[str]:
        return asyncio.run(run_seed(seed, folder, steps=args.steps))

    return run_seeds(args, run_one, {"venue": args.venue})


if __name__ == "__main__":
    raise SystemExit(main())
