"""The service's audit trail keeps recording through crashes and broken files, and never
turns a failure into an error for the command it records."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.clock import CST, SimClock
from ashare_exec.engine import audit_trail
from ashare_exec.engine.audit_trail import AuditTrail
from ashare_exec.observability.audit import day_path, seal_path_for, verify, verify_with_seal
from ashare_exec.observability.audit_sync import GroupSyncedAuditLog

DAY = date(2026, 11, 25)


class Alerts(list[tuple[str, str, str]]):
    def __call__(self, severity: str, code: str, message: str, _context: Any) -> None:
        self.append((severity, code, message))


@pytest.fixture
def alerts() -> Alerts:
    return Alerts()


def _trail(folder: Path, alerts: Alerts) -> AuditTrail:
    return AuditTrail(folder, SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST)), alerts)


def _kinds(path: Path) -> list[str]:
    return [json.loads(line)["kind"] for line in path.read_text(encoding="utf-8").splitlines()]


def test_append_after_a_crash_cut_the_last_record_repairs_and_says_so(
    tmp_path: Path, alerts: Alerts
) -> None:
    trail = _trail(tmp_path, alerts)
    trail.append("command", "token:a", {"n": 1})
    trail.append("command", "token:a", {"n": 2})
    trail.close()
    path = day_path(tmp_path, DAY)
    whole = path.read_bytes()
    path.write_bytes(whole[: whole.rindex(b"\n", 0, len(whole) - 1) + 20])  # as a kill leaves it

    again = _trail(tmp_path, alerts)
    again.append("command", "token:a", {"n": 3})
    again.close()

    assert [code for _s, code, _m in alerts] == ["AUDIT_TAIL_REPAIRED"]
    assert _kinds(path) == ["command", "audit_repaired", "command"]
    assert verify(path).ok


def test_append_when_the_day_file_is_broken_keeps_it_and_starts_a_new_chain(
    tmp_path: Path, alerts: Alerts
) -> None:
    trail = _trail(tmp_path, alerts)
    trail.append("command", "token:a", {"n": 1})
    trail.close()
    path = day_path(tmp_path, DAY)
    tampered = path.read_text(encoding="utf-8").replace('"n":1', '"n":9')
    path.write_text(tampered, encoding="utf-8")

    again = _trail(tmp_path, alerts)
    again.append("command", "token:a", {"n": 2})
    again.close()

    assert [(s, code) for s, code, _m in alerts] == [("critical", "AUDIT_CHAIN_BROKEN")]
    kept = tmp_path / f"{path.stem}.broken-1{path.suffix}"
    assert kept.read_text(encoding="utf-8") == tampered
    assert verify(path).ok
    assert verify(path).records == 1


def test_append_when_writing_fails_alerts_once_until_a_record_is_written_again(
    tmp_path: Path, alerts: Alerts
) -> None:
    trail = _trail(tmp_path, alerts)

    trail.append("command", "token:a", {"bad": object()})  # not serialisable
    trail.append("command", "token:a", {"bad": object()})
    trail.append("command", "token:a", {"n": 1})
    trail.append("command", "token:a", {"bad": object()})
    trail.close()

    assert [(s, code) for s, code, _m in alerts] == [("critical", "AUDIT_FAILED")] * 2
    assert verify(day_path(tmp_path, DAY)).records == 1


def test_append_when_the_file_cannot_be_opened_tries_again_only_after_a_while(
    tmp_path: Path, alerts: Alerts, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
    trail = AuditTrail(tmp_path, clock, alerts)
    opened: list[Path] = []

    def unopenable(path: Path, **_kw: Any) -> Any:
        opened.append(path)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(audit_trail, "GroupSyncedAuditLog", unopenable)

    trail.append("command", "token:a", {"n": 1})
    trail.append("command", "token:a", {"n": 2})
    clock.advance(audit_trail.REOPEN_AFTER)
    trail.append("command", "token:a", {"n": 3})

    assert len(opened) == 2
    assert [code for _s, code, _m in alerts] == ["AUDIT_FAILED"]


def test_open_today_repairs_before_any_command(tmp_path: Path, alerts: Alerts) -> None:
    trail = _trail(tmp_path, alerts)
    trail.append("command", "token:a", {"n": 1})
    trail.close()
    path = day_path(tmp_path, DAY)
    path.write_bytes(path.read_bytes()[:-10])

    again = _trail(tmp_path, alerts)
    again.open_today()
    again.close()

    assert [code for _s, code, _m in alerts] == ["AUDIT_TAIL_REPAIRED"]
    assert _kinds(path) == ["audit_repaired"]


def test_seal_day_when_nothing_was_recorded_seals_an_empty_day(
    tmp_path: Path, alerts: Alerts
) -> None:
    trail = _trail(tmp_path / "audit", alerts)
    trail.open_today()

    trail.seal_day(DAY, tmp_path / "archive")

    sealed = day_path(tmp_path / "archive", DAY)
    assert sealed.read_text(encoding="utf-8") == ""
    assert json.loads(sealed.with_name(f"{sealed.stem}.seal.json").read_text())["records"] == 0
    assert alerts == []


def test_seal_day_when_the_chain_broke_during_the_day_alerts(
    tmp_path: Path, alerts: Alerts
) -> None:
    trail = _trail(tmp_path / "audit", alerts)
    trail.append("command", "token:a", {"n": 1})
    path = day_path(tmp_path / "audit", DAY)
    trail.close()
    trail.open_today()
    path.write_text(path.read_text(encoding="utf-8").replace('"n":1', '"n":2'), encoding="utf-8")

    trail.seal_day(DAY, tmp_path / "archive")

    assert [(s, code) for s, code, _m in alerts] == [("critical", "AUDIT_FAILED")]
    assert not day_path(tmp_path / "archive", DAY).exists()


def test_seal_day_takes_the_files_set_aside_that_day_into_the_archive(
    tmp_path: Path, alerts: Alerts
) -> None:
    folder = tmp_path / "audit"
    trail = _trail(folder, alerts)
    trail.append("command", "token:a", {"n": 1})
    trail.close()
    path = day_path(folder, DAY)
    path.write_text(path.read_text(encoding="utf-8").replace('"n":1', '"n":2'), encoding="utf-8")
    trail.append("command", "token:a", {"n": 3})  # broken: kept aside, a new chain
    trail.close()
    path.write_bytes(path.read_bytes()[:-5])  # then a crash cuts the new chain short
    trail.append("command", "token:a", {"n": 4})

    trail.seal_day(DAY, tmp_path / "archive")

    archived = sorted(p.name for p in (tmp_path / "archive").iterdir())
    assert archived == [
        "audit-2026-11-25.broken-1.jsonl",
        "audit-2026-11-25.jsonl",
        "audit-2026-11-25.jsonl.torn",
        "audit-2026-11-25.seal.json",
    ]
    assert [code for _s, code, _m in alerts] == ["AUDIT_CHAIN_BROKEN", "AUDIT_TAIL_REPAIRED"]


def test_append_after_the_seal_continues_the_chain_with_a_running_syncer(
    tmp_path: Path, alerts: Alerts
) -> None:
    trail = _trail(tmp_path / "audit", alerts)
    trail.append("command", "token:a", {"n": 1})
    trail.seal_day(DAY, tmp_path / "archive")

    trail.append("trading_state", "operator:cli", {"state": "HALTED"})

    log = trail._log
    assert isinstance(log, GroupSyncedAuditLog)
    assert log._thread.is_alive()
    trail.close()
    path = day_path(tmp_path / "audit", DAY)
    assert _kinds(path) == ["command", "trading_state"]
    assert verify(path).ok
    assert verify(day_path(tmp_path / "archive", DAY)).records == 1


def _sealed_kinds(folder: Path, day: date) -> list[str]:
    path = day_path(folder, day)
    assert verify_with_seal(path, seal_path_for(path)).ok
    return _kinds(path)


def test_seal_day_carries_what_the_previous_day_recorded_after_its_seal(
    tmp_path: Path, alerts: Alerts
) -> None:
    # Wednesday: a command, the seal at the end of day, then an operator's halt in the
    # evening. Thursday's seal holds Wednesday's whole file, sealed again.
    clock = SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
    trail = AuditTrail(tmp_path / "audit", clock, alerts)
    archive = tmp_path / "archive"
    trail.append("command", "token:a", {"n": 1})
    trail.seal_day(DAY, archive / "2026-11-25")
    clock.set(datetime(2026, 11, 25, 20, 0, tzinfo=CST))
    trail.append("trading_state", "operator:cli", {"state": "HALTED"})
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=CST))
    trail.append("command", "token:a", {"n": 2})

    trail.seal_day(date(2026, 11, 26), archive / "2026-11-26")

    assert _sealed_kinds(archive / "2026-11-25", DAY) == ["command"]
    assert _sealed_kinds(archive / "2026-11-26", DAY) == ["command", "trading_state"]
    assert _sealed_kinds(archive / "2026-11-26", date(2026, 11, 26)) == ["command"]
    assert alerts == []


def test_seal_day_carries_the_days_without_an_archive_since_the_previous_one(
    tmp_path: Path, alerts: Alerts
) -> None:
    clock = SimClock(datetime(2026, 11, 27, 10, 0, tzinfo=CST))  # a Friday
    trail = AuditTrail(tmp_path / "audit", clock, alerts)
    archive = tmp_path / "archive"
    trail.append("command", "token:a", {"n": 1})
    trail.seal_day(date(2026, 11, 27), archive / "2026-11-27")
    clock.set(datetime(2026, 11, 28, 11, 0, tzinfo=CST))  # Saturday: a limit change
    trail.append("config_change", "operator:cli", {"max_order_qty": 1000})
    clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=CST))  # Monday
    trail.append("command", "token:a", {"n": 2})

    trail.seal_day(date(2026, 11, 30), archive / "2026-11-30")

    monday = sorted(p.name for p in (archive / "2026-11-30").iterdir())
    assert monday == [
        "audit-2026-11-28.jsonl",
        "audit-2026-11-28.seal.json",
        "audit-2026-11-30.jsonl",
        "audit-2026-11-30.seal.json",
    ]  # Friday's file did not grow after its seal: not carried
    assert _sealed_kinds(archive / "2026-11-30", date(2026, 11, 28)) == ["config_change"]
    # Sealing Monday again (an end of day run twice) carries nothing twice.
    trail.seal_day(date(2026, 11, 30), archive / "2026-11-30")
    assert alerts == []


def test_seal_day_again_after_records_since_the_seal_keeps_the_seal_without_alert(
    tmp_path: Path, alerts: Alerts
) -> None:
    # A restart in the evening runs the end of day again; the file grew since the seal.
    trail = _trail(tmp_path / "audit", alerts)
    trail.append("command", "token:a", {"n": 1})
    trail.seal_day(DAY, tmp_path / "archive")
    trail.append("trading_state", "operator:cli", {"state": "HALTED"})
    trail.close()

    trail.seal_day(DAY, tmp_path / "archive")

    assert alerts == []
    assert _sealed_kinds(tmp_path / "archive", DAY) == ["command"]


def test_seal_day_again_when_the_sealed_records_changed_since_alerts(
    tmp_path: Path, alerts: Alerts
) -> None:
    trail = _trail(tmp_path / "audit", alerts)
    trail.append("command", "token:a", {"n": 1})
    trail.seal_day(DAY, tmp_path / "archive")
    trail.append("command", "token:a", {"n": 2})
    trail.close()
    path = day_path(tmp_path / "audit", DAY)
    path.write_text(path.read_text(encoding="utf-8").replace('"n":1', '"n":7'), encoding="utf-8")

    trail.seal_day(DAY, tmp_path / "archive")

    assert [code for _s, code, _m in alerts] == ["AUDIT_CHAIN_BROKEN", "AUDIT_FAILED"]
