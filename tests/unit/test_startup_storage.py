"""Start-up checks: the journal (intact, damaged, ahead of the clock) and the disk."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ashare_exec.clock import CST
from ashare_exec.journal.sqlite import Journal
from ashare_exec.startup import (
    CheckSettings,
    CheckStatus,
    check_disk,
    check_journal,
)
from tests.journal_kit import journal_orders_at
from tests.unit.startup_kit import MIB, Usage, garbage

# ---- journal -------------------------------------------------------------------------------


def test_check_journal_when_file_missing_is_ok(tmp_path: Path) -> None:
    item = check_journal(tmp_path / "journal.sqlite3")
    assert item.status is CheckStatus.OK
    assert "none yet" in item.detail


def test_check_journal_when_intact_reports_version_and_events(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal.open(path).close()
    item = check_journal(path)
    assert item.status is CheckStatus.OK
    assert item.data["events"] == 0
    assert item.data["schema_version"] >= 1


def test_check_journal_after_a_clean_close_may_skip_the_full_read(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal.open(path).close()

    quick = check_journal(path, always_check=False)
    full = check_journal(path)

    assert quick.status is CheckStatus.OK
    assert quick.data["integrity_checked"] is False
    assert "closed cleanly" in quick.detail
    assert full.data["integrity_checked"] is True  # `ashare-exec check` always reads it all


@pytest.mark.parametrize(
    ("behind_s", "status"), [(30, CheckStatus.OK), (120, CheckStatus.WARNING)],
    ids=["a-broker-stamp-ahead", "the-clock-set-back"],
)  # fmt: skip
def test_check_journal_when_its_last_event_is_ahead_of_the_clock_warns_past_a_minute(
    tmp_path: Path, behind_s: int, status: CheckStatus
) -> None:
    path = tmp_path / "journal.sqlite3"
    last = datetime(2026, 11, 25, 10, 0, tzinfo=CST)
    journal_orders_at(path, last)

    item = check_journal(path, now=last - timedelta(seconds=behind_s))

    assert item.status is status
    if status is CheckStatus.WARNING:
        assert item.data["ahead_s"] == behind_s
        assert "was the clock set back?" in item.detail


def test_check_journal_left_open_runs_the_full_read(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    journal = Journal.open(path)  # a running (or crashed) service: no clean-close marker

    item = check_journal(path, always_check=False)
    journal.close()

    assert item.status is CheckStatus.OK
    assert item.data["integrity_checked"] is True
    assert "intact" in item.detail


def _torn_pages(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("CREATE INDEX ev_body ON events(body)")
    conn.executemany(
        "INSERT INTO events(body) VALUES (?)", [(f"row{i:05d}" * 20,) for i in range(2000)]
    )
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for p in range(3, len(data) // page - 1, 2):
        data[p * page + 100 : p * page + 400] = b"\xff" * 300
    path.write_bytes(bytes(data))


def _newer_schema(path: Path) -> None:
    Journal.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version(version) VALUES (9999)")
    conn.commit()
    conn.close()


def _foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE something_else (x)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (garbage, "unreadable"),
        (_torn_pages, "integrity check failed|unreadable"),
        (_newer_schema, "newer than this release"),
        (_foreign, "not an ashare-exec journal"),
    ],
)
def test_check_journal_when_file_damaged_is_error(
    tmp_path: Path, damage: Callable[[Path], None], problem: str
) -> None:
    path = tmp_path / "journal.sqlite3"
    damage(path)
    item = check_journal(path)
    assert item.status is CheckStatus.ERROR
    assert item.detail.startswith(str(path))
    assert re.search(problem, item.detail)


# ---- disk ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("free", "status"),
    [
        (5 * 1024 * MIB, CheckStatus.OK),
        (1024 * MIB, CheckStatus.OK),
        (1024 * MIB - 1, CheckStatus.WARNING),
        (200 * MIB, CheckStatus.WARNING),
        (200 * MIB - 1, CheckStatus.ERROR),
        (0, CheckStatus.ERROR),
    ],
)
def test_check_disk_when_free_space_given_applies_thresholds(
    tmp_path: Path, free: int, status: CheckStatus
) -> None:
    item = check_disk(tmp_path, disk_usage=lambda _p: Usage(10**12, 0, free))
    assert item.status is status
    assert item.data["free_bytes"] == free


def test_check_disk_when_data_dir_missing_measures_nearest_parent(tmp_path: Path) -> None:
    seen: list[Path] = []

    def usage(p: Path) -> Usage:
        seen.append(p)
        return Usage(1, 0, 10**12)

    check_disk(tmp_path / "not" / "yet", disk_usage=usage)
    assert seen == [tmp_path]


def test_check_disk_when_usage_unreadable_is_error(tmp_path: Path) -> None:
    def usage(_p: Path) -> Usage:
        raise PermissionError("denied")

    item = check_disk(tmp_path, disk_usage=usage)
    assert item.status is CheckStatus.ERROR
    assert "denied" in item.detail


def test_check_disk_when_real_disk_used_reports_free_bytes(tmp_path: Path) -> None:
    item = check_disk(tmp_path, CheckSettings(disk_warn_bytes=0, disk_error_bytes=0))
    assert item.status is CheckStatus.OK
    assert item.data["free_bytes"] > 0
