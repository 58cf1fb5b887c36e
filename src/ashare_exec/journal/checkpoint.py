"""WAL checkpoints off the committing thread.

SQLite's automatic checkpoint runs inside the commit that pushes the write-ahead log past
1,000 pages: that commit copies the log into the main file and syncs it. In ``fast`` mode
commits run on the event loop, so every few hundred orders one submit stalled for a
checkpoint (4–5 ms on the benchmark machine, the whole p99 of the order path). Here the
journal's connection has automatic checkpoints off and a background thread, with a
connection of its own, runs ``PRAGMA wal_checkpoint(PASSIVE)`` shortly after commits: a
passive checkpoint never blocks the writer and the log restarts from its beginning once
it is fully copied.

Should that thread fall behind or keep failing (a disk error it cannot fix, say), the
writer checkpoints inline again after :data:`INLINE_AFTER` commits without progress, so
the log never grows without bound.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

__all__ = ["INLINE_AFTER", "WalCheckpointer"]

INLINE_AFTER = 2000
"""Commits without a background checkpoint after which the writer checkpoints itself."""


class WalCheckpointer:
    """Copies the journal's write-ahead log into the main file from a background thread.

    The writer calls :meth:`committed` after each commit; the thread starts on the first
    one and checkpoints at most every ``interval_s`` while commits keep coming.
    """

    def __init__(self, path: Path, *, interval_s: float = 0.1) -> None:
        self.path = path
        self._interval = interval_s
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._since_progress = 0
        self.checkpoints = 0
        """Background checkpoints that completed (for tests and diagnostics)."""

    def committed(self) -> bool:
        """Note a commit; ``True`` when the writer should checkpoint inline itself."""
        if self._thread is None and not self._stopped.is_set():
            self._thread = threading.Thread(
                target=self._run, name="journal-checkpoint", daemon=True
            )
            self._thread.start()
        self._since_progress += 1
        self._wake.set()
        if self._since_progress >= INLINE_AFTER:
            self._since_progress = 0
            return True
        return False

    def stop(self) -> None:
        """Stop the thread and close its connection (before the journal closes)."""
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            while not self._stopped.is_set():
                self._wake.wait()
                if self._stopped.is_set():
                    break
                self._stopped.wait(self._interval)  # let more commits gather
                self._wake.clear()
                # A failure is retried on the next commit; the writer's inline fallback
                # bounds the log meanwhile.
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
                    self._since_progress = 0
        except sqlite3.Error:
            return  # cannot even connect: the writer's fallback takes over
        finally:
            if conn is not None:
                conn.close()
