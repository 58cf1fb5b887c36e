"""Append-only, hash-chained audit trail (original design §8 "操作留痕").

Every command, risk decision, config/limit change and operator action (halt, resume,
cancel-all) is one JSON line::

    {"seq": 0, "ts": "...", "kind": "command", "actor": "token:alice",
     "payload": {...}, "prev_hash": "000...0", "hash": "9f2c..."}

``hash = sha256(prev_hash + canonical_json(record without "hash"))``; the first record's
``prev_hash`` is :data:`GENESIS_HASH` unless another anchor is given (e.g. the previous
day's final hash). Editing, inserting, deleting or reordering a line breaks the chain at that
line, which :func:`verify` reports. Truncation at the end is caught by comparing with the
final hash stored in the day's seal (:meth:`AuditLog.seal_day`).

The engine keeps one file per trading day (:func:`day_path`) and seals it into the archive
at the end of the day. Timestamps are passed in; this module reads no clock.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO

import msgspec

from ashare_exec.clock import iso
from ashare_exec.errors import GatewayError
from ashare_exec.observability.audit_chain import (
    GENESIS_HASH,
    VerifyResult,
    canonical_json,
    check_line,
    file_sha256,
    verify,
    verify_with_seal,
)

__all__ = [
    "GENESIS_HASH",
    "AuditChainBroken",
    "AuditLog",
    "AuditRecord",
    "SealResult",
    "TailRepair",
    "VerifyResult",
    "canonical_json",
    "day_path",
    "seal_path_for",
    "verify",
    "verify_with_seal",
]


class AuditChainBroken(GatewayError):
    """The audit log on disk does not verify; nothing more is appended to it."""

    default_code = "AUDIT_CHAIN_BROKEN"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audit line as written."""

    seq: int
    ts: str
    kind: str
    actor: str
    payload: Mapping[str, object]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class SealResult:
    """Where a day's audit log was sealed, and its anchor values."""

    archive_path: Path
    seal_path: Path
    records: int
    final_hash: str
    file_sha256: str


def day_path(directory: Path, day: date) -> Path:
    """Return the audit file of ``day`` in ``directory`` (``audit-2026-11-25.jsonl``)."""
    return directory / f"audit-{day.isoformat()}.jsonl"


def seal_path_for(log_path: Path) -> Path:
    """Return the seal file that belongs next to an audit file (``.seal.json``)."""
    return log_path.with_name(log_path.name.removesuffix(".jsonl") + ".seal.json")


class AuditLog:
    """An append-only, hash-chained audit file.

    Opening an existing file verifies it and continues its chain; a file that does not
    verify raises :class:`AuditChainBroken` (it must be inspected, not extended).

    Args:
        path: the JSON-lines file (its directory is created if missing).
        genesis_hash: anchor of the first record (e.g. the previous day's final hash).
        fsync: force every record to disk before :meth:`append` returns.
        repair_torn_tail: first deal with a last line left unfinished by a crash (a write
            cut short): a whole record that only lacks its newline gets it; anything else
            is moved to ``<file>.torn`` and cut off. Records are written in buffered groups,
            so a kill can cut one anywhere; only the last line, never a complete one.
    """

    def __init__(
        self,
        path: Path,
        *,
        genesis_hash: str = GENESIS_HASH,
        fsync: bool = True,
        repair_torn_tail: bool = False,
    ) -> None:
        self.path = path
        self._fsync = fsync
        self._flush_each = True
        self._genesis = genesis_hash
        self.repaired: TailRepair | None = None
        """What opening did with an unfinished last line (``repair_torn_tail``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            if repair_torn_tail:
                self.repaired = _repair_torn_tail(path, genesis_hash)
            result = verify(path, genesis_hash=genesis_hash)
            if not result.ok:
                raise AuditChainBroken(
                    f"audit log {path} does not verify at record {result.first_bad_index}: "
                    f"{result.reason}",
                    context={"path": str(path), "index": result.first_bad_index},
                )
            self._seq, self._last_hash = result.records, result.final_hash
        else:
            self._seq, self._last_hash = 0, genesis_hash
        self._file: IO[str] | None = None

    @property
    def last_hash(self) -> str:
        """Hash of the last record (the genesis hash when empty)."""
        return self._last_hash

    @property
    def records(self) -> int:
        """Number of records in the file."""
        return self._seq

    def append(
        self, kind: str, actor: str, payload: Mapping[str, object], ts: datetime
    ) -> AuditRecord:
        """Append one record and return it.

        Args:
            kind: what is recorded (``command``, ``risk_decision``, ``config_change``,
                ``operator_action`` ...).
            actor: who did it (token name, ``operator:cli``, ``engine``).
            payload: the details; values must be JSON-serialisable (Decimal, datetime and
                enums are written as strings).
            ts: when it happened (aware datetime, from the engine's clock).
        """
        if ts.tzinfo is None:
            raise ValueError("audit timestamps must be timezone-aware")
        ts_text = iso(ts)
        payload_json = canonical_json(dict(payload))
        # The canonical body, spelled out in its sorted key order: serialising the whole
        # record twice (once to hash, once with the hash) cost more than the rest together.
        # tests/unit/observability/test_audit.py checks it equals canonical_json(body).
        head = f'{{"actor":{canonical_json(actor)}'
        tail = (
            f'"kind":{canonical_json(kind)},"payload":{payload_json},'
            f'"prev_hash":"{self._last_hash}","seq":{self._seq},"ts":"{ts_text}"}}'
        )
        digest = hashlib.sha256((self._last_hash + head + "," + tail).encode("utf-8")).hexdigest()
        line = f'{head},"hash":"{digest}",{tail}\n'
        body: dict[str, object] = {
            "seq": self._seq,
            "ts": ts_text,
            "kind": kind,
            "actor": actor,
            # Parsed back so the returned payload is exactly what was hashed.
            "payload": msgspec.json.decode(payload_json),
            "prev_hash": self._last_hash,
        }
        if self._file is None:
            self._file = self.path.open("a", encoding="utf-8", newline="\n")
        self._file.write(line)
        if self._flush_each:
            self._file.flush()
        if self._fsync:
            os.fsync(self._file.fileno())
        record = AuditRecord(
            seq=self._seq,
            ts=str(body["ts"]),
            kind=kind,
            actor=actor,
            payload=body["payload"],  # type: ignore[arg-type]
            prev_hash=self._last_hash,
            hash=digest,
        )
        self._seq += 1
        self._last_hash = digest
        return record

    def sync(self) -> None:
        """Force what was appended so far to disk."""
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        """Close the file (appending again reopens it)."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def seal_day(self, day: date, archive_dir: Path) -> SealResult:
        """Copy this log into ``archive_dir`` as the sealed, read-only record of ``day``.

        Writes ``audit-<day>.jsonl`` (a copy of the chain) and ``audit-<day>.seal.json``
        (genesis hash, record count, final hash, SHA-256 of the file); both are made
        read-only. The log must verify first.

        Raises:
            AuditChainBroken: the log does not verify, or the day is already sealed with
                different content.
        """
        self.close()
        if self.path.exists():
            result = verify(self.path, genesis_hash=self._genesis)
        else:  # opened, nothing recorded that day: an empty, sealed record of it
            result = VerifyResult(True, 0, None, "no records", self._genesis)
        if not result.ok:
            raise AuditChainBroken(
                f"refusing to seal {self.path}: record {result.first_bad_index}: {result.reason}"
            )
        archive_dir.mkdir(parents=True, exist_ok=True)
        target = day_path(archive_dir, day)
        seal = seal_path_for(target)
        file_sha = file_sha256(self.path) if self.path.exists() else hashlib.sha256().hexdigest()
        if target.exists() or seal.exists():
            if target.exists() and file_sha256(target) == file_sha and seal.exists():
                return SealResult(target, seal, result.records, result.final_hash, file_sha)
            raise AuditChainBroken(f"{day} is already sealed in {archive_dir} with other content")
        if self.path.exists():
            shutil.copyfile(self.path, target)
        else:
            target.write_text("", encoding="utf-8")
        seal_doc = {
            "day": day.isoformat(),
            "file": target.name,
            "records": result.records,
            "genesis_hash": self._genesis,
            "final_hash": result.final_hash,
            "file_sha256": file_sha,
        }
        seal.write_text(json.dumps(seal_doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        for p in (target, seal):
            os.chmod(p, stat.S_IREAD | stat.S_IRGRP | stat.S_IROTH)
        return SealResult(target, seal, result.records, result.final_hash, file_sha)


@dataclass(frozen=True, slots=True)
class TailRepair:
    """An unfinished last line found when opening an audit file, and what was done."""

    completed: bool
    """It was a whole record missing only its newline: the newline was added."""
    set_aside: int
    """Bytes of a partial record moved to :attr:`aside` and cut from the file (0 if completed)."""
    aside: Path | None


def _repair_torn_tail(path: Path, genesis_hash: str) -> TailRepair | None:
    size = path.stat().st_size
    with path.open("r+b") as f:
        data, start = b"", size
        # Read back from the end until the last two line ends are in hand (or the start).
        while start > 0 and data.count(b"\n") < 2:
            step = min(1 << 16, start)
            start -= step
            f.seek(start)
            data = f.read(step) + data
        if not data or data.endswith(b"\n"):
            return None
        cut = data.rfind(b"\n") + 1
        tail = data[cut:]
        seq, prev_hash = 0, genesis_hash
        if cut:
            try:
                before = json.loads(data[data.rfind(b"\n", 0, cut - 1) + 1 : cut - 1])
                seq, prev_hash = int(before["seq"]) + 1, str(before["hash"])
            except (ValueError, KeyError, TypeError):
                seq = -1  # the line before does not parse: the full check will say why
        try:
            whole = seq >= 0 and check_line(seq, tail.decode("utf-8"), prev_hash)[0] is None
        except UnicodeDecodeError:
            whole = False
        if whole:
            f.seek(size)
            f.write(b"\n")
            f.flush()
            os.fsync(f.fileno())
            return TailRepair(True, 0, None)
        aside = path.with_name(path.name + ".torn")
        with aside.open("ab") as out:
            out.write(tail + b"\n")
            out.flush()
            os.fsync(out.fileno())
        f.truncate(start + cut)
        f.flush()
        os.fsync(f.fileno())
        return TailRepair(False, len(tail), aside)
