"""``ashare-exec serve``: run the execution service."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from ashare_exec.config import GatewayConfig, load_config

__all__ = ["add_service_options", "load_with_overrides", "register"]

DEFAULT_CONFIG = Path("config") / "gateway.toml"


def add_service_options(p: argparse.ArgumentParser) -> None:
    """Options shared by ``serve`` and ``check``."""
    p.add_argument(
        "--config",
        type=Path,
        default=None,
        help="TOML file (default: config/gateway.toml if present)",
    )
    p.add_argument("--data-dir", type=Path, default=None, help="journal, simulator state, archives")
    p.add_argument("--log-dir", type=Path, default=None)


def load_with_overrides(args: argparse.Namespace) -> GatewayConfig:
    """Load the config file (or defaults) and apply command-line overrides."""
    path = args.config
    if path is None and DEFAULT_CONFIG.is_file():
        path = DEFAULT_CONFIG
    config = load_config(path)
    changes: dict[str, Any] = {}
    if args.data_dir is not None:
        changes["data_dir"] = args.data_dir
    if args.log_dir is not None:
        changes["log_dir"] = args.log_dir
    clock = getattr(args, "clock", None)
    if clock or getattr(args, "start", None) or getattr(args, "speed", None):
        start = None
        if args.start:
            try:
                start = datetime.fromisoformat(args.start)
            except ValueError:
                raise SystemExit(f"error: --start must be ISO-8601, was {args.start!r}") from None
            if start.tzinfo is None:
                raise SystemExit("error: --start needs a UTC offset, e.g. +08:00")
        changes["clock"] = dataclasses.replace(
            config.clock,
            mode=clock or ("sim" if start else config.clock.mode),
            start=start or config.clock.start,
            speed=args.speed if args.speed is not None else config.clock.speed,
        )
    return dataclasses.replace(config, **changes) if changes else config


def _serve(args: argparse.Namespace) -> int:
    from ashare_exec.engine.runner import choose_clock, run_loop, run_service
    from ashare_exec.refdata import load_calendar

    config = load_with_overrides(args)
    calendar = load_calendar(config.holidays)
    clock, text = choose_clock(config, calendar)
    try:
        return run_loop(
            run_service(
                config,
                clock=clock,
                clock_text=text,
                host=args.host,
                port=args.port,
                cancel_on_shutdown=args.cancel_on_shutdown,
            )
        )
    except KeyboardInterrupt:
        return 0
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``serve``."""
    p = sub.add_parser("serve", help="run the execution service (simulator by default)")
    add_service_options(p)
    p.add_argument("--host", default=None, help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000; 0 = any free)")
    p.add_argument("--clock", choices=["auto", "wall", "sim"], default=None)
    p.add_argument("--start", default=None, help="sim clock start, e.g. 2026-11-25T09:14:00+08:00")
    p.add_argument("--speed", type=float, default=None, help="sim clock speed (x real time)")
    p.add_argument(
        "--cancel-on-shutdown", action="store_true", help="cancel working orders when stopping"
    )
    p.set_defaults(handler=_serve)
