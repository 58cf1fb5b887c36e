"""The disk's own commit cost: the floor under durable journaling.

Measures ``os.fsync`` after a small append, and one SQLite (WAL, ``synchronous=FULL``)
transaction of one small row, in the folder given (default: a temporary folder, i.e. the
same disk the other benchmarks use). The latency target for durable mode is
"fsync p99 + 100 µs".

Run: ``python bench/bench_fsync.py [--n 500] [--dir PATH]``.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _harness import emit, percentiles


def fsync_latency(folder: Path, n: int) -> list[float]:
    out = []
    with open(folder / "fsync.bin", "ab") as f:
        for _ in range(n):
            f.write(b"x" * 200)
            f.flush()
            t = time.perf_counter()
            os.fsync(f.fileno())
            out.append((time.perf_counter() - t) * 1e6)
    return out


def sqlite_commit_latency(folder: Path, n: int) -> list[float]:
    conn = sqlite3.connect(folder / "c.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT)")
    out = []
    for i in range(n):
        t = time.perf_counter()
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, "x" * 200))
        conn.execute("COMMIT")
        out.append((time.perf_counter() - t) * 1e6)
    conn.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--dir", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        fs = percentiles(fsync_latency(Path(d), args.n))
        sq = percentiles(sqlite_commit_latency(Path(d), args.n))
    rows = [
        (name, str(r["p50_us"]), str(r["p95_us"]), str(r["p99_us"]), str(r["max_us"]))
        for name, r in (("fsync", fs), ("sqlite_wal_full_commit", sq))
    ]
    emit(
        "fsync",
        {"fsync": fs, "sqlite_commit": sq, "dir": str(args.dir or tempfile.gettempdir())},
        rows,
        ("what", "p50 µs", "p95 µs", "p99 µs", "max µs"),
    )


if __name__ == "__main__":
    main()
