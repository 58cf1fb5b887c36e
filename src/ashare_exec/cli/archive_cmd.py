"""``ashare-exec archive``: list and read the end-of-day archives (no service needed).

Each trading day is archived at end of day under ``<data_dir>/archive/<day>/`` with a
SHA-256 manifest; reading one verifies every checksum.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ashare_exec.errors import InvalidRequest, JournalError

__all__ = ["register"]


def _list(args: argparse.Namespace) -> int:
    from ashare_exec.journal.archive import list_archives

    found = list_archives(Path(args.data_dir) / "archive")
    rows = [{"day": a.day.isoformat(), "events": a.events, "path": str(a.path)} for a in found]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif not rows:
        print("(no archived day)")
    else:
        for r in rows:
            print(f"{r['day']}  {r['events']:>8} events  {r['path']}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from ashare_exec.journal.archive import read_archive

    path = Path(args.data_dir) / "archive" / args.day
    if not path.is_dir():
        raise InvalidRequest(f"no archive for {args.day} under {path.parent}")
    try:
        day = read_archive(path)
    except JournalError as e:
        print(f"error: archive {path} failed verification: {e.message}")
        return 1
    summary: dict[str, Any] = {
        "day": day.day.isoformat(),
        "verified": True,
        "events": len(day.events),
        "orders": len(day.orders),
        "fills": len(day.fills),
        "positions": day.positions,
        "cash": day.cash,
    }
    if args.orders:
        summary["order_list"] = day.orders
    print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
    return 0


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``archive list`` and ``archive show DAY``."""
    p = sub.add_parser("archive", help="list or read end-of-day archives")
    inner = p.add_subparsers(dest="archive_command", metavar="ACTION")
    q = inner.add_parser("list", help="list archived days")
    q.add_argument("--data-dir", default="data")
    q.add_argument("--json", action="store_true")
    q.set_defaults(handler=_list)
    q = inner.add_parser("show", help="verify and summarise one archived day")
    q.add_argument("day", help="YYYY-MM-DD")
    q.add_argument("--data-dir", default="data")
    q.add_argument("--orders", action="store_true", help="include every order")
    q.set_defaults(handler=_show)
    p.set_defaults(handler=lambda _a: (p.print_help(), 2)[1])
