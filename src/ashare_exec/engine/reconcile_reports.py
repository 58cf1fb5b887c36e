"""Reconciliation reports: each reconcile that found something (and every one that was
not the minute's timer) is kept as a JSON file in ``data/reconcile/``; each day's archive
takes the reports written since the previous archive into its ``reconcile/`` folder, so
the folder does not grow without end.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
from pathlib import Path
from typing import Any

from ashare_exec.oms.reconcile import BalanceMismatch, ReconcileReport

__all__ = [
    "REPORTS_IN_ARCHIVE",
    "balance_mismatch",
    "file_reports",
    "mismatch_counts",
    "unexplained",
    "write_report",
]

log = logging.getLogger(__name__)

REPORTS_IN_ARCHIVE = "reconcile"
"""The folder of a day's archive that holds its reconciliation reports."""


def write_report(
    report_dir: Path, rep: ReconcileReport, why: str, applied: int, corrections: list[Any]
) -> Path:
    """Write one reconcile's findings as ``<account>-<time>-<why>.json``; return the path."""
    report_dir.mkdir(parents=True, exist_ok=True)
    stamp = rep.ts_event.strftime("%Y%m%dT%H%M%S%f")
    body = {
        "account_id": rep.account_id,
        "ts": rep.ts_event.isoformat(),
        "why": why,
        "applied_events": applied,
        "adopted": [e.client_order_id for e in rep.adopted_events],
        "missing_fills": [f.trade_id for f in rep.missing_fills],
        "status_changes": [
            {"client_order_id": e.client_order_id, "event": type(e).__name__}
            for e in rep.status_events
        ],
        "fills_gaps": dict(rep.fills_gaps),
        "unmatched_fills": [f.trade_id for f in rep.unmatched_fills],
        "quarantined": [reason for _, reason in rep.quarantined],
        "missing_at_venue": list(rep.missing_at_venue),
        "unseen_freezes": {c: str(v) for c, v in rep.unseen_freezes.items()},
        "balances_deferred": rep.balances_deferred,
        "corrections": [
            {
                "symbol": str(c.instrument_id) if c.instrument_id else None,
                "field": c.field,
                "before": str(c.before),
                "after": str(c.after),
                "exceeds_tolerance": c.exceeds_tolerance,
                "reason": c.reason,
            }
            for c in corrections
        ],
    }
    path = report_dir / f"{rep.account_id}-{stamp}-{why}.json"
    # Written aside, then renamed: the archive, on its own thread, takes only whole files.
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(body, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    return path


def file_reports(report_dir: Path, archive_dir: Path) -> int:
    """Move every report in ``report_dir`` into ``archive_dir/reconcile/``, read-only;
    return how many. A report that cannot be moved stays for the next archive (logged)."""
    if not report_dir.is_dir():
        return 0
    reports = sorted(report_dir.glob("*.json"))
    if not reports:
        return 0
    dest = archive_dir / REPORTS_IN_ARCHIVE
    moved = 0
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for path in reports:
            target = dest / path.name
            if target.exists():  # a move a crash cut short (a copy across disks)
                if target.read_bytes() == path.read_bytes():
                    path.unlink()
                    continue
                target = dest / f"{path.stem}-again{path.suffix}"
            shutil.move(path, target)
            os.chmod(target, stat.S_IREAD | stat.S_IRGRP | stat.S_IROTH)
            moved += 1
    except OSError as e:
        log.warning("reconciliation reports not filed in %s: %s", dest, e)
    return moved


def mismatch_counts(rep: ReconcileReport, corrections: list[Any]) -> dict[str, tuple[int, bool]]:
    """Per kind: how many, and whether any is beyond the tolerance (order kinds always are)."""
    position = [c for c in corrections if c.instrument_id is not None]
    cash = [c for c in corrections if c.instrument_id is None]
    counts = {
        "unknown_order": (len(rep.adopted_events), True),
        "missing_fill": (len(rep.missing_fills), True),
        "order_status": (len(rep.status_events), True),
        "position": (len(position), any(c.exceeds_tolerance for c in position)),
        "cash": (len(cash), any(c.exceeds_tolerance for c in cash)),
    }
    return {k: v for k, v in counts.items() if v[0]}


def balance_mismatch(c: Any) -> BalanceMismatch:
    """A ledger correction as the report lists it."""
    return BalanceMismatch(
        c.account_id, c.instrument_id, c.field, c.before, c.after, c.exceeds_tolerance
    )


def unexplained(rep: ReconcileReport) -> str:
    """What the venue reported that reconciliation could not account for ('' when none)."""
    parts = []
    if rep.fills_gaps:
        shares = sum(rep.fills_gaps.values())
        parts.append(f"{shares} filled shares its trade list does not explain")
    if rep.unmatched_fills:
        parts.append(f"{len(rep.unmatched_fills)} trades matching none of our orders")
    if rep.quarantined:
        parts.append(f"{len(rep.quarantined)} reports it could not apply")
    return "; ".join(parts)
