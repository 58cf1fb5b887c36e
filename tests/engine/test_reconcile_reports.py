"""Reconciliation reports: written whole, filed into the day's archive, never lost."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ashare_exec.clock import CST
from ashare_exec.engine.reconcile_reports import REPORTS_IN_ARCHIVE, file_reports, write_report
from ashare_exec.model import AccountId, ClientOrderId
from ashare_exec.oms.reconcile import ReconcileReport

T = datetime(2026, 11, 25, 10, 0, tzinfo=CST)


def _report(tmp_path: Path, why: str = "start") -> Path:
    rep = ReconcileReport(AccountId("paper"), T)
    rep.missing_at_venue.append(ClientOrderId("c1"))
    return write_report(tmp_path / "reconcile", rep, why, 0, [])


def test_write_report_names_the_account_time_and_cause_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    path = _report(tmp_path)

    assert path.name == "paper-20261125T100000000000-start.json"
    assert json.loads(path.read_text(encoding="utf-8"))["missing_at_venue"] == ["c1"]
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_file_reports_moves_every_report_into_the_archive_once(tmp_path: Path) -> None:
    first = _report(tmp_path, "start")
    second = _report(tmp_path, "operator")
    archive = tmp_path / "archive" / "2026-11-25"

    assert file_reports(first.parent, archive) == 2
    assert file_reports(first.parent, archive) == 0
    filed = archive / REPORTS_IN_ARCHIVE
    assert sorted(p.name for p in filed.iterdir()) == sorted([first.name, second.name])
    assert list(first.parent.iterdir()) == []


def test_file_reports_after_a_move_cut_short_keeps_one_copy_and_loses_none(
    tmp_path: Path,
) -> None:
    same = _report(tmp_path, "start")
    other = _report(tmp_path, "timer")
    filed = tmp_path / "archive" / "2026-11-25" / REPORTS_IN_ARCHIVE
    filed.mkdir(parents=True)
    (filed / same.name).write_bytes(same.read_bytes())  # copied, not yet removed
    (filed / other.name).write_text("{}", encoding="utf-8")  # a different file, same name

    assert file_reports(same.parent, filed.parent) == 1

    assert sorted(p.name for p in filed.iterdir()) == sorted(
        [same.name, other.name, f"{other.stem}-again.json"]
    )
    assert list(same.parent.iterdir()) == []


def test_file_reports_when_there_is_no_report_folder_files_nothing(tmp_path: Path) -> None:
    assert file_reports(tmp_path / "reconcile", tmp_path / "archive" / "2026-11-25") == 0
    assert not (tmp_path / "archive").exists()
