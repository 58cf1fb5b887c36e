"""Verifying a day's audit chain: what the end-of-day seal and the reopening of the day's
file cost (both verify the whole chain, on the event loop).

For each size N: an audit file of N submit records written through ``AuditLog``, then
``verify`` timed ``--repeat`` times (median), and the same chain checked the old way —
each line parsed and its record serialised canonically to be hashed (``check_line``) —
for comparison.

Run: ``python bench/bench_audit.py [--sizes 10000,100000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _harness import emit

from ashare_exec.clock import CST
from ashare_exec.observability.audit import AuditLog
from ashare_exec.observability.audit_chain import GENESIS_HASH, check_line, verify

T0 = datetime(2026, 11, 25, 10, tzinfo=CST)


def _write(path: Path, n: int) -> None:
    log = AuditLog(path, fsync=False)
    for i in range(n):
        payload = {
            "action": "submit", "account_id": "paper", "client_order_id": f"c{i}",
            "symbol": "600000.SH", "side": "BUY", "qty": 100, "price": "10.00", "status": "NEW",
        }  # fmt: skip
        log.append("command", "api", payload, T0)
    log.close()


def _check_each_line(path: Path) -> int:
    prev, count = GENESIS_HASH, 0
    for index, line in enumerate(path.read_text(encoding="utf-8").split("\n")[:-1]):
        problem, rec = check_line(index, line, prev)
        if problem is not None or rec is None:
            raise SystemExit(f"line {index}: {problem}")
        prev, count = str(rec["hash"]), count + 1
    return count


def run_size(n: int, repeat: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as d:
        path = Path(d) / "audit.jsonl"
        _write(path, n)
        fast, slow = [], []
        for _ in range(repeat):
            t0 = time.perf_counter()
            result = verify(path)
            fast.append(time.perf_counter() - t0)
            if not result.ok or result.records != n:
                raise SystemExit(f"the chain did not verify: {result}")
            t0 = time.perf_counter()
            _check_each_line(path)
            slow.append(time.perf_counter() - t0)
    return {
        "records": n,
        "verify_s": round(statistics.median(fast), 3),
        "reserialising_s": round(statistics.median(slow), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    results = {s: run_size(int(s), args.repeat) for s in args.sizes.split(",") if s}
    rows = [(k, str(r["verify_s"]), str(r["reserialising_s"])) for k, r in results.items()]
    emit(
        "audit_verify",
        {"repeat": args.repeat, "results": results},
        rows,
        ("records", "verify s", "re-serialising each record s"),
    )


if __name__ == "__main__":
    main()
