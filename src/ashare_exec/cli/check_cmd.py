"""``ashare-exec check``: run the start-up checks and print the report.

Exit code: 0 all ok (warnings too, unless ``--strict``), 1 warnings with ``--strict``,
2 any error. Run it while the service is stopped: the venue check connects with the same
accounts the service uses (docs/checks.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from ashare_exec.cli.serve_cmd import add_service_options, load_with_overrides
from ashare_exec.startup import DEFAULT_NTP_SERVERS, CheckSettings, run_startup_checks

__all__ = ["register"]

_MIB = 1024 * 1024
_CHECKS = ("clock", "journal", "disk", "venues")


def _check(args: argparse.Namespace) -> int:
    from ashare_exec.engine.runner import choose_clock
    from ashare_exec.refdata import load_calendar

    config = load_with_overrides(args)
    clock, _text = choose_clock(config, load_calendar(config.holidays))
    defaults = CheckSettings()
    settings = CheckSettings(
        ntp_timeout_s=args.ntp_timeout,
        max_drift_ms=args.max_drift_ms,
        disk_warn_bytes=int(args.disk_warn_mb * _MIB),
        disk_error_bytes=int(args.disk_error_mb * _MIB),
        venue_timeout_s=defaults.venue_timeout_s,
    )
    report = asyncio.run(
        run_startup_checks(
            config,
            ntp_servers=args.ntp_server or DEFAULT_NTP_SERVERS,
            clock=clock,
            settings=settings,
            skip=set(args.skip),
        )
    )
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        print(report.table())
    return report.exit_code(strict=args.strict)


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``check``."""
    d = CheckSettings()
    p = sub.add_parser(
        "check", help="start-up checks: clock drift (NTP), venues and accounts, journal, disk"
    )
    add_service_options(p)
    p.add_argument(
        "--ntp-server",
        action="append",
        default=None,
        metavar="HOST[:PORT]",
        help=f"NTP server to compare with (repeatable; default {', '.join(DEFAULT_NTP_SERVERS)})",
    )
    p.add_argument("--ntp-timeout", type=float, default=d.ntp_timeout_s, help="seconds per server")
    p.add_argument(
        "--max-drift-ms", type=float, default=d.max_drift_ms, help="clock offset that is an error"
    )
    p.add_argument(
        "--disk-warn-mb", type=float, default=d.disk_warn_bytes / _MIB, help="warn below (MiB)"
    )
    p.add_argument(
        "--disk-error-mb", type=float, default=d.disk_error_bytes / _MIB, help="error below (MiB)"
    )
    p.add_argument("--skip", action="append", default=[], choices=_CHECKS, help="leave a check out")
    p.add_argument("--strict", action="store_true", help="exit 1 when there are warnings")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_check)
