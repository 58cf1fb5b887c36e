"""Entry point of the ``ashare-exec`` command.

Each command group lives in its own module exposing ``register(subparsers)``; a command
handler returns the process exit code. Input errors print a clear message (no traceback)
and exit non-zero.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ashare_exec import __version__
from ashare_exec.cli import (
    archive_cmd,
    audit_cmd,
    check_cmd,
    client_cmds,
    rules_cmd,
    secrets_cmd,
    serve_cmd,
    sim_cmd,
)
from ashare_exec.errors import GatewayError


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every command group."""
    parser = argparse.ArgumentParser(
        prog="ashare-exec",
        description="Order-execution gateway for China A-shares.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = (serve_cmd, check_cmd, client_cmds, archive_cmd, audit_cmd, secrets_cmd)
    for module in (*modules, rules_cmd, sim_cmd):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        code: int = handler(args)
    except GatewayError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code
