"""``observability/audit_chain.py``: verifying a chain by the bytes the writer hashed gives
the verdict re-serialising each record gives, on every line the writer can write and on
every change to one."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ashare_exec.clock import CST
from ashare_exec.observability.audit import AuditLog
from ashare_exec.observability.audit_chain import (
    GENESIS_HASH,
    _verified_as_written,
    check_line,
    verify,
    verify_with_seal,
)

T0 = datetime(2026, 11, 25, 9, 30, tzinfo=CST)
_text = st.text(st.characters(codec="utf-8"), max_size=12)
_values = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=8,
)


def _lines(folder: Path, kind: str, actor: str, payload: dict[str, object]) -> list[str]:
    path = folder / "a.jsonl"
    log = AuditLog(path, fsync=False)
    log.append("command", "api", {"x": 1}, T0)
    log.append(kind, actor, payload, T0)
    log.close()
    return path.read_text(encoding="utf-8").split("\n")[:-1]


@settings(max_examples=150, deadline=None)
@given(kind=_text, actor=_text, payload=st.dictionaries(_text, _values, max_size=5))
def test_verify_as_written_when_the_writer_wrote_the_line_agrees_with_check_line(
    tmp_path_factory: pytest.TempPathFactory, kind: str, actor: str, payload: dict[str, object]
) -> None:
    lines = _lines(tmp_path_factory.mktemp("audit"), kind, actor, payload)
    prev = GENESIS_HASH
    for index, line in enumerate(lines):
        problem, rec = check_line(index, line, prev)
        assert problem is None
        assert rec is not None
        assert _verified_as_written(index, line, prev) == rec["hash"]
        prev = str(rec["hash"])


@settings(max_examples=150, deadline=None)
@given(
    payload=st.dictionaries(_text, _values, min_size=1, max_size=5),
    where=st.floats(0, 1, exclude_max=True),
    char=st.characters(codec="utf-8"),
)
def test_verify_when_one_character_of_a_record_changes_the_chain_breaks_there(
    tmp_path_factory: pytest.TempPathFactory, payload: dict[str, object], where: float, char: str
) -> None:
    folder = tmp_path_factory.mktemp("audit")
    lines = _lines(folder, "command", "api", payload)
    line = lines[1]
    at = int(where * len(line))
    if line[at] == char or char in "\n\r":
        return  # no change, or a second line
    lines[1] = line[:at] + char + line[at + 1 :]
    path = folder / "a.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = verify(path)

    assert not result.ok
    assert result.first_bad_index == 1


def test_verify_when_records_are_respelled_judges_content_and_the_seal_judges_bytes(
    tmp_path: Path,
) -> None:
    lines = _lines(tmp_path, "command", "api", {"a": 1})
    first, second = (json.loads(x) for x in lines)
    spaced = tmp_path / "spaced.jsonl"
    spaced.write_text(
        "\n".join(json.dumps(r, sort_keys=True) for r in (first, second)) + "\n",
        encoding="utf-8",
    )
    assert verify(spaced).ok  # same content: each hash still covers the canonical body

    # A chain has no key: whoever rewrites records can hash them again, canonical or not,
    # and every line then links. What shows it is the day's seal (final hash, file digest).
    rehashed = tmp_path / "rehashed.jsonl"
    prev, out = GENESIS_HASH, []
    for index, rec in enumerate((first, second)):
        body = {**rec, "prev_hash": prev, "payload": {"a": 2}}
        del body["hash"]
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        head, tail = text[1:].split(",", 1)  # "actor":..., then the rest
        digest = hashlib.sha256((prev + "{" + head + ", " + tail).encode()).hexdigest()
        out.append("{" + head + ',"hash":"' + digest + '", ' + tail)
        prev = digest
        assert index == body["seq"]
    rehashed.write_text("\n".join(out) + "\n", encoding="utf-8")
    log = AuditLog(tmp_path / "a.jsonl", fsync=False)
    sealed = log.seal_day(T0.date(), tmp_path / "archive")

    assert verify(rehashed).ok
    assert not verify_with_seal(rehashed, sealed.seal_path).ok
