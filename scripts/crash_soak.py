"""Crash soak (issues 4 and 10): SIGKILL the gateway under load N times and check each restart.

Usage::

    python scripts/crash_soak.py --cycles 1000 --seed 7 [--dir PATH] [--durability fast]
                                 [--day-every N] [--venue qmt|xtp]

Each cycle starts the real service on the same data folder, checks every invariant against
the simulator's durable state (no order lost, none sent twice, orders and ledger equal the
venue's), puts it under load and kills it with SIGKILL at a random moment. A last life
checks again and stops gracefully. Prints one line per cycle and a JSON summary; exits 1 on
the first violation (with the seed and cycle that reproduce it).

``--day-every N`` moves to the next trading day every N cycles. On every other day the
service is down at the close and the next start closes that day; on the others the day's
last cycle starts after the close, where the scheduler's end of day runs at once (SIGKILLed
during it half of the time). A day's first start is SIGKILLed during start-up half of the
time.
It also keeps a long soak's day small (restarts slow down as one day's orders pile up).

``--venue qmt`` runs the gateway on the QMT adapter (real xtquant) against a MiniQMT
emulator in a process of its own, which outlives every kill; with ``--day-every`` it moves
to the next day with the gateway (down or up at its close) and then lists only that day's
orders, as a real terminal does. ``--venue xtp`` does the same on the vn.py adapter (the
real vnpy_xtp gateway) against an XTP server emulator in a process of its own; its orders
are mapped back to ours through the surrogates the adapter journaled before sending.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.reliability.crash_harness import CrashSoak, Violation  # noqa: E402

# ``tests`` is imported from the repository root: run this from a clone, not an install.


def _interrupt(_sig: int, _frame: object) -> None:
    # Once: `timeout` signals the process and then its group, and a second interrupt
    # would cut short the clean-up (the stand-alone MiniQMT) and lose the summary.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cycles", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dir", type=Path, default=None, help="data folder (default: a temp dir)")
    p.add_argument("--durability", choices=["durable", "fast"], default="durable")
    p.add_argument(
        "--day-every", type=int, default=0, help="cycles per trading day (0: all on one day)"
    )
    p.add_argument("--venue", choices=["sim", "qmt", "xtp"], default="sim")
    p.add_argument("--quiet", action="store_true", help="only the summary")
    args = p.parse_args(argv)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="crash-soak-"))
    soak = CrashSoak(
        folder,
        seed=args.seed,
        durability=args.durability,
        day_every=args.day_every,
        venue=args.venue,
    )
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in background
    signal.signal(signal.SIGTERM, _interrupt)
    t0 = time.monotonic()
    failure = None
    interrupted = False
    try:
        for life in range(args.cycles):
            r = soak.run_life(life)
            if not args.quiet:
                print(
                    f"cycle {life:5d}: answered {r.answered:3d}, no answer {r.unanswered}, "
                    f"cancels {r.cancels:3d}, resubmitted {r.resubmits}, "
                    f"killed after {r.killed_after_s:.3f}s, orders checked {r.orders_checked}"
                    + (", after the close (end of day)" if r.end_of_day else "")
                    + (", MiniQMT restarted before it" if r.terminal_restarted else "")
                    + (f", venue down at start for {r.venue_down_s:.3f}s" if r.venue_down_s else "")
                    + (f", day closed and checked {r.days_checked}" if r.days_checked else "")
                    + (
                        f", killed in start-up after {r.start_killed_after_s:.3f}s"
                        if r.start_killed_after_s
                        else ""
                    ),
                    flush=True,
                )
        soak.run_life(args.cycles, kill=False)
    except Violation as e:
        failure = str(e)
    except KeyboardInterrupt:  # Ctrl-C: still report what was checked
        interrupted = True
    finally:
        soak.close()
    summary = {
        "seed": args.seed,
        "cycles_requested": args.cycles,
        "kills": sum(1 for r in soak.lives if r.killed_after_s > 0),
        "restarts_checked": len(soak.lives),
        "orders_answered": len(soak.answered),
        "answers_lost_to_kill_then_resubmitted": sum(r.resubmits for r in soak.lives),
        "cancels": sum(r.cancels for r in soak.lives),
        "start_up_kills": sum(1 for r in soak.lives if r.start_killed_after_s > 0),
        "end_of_day_lives": sum(1 for r in soak.lives if r.end_of_day),
        "terminal_restarts": sum(1 for r in soak.lives if r.terminal_restarted),
        "venue_down_at_start": sum(1 for r in soak.lives if r.venue_down_s),
        "killed_during_end_of_day": sum(
            1 for r in soak.lives if r.end_of_day and r.killed_after_s > 0
        ),
        "days_closed_and_checked": len(soak.days_closed),
        "day_every": args.day_every,
        "durability": args.durability,
        "venue": args.venue,
        "venue_knobs_on": {k: v for k, v in soak.venue_knobs.items() if v},
        "seconds": round(time.monotonic() - t0, 1),
        "violation": failure,
        "interrupted": interrupted,
        "data_dir": str(folder),
    }
    print(json.dumps(summary, indent=2))
    return 1 if failure else 0


if __name__ == "__main__":
    raise SystemExit(main())
