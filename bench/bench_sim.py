"""Benchmark of the simulated exchange (a plain script, not a test).

Measures:
* matching throughput: marketable and passive limit orders per second, with the in-memory
  state and with the durable SQLite state (one commit per order, as in production);
* the time to simulate a full trading day of 3-second snapshots for 100 symbols, each with a
  resting order so that every snapshot goes through the passive-fill path.

Run: ``python bench/bench_sim.py [--orders N] [--symbols N]``. Prints a table, then JSON.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time as wall
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from ashare_exec.clock import CST
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    Instrument,
    InstrumentId,
    OrderSpec,
    PriceType,
    Side,
)
from ashare_exec.refdata import load_calendar
from ashare_exec.rules import classify
from ashare_exec.venues.sim import SimAccountConfig, SimConfig, SimExchange
from ashare_exec.venues.sim.marketdata import day_grid

ACCOUNT = AccountId("bench")
DAY = (2026, 11, 25)


def instruments(n: int) -> dict[InstrumentId, Instrument]:
    out: dict[InstrumentId, Instrument] = {}
    for i in range(n):
        iid = InstrumentId(f"{600000 + i:06d}", InstrumentId.parse("600000.SH").exchange)
        c = classify(iid)
        out[iid] = Instrument(iid, f"S{i}", c.board, c.product, Decimal("10.00"))
    return out


def exchange(n_symbols: int, state: Path | None) -> SimExchange:
    held = {str(iid): 10_000_000 for iid in instruments(n_symbols)}
    cfg = SimConfig(
        seed=1,
        accounts=(SimAccountConfig(ACCOUNT, Decimal("1000000000000"), held),),
        state_path=state,
    )
    return SimExchange(cfg, instruments(n_symbols), load_calendar())


def matching(n_orders: int, state: Path | None) -> float:
    ex = exchange(10, state)
    syms = sorted(instruments(10))
    t = datetime(*DAY, 10, 0, tzinfo=CST)
    ex.advance_to(t)
    for iid in syms:  # generate the morning's snapshots outside the timed part
        ex.quote(iid, t)
    start = wall.perf_counter()
    for k in range(n_orders):
        iid = syms[k % len(syms)]
        q = ex.quote(iid, t)
        assert q is not None
        side = Side.BUY if k % 2 else Side.SELL
        marketable = k % 4 < 2
        if side is Side.BUY:
            px = q.ask_prices[0] if marketable else q.bid_prices[-1]
        else:
            px = q.bid_prices[0] if marketable else q.ask_prices[-1]
        spec = OrderSpec(
            account_id=ACCOUNT, client_order_id=ClientOrderId(f"b{k}"), instrument_id=iid,
            side=side, qty=100, price_type=PriceType.LIMIT, price=px,
        )  # fmt: skip
        ex.submit(spec, t)
    return n_orders / (wall.perf_counter() - start)


def full_day(n_symbols: int) -> tuple[float, int]:
    ex = exchange(n_symbols, None)
    t = datetime(*DAY, 9, 16, tzinfo=CST)
    for k, iid in enumerate(sorted(instruments(n_symbols))):
        spec = OrderSpec(
            account_id=ACCOUNT, client_order_id=ClientOrderId(f"d{k}"), instrument_id=iid,
            side=Side.BUY, qty=100, price_type=PriceType.LIMIT, price=Decimal("9.50"),
        )  # fmt: skip
        ex.submit(spec, t)
    start = wall.perf_counter()
    reports = ex.advance_to(datetime(*DAY, 15, 5, tzinfo=CST))
    return wall.perf_counter() - start, len(reports)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--orders", type=int, default=5000)
    ap.add_argument("--symbols", type=int, default=100)
    args = ap.parse_args()
    mem = matching(args.orders, None)
    with tempfile.TemporaryDirectory() as d:
        durable = matching(max(args.orders // 5, 100), Path(d) / "sim.sqlite")
    day_s, day_reports = full_day(args.symbols)
    result = {
        "matching_orders_per_s_memory": round(mem, 1),
        "matching_orders_per_s_sqlite": round(durable, 1),
        "full_day_seconds": round(day_s, 3),
        "full_day_symbols": args.symbols,
        "full_day_snapshots": args.symbols * len(day_grid(datetime(*DAY).date(), 3)),
        "full_day_reports": day_reports,
    }
    print(f"{'measure':<34} {'value':>12}")
    for k, v in result.items():
        print(f"{k:<34} {v:>12}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
