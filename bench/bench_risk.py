"""Cost of the full pre-trade check chain per order (RiskEngine.check_order).

Run: ``python bench/bench_risk.py [--n 20000]``. Prints a JSON line and a table with p50 /
p99 / mean in microseconds for: the whole chain with the exchange-rule validator, the chain
without it (our own checks only), and the validator alone. Target: p99 < 20 µs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from ashare_exec.clock import CST
from ashare_exec.model import (
    AccountId,
    Board,
    Instrument,
    InstrumentId,
    ProductType,
    Quote,
    Side,
    SubmitOrder,
)
from ashare_exec.risk import InMemoryAccount, RiskConfig, RiskEngine
from ashare_exec.rules import WEEKDAYS_ONLY, validate_order

IID = InstrumentId.parse("600000.SH")
INST = Instrument(IID, "PF Bank", Board.MAIN, ProductType.STOCK, Decimal("10.00"))
QUOTE = Quote(
    instrument_id=IID,
    last=Decimal("10.00"),
    bid_prices=(Decimal("9.99"),),
    bid_sizes=(1000,),
    ask_prices=(Decimal("10.01"),),
    ask_sizes=(1000,),
)
T0 = datetime(2026, 11, 25, 10, 0, tzinfo=CST)
LIMITS = {
    "max_msgs_per_second": 10**6,
    "max_daily_orders": 10**8,
    "max_daily_messages": 10**8,
    "max_position_pct": "0.5",
    "max_gross_exposure_pct": "1",
    "duplicate_max": 10**6,
    "global_max_msgs_per_second": 10**6,
}


def _orders(n: int) -> list[SubmitOrder]:
    out = []
    for i in range(n):
        side = Side.BUY if i % 2 == 0 else Side.SELL
        out.append(
            SubmitOrder(
                account_id=AccountId("acc1"),
                instrument_id=IID,
                side=side,
                qty=100 * (1 + i % 5),
                price=Decimal("10.00") + Decimal(i % 7 - 3) / 100,
            )
        )
    return out


def _account() -> InMemoryAccount:
    acc = InMemoryAccount(cash=Decimal(10_000_000), marks={IID: Decimal("10.00")})
    acc.set_position(IID, 100_000, avg_cost=Decimal("10.00"))
    for i in range(5):  # a few working orders for the self-trade scan
        acc.place(f"w{i}", IID, Side.BUY, Decimal("9.50"), 100)
    return acc


def _measure(n: int, fn: Callable[[int], object]) -> list[float]:
    for i in range(min(n, 2000)):  # warm-up
        fn(i)
    samples = []
    clock = time.perf_counter_ns
    for i in range(n):
        t = clock()
        fn(i)
        samples.append((clock() - t) / 1000)
    return samples


def _summary(samples: list[float]) -> dict[str, float]:
    q = statistics.quantiles(samples, n=100)
    return {
        "p50_us": round(q[49], 2),
        "p99_us": round(q[98], 2),
        "mean_us": round(statistics.fmean(samples), 2),
    }


def main() -> None:
    """Run the benchmark and print JSON + a table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20_000)
    n = ap.parse_args().n
    orders = _orders(n)
    acc = _account()
    times = [T0 + timedelta(microseconds=50 * i) for i in range(n)]
    full = RiskEngine(RiskConfig.from_dict(LIMITS))
    own = RiskEngine(RiskConfig.from_dict({**LIMITS, "disabled_checks": ["exchange_rules"]}))
    results = {
        "full_chain": _summary(
            _measure(n, lambda i: full.check_order(orders[i], INST, QUOTE, acc, times[i]))
        ),
        "risk_only": _summary(
            _measure(n, lambda i: own.check_order(orders[i], INST, QUOTE, acc, times[i]))
        ),
        "validator_only": _summary(
            _measure(n, lambda i: validate_order(orders[i], INST, QUOTE, times[i], WEEKDAYS_ONLY))
        ),
    }
    print(json.dumps({"n": n, "target_p99_us": 20, **results}))
    print(f"{'case':<16}{'p50 µs':>10}{'p99 µs':>10}{'mean µs':>10}")
    for name, r in results.items():
        print(f"{name:<16}{r['p50_us']:>10}{r['p99_us']:>10}{r['mean_us']:>10}")


if __name__ == "__main__":
    main()
