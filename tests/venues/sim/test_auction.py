"""Call-auction uncross by the exchange rule, including ties."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ashare_exec.model import Side
from ashare_exec.venues.sim.auction import AuctionOrder, TieBreak, allocate, uncross

B, S = Side.BUY, Side.SELL
TICK = D("0.01")


def orders(*rows: tuple[Side, str, int]) -> list[AuctionOrder]:
    return [AuctionOrder(i, side, D(p), q, i) for i, (side, p, q) in enumerate(rows)]


CASES = [
    # name, orders, reference, tie-break -> price, volume
    (
        "single cross",
        [(B, "10.00", 500), (S, "10.00", 500)],
        "9.00",
        TieBreak.REFERENCE,
        "10.00",
        500,
    ),
    (
        "max volume wins",
        [(B, "10.02", 300), (B, "10.01", 300), (S, "10.00", 400), (S, "10.01", 400)],
        "10.00",
        TieBreak.REFERENCE,
        "10.01",
        600,
    ),
    (
        "min imbalance beats the reference",
        [(B, "10.03", 400), (B, "10.01", 100), (S, "9.99", 400), (S, "10.02", 200)],
        "10.02",
        TieBreak.REFERENCE,
        "10.01",
        400,
    ),
    (
        "tie: nearest the reference (SZSE)",
        [(B, "10.05", 500), (S, "9.95", 500)],
        "10.02",
        TieBreak.REFERENCE,
        "10.02",
        500,
    ),
    (
        "tie: reference outside the range picks the nearest end",
        [(B, "10.05", 500), (S, "9.95", 500)],
        "11.00",
        TieBreak.REFERENCE,
        "10.05",
        500,
    ),
    (
        "tie: midpoint (SSE)",
        [(B, "10.05", 500), (S, "9.95", 500)],
        "10.02",
        TieBreak.MIDPOINT,
        "10.00",
        500,
    ),
    (
        "tie: midpoint rounds half-up to the tick",
        [(B, "10.05", 500), (S, "10.00", 500)],
        "9.00",
        TieBreak.MIDPOINT,
        "10.03",
        500,
    ),
]


@pytest.mark.parametrize(
    ("name", "rows", "ref", "tie", "price", "volume"), CASES, ids=[c[0] for c in CASES]
)
def test_uncross_when_orders_cross_then_exchange_rule_price(
    name: str, rows: list[tuple[Side, str, int]], ref: str, tie: TieBreak, price: str, volume: int
) -> None:
    """Maximum volume, then minimum imbalance, then the tie-break."""
    result = uncross(orders(*rows), D(ref), TICK, tie)
    assert result is not None
    assert (result.price, result.volume) == (D(price), volume)


@pytest.mark.parametrize(
    "rows",
    [[(B, "9.99", 500), (S, "10.00", 500)], [(B, "10.00", 500)], []],
    ids=["no cross", "one side", "empty"],
)
def test_uncross_when_nothing_can_trade_then_none(rows: list[tuple[Side, str, int]]) -> None:
    """Without a crossing there is no auction price."""
    assert uncross(orders(*rows), D("10.00"), TICK) is None


def test_allocate_when_volume_short_then_price_then_time_priority() -> None:
    """Better prices fill first; at the same price, earlier orders first."""
    os = orders((B, "10.02", 300), (B, "10.01", 300), (B, "10.01", 300), (S, "10.00", 700))
    result = uncross(os, D("10.00"), TICK)
    assert result is not None
    assert result.price == D("10.00")  # 10.00 and 10.01 tie; the reference decides
    got = allocate(os, result)
    assert got == {0: 300, 1: 300, 2: 100, 3: 700}
    assert sum(v for k, v in got.items() if k != 3) == result.volume
