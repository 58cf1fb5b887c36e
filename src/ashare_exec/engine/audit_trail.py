"""The service's audit trail: one hash-chained file per trading day, kept writable.

The audit records a command after the engine has handled it, so a failure here must
not turn that command into an error: the order is journaled and may be at the venue
already (an HTTP 500 for it would invite a resubmit, which would fail the same way).
What the trail does instead:

* a last line left unfinished by a crash (records are written in buffered groups, so a
  kill can cut one anywhere) is completed or set aside, with a warning alert
  ``AUDIT_TAIL_REPAIRED`` and an ``audit_repaired`` record in the chain itself;
* a day file whose chain does not verify is kept under another name for inspection
  and a new chain starts, with a critical alert ``AUDIT_CHAIN_BROKEN``;
* the end-of-day seal takes those set-aside files into the day's archive too;
* a record that cannot be written raises a critical alert ``AUDIT_FAILED`` (once until
  a record is written again; a file that cannot be opened is tried again after
  :data:`REOPEN_AFTER`); the journal remains the record of what was sent.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.errors import GatewayError
from ashare_exec.observability.audit import AuditChainBroken, AuditLog, day_path
from ashare_exec.observability.audit_sync import GroupSyncedAuditLog

__all__ = ["REOPEN_AFTER", "AuditTrail"]

REOPEN_AFTER = timedelta(seconds=60)
"""After the day file failed to open, commands go unaudited this long before the next try
(opening verifies the whole file)."""

Alert = Callable[[str, str, str, Mapping[str, Any]], None]
"""``(severity, code, message, context)``."""


class AuditTrail:
    """Appends audit records to the current trading day's file; never raises.

    Args:
        directory: where the day files live.
        clock: the engine clock (record times, the day).
        alert: how to raise an alert.
    """

    def __init__(self, directory: Path, clock: Clock, alert: Alert) -> None:
        self.directory = directory
        self._clock = clock
        self._alert = alert
        self._day: date | None = None
        self._log: AuditLog | None = None
        self._failing: str | None = None
        self._retry_at: datetime | None = None

    def open_today(self) -> None:
        """Open (verify, repair) today's file now, e.g. at start-up, rather than in the
        first command; failures become alerts."""
        self._write(None)

    def append(self, kind: str, actor: str, payload: Mapping[str, Any]) -> None:
        """Append one record (failures become alerts, see the module docstring)."""
        self._write((kind, actor, payload))

    def _write(self, record: tuple[str, str, Mapping[str, Any]] | None) -> None:
        now = self._clock.now()
        if self._log is None and self._retry_at is not None and now < self._retry_at:
            return  # the file could not be opened a moment ago (alerted): no verify per command
        try:
            log = self._open(now.date())
            if record is not None:
                kind, actor, payload = record
                log.append(kind, actor, dict(payload), now)
        except (GatewayError, OSError, ValueError, TypeError) as e:
            if self._log is None:
                self._retry_at = now + REOPEN_AFTER
            reason = f"{type(e).__name__}: {e}"
            if reason != self._failing:
                self._failing = reason
                what = f"an audit record ({record[0]})" if record else "the audit file"
                self._alert(
                    "critical",
                    "AUDIT_FAILED",
                    f"{what} could not be written: {reason}",
                    {"path": str(day_path(self.directory, now.date()))},
                )
            return
        self._failing = self._retry_at = None

    def seal_day(self, day: date, archive_dir: Path) -> None:
        """Seal the day's file into the archive (opening it when another day's is open, as
        when a start closes a day the service was down for); a failure (the chain broke
        during the day, the archive is not writable) is a critical alert."""
        if (self._log is not None and self._day == day) or day_path(self.directory, day).exists():
            self._seal_own(day, archive_dir)
        for earlier in self._carried(day, archive_dir.parent):
            try:
                self._open(earlier).seal_day(earlier, archive_dir)
                self.close()
            except (GatewayError, OSError) as e:
                self._alert(
                    "critical",
                    "AUDIT_FAILED",
                    f"the audit log of {earlier} could not be sealed with {day}: {e}",
                    {"path": str(day_path(self.directory, earlier))},
                )

    def _seal_own(self, day: date, archive_dir: Path) -> None:
        try:
            if _sealed_prefix(day_path(self.directory, day), day_path(archive_dir, day)):
                # Sealed at the end of day, records since (a restart in the evening runs
                # the end of day again): the next trading day's seal carries them.
                return
            self._open(day).seal_day(day, archive_dir)
            # What crashes and damage set aside that day goes with it, for inspection.
            path = day_path(self.directory, day)
            broken = sorted(self.directory.glob(f"{path.stem}.broken-*{path.suffix}"))
            for extra in [*broken, path.with_name(path.name + ".torn")]:
                if extra.exists() and not (archive_dir / extra.name).exists():
                    shutil.copyfile(extra, archive_dir / extra.name)
                    os.chmod(archive_dir / extra.name, stat.S_IREAD | stat.S_IRGRP | stat.S_IROTH)
            # Sealing stopped the log's sync thread: a later record of the same day (an
            # operator's halt after the close) reopens the file with a thread of its own.
            self.close()
        except (GatewayError, OSError) as e:
            self._alert(
                "critical",
                "AUDIT_FAILED",
                f"the audit log of {day} could not be sealed: {e}",
                {"path": str(day_path(self.directory, day))},
            )

    def _carried(self, day: date, archive_root: Path) -> list[date]:
        """Earlier day files that no seal holds whole, for ``day``'s archive: the previous
        archived day's, when it grew after its seal (an operator's halt in the evening),
        and those of the days since without an archive (a Saturday's limit change). Each
        is sealed again, whole, into ``day``'s archive folder; older days were carried by
        earlier seals."""
        archived = [d for d in _dates(archive_root.glob("????-??-??")) if d < day]
        since = max(archived, default=None)
        out = []
        for d in _dates(self.directory.glob("audit-????-??-??.jsonl"), prefix="audit-"):
            if d >= day or (since is not None and d < since):
                continue
            path, sealed = day_path(self.directory, d), day_path(archive_root / d.isoformat(), d)
            if sealed.exists() and sealed.stat().st_size >= path.stat().st_size:
                continue  # sealed whole at its own end of day
            if not day_path(archive_root / day.isoformat(), d).exists():
                out.append(d)
        return out

    def close(self) -> None:
        """Sync and close the open file."""
        if self._log is not None:
            self._log.close()
            self._log = None

    def _open(self, day: date) -> AuditLog:
        if self._log is not None and self._day == day:
            return self._log
        self.close()
        path = day_path(self.directory, day)
        try:
            log = GroupSyncedAuditLog(path, repair_torn_tail=True)
        except AuditChainBroken as e:
            kept = _keep_aside(path)
            self._alert(
                "critical",
                "AUDIT_CHAIN_BROKEN",
                f"{e.message}; the file is kept as {kept.name} and a new chain starts",
                {"path": str(kept)},
            )
            log = GroupSyncedAuditLog(path)
        self._log, self._day = log, day
        repaired = log.repaired
        if repaired is not None:
            what = (
                "completed its last record's line"
                if repaired.completed
                else f"set aside {repaired.set_aside} bytes of an unfinished record in "
                f"{repaired.aside.name if repaired.aside else '?'}"
            )
            self._alert(
                "warning",
                "AUDIT_TAIL_REPAIRED",
                f"audit log {path.name} was cut short by a crash: {what}",
                {"path": str(path)},
            )
            payload = {
                "completed": repaired.completed,
                "set_aside_bytes": repaired.set_aside,
                "aside": repaired.aside.name if repaired.aside else None,
            }
            log.append("audit_repaired", "engine", payload, self._clock.now())
            log.sync()  # rare, and the repair must not itself be lost to the next crash
        return log


def _sealed_prefix(path: Path, sealed: Path) -> bool:
    """Whether ``sealed`` (a sealed copy) is a strict prefix of the live file ``path``."""
    if not sealed.exists() or not path.exists():
        return False
    size = sealed.stat().st_size
    if path.stat().st_size <= size:
        return False
    with path.open("rb") as live:
        return live.read(size) == sealed.read_bytes()


def _dates(paths: Iterable[Path], prefix: str = "") -> list[date]:
    """The dates that name ``paths`` (after ``prefix``), sorted; other names are skipped."""
    out = []
    for p in paths:
        try:
            out.append(date.fromisoformat(p.stem.removeprefix(prefix)))
        except ValueError:
            continue
    return sorted(out)


def _keep_aside(path: Path) -> Path:
    """Rename a broken day file to the first free ``<name>.broken-N.jsonl``."""
    n = 1
    while True:
        kept = path.with_name(f"{path.stem}.broken-{n}{path.suffix}")
        if not kept.exists():
            path.replace(kept)
            return kept
        n += 1
