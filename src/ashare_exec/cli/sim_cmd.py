"""``ashare-exec sim replay``: run a scripted set of orders through the simulator for a day.

The script is a small CSV (``time,action,client_order_id,symbol,side,qty,price_type,price``);
``price`` is a number, or ``ask`` / ``bid`` / ``last`` with an optional tick offset
(``bid-3``, ``ask+1``) taken from the simulated book at that time. Without ``--script`` a
built-in script runs. Everything runs on a simulated clock and finishes in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from ashare_exec.clock import CST, SimClock
from ashare_exec.errors import BrokerError, InvalidRequest
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    OrderFilled,
    OrderSpec,
    PriceType,
    Side,
)
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.sim import (
    FeedKind,
    SimAccountConfig,
    SimConfig,
    SimVenue,
    build_sim_venue,
)

DEFAULT_SCRIPT = """time,action,client_order_id,symbol,side,qty,price_type,price
09:16:00,submit,open-buy,600000.SH,BUY,1000,LIMIT,10.30
09:45:00,submit,take-sz,000001.SZ,BUY,2000,BEST5_IOC,
10:00:00,submit,rest-buy,600000.SH,BUY,500,LIMIT,bid-5
10:01:00,cancel,rest-buy,,,,,
10:30:00,submit,sell-old,600000.SH,SELL,2000,LIMIT,ask
10:31:00,submit,sell-more,600000.SH,SELL,1000,LIMIT,bid
10:32:00,submit,t1-sell,000001.SZ,SELL,500,LIMIT,bid
13:30:00,submit,fok-sz,000001.SZ,BUY,1500,FOK,
14:00:00,submit,too-big,600000.SH,BUY,2000000,LIMIT,bid
14:58:00,submit,close-buy,000001.SZ,BUY,500,LIMIT,ask+5
"""

_REL = re.compile(r"^(ask|bid|last)([+-]\d+)?$")
ACCOUNT = AccountId("paper")


@dataclass(frozen=True, slots=True)
class Step:
    """One line of the script."""

    at: time
    action: str
    coid: ClientOrderId
    symbol: InstrumentId | None
    side: Side | None
    qty: int
    price_type: PriceType
    price: str


def parse_script(text: str) -> list[Step]:
    """Parse a script.

    Raises:
        InvalidRequest: a malformed line (names the line).
    """
    steps: list[Step] = []
    for n, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            action = row["action"].strip().lower()
            if action not in ("submit", "cancel"):
                raise ValueError(f"action must be submit or cancel, was {action!r}")
            sym = (row.get("symbol") or "").strip()
            side = (row.get("side") or "").strip().upper()
            steps.append(
                Step(
                    at=time.fromisoformat(row["time"].strip()),
                    action=action,
                    coid=ClientOrderId(row["client_order_id"].strip()),
                    symbol=InstrumentId.parse(sym) if sym else None,
                    side=Side(side) if side else None,
                    qty=int(row.get("qty") or 0),
                    price_type=PriceType((row.get("price_type") or "LIMIT").strip().upper()),
                    price=(row.get("price") or "").strip(),
                )
            )
        except (KeyError, ValueError) as e:
            raise InvalidRequest(f"script line {n}: {e}") from e
    if any(s.action == "submit" and (s.symbol is None or s.side is None) for s in steps):
        raise InvalidRequest("every submit needs symbol and side")
    return sorted(steps, key=lambda s: s.at)


def _price(venue: SimVenue, step: Step) -> Decimal | None:
    if not step.price:
        return None
    m = _REL.match(step.price)
    if m is None:
        return Decimal(step.price)
    assert step.symbol is not None
    if venue.exchange.instrument(step.symbol) is None:
        return None  # the venue rejects it with UNKNOWN_SYMBOL
    q = venue.exchange.quote(step.symbol, venue.clock.now())
    _, tick, _, _ = venue.exchange.band(step.symbol, venue.clock.now().date())
    ref = {"ask": q.best_ask, "bid": q.best_bid, "last": q.last}[m.group(1)] if q else None
    if ref is None:
        inst = venue.exchange.instrument(step.symbol)
        ref = inst.prev_close if inst is not None else Decimal(0)
    return ref + tick * int(m.group(2) or 0)


def _describe(r: VenueReport) -> tuple[str, str, str]:
    name = type(r).__name__.removeprefix("Order").removeprefix("Venue")
    coid = str(getattr(r, "client_order_id", ""))
    if isinstance(r, OrderFilled):
        return coid, name, f"{r.side} {r.last_qty} @ {r.last_px}  fee {r.fee}  {r.trade_id}"
    detail = getattr(r, "message", "") or getattr(r, "session", "") or getattr(r, "reason", "")
    code = getattr(r, "reason_code", None)
    return coid, name, f"{code}: {detail}" if code else str(detail)


async def run(steps: list[Step], day: date, seed: int, feed: FeedKind) -> int:
    """Run ``steps`` on ``day`` and print every report, then positions and cash."""
    clock = SimClock(datetime.combine(day, time(9, 0), CST))
    cfg = SimConfig(
        seed=seed,
        feed=feed,
        accounts=(SimAccountConfig(ACCOUNT, Decimal("1000000"), {"600000.SH": 5000}),),
    )
    venue = build_sim_venue(cfg, clock)
    log: list[tuple[datetime, VenueReport]] = []
    venue.set_report_sink(lambda r: log.append((clock.now(), r)))
    await venue.connect()
    for step in steps:
        await venue.advance_to(datetime.combine(day, step.at, CST))
        try:
            if step.action == "cancel":
                await venue.cancel(ACCOUNT, step.coid, None)
            else:
                assert step.symbol is not None
                assert step.side is not None
                await venue.submit(
                    OrderSpec(
                        account_id=ACCOUNT,
                        client_order_id=step.coid,
                        instrument_id=step.symbol,
                        side=step.side,
                        qty=step.qty,
                        price_type=step.price_type,
                        price=_price(venue, step),
                    )
                )
        except BrokerError as e:
            print(f"{step.at}  {step.coid:<12} refused: {e}")
        await asyncio.sleep(0)
    await venue.advance_to(datetime.combine(day, time(15, 5), CST))
    await asyncio.sleep(0.01)
    print(f"simulated trading day {day} (seed {seed}, feed {feed})\n")
    print(f"{'time':<8}  {'order':<12} {'event':<14} detail")
    for ts, r in log:
        when = getattr(r, "ts_event", ts)
        coid, name, detail = _describe(r)
        print(f"{when:%H:%M:%S}  {coid:<12} {name:<14} {detail}")
    print("\npositions")
    for p in await venue.query_positions(ACCOUNT):
        qty = f"total {p.total_qty:>8}  sellable {p.sellable_qty:>8}"
        print(f"  {p.instrument_id}  {qty}  avg cost {p.avg_cost}")
    cash = await venue.query_cash(ACCOUNT)
    print(
        f"\ncash available {cash.available}  frozen {cash.frozen}  total asset {cash.total_asset}"
    )
    await venue.close()
    return 0


def _replay(args: argparse.Namespace) -> int:
    text = Path(args.script).read_text(encoding="utf-8") if args.script else DEFAULT_SCRIPT
    feed = FeedKind.REPLAY if args.recorded else FeedKind.RANDOM
    return asyncio.run(run(parse_script(text), date.fromisoformat(args.date), args.seed, feed))


def register(sub: argparse._SubParsersAction[Any]) -> None:
    """Add ``sim replay``."""
    p = sub.add_parser("sim", help="the built-in simulated exchange")
    ssub = p.add_subparsers(dest="sim_command", metavar="SUBCOMMAND")
    r = ssub.add_parser("replay", help="run a scripted day of orders through the simulator")
    r.add_argument("--script", help="CSV script (default: a built-in demo script)")
    r.add_argument("--seed", type=int, default=0, help="random-walk and fault seed (default 0)")
    r.add_argument("--date", default="2026-11-25", help="trading day (default 2026-11-25)")
    r.add_argument(
        "--recorded",
        action="store_true",
        help="use the packaged recorded snapshots instead of the random walk",
    )
    r.set_defaults(handler=_replay)
