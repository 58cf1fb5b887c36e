"""Hash-chained audit log: append, verify, tamper detection, sealing, CLI."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ashare_exec.cli import audit_cmd
from ashare_exec.clock import CST
from ashare_exec.observability.audit import (
    GENESIS_HASH,
    AuditChainBroken,
    AuditLog,
    canonical_json,
    day_path,
    seal_path_for,
    verify,
    verify_with_seal,
)

DAY = date(2026, 11, 25)
T0 = datetime(2026, 11, 25, 9, 30, tzinfo=CST)


def _write(path: Path, n: int = 4, *, genesis: str = GENESIS_HASH) -> AuditLog:
    log = AuditLog(path, genesis_hash=genesis, fsync=False)
    for i in range(n):
        log.append(
            "command",
            "token:alice",
            {"action": "submit", "client_order_id": f"C{i}", "price": Decimal("10.01")},
            T0 + timedelta(seconds=i),
        )
    log.close()
    return log


def _edit_line(path: Path, index: int, edit: Callable[[dict[str, object]], None]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[index])
    edit(rec)
    lines[index] = canonical_json(rec)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_audit_append_when_records_written_chain_verifies(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = _write(path, 5)

    result = verify(path)

    assert result.ok
    assert result.records == 5
    assert result.first_bad_index is None
    assert result.final_hash == log.last_hash != GENESIS_HASH


def test_audit_append_when_payload_has_decimal_stores_string_and_links_hashes(
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, fsync=False)
    first = log.append("config_change", "operator:cli", {"limit": Decimal("1.50")}, T0)
    second = log.append("operator_action", "operator:cli", {"action": "halt"}, T0)
    log.close()

    assert first.payload == {"limit": "1.50"}
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert [json.loads(x)["seq"] for x in path.read_text().splitlines()] == [0, 1]


def test_audit_append_when_ts_is_naive_raises(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        AuditLog(tmp_path / "a.jsonl").append("k", "a", {}, datetime(2026, 1, 1))


def test_audit_log_when_reopened_continues_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _write(path, 2)

    log = AuditLog(path, fsync=False)
    rec = log.append("operator_action", "operator:cli", {"action": "resume"}, T0)
    log.close()

    assert rec.seq == 2
    assert verify(path).records == 3


def _set_payload(rec: dict[str, object]) -> None:
    rec["payload"] = {"action": "cancel_all"}


def _set_actor(rec: dict[str, object]) -> None:
    rec["actor"] = "token:mallory"


def _set_seq(rec: dict[str, object]) -> None:
    rec["seq"] = 7


def _drop_field(rec: dict[str, object]) -> None:
    del rec["kind"]


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (_set_payload, "hash does not match"),
        (_set_actor, "hash does not match"),
        (_set_seq, "seq is 7"),
        (_drop_field, "exactly the audit fields"),
    ],
)
def test_verify_when_record_edited_reports_that_record(
    tmp_path: Path, edit: Callable[[dict[str, object]], None], reason: str
) -> None:
    path = tmp_path / "audit.jsonl"
    _write(path, 5)
    _edit_line(path, 2, edit)

    result = verify(path)

    assert not result.ok
    assert result.first_bad_index == 2
    assert result.records == 2
    assert reason in result.reason


def test_verify_when_record_edited_and_rehashed_next_record_breaks(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _write(path, 4)

    def rehash(rec: dict[str, object]) -> None:
        import hashlib

        rec["payload"] = {"forged": True}
        body = {k: v for k, v in rec.items() if k != "hash"}
        data = (str(rec["prev_hash"]) + canonical_json(body)).encode()
        rec["hash"] = hashlib.sha256(data).hexdigest()

    _edit_line(path, 1, rehash)

    result = verify(path)
    assert (result.ok, result.first_bad_index) == (False, 2)
    assert "prev_hash" in result.reason


@pytest.mark.parametrize(
    ("mutate", "bad_index"),
    [
        (lambda lines: lines[:1] + lines[2:], 1),  # deleted
        (lambda lines: [lines[1], lines[0], *lines[2:]], 0),  # reordered
        (lambda lines: [*lines[:2], lines[1], *lines[2:]], 2),  # duplicated
        (lambda lines: [*lines[:3], "{not json"], 3),  # garbage
    ],
)
def test_verify_when_lines_deleted_reordered_or_garbled_reports_first_bad(
    tmp_path: Path, mutate: Callable[[list[str]], list[str]], bad_index: int
) -> None:
    path = tmp_path / "audit.jsonl"
    _write(path, 4)
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(mutate(lines)) + "\n", encoding="utf-8")

    result = verify(path)

    assert not result.ok
    assert result.first_bad_index == bad_index


def test_verify_when_last_line_incomplete_reports_it(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _write(path, 3)
    with path.open("a", encoding="utf-8") as f:
        f.write('{"seq":3')

    result = verify(path)

    assert (result.ok, result.first_bad_index, result.records) == (False, 3, 3)


def test_verify_when_file_missing_is_not_ok(tmp_path: Path) -> None:
    assert not verify(tmp_path / "nope.jsonl").ok


def test_audit_log_when_opening_tampered_file_refuses(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    _write(path, 3)
    _edit_line(path, 0, _set_actor)

    with pytest.raises(AuditChainBroken, match="record 0"):
        AuditLog(path)


def test_audit_log_when_genesis_given_chain_is_anchored_to_it(tmp_path: Path) -> None:
    anchor = "ab" * 32
    path = tmp_path / "audit.jsonl"
    _write(path, 2, genesis=anchor)

    assert verify(path, genesis_hash=anchor).ok
    assert verify(path).first_bad_index == 0


def test_seal_day_when_log_intact_writes_read_only_copy_and_seal(tmp_path: Path) -> None:
    log = _write(day_path(tmp_path / "live", DAY), 3)

    sealed = log.seal_day(DAY, tmp_path / "archive")

    assert sealed.archive_path == tmp_path / "archive" / "audit-2026-11-25.jsonl"
    assert sealed.seal_path == seal_path_for(sealed.archive_path)
    doc = json.loads(sealed.seal_path.read_text())
    assert doc["final_hash"] == log.last_hash == sealed.final_hash
    assert doc["records"] == 3
    assert verify_with_seal(sealed.archive_path, sealed.seal_path).ok
    if os.name == "posix":
        assert not sealed.archive_path.stat().st_mode & stat.S_IWUSR


def test_seal_day_when_sealed_twice_with_same_content_is_idempotent(tmp_path: Path) -> None:
    log = _write(tmp_path / "a.jsonl", 2)
    first = log.seal_day(DAY, tmp_path / "archive")

    assert log.seal_day(DAY, tmp_path / "archive") == first


def test_seal_day_when_day_already_sealed_with_other_content_raises(tmp_path: Path) -> None:
    _write(tmp_path / "a.jsonl", 2).seal_day(DAY, tmp_path / "archive")

    with pytest.raises(AuditChainBroken, match="already sealed"):
        _write(tmp_path / "b.jsonl", 3).seal_day(DAY, tmp_path / "archive")


def test_verify_with_seal_when_tail_records_removed_detects_truncation(tmp_path: Path) -> None:
    sealed = _write(tmp_path / "a.jsonl", 4).seal_day(DAY, tmp_path / "archive")
    os.chmod(sealed.archive_path, stat.S_IREAD | stat.S_IWRITE)
    lines = sealed.archive_path.read_text().splitlines()
    sealed.archive_path.write_text("\n".join(lines[:3]) + "\n")

    result = verify_with_seal(sealed.archive_path, sealed.seal_path)

    assert not result.ok
    assert result.first_bad_index == 3
    assert "seal says 4" in result.reason


def test_audit_cli_verify_when_chain_intact_exits_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.jsonl"
    log = _write(path, 3)

    code = _run_cli(["audit", "verify", str(path)])

    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("OK:")
    assert "3 records" in out
    assert log.last_hash in out


def test_audit_cli_verify_when_tampered_exits_one_naming_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.jsonl"
    _write(path, 5)
    _edit_line(path, 3, _set_payload)

    code = _run_cli(["audit", "verify", str(path)])

    out = capsys.readouterr().out
    assert code == 1
    assert "TAMPERED" in out
    assert "record 3" in out


def test_audit_cli_verify_when_sibling_seal_exists_uses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sealed = _write(tmp_path / "a.jsonl", 2).seal_day(DAY, tmp_path / "archive")

    code = _run_cli(["audit", "verify", str(sealed.archive_path)])

    assert code == 0
    assert "against seal" in capsys.readouterr().out


def _run_cli(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    audit_cmd.register(sub)
    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


_text = st.text(st.characters(codec="utf-8"), max_size=12)
_values = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=100, deadline=None)
@given(kind=_text, actor=_text, payload=st.dictionaries(_text, _values, max_size=5))
def test_append_when_any_content_line_is_the_canonical_record_and_verifies(
    tmp_path_factory: pytest.TempPathFactory, kind: str, actor: str, payload: dict[str, object]
) -> None:
    path = tmp_path_factory.mktemp("audit") / "a.jsonl"
    log = AuditLog(path, fsync=False)
    first = log.append("command", "api", {"x": 1}, T0)
    rec = log.append(kind, actor, payload, T0)
    log.close()

    # Only "\n" ends a record: text may hold other line breaks (U+2028, U+0085 ...).
    line = path.read_text(encoding="utf-8").split("\n")[1]
    body = {
        "seq": 1,
        "ts": T0.isoformat(),
        "kind": kind,
        "actor": actor,
        "payload": rec.payload,
        "prev_hash": first.hash,
    }
    assert line == canonical_json({**body, "hash": rec.hash})
    assert rec.hash == hashlib.sha256((first.hash + canonical_json(body)).encode()).hexdigest()
    assert verify(path).ok
