"""Running many seeds of a seeded suite from a script (``scripts/dst.py``,
``scripts/venue_soak.py``): arguments, a quiet log, one folder per seed, the summary."""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tests.reliability.dst_checks import DstFailure

__all__ = ["run_seeds", "seed_arguments"]


def seed_arguments(p: argparse.ArgumentParser, *, seeds: int) -> None:
    """Add ``--seeds``, ``--first``, ``--seed``, ``--steps`` and ``--trace``."""
    p.add_argument("--seeds", type=int, default=seeds, help="how many seeds")
    p.add_argument("--first", type=int, default=0, help="first seed")
    p.add_argument("--seed", type=int, default=None, help="run only this seed")
    p.add_argument("--steps", type=int, default=40, help="steps per seed")
    p.add_argument("--trace", action="store_true", help="print each seed's trace")


def _quiet() -> None:
    import structlog

    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())
    logging.disable(logging.CRITICAL)


def run_seeds(
    args: argparse.Namespace,
    run_one: Callable[[int, Path], Sequence[str]],
    extra: dict[str, Any] | None = None,
) -> int:
    """Run ``run_one(seed, folder)`` for each seed of ``args`` on a fresh folder (tmpfs
    where there is one); print each failure as it comes and a JSON summary at the end.
    Returns the exit code (1 if any seed failed)."""
    _quiet()
    seeds = [args.seed] if args.seed is not None else range(args.first, args.first + args.seeds)
    base = Path("/dev/shm") if Path("/dev/shm").is_dir() else None
    failures: list[str] = []
    steps = 0
    t0 = time.monotonic()
    for seed in seeds:
        with tempfile.TemporaryDirectory(dir=base) as d:
            try:
                trace = run_one(seed, Path(d))
            except DstFailure as e:
                failures.append(str(e))
                print(f"FAIL {e}", flush=True)
                continue
        steps += args.steps
        if args.trace:
            print(f"seed {seed}:\n  " + "\n  ".join(trace), flush=True)
    summary = {
        **(extra or {}),
        "seeds": len(seeds),
        "steps_per_seed": args.steps,
        "steps_checked": steps,
        "failures": len(failures),
        "failing_seeds": [f.split(":")[0] for f in failures],
        "seconds": round(time.monotonic() - t0, 1),
    }
    print(json.dumps(summary, indent=2))
    return 1 if failures else 0
