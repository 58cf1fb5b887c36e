"""The engine's audit file: records reach the disk from a background thread.

:class:`GroupSyncedAuditLog` is an :class:`~ashare_exec.observability.audit.AuditLog` that
writes each record through to the operating system at once but leaves the fsync to a thread,
which syncs many records at a time, so the event loop never waits for the disk.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from ashare_exec.observability.audit import GENESIS_HASH, AuditLog, AuditRecord

__all__ = ["GroupSyncedAuditLog"]


class GroupSyncedAuditLog(AuditLog):
    """An :class:`AuditLog` whose records are handed to the operating system and forced to
    disk by a background thread within ``interval_s`` — one write and one fsync for many
    records instead of one each per record on the caller's thread (the event loop).

    The trade-off: a crash can lose the records of the last ``interval_s`` (the journal,
    committed before any order leaves, remains the record of what was sent)."""

    def __init__(
        self,
        path: Path,
        *,
        genesis_hash: str = GENESIS_HASH,
        interval_s: float = 0.2,
        repair_torn_tail: bool = False,
    ) -> None:
        super().__init__(
            path, genesis_hash=genesis_hash, fsync=False, repair_torn_tail=repair_torn_tail
        )
        self._flush_each = False
        self._dirty = threading.Event()
        self._stopped = threading.Event()
        self._interval = interval_s
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._syncer, name="audit-fsync", daemon=True)
        self._thread.start()

    def append(
        self, kind: str, actor: str, payload: Mapping[str, object], ts: datetime
    ) -> AuditRecord:
        """Append one record (see :meth:`AuditLog.append`); fsync follows shortly."""
        with self._lock:
            record = super().append(kind, actor, payload, ts)
        self._dirty.set()
        return record

    def _syncer(self) -> None:
        while not self._stopped.is_set():
            if not self._dirty.wait(self._interval):
                continue
            self._stopped.wait(self._interval)  # gather more records into one fsync
            self._dirty.clear()
            with self._lock:
                f = self._file
                if f is None:
                    continue
                try:
                    f.flush()
                    fd = f.fileno()
                except (OSError, ValueError):
                    continue
            # Outside the lock: appends come from the event loop and must not wait for the
            # disk. close() stops this thread before closing the file.
            with contextlib.suppress(OSError):
                os.fsync(fd)

    def close(self) -> None:
        """Sync, stop the background thread and close the file."""
        self._stopped.set()
        self._thread.join(5)
        with self._lock:
            with contextlib.suppress(OSError, ValueError):
                self.sync()
            super().close()
