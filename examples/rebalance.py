"""Rebalance an account to target weights through the execution service.

Usage::

    python examples/rebalance.py --account paper --target 600000.SH=0.3 --target 000001.SZ=0.2

For each symbol the script computes the share difference between the target value
(weight × account equity) and the current position, rounds it to the board lot, prices it
at the opposite best quote (a marketable limit; the middle of the daily band when the
gateway has no quote) and submits limit orders with deterministic client order ids, so
running it twice never doubles an order. Whatever is not filled after ``--wait`` seconds
is canceled.
"""

from __future__ import annotations

import argparse
import os
import sys
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from ashare_exec.client import ApiError, Client


def _token(data_dir: str) -> str | None:
    env = os.environ.get("ASHARE_EXEC_TOKEN")
    if env:
        return env
    path = Path(data_dir) / "api-token.txt"
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def reference_price(client: Client, symbol: str, side: str = "BUY", through: int = 0) -> Decimal:
    """A marketable limit price: the best ask for a buy, the best bid for a sell, moved
    ``through`` ticks further (the market may move before the order arrives; the price cage
    allows 2%); the middle of today's band (on the tick grid) when there is no quote."""
    q = client.quote(symbol)
    levels = q["asks"] if side == "BUY" else q["bids"]
    if levels:
        step = Decimal(q["tick"]) * through
        px = Decimal(levels[0][0])
        return px + step if side == "BUY" else px - step
    up, down, tick = Decimal(q["limit_up"]), Decimal(q["limit_down"]), Decimal(q["tick"])
    return ((up + down) / 2 / tick).quantize(Decimal(1), rounding=ROUND_DOWN) * tick


def plan(
    equity: Decimal, held: dict[str, int], targets: dict[str, Decimal], prices: dict[str, Decimal]
) -> list[tuple[str, str, int]]:
    """Orders (symbol, side, qty) that move holdings toward the target weights."""
    orders = []
    for symbol, weight in targets.items():
        want = int((equity * weight / prices[symbol]).to_integral_value(rounding=ROUND_DOWN))
        want -= want % 100
        diff = want - held.get(symbol, 0)
        if diff >= 100:
            orders.append((symbol, "BUY", diff - diff % 100))
        elif diff <= -100 or (diff < 0 and want == 0):
            orders.append((symbol, "SELL", -diff))
    return orders


def main(argv: list[str] | None = None) -> int:
    """Run the rebalance and print a summary."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--account", default="paper")
    ap.add_argument("--target", action="append", default=[], help="SYMBOL=WEIGHT")
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--tag", default="rb1", help="client order id prefix (keep it per run)")
    ap.add_argument("--wait", type=float, default=30.0, help="seconds to wait for fills")
    ap.add_argument("--through", type=int, default=2, help="ticks beyond the best quote")
    args = ap.parse_args(argv)
    targets = {}
    for t in args.target:
        symbol, _, weight = t.partition("=")
        targets[symbol.upper()] = Decimal(weight)
    if not targets or sum(targets.values()) > 1:
        print("give --target SYMBOL=WEIGHT (weights summing to at most 1)", file=sys.stderr)
        return 2
    with Client(args.url, _token(args.data_dir)) as c:
        try:
            account = c.account(args.account)
            positions = {p["symbol"]: int(p["total_qty"]) for p in c.positions(args.account)}
            prices = {s: reference_price(c, s) for s in targets}
            equity = Decimal(account["cash"]["total"]) + sum(
                (Decimal(q) * prices.get(s, Decimal(0)) for s, q in positions.items()),
                Decimal(0),
            )
            handles = []
            for i, (symbol, side, qty) in enumerate(plan(equity, positions, targets, prices)):
                coid = f"{args.tag}-{i:03d}"
                px = reference_price(c, symbol, side, args.through)
                handles.append(
                    c.submit(
                        args.account,
                        symbol,
                        side,
                        qty,
                        px,
                        client_order_id=coid,
                        strategy="rebalance",
                    )
                )
            for h in handles:
                try:
                    info = h.wait(timeout=args.wait) if h.info.is_active() else h.info
                except TimeoutError:
                    h.cancel()
                    info = h.wait(timeout=10)
                print(
                    f"{info.client_order_id} {info.raw['symbol']} {info.raw['side']} "
                    f"{info.raw['qty']} -> {info.status} filled {info.filled_qty} "
                    f"{' '.join(info.reasons)}"
                )
        except ApiError as e:
            print(f"error: {e.code}: {e.message}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
