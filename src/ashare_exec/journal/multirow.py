"""Many rows per ``INSERT`` statement.

``executemany`` runs one SQLite step per row, and Python's ``sqlite3`` releases the GIL
around each step. In durable mode commits are written on the journal's writer thread, so
that thread has to win the GIL back from the busy event loop once per row — up to a switch
interval (5 ms) each time (``docs/benchmarks.md``, "In-process order path"). Here a group
of rows becomes one statement with a multi-row ``VALUES`` list: one step for up to
:data:`MAX_PARAMS` bound values. SQLite applies the rows of one statement in order, so
an upsert's ``ON CONFLICT`` clause behaves as with one statement per row.

Statement sizes are powers of two, so a connection caches a handful of statements per
table instead of one per batch size.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

__all__ = ["MAX_PARAMS", "insert_rows", "multi_row_sql"]

MAX_PARAMS = 999
"""Bound values per statement: SQLite's limit before 3.32 (newer ones allow 32,766)."""

_VALUES = re.compile(r"VALUES\s*(\((?:\?\s*,\s*)*\?\))")


@lru_cache(maxsize=256)
def multi_row_sql(sql: str, rows: int) -> str:
    """``sql`` (one ``VALUES (?, ...)`` group) with that group repeated ``rows`` times.

    Raises:
        ValueError: ``sql`` has no single-row ``VALUES`` group of placeholders.
    """
    m = _VALUES.search(sql)
    if m is None:
        raise ValueError(f"not a single-row INSERT: {sql[:60]!r}")
    group = m.group(1)
    return sql[: m.start(1)] + ", ".join([group] * rows) + sql[m.end(1) :]


def insert_rows(conn: sqlite3.Connection, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """Run ``sql`` for every row, as few statements as the parameter limit allows."""
    todo = rows if isinstance(rows, list) else list(rows)
    if not todo:
        return
    width = len(todo[0])
    most = max(1, MAX_PARAMS // width)
    i = 0
    while i < len(todo):
        n = min(most, len(todo) - i)
        n = 1 << (n.bit_length() - 1)  # the largest power of two that fits
        if n == 1:
            conn.execute(sql, todo[i])
        else:
            conn.execute(multi_row_sql(sql, n), [v for row in todo[i : i + n] for v in row])
        i += n
