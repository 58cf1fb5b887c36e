"""Schema versions: fresh journals, backups before migrating, refusal of newer schemas."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import oms_stubs as st
import pytest

from ashare_exec.errors import JournalError
from ashare_exec.journal import MIGRATIONS, SCHEMA_VERSION, Journal, Migration

NEXT = SCHEMA_VERSION + 1
V_NEXT = (
    *MIGRATIONS,
    Migration(NEXT, "add a note column", ("ALTER TABLE orders ADD COLUMN note TEXT",)),
)
BROKEN = (*MIGRATIONS, Migration(NEXT, "broken", ("ALTER TABLE nope ADD COLUMN x TEXT",)))


def version_of(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0])
    finally:
        conn.close()


def test_open_when_new_file_creates_latest_schema_without_backup(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j.db") as j:
        assert j.backup_path is None

    assert version_of(tmp_path / "j.db") == SCHEMA_VERSION


def test_open_when_older_schema_backs_up_then_migrates_keeping_events(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal.open(path) as j:
        j.append(st.submitted())

    with Journal.open(path, migrations=V_NEXT) as j:
        backup = j.backup_path
        events = list(j.iter_events())

    assert version_of(path) == NEXT
    assert backup is not None
    assert backup.name == f"j.db.v{SCHEMA_VERSION}.bak"
    assert version_of(backup) == SCHEMA_VERSION
    assert len(events) == 1


def test_open_when_schema_newer_than_code_refuses_with_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    Journal.open(path, migrations=V_NEXT).close()

    with pytest.raises(
        JournalError,
        match=rf"schema version {NEXT}, newer than this release supports \({SCHEMA_VERSION}\)",
    ):
        Journal.open(path)

    assert version_of(path) == NEXT


def test_open_when_migration_fails_leaves_journal_at_old_version(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    Journal.open(path).close()

    with pytest.raises(JournalError, match=f"migration to version {NEXT} failed"):
        Journal.open(path, migrations=BROKEN)

    assert version_of(path) == SCHEMA_VERSION
    with Journal.open(path) as j:
        assert j.last_seq == 0


def test_open_when_backup_exists_picks_a_new_name(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    Journal.open(path).close()
    (tmp_path / f"j.db.v{SCHEMA_VERSION}.bak").write_bytes(b"older backup")

    with Journal.open(path, migrations=V_NEXT) as j:
        assert j.backup_path == tmp_path / f"j.db.v{SCHEMA_VERSION}.2.bak"

    assert (tmp_path / f"j.db.v{SCHEMA_VERSION}.bak").read_bytes() == b"older backup"
