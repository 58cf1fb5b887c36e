"""The audit chain's format and its verification (the writing side is in ``audit.py``).

Canonical JSON, the record hash ``sha256(prev_hash + canonical_json(record without
"hash"))``, :func:`verify` of a file's chain and :func:`verify_with_seal` against a day's
seal. Reads no clock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path

import msgspec

__all__ = [
    "GENESIS_HASH",
    "VerifyResult",
    "canonical_json",
    "check_line",
    "file_sha256",
    "verify",
    "verify_with_seal",
]

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first record of a chain with no other anchor."""

_FIELDS = ("seq", "ts", "kind", "actor", "payload", "prev_hash", "hash")


def _default(obj: object) -> object:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return obj.value
    raise TypeError(f"audit payload value of type {type(obj).__name__} is not serialisable")


def canonical_json(obj: object) -> str:
    """Serialise ``obj`` deterministically (sorted keys, no spaces, UTF-8 text)."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default
    )


def _hash(prev_hash: str, body: Mapping[str, object]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(body)).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of :func:`verify`.

    ``records`` counts the lines that verified; ``first_bad_index`` is the 0-based line of
    the first problem (``None`` when ``ok``); ``final_hash`` is the last good hash.
    """

    ok: bool
    records: int
    first_bad_index: int | None
    reason: str
    final_hash: str


def check_line(
    index: int, line: str, prev_hash: str
) -> tuple[str | None, dict[str, object] | None]:
    """Check one line of a chain after ``prev_hash``: ``(problem, record)``, the problem
    ``None`` when the line is a well-formed record that links and hashes correctly."""
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as e:
        return f"line is not valid JSON ({e.msg})", None
    if not isinstance(rec, dict) or set(rec) != set(_FIELDS):
        return "record does not have exactly the audit fields", None
    if rec["seq"] != index:
        return f"seq is {rec['seq']!r}, expected {index}", None
    if rec["prev_hash"] != prev_hash:
        return "prev_hash does not match the previous record's hash", None
    body = {k: v for k, v in rec.items() if k != "hash"}
    if _hash(prev_hash, body) != rec["hash"]:
        return "hash does not match the record's content", None
    return None, rec


_HASH_KEY = ',"hash":"'
_FIELD_SET = frozenset(_FIELDS)


def _verified_as_written(index: int, line: str, prev_hash: str) -> str | None:
    """The line's hash when it verifies as the writer lays lines out (``audit.py``: the
    hashed body is the line without its ``"hash"`` member), else ``None``: then
    :func:`check_line` decides. Hashing the line's own bytes spares serialising the record
    again, which was half of :func:`verify`'s time. It accepts what :func:`check_line` does
    and also a line whose hash covers a non-canonical spelling of the body: a chain has no
    key, so whoever could write that could as well write the canonical one."""
    at = line.find(_HASH_KEY)
    end = at + len(_HASH_KEY) + 64
    if at < 0 or line[end : end + 2] != '",':
        return None
    digest = line[at + len(_HASH_KEY) : end]
    body = line[:at] + "," + line[end + 2 :]
    if hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest() != digest:
        return None
    try:
        rec = msgspec.json.decode(line)
    except msgspec.DecodeError:
        return None
    if (
        not isinstance(rec, dict)
        or rec.keys() != _FIELD_SET
        or rec["seq"] != index
        or rec["prev_hash"] != prev_hash
        or rec["hash"] != digest
    ):
        return None
    return digest


def verify(
    path: Path,
    *,
    genesis_hash: str = GENESIS_HASH,
    expected_final_hash: str | None = None,
    expected_records: int | None = None,
) -> VerifyResult:
    """Check the hash chain of the audit file at ``path``.

    Args:
        path: the JSON-lines audit file.
        genesis_hash: the ``prev_hash`` the first record must carry.
        expected_final_hash: if given (from a seal), the chain must end on this hash;
            this catches records deleted from the end.
        expected_records: if given (from a seal), the number of records there must be.

    Returns:
        The result; ``first_bad_index`` names the first record that does not verify.
    """
    prev = genesis_hash
    count = 0
    try:
        with path.open("r", encoding="utf-8", newline="\n") as f:
            for index, raw in enumerate(f):
                if not raw.endswith("\n"):
                    return VerifyResult(False, count, index, "last line is incomplete", prev)
                line = raw[:-1]
                fast = _verified_as_written(index, line, prev)
                if fast is None:
                    problem, rec = check_line(index, line, prev)
                    if problem is not None or rec is None:
                        return VerifyResult(False, count, index, problem or "bad record", prev)
                    fast = str(rec["hash"])
                prev = fast
                count += 1
    except OSError as e:
        return VerifyResult(False, 0, 0, f"cannot read the file: {e.strerror or e}", prev)
    except UnicodeDecodeError:
        return VerifyResult(False, count, count, "file is not UTF-8 text", prev)
    if expected_records is not None and count != expected_records:
        return VerifyResult(
            False, count, count, f"{count} records, the seal says {expected_records}", prev
        )
    if expected_final_hash is not None and prev != expected_final_hash:
        return VerifyResult(False, count, count, "final hash differs from the seal", prev)
    return VerifyResult(True, count, None, "chain intact", prev)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (hex), read in chunks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_with_seal(path: Path, seal: Path) -> VerifyResult:
    """Verify ``path`` against its seal file (genesis, record count, final hash, file hash)."""
    try:
        doc = json.loads(seal.read_text(encoding="utf-8"))
        genesis = str(doc["genesis_hash"])
        final = str(doc["final_hash"])
        records = int(doc["records"])
        file_sha = str(doc["file_sha256"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        return VerifyResult(False, 0, 0, f"unreadable seal {seal.name}: {e}", GENESIS_HASH)
    result = verify(path, genesis_hash=genesis, expected_final_hash=final, expected_records=records)
    if result.ok and file_sha256(path) != file_sha:
        return VerifyResult(False, result.records, None, "file hash differs from the seal", final)
    return result
