"""When the journal's integrity check may be skipped: the clean-close marker.

``PRAGMA quick_check`` reads the whole file (0.6–0.75 s for a 554 MB journal of 1M events).
It is run on every open *unless* the previous session closed the journal cleanly and
nothing has touched the file since. :meth:`Journal.close` records a marker in the
``state`` table (key :data:`CLEAN_CLOSE_KEY`, value ``"<page_count> <page_size>"``) as its
last write; :meth:`Journal.open` skips the check only when

* the marker is there, and its page count and size match the database's, and
* the file size is exactly ``page_count * page_size`` (not truncated or extended), and
* there was no write-ahead log with content before the open (a crash, or another
  connection's writes, leave one behind: SQLite deletes it only on a clean last close).

The marker is then deleted and the deletion checkpointed into the main file before the
journal is used, so a crash, or a copy of the main file taken while the journal is open,
never carries it. Why this is safe: ``docs/reliability.md`` ("Journal integrity check").
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

__all__ = [
    "CLEAN_CLOSE_KEY",
    "closed_cleanly",
    "mark_clean_close",
    "take_clean_close_mark",
    "wal_has_content",
]

CLEAN_CLOSE_KEY = "journal.clean_close"
"""``state`` key of the clean-close marker."""


def _geometry(conn: sqlite3.Connection) -> str:
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    return f"{int(pages)} {int(size)}"


def _marker(conn: sqlite3.Connection) -> str | None:
    has_state = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'state'"
    ).fetchone()
    if has_state is None:
        return None  # a new file, or one older than the state table
    row = conn.execute("SELECT value FROM state WHERE key = ?", (CLEAN_CLOSE_KEY,)).fetchone()
    return None if row is None else str(row[0])


def _has_marker(conn: sqlite3.Connection) -> bool:
    return _marker(conn) is not None


def wal_has_content(path: Path) -> bool:
    """Whether ``<path>-wal`` exists and is not empty (call before connecting)."""
    try:
        return os.stat(f"{path}-wal").st_size > 0
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot tell: assume the worst (the check runs)


def closed_cleanly(conn: sqlite3.Connection, path: Path, *, wal_before: bool) -> bool:
    """Whether the journal at ``path`` carries a valid clean-close marker (reads only).

    ``wal_before``: whether a write-ahead log with content existed before ``conn``
    opened the file (:func:`wal_has_content`). For read-only checkers (``ashare-exec
    check``) deciding whether they need ``PRAGMA quick_check`` too.

    Raises:
        sqlite3.Error: the file cannot be read.
    """
    marker = _marker(conn)
    if marker is None or wal_before:
        return False
    geometry = _geometry(conn)
    pages, size = (int(x) for x in geometry.split())
    return bool(marker == geometry and os.stat(path).st_size == pages * size)


def take_clean_close_mark(conn: sqlite3.Connection, path: Path, *, wal_before: bool) -> bool:
    """:func:`closed_cleanly`, then clear the marker (the caller checks when ``False``).

    Raises:
        sqlite3.Error: the file cannot be read or written.
    """
    clean = closed_cleanly(conn, path, wal_before=wal_before)
    if not _has_marker(conn):
        return clean
    conn.execute("DELETE FROM state WHERE key = ?", (CLEAN_CLOSE_KEY,))
    # Into the main file now: a copy of it taken while the journal is open has no marker.
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return clean


def mark_clean_close(conn: sqlite3.Connection) -> bool:
    """Record the clean-close marker as the journal's last write; ``False`` if it could not.

    Only when every change is checkpointed into the main file (no other connection
    holds the log open): otherwise nothing is recorded and the next open checks.
    """
    try:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy is None or busy[0] != 0:
            return False
        sql = "INSERT OR REPLACE INTO state(key, value) VALUES (?, ?)"
        geometry = _geometry(conn)
        conn.execute(sql, (CLEAN_CLOSE_KEY, geometry))
        if _geometry(conn) != geometry:  # the marker's own row took a new page
            conn.execute(sql, (CLEAN_CLOSE_KEY, _geometry(conn)))
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy is None or busy[0] != 0:
            conn.execute("DELETE FROM state WHERE key = ?", (CLEAN_CLOSE_KEY,))
            return False
        return True
    except sqlite3.Error:
        return False
