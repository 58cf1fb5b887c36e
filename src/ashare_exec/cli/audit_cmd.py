"""``ashare-exec audit``: check the hash chain of an audit log."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ashare_exec.observability.audit import (
    GENESIS_HASH,
    VerifyResult,
    seal_path_for,
    verify,
    verify_with_seal,
)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the ``audit`` command group to the parser."""
    audit = sub.add_parser("audit", help="audit trail tools")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="SUBCOMMAND", required=True)
    p = audit_sub.add_parser(
        "verify",
        help="verify an audit log's hash chain; exit 1 if it was tampered with",
        description=(
            "Verify the hash chain of an audit log (JSON lines). If a seal file sits next to "
            "it (audit-<day>.seal.json), the record count, final hash and file hash are "
            "checked too. Exit code: 0 intact, 1 tampered or unreadable."
        ),
    )
    p.add_argument("file", type=Path, help="the audit log (.jsonl)")
    p.add_argument("--seal", type=Path, default=None, help="seal file (default: the sibling)")
    p.add_argument(
        "--genesis",
        default=GENESIS_HASH,
        help="prev_hash of the first record when there is no seal (default: 64 zeros)",
    )
    p.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    path: Path = args.file
    seal: Path | None = args.seal
    if seal is None and seal_path_for(path).exists():
        seal = seal_path_for(path)
    result: VerifyResult = (
        verify_with_seal(path, seal)
        if seal is not None
        else verify(path, genesis_hash=args.genesis)
    )
    sealed = f" (against seal {seal.name})" if seal is not None else ""
    if result.ok:
        print(f"OK: {path} — {result.records} records, final hash {result.final_hash}{sealed}")
        return 0
    where = f"at record {result.first_bad_index}" if result.first_bad_index is not None else "file"
    print(
        f"TAMPERED: {path} {where}: {result.reason}; "
        f"{result.records} records verified before it{sealed}"
    )
    return 1
