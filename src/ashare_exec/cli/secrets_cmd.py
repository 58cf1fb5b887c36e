"""``ashare-exec secrets``: manage the encrypted secrets file (key in the OS keyring).

``set NAME`` reads the value from standard input when it is not a terminal, else prompts
without echo; ``get NAME`` prints the value only with ``--show``; ``list`` shows names only.
The file is ``--file``, else ``secrets.enc`` next to ``--config``, else
``$ASHARE_EXEC_SECRETS_FILE``, else ``config/secrets.enc`` (docs/secrets.md).
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from ashare_exec.secrets import (
    DEFAULT_KEYRING_SERVICE,
    SECRETS_FILE_ENV,
    SecretError,
    SecretStore,
    default_secrets_path,
)

__all__ = ["register"]


def _path(args: argparse.Namespace) -> Path:
    if args.file is not None:
        return Path(args.file)
    if args.config is not None:
        return Path(args.config).parent / "secrets.enc"
    return default_secrets_path(None)


def _store(args: argparse.Namespace) -> SecretStore:
    backend = getattr(args, "keyring_backend", None)
    return SecretStore.open(_path(args), keyring_service=args.keyring_service, backend=backend)


def _read_value(name: str) -> str:
    if sys.stdin is not None and not sys.stdin.isatty():
        value = sys.stdin.read()
        # One trailing newline comes from `echo`/here-strings; it is never part of a secret.
        if value.endswith("\r\n"):
            value = value[:-2]
        elif value.endswith("\n"):
            value = value[:-1]
        return value
    first = getpass.getpass(f"value of {name}: ")
    second = getpass.getpass(f"value of {name} (again): ")
    if first != second:
        raise SecretError(f"the two values of {name} differ; nothing stored")
    return first


def _guard(fn: Any) -> Any:
    def handler(args: argparse.Namespace) -> int:
        try:
            return int(fn(args))
        except SecretError as e:
            print(f"error: {e.message}", file=sys.stderr)
            return 2

    return handler


@_guard
def _set(args: argparse.Namespace) -> int:
    store = _store(args)
    value = _read_value(args.name)
    store.set(args.name, value)
    print(f"{args.name} stored in {store.path} (reference it as secret:{args.name})")
    return 0


@_guard
def _get(args: argparse.Namespace) -> int:
    store = _store(args)
    value = store.get(args.name)
    if args.show:
        print(value)
    else:
        print(f"{args.name} is set ({len(value)} characters); add --show to print it")
    return 0


@_guard
def _list(args: argparse.Namespace) -> int:
    path = _path(args)
    names = _store(args).names() if path.exists() else []
    if args.json:
        print(json.dumps({"file": str(path), "names": names}, indent=2))
    elif not names:
        print(f"(no secrets in {path})")
    else:
        print("\n".join(names))
    return 0


@_guard
def _delete(args: argparse.Namespace) -> int:
    store = _store(args)
    store.delete(args.name)
    print(f"{args.name} deleted from {store.path}")
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--file", type=Path, default=None, help=f"secrets file (else ${SECRETS_FILE_ENV})"
    )
    p.add_argument(
        "--config", type=Path, default=None, help="gateway TOML; the file is secrets.enc beside it"
    )
    p.add_argument(
        "--keyring-service",
        default=DEFAULT_KEYRING_SERVICE,
        help="keyring service name holding the file's key",
    )


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``secrets`` with ``set``, ``get``, ``list`` and ``delete``."""
    p = sub.add_parser("secrets", help="manage the encrypted secrets file (key in the OS keyring)")
    inner = p.add_subparsers(dest="secrets_command", metavar="ACTION", required=True)

    s = inner.add_parser("set", help="store a secret (value from stdin or a hidden prompt)")
    s.add_argument("name")
    _common(s)
    s.set_defaults(handler=_set)

    s = inner.add_parser("get", help="check a secret is set (print it only with --show)")
    s.add_argument("name")
    s.add_argument("--show", action="store_true", help="print the value")
    _common(s)
    s.set_defaults(handler=_get)

    s = inner.add_parser("list", help="list secret names (never values)")
    s.add_argument("--json", action="store_true", help="print JSON")
    _common(s)
    s.set_defaults(handler=_list)

    s = inner.add_parser("delete", help="remove a secret")
    s.add_argument("name")
    _common(s)
    s.set_defaults(handler=_delete)
