"""The integrity check on open: skipped only after a verified clean close."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ashare_exec.errors import JournalError
from ashare_exec.journal import Journal
from ashare_exec.journal.integrity import CLEAN_CLOSE_KEY, closed_cleanly, wal_has_content


def _write(path: Path, n: int = 50) -> None:
    with Journal.open(path, durability="fast") as j:
        for i in range(n):
            j.set_state(f"k{i}", "x" * 2000)


def test_open_when_previous_close_clean_skips_check_and_clears_marker(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    _write(path)

    j = Journal.open(path)
    marker = j.get_state(CLEAN_CLOSE_KEY)
    j.close()

    assert (j.integrity_checked, marker) == (False, None)


@pytest.mark.parametrize(
    ("closed_before", "always", "checked"),
    [(False, False, True), (True, True, True), (True, False, False)],
)
def test_open_when_given_history_checks_only_without_clean_close(
    tmp_path: Path, closed_before: bool, always: bool, checked: bool
) -> None:
    path = tmp_path / "j.db"
    if closed_before:
        _write(path)

    with Journal.open(path, always_check=always) as j:
        assert j.integrity_checked is checked


def test_open_when_process_died_with_journal_open_runs_check(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    _write(path)
    crash = (
        "import os, sys\n"
        "from ashare_exec.journal import Journal\n"
        "j = Journal.open(sys.argv[1], durability='fast')\n"
        "j.set_state('after', 'crash')\n"
        "os._exit(0)\n"
    )

    subprocess.run([sys.executable, "-c", crash, str(path)], check=True, timeout=60)
    with Journal.open(path) as j:
        assert (j.integrity_checked, j.get_state("after")) == (True, "crash")


def test_open_when_main_file_copied_while_open_runs_check(tmp_path: Path) -> None:
    path, copy = tmp_path / "j.db", tmp_path / "copy.db"
    _write(path)

    with Journal.open(path):
        shutil.copyfile(path, copy)
    with Journal.open(copy) as j:
        assert j.integrity_checked is True


def test_open_when_file_grew_after_clean_close_runs_check(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    _write(path)
    with path.open("ab") as f:
        f.write(b"\0" * 4096)

    with Journal.open(path) as j:
        assert j.integrity_checked is True


def test_open_when_write_failed_before_close_runs_check_next_time(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    _write(path)
    j = Journal.open(path)
    j._conn.execute("PRAGMA query_only = ON")
    with pytest.raises(JournalError):
        j.set_state("k", "v")
    j.close()

    with Journal.open(path) as again:
        assert again.integrity_checked is True


def _corrupt_middle(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    for i in range(2 * page, len(data) - page):
        data[i] = 0x5A
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("clean_close", [False, True])
def test_open_when_pages_corrupt_and_check_runs_raises(tmp_path: Path, clean_close: bool) -> None:
    path = tmp_path / "j.db"
    _write(path)
    if not clean_close:
        Journal.open(path)._conn.close()  # clears the marker, then "dies" without closing
    _corrupt_middle(path)

    with pytest.raises(JournalError):
        Journal.open(path, always_check=clean_close)


def test_closed_cleanly_when_read_only_checker_asks_reports_without_clearing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.db"
    _write(path)

    def ask() -> bool:
        wal = wal_has_content(path)
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return closed_cleanly(conn, path, wal_before=wal)
        finally:
            conn.close()

    first, second = ask(), ask()
    with Journal.open(path) as j:
        skipped = not j.integrity_checked
        during = ask()

    assert (first, second, skipped, during) == (True, True, True, False)
