"""The journal's pace: how far behind it is, and how long its commits take."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import oms_stubs as st

from ashare_exec.journal import Journal


class _SlowCommit:
    """The journal's connection, with ``COMMIT`` waiting for ``gate`` (a slow disk)."""

    def __init__(self, conn: sqlite3.Connection, gate: threading.Event) -> None:
        self._conn, self._gate = conn, gate

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT":
            self._gate.wait(5)
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


async def test_lag_when_a_commit_waits_on_the_disk_grows_then_falls_back_to_zero(
    tmp_path: Path,
) -> None:
    journal = Journal.open(tmp_path / "j.db", durability="durable")
    commits: list[float] = []
    journal.on_commit = commits.append
    assert journal.lag_seconds() == 0.0
    real, gate = journal._conn, threading.Event()
    journal._conn = _SlowCommit(real, gate)  # type: ignore[assignment]
    first = asyncio.ensure_future(journal.append_async(st.submitted("C1")))
    await asyncio.sleep(0.15)  # its commit waits on the writer thread
    second = asyncio.ensure_future(journal.append_async(st.submitted("C2")))
    await asyncio.sleep(0.05)  # queued behind it

    lag = journal.lag_seconds()

    assert 0.15 <= lag < 2.0  # the oldest write's age: the one being committed
    gate.set()
    assert await asyncio.gather(first, second) == [1, 2]
    assert journal.lag_seconds() == 0.0
    assert len(commits) == 2
    assert commits[0] >= 0.15  # the slow one
    journal._conn = real
    await journal.aclose()


def test_lag_when_nothing_was_written_is_zero_and_no_commit_is_heard(journal: Journal) -> None:
    heard: list[float] = []
    journal.on_commit = heard.append
    journal.append(st.submitted("C1"))  # a synchronous write: not a group commit

    assert journal.lag_seconds() == 0.0
    assert heard == []
