"""Durable group commits on the journal's writer thread, alone and against a busy thread.

In durable mode the journal commits on its writer thread while the event loop keeps running
Python code. SQLite releases the GIL around each statement step, and the writer has to win
it back from the busy thread every time, each time waiting up to the interpreter's switch
interval (5 ms by default). This measures one commit of ``--orders`` orders (two events
each: submitted, accepted) with the journal as shipped (multi-row statements,
``journal/multirow.py``) and with one statement per row (``executemany``, as before),
with no competition and against a thread spinning in Python, at several switch intervals.

Run: ``python bench/bench_journal.py [--orders 40] [--commits 40] [--switch 0.005,0.001]``.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _harness import emit, flat_fee, order_events

import ashare_exec.journal.sqlite as journal_sqlite
from ashare_exec.journal.sqlite import Journal
from ashare_exec.oms.state import OmsState

SHIPPED = journal_sqlite.insert_rows


def _per_row(conn: sqlite3.Connection, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    conn.executemany(sql, rows)


def _spin(stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():
        n += 1  # pure Python: holds the GIL like a busy event loop


def commit_times(orders: int, commits: int, busy: bool) -> list[float]:
    """Milliseconds per ``Journal`` commit of ``orders`` orders (2 events each)."""
    out: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-journal-") as d:
        journal = Journal.open(Path(d) / "journal.sqlite3", durability="durable")
        state = OmsState.new(flat_fee)
        stop = threading.Event()
        if busy:
            threading.Thread(target=_spin, args=(stop,), daemon=True).start()
        try:
            k = 0
            for _ in range(commits):
                items = []
                for _ in range(orders):
                    items += [state.apply(e) for e in order_events(k, fill=False)]
                    k += 1
                batch, _first, _last = journal._prepare(items)
                t0 = time.perf_counter()
                journal._write(batch)
                out.append((time.perf_counter() - t0) * 1000)
        finally:
            stop.set()
            journal.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=40, help="orders per commit (2 events each)")
    ap.add_argument("--commits", type=int, default=40)
    ap.add_argument("--switch", default="0.005,0.001", help="sys.setswitchinterval values")
    args = ap.parse_args()
    results: dict[str, Any] = {}
    rows = []
    before = sys.getswitchinterval()
    try:
        for statements, writer in (("multi-row", SHIPPED), ("per-row", _per_row)):
            journal_sqlite.insert_rows = writer  # type: ignore[assignment]
            for busy in (False, True):
                for switch in [float(s) for s in args.switch.split(",")] if busy else [before]:
                    sys.setswitchinterval(switch)
                    t = sorted(commit_times(args.orders, args.commits, busy))
                    name = f"{statements} {'busy' if busy else 'idle'} {switch * 1000:g}ms"
                    results[name] = {
                        "median_ms": round(statistics.median(t), 3),
                        "max_ms": round(t[-1], 3),
                        "commits": len(t),
                    }
                    rows.append((statements, "busy thread" if busy else "idle",
                                 f"{switch * 1000:g}", f"{statistics.median(t):.2f}",
                                 f"{t[-1]:.2f}"))  # fmt: skip
    finally:
        journal_sqlite.insert_rows = SHIPPED
        sys.setswitchinterval(before)
    emit(
        "journal_commit",
        {"orders_per_commit": args.orders, "events_per_commit": 2 * args.orders,
         "results": results},
        rows,
        ("statements", "other thread", "switch ms", "median ms", "max ms"),
    )  # fmt: skip


if __name__ == "__main__":
    main()
