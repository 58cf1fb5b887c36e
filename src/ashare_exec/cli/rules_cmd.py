"""``ashare-exec rules``: the offline order checker.

``rules check`` validates one order against the exchange rules and prints JSON;
``rules limits`` prints a symbol's tick, lot, quantity bounds and price limits for a day.
Both read the instrument master (default: the packaged sample) and the trading calendar.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ashare_exec.clock import CST, WallClock
from ashare_exec.errors import InvalidRequest
from ashare_exec.model import (
    AccountId,
    Instrument,
    InstrumentId,
    PriceType,
    Quote,
    Side,
    SubmitOrder,
)
from ashare_exec.model.numbers import to_decimal
from ashare_exec.refdata import load_calendar, load_instruments, sample_instruments_path
from ashare_exec.rules import (
    allowed_price_types,
    lot_rule,
    price_limits,
    sellable_same_day,
    tick_size,
    validate_order,
)

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``rules check`` and ``rules limits``."""
    group = sub.add_parser("rules", help="offline A-share rule checks (no service needed)")
    rules_sub = group.add_subparsers(dest="rules_command", metavar="SUBCOMMAND")
    group.set_defaults(handler=lambda _args: _usage(group))

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--symbol", required=True, help="e.g. 600000.SH")
    common.add_argument(
        "--instruments", type=Path, help="instrument master CSV (default: packaged sample)"
    )
    common.add_argument("--holidays", type=Path, help="holidays file (default: packaged)")

    check = rules_sub.add_parser(
        "check", parents=[common], help="validate one order; JSON with ok, reasons, limits, cage"
    )
    check.add_argument("--side", required=True, type=str.upper, choices=[s.value for s in Side])
    check.add_argument("--qty", required=True, help="quantity in shares/units/bonds")
    check.add_argument("--price", help="limit price (required for LIMIT)")
    check.add_argument(
        "--price-type",
        default=PriceType.LIMIT.value,
        type=str.upper,
        choices=[p.value for p in PriceType],
    )
    check.add_argument("--protection-price", help="protection price of a STAR/BSE market order")
    check.add_argument("--bid", help="best bid (cage base price)")
    check.add_argument("--ask", help="best ask (cage base price)")
    check.add_argument("--last", help="last trade price (cage base price)")
    check.add_argument(
        "--time", help="ISO timestamp, e.g. 2026-11-25T10:00:00+08:00 (default: now)"
    )
    check.add_argument("--sellable", help="sellable quantity (sells)")
    check.add_argument("--position", help="whole holding (odd-lot sells; default: --sellable)")
    check.set_defaults(handler=_check)

    limits = rules_sub.add_parser(
        "limits", parents=[common], help="tick, lot, quantity bounds and price limits as JSON"
    )
    limits.add_argument("--date", help="YYYY-MM-DD (default: today)")
    limits.set_defaults(handler=_limits)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _dec(name: str, text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return to_decimal(text)
    except ValueError:
        raise InvalidRequest(f"--{name}: not a number: {text!r}") from None


def _int(name: str, text: str | None) -> int | None:
    if text is None:
        return None
    t = text.strip()
    if not t.lstrip("-").isdigit():
        raise InvalidRequest(f"--{name}: not an integer: {text!r}")
    return int(t)


def _instrument(args: argparse.Namespace) -> Instrument:
    try:
        iid = InstrumentId.parse(args.symbol)
    except ValueError as e:
        raise InvalidRequest(f"--symbol: {e}", code="UNKNOWN_SYMBOL") from None
    path: Path = args.instruments or sample_instruments_path()
    master = load_instruments(path)
    inst = master.get(iid)
    if inst is None:
        raise InvalidRequest(f"{iid} is not in the instrument file {path}", code="UNKNOWN_SYMBOL")
    return inst


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, InstrumentId):
        return str(value)
    if isinstance(value, frozenset):
        return sorted(str(v) for v in value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _print(payload: dict[str, object]) -> None:
    print(json.dumps(payload, ensure_ascii=False, indent=2, default=_json_default))


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _check(args: argparse.Namespace) -> int:
    inst = _instrument(args)
    calendar = load_calendar(args.holidays)
    if args.time is None:
        ts = WallClock().now()
    else:
        try:
            ts = datetime.fromisoformat(args.time)
        except ValueError:
            raise InvalidRequest(f"--time: not an ISO timestamp: {args.time!r}") from None
        ts = ts.replace(tzinfo=CST) if ts.tzinfo is None else ts
    qty = _int("qty", args.qty)
    assert qty is not None  # required by argparse
    bid, ask, last = _dec("bid", args.bid), _dec("ask", args.ask), _dec("last", args.last)
    quote = None
    if bid is not None or ask is not None or last is not None:
        quote = Quote(
            instrument_id=inst.instrument_id,
            last=last,
            bid_prices=() if bid is None else (bid,),
            ask_prices=() if ask is None else (ask,),
        )
    cmd = SubmitOrder(
        account_id=AccountId("offline"),
        instrument_id=inst.instrument_id,
        side=Side(args.side),
        qty=qty,
        price_type=PriceType(args.price_type),
        price=_dec("price", args.price),
        protection_price=_dec("protection-price", args.protection_price),
    )
    result = validate_order(
        cmd,
        inst,
        quote,
        ts,
        calendar,
        sellable_qty=_int("sellable", args.sellable),
        position_qty=_int("position", args.position),
        explain=True,
    )
    order = None
    if result.order is not None:
        o = result.order
        order = {
            "symbol": str(o.instrument_id),
            "side": o.side.value,
            "qty": o.qty,
            "price_type": o.price_type.value,
            "price": _str(o.price),
            "protection_price": _str(o.protection_price),
            "time_in_force": o.time_in_force.value,
        }
    for message in result.messages:
        if message.startswith("CALENDAR_NOT_COVERED"):
            print(f"WARNING: {message}", file=sys.stderr)
    _print(
        {
            "ok": result.ok,
            "reasons": list(result.reasons),
            "messages": list(result.messages),
            "symbol": inst.symbol,
            "name": inst.name,
            "time": ts.astimezone(CST).isoformat(),
            "phase": result.phase.value,
            "order": order,
            "limits": {"up": _str(result.limits.up), "down": _str(result.limits.down)},
            "cage": None
            if result.cage is None
            else {"sell_min": _str(result.cage[0]), "buy_max": _str(result.cage[1])},
        }
    )
    return 0 if result.ok else 1


def _limits(args: argparse.Namespace) -> int:
    inst = _instrument(args)
    calendar = load_calendar(args.holidays)
    if args.date is None:
        day = WallClock().now().date()
    else:
        try:
            day = date.fromisoformat(args.date)
        except ValueError:
            raise InvalidRequest(f"--date: expected YYYY-MM-DD, got {args.date!r}") from None
    limits = price_limits(inst, day, calendar)
    buy_limit = lot_rule(inst, Side.BUY, PriceType.LIMIT, day)
    buy_market = lot_rule(inst, Side.BUY, PriceType.BEST5_IOC, day)
    warning = calendar.coverage_warning(day)
    if warning:
        print(f"WARNING: {warning}", file=sys.stderr)
    _print(
        {
            "symbol": inst.symbol,
            "name": inst.name,
            "date": day.isoformat(),
            "trading_day": calendar.is_trading_day(day),
            "board": inst.board.value,
            "product": inst.product.value,
            "is_st": inst.is_st,
            "t0": sellable_same_day(inst),
            "suspended": inst.suspended,
            "prev_close": str(inst.prev_close),
            "tick": str(tick_size(inst)),
            "lot": buy_limit.lot,
            "min_qty": buy_limit.min_qty,
            "step": buy_limit.step,
            "max_qty": buy_limit.max_qty,
            "max_qty_market": buy_market.max_qty,
            "limit_up": _str(limits.up),
            "limit_down": _str(limits.down),
            "price_types": sorted(p.value for p in allowed_price_types(inst, day)),
            "warnings": [warning] if warning else [],
        }
    )
    return 0
