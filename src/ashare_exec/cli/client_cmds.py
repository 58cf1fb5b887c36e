"""CLI commands that talk to a running service through the SDK.

The URL comes from ``--url`` (default ``http://127.0.0.1:8000``) and the token from
``--token``, the ``ASHARE_EXEC_TOKEN`` environment variable, or the token file the service
wrote under its data directory (``data/api-token.txt``). Output is a readable table, or JSON
with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ashare_exec.client import ApiError, Client
from ashare_exec.model import PriceType

__all__ = ["register"]

_ORDER_COLS = (
    "client_order_id",
    "symbol",
    "side",
    "qty",
    "price",
    "status",
    "filled_qty",
    "avg_px",
)


def _token(args: argparse.Namespace) -> str | None:
    if args.token:
        return str(args.token)
    env = os.environ.get("ASHARE_EXEC_TOKEN")
    if env:
        return env
    path = Path(args.data_dir) / "api-token.txt"
    if path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return None


def _client(args: argparse.Namespace) -> Client:
    return Client(args.url, _token(args), timeout=args.timeout)


def _table(rows: Sequence[dict[str, Any]], cols: Sequence[str]) -> str:
    if not rows:
        return "(none)"
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def _emit(args: argparse.Namespace, data: Any, table: str | None = None) -> None:
    if args.json or table is None:
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
    else:
        print(table)


def _run(fn: Any) -> Any:
    def wrapper(args: argparse.Namespace) -> int:
        try:
            with _client(args) as c:
                return int(fn(c, args) or 0)
        except ApiError as e:
            print(f"error: {e.code}: {e.message}", file=sys.stderr)
            return 1
        except OSError as e:
            print(f"error: cannot reach the service at {args.url}: {e}", file=sys.stderr)
            return 1
        except Exception as e:
            # httpx transport errors (connection refused, timeouts) end here too.
            print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
            return 1

    return wrapper


@_run
def _order(c: Client, args: argparse.Namespace) -> int:
    h = c.submit(
        args.account,
        args.symbol,
        args.side,
        args.qty,
        args.price,
        price_type=args.price_type,
        client_order_id=args.client_order_id,
        protection_price=args.protection_price,
        strategy=args.strategy,
    )
    info = h.wait(args.wait) if args.wait else h.info
    _emit(args, info.raw, _table([info.raw], (*_ORDER_COLS, "reasons")))
    return 0 if info.status != "DENIED" else 3


@_run
def _cancel(c: Client, args: argparse.Namespace) -> int:
    info = c.cancel(args.account, args.client_order_id)
    _emit(args, info.raw, _table([info.raw], _ORDER_COLS))
    return 0


@_run
def _cancel_all(c: Client, args: argparse.Namespace) -> int:
    ids = c.cancel_all(args.account, args.symbol, args.side)
    _emit(args, {"canceled": ids}, f"cancel requested for {len(ids)} order(s)")
    return 0


@_run
def _orders(c: Client, args: argparse.Namespace) -> int:
    listed = c.orders(
        args.account,
        limit=args.limit,
        open_only=args.open or None,
        status=args.status,
        symbol=args.symbol,
    )
    rows = [o.raw for o in listed]
    _emit(args, rows, _table(rows, _ORDER_COLS))
    return 0


@_run
def _positions(c: Client, args: argparse.Namespace) -> int:
    rows = c.positions(args.account)
    cols = ("symbol", "total_qty", "sellable_qty", "frozen_qty", "avg_cost", "realised_pnl")
    _emit(args, rows, _table(rows, cols))
    return 0


@_run
def _account(c: Client, args: argparse.Namespace) -> int:
    data = c.account(args.account)
    _emit(args, data, "\n".join(f"{k}: {v}" for k, v in data.items()))
    return 0


@_run
def _status(c: Client, args: argparse.Namespace) -> int:
    data = c.status()
    _emit(args, data, json.dumps(data, ensure_ascii=False, indent=2, default=str))
    return 0


@_run
def _evidence(c: Client, args: argparse.Namespace) -> int:
    data = c.evidence(args.account, args.day, "csv" if args.csv else "json")
    if args.output:
        text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2)
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"written to {args.output}")
    elif isinstance(data, str):
        print(data, end="")
    else:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    return 0


def _state(state: str) -> Any:
    @_run
    def handler(c: Client, args: argparse.Namespace) -> int:
        data = c.set_trading_state(
            state, args.account, cancel_working=getattr(args, "cancel", False)
        )
        _emit(args, data, f"{args.account or 'global'}: {state}")
        return 0

    return handler


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", default=os.environ.get("ASHARE_EXEC_URL", "http://127.0.0.1:8000"))
    p.add_argument("--token", default=None, help="API token (else $ASHARE_EXEC_TOKEN)")
    p.add_argument("--data-dir", default="data", help="where the service wrote api-token.txt")
    p.add_argument("--timeout", type=float, default=10.0)
    p.add_argument("--json", action="store_true", help="print JSON")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the client commands."""
    p = sub.add_parser("order", help="submit an order: order buy|sell SYMBOL QTY [PRICE]")
    p.add_argument("side", type=str.upper, choices=["BUY", "SELL"])
    p.add_argument("symbol")
    p.add_argument("qty", type=int)
    p.add_argument("price", nargs="?", default=None)
    p.add_argument("--account", default="paper")
    p.add_argument(
        "--price-type",
        default=PriceType.LIMIT.value,
        type=str.upper,
        choices=[t.value for t in PriceType],
        help="a market type takes no PRICE (on STAR and BSE it needs --protection-price)",
    )
    p.add_argument("--protection-price", default=None, help="worst fill price (STAR/BSE market)")
    p.add_argument("--strategy", default=None, help="strategy id recorded with the order")
    p.add_argument("--client-order-id", default=None)
    p.add_argument("--wait", type=float, default=0.0, help="wait up to N s for a final status")
    _common(p)
    p.set_defaults(handler=_order)

    p = sub.add_parser("cancel", help="cancel one order by client order id")
    p.add_argument("client_order_id")
    p.add_argument("--account", default="paper")
    _common(p)
    p.set_defaults(handler=_cancel)

    p = sub.add_parser("cancel-all", help="cancel every working order of an account")
    p.add_argument("--account", default="paper")
    p.add_argument("--symbol", default=None)
    p.add_argument("--side", default=None, type=str.upper, choices=["BUY", "SELL"])
    _common(p)
    p.set_defaults(handler=_cancel_all)

    p = sub.add_parser("orders", help="list orders")
    p.add_argument("--account", default=None)
    p.add_argument("--open", action="store_true", help="working orders only")
    p.add_argument("--status", default=None)
    p.add_argument("--symbol", default=None)
    p.add_argument("--limit", type=int, default=1000, help="the newest N (default 1000)")
    _common(p)
    p.set_defaults(handler=_orders)

    p = sub.add_parser("positions", help="list positions")
    p.add_argument("--account", default="paper")
    _common(p)
    p.set_defaults(handler=_positions)

    p = sub.add_parser("account", help="cash and status of an account")
    p.add_argument("--account", default="paper")
    _common(p)
    p.set_defaults(handler=_account)

    p = sub.add_parser("status", help="service status")
    _common(p)
    p.set_defaults(handler=_status)

    p = sub.add_parser("evidence", help="programmatic-trading evidence pack (JSON or CSV)")
    p.add_argument("--account", default="paper")
    p.add_argument("--day", default=None, help="YYYY-MM-DD (default: today)")
    p.add_argument("--csv", action="store_true", help="CSV instead of JSON")
    p.add_argument("--output", "-o", default=None, help="write to this file")
    _common(p)
    p.set_defaults(handler=_evidence)

    for name, state, text in (
        ("halt", "HALTED", "halt trading (kill switch)"),
        ("reduce-only", "REDUCE_ONLY", "allow only orders that reduce positions"),
        ("resume", "ACTIVE", "resume trading"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--account", default=None, help="account (default: global)")
        if state == "HALTED":
            p.add_argument("--cancel", action="store_true", help="also cancel working orders")
        _common(p)
        p.set_defaults(handler=_state(state))
