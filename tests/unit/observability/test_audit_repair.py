"""Opening an audit file that a crash cut short (``repair_torn_tail``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ashare_exec.clock import CST
from ashare_exec.observability.audit import AuditChainBroken, AuditLog, verify

T0 = datetime(2026, 11, 25, 9, 30, tzinfo=CST)


def _write(path: Path, n: int) -> list[bytes]:
    """``n`` records; returns the file's lines (with their newlines)."""
    log = AuditLog(path, fsync=False)
    for i in range(n):
        log.append("command", "token:alice", {"client_order_id": f"C{i}", "msg": "撤单"}, T0)
    log.close()
    return path.read_bytes().splitlines(keepends=True)


def _reopen_and_append(path: Path) -> AuditLog:
    log = AuditLog(path, fsync=False, repair_torn_tail=True)
    log.append("command", "token:alice", {"after": "restart"}, T0 + timedelta(seconds=1))
    log.close()
    return log


@pytest.mark.parametrize("cut", ["after one byte", "in the header", "inside 撤", "before the end"])
def test_open_when_last_record_cut_short_sets_it_aside_and_continues(
    tmp_path: Path, cut: str
) -> None:
    path = tmp_path / "audit.jsonl"
    lines = _write(path, 3)
    keep = {
        "after one byte": 1,
        "in the header": 25,
        "inside 撤": lines[2].index("撤".encode()) + 1,
        "before the end": -3,
    }[cut]
    torn = lines[2][:keep]
    path.write_bytes(b"".join(lines[:2]) + torn)

    log = _reopen_and_append(path)

    assert log.repaired is not None
    assert log.repaired.completed is False
    assert log.repaired.set_aside == len(torn)
    assert (tmp_path / "audit.jsonl.torn").read_bytes() == torn + b"\n"
    result = verify(path)
    assert result.ok
    assert result.records == 3  # two kept, one appended after the restart
    assert path.read_bytes().startswith(b"".join(lines[:2]))


def test_open_when_only_the_newline_is_missing_keeps_the_record(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = _write(path, 3)
    path.write_bytes(b"".join(lines)[:-1])

    log = _reopen_and_append(path)

    assert log.repaired is not None
    assert log.repaired.completed is True
    assert log.repaired.set_aside == 0
    assert not (tmp_path / "audit.jsonl.torn").exists()
    assert verify(path).records == 4


def test_open_when_the_first_record_is_cut_short_starts_the_chain_again(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = _write(path, 1)
    path.write_bytes(lines[0][:40])

    _reopen_and_append(path)

    assert verify(path).records == 1
    assert (tmp_path / "audit.jsonl.torn").read_bytes() == lines[0][:40] + b"\n"


def test_open_when_file_ends_with_a_whole_line_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _write(path, 2)
    before = path.read_bytes()

    log = AuditLog(path, fsync=False, repair_torn_tail=True)
    log.close()

    assert log.repaired is None
    assert path.read_bytes() == before


def test_open_when_an_earlier_record_is_broken_still_refuses(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = _write(path, 3)
    edited = lines[0].replace(b"C0", b"C9")
    path.write_bytes(edited + lines[1] + lines[2][:30])

    with pytest.raises(AuditChainBroken, match="record 0"):
        AuditLog(path, fsync=False, repair_torn_tail=True)


def test_open_without_repair_refuses_a_cut_short_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = _write(path, 2)
    path.write_bytes(lines[0] + lines[1][:30])

    with pytest.raises(AuditChainBroken, match="incomplete"):
        AuditLog(path, fsync=False)
    assert path.read_bytes() == lines[0] + lines[1][:30]
