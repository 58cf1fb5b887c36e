"""WAL checkpoints run on a thread of their own, never inside a commit on the event loop."""

from __future__ import annotations

import time
from pathlib import Path

import oms_stubs as st
import pytest

import ashare_exec.journal.checkpoint as checkpoint
from ashare_exec.journal import Journal


def _wal_bytes(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def _wait_for(predicate: object, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_commits_do_not_checkpoint_automatically(journal: Journal) -> None:
    # The connection that commits has SQLite's automatic checkpoint off.
    assert journal._conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0


def test_a_background_thread_copies_the_log_into_the_main_file(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    journal = Journal.open(path, durability="fast")
    main_before = path.stat().st_size
    for i in range(300):
        journal.append(st.submitted(f"C{i}"))

    assert _wait_for(lambda: journal._checkpointer.checkpoints > 0)
    # The pages reached the main file without a checkpoint in any commit.
    assert _wait_for(lambda: path.stat().st_size > main_before)
    journal.close()
    assert [e.client_order_id for _s, e in Journal.open(path).iter_events()][-1] == "C299"  # type: ignore[union-attr]


def test_the_log_restarts_from_its_beginning_while_commits_continue(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    journal = Journal.open(path, durability="fast")
    for i in range(3000):
        journal.append(st.submitted(f"C{i}"))
        if i % 500 == 0:
            time.sleep(0.15)  # give the checkpointer a turn
    # Without checkpoints the log would hold every commit: well over 3000 pages.
    assert _wal_bytes(path) < 3000 * 4096
    journal.close()


def test_writer_checkpoints_itself_when_the_thread_makes_no_progress(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stuck(self: checkpoint.WalCheckpointer) -> None:
        return None  # the thread ends at once, as when it cannot open its connection

    monkeypatch.setattr(checkpoint, "INLINE_AFTER", 50)
    monkeypatch.setattr(checkpoint.WalCheckpointer, "_run", stuck)
    path = tmp_path / "journal.db"
    journal = Journal.open(path, durability="fast")
    for i in range(1000):
        journal.append(st.submitted(f"C{i}"))

    assert journal._checkpointer.checkpoints == 0
    # Bounded by the inline fallback (about 50 commits of a few pages), not 1000 commits.
    assert _wal_bytes(path) < 400 * 4096
    journal.close()


def test_close_stops_the_thread_and_still_records_a_clean_close(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    journal = Journal.open(path, durability="durable")
    for i in range(20):
        journal.append(st.submitted(f"C{i}"))
    journal.close()

    assert journal._checkpointer._thread is not None
    assert not journal._checkpointer._thread.is_alive()
    assert Journal.open(path).integrity_checked is False  # clean close: no check needed
