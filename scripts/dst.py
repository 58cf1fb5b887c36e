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
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# ``tests`` is imported from the repository root: run this from a clone, not an install.
from tests.reliability.dst_harness import run_seed  # noqa: E402
from tests.reliability.seed_runs import run_seeds, seed_arguments  # noqa: E402
from tests.reliability.vloop import VirtualTimeLoop  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    seed_arguments(p, seeds=100)
    args = p.parse_args(argv)

    def run_one(seed: int, folder: Path) -> Sequence[str]:
        with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
            return runner.run(run_seed(seed, folder, steps=args.steps))

    return run_seeds(args, run_one)


if __name__ == "__main__":
    raise SystemExit(main())
