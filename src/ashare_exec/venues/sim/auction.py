"""Call-auction uncross (集合竞价) by the exchange rule, and the allocation of the volume.

The price is the one that (1) maximises the executed volume; among those (2) minimises the
unmatched volume at that price; among those (3) is decided by the tie-break: ``REFERENCE``
(SZSE: the candidate nearest the reference price, i.e. the previous close) or ``MIDPOINT``
(SSE: the middle of the remaining candidates, rounded half-up to the tick). At the chosen
price every buy above it and every sell below it fills in full, and at least one side at
the price fills in full.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ashare_exec.model import Side
from ashare_exec.model.numbers import round_half_up

__all__ = ["AuctionOrder", "TieBreak", "Uncross", "allocate", "uncross"]


class TieBreak(StrEnum):
    """How equal candidates are settled after volume and imbalance."""

    REFERENCE = "reference"
    MIDPOINT = "midpoint"


@dataclass(frozen=True, slots=True)
class AuctionOrder:
    """A limit order in the auction; ``seq`` is its time priority (lower is earlier)."""

    key: Hashable
    side: Side
    price: Decimal
    qty: int
    seq: int = 0


@dataclass(frozen=True, slots=True)
class Uncross:
    """The auction result: price, executed volume and the unmatched volume at the price."""

    price: Decimal
    volume: int
    imbalance: int


def uncross(
    orders: Sequence[AuctionOrder],
    reference: Decimal,
    tick: Decimal,
    tie_break: TieBreak = TieBreak.REFERENCE,
) -> Uncross | None:
    """Return the uncross price and volume, or ``None`` when nothing can trade."""
    buys = [o for o in orders if o.side is Side.BUY and o.qty > 0]
    sells = [o for o in orders if o.side is Side.SELL and o.qty > 0]
    if not buys or not sells:
        return None
    candidates = sorted({o.price for o in orders} | {reference})
    scored: list[tuple[int, int, Decimal]] = []
    for p in candidates:
        bv = sum(o.qty for o in buys if o.price >= p)
        sv = sum(o.qty for o in sells if o.price <= p)
        scored.append((min(bv, sv), abs(bv - sv), p))
    best_volume = max(s[0] for s in scored)
    if best_volume == 0:
        return None
    tied = [s for s in scored if s[0] == best_volume]
    least = min(s[1] for s in tied)
    prices = [s[2] for s in tied if s[1] == least]
    if len(prices) == 1:
        price = prices[0]
    elif tie_break is TieBreak.REFERENCE:
        # nearest the reference; equidistant candidates resolve to the lower one
        price = min(prices, key=lambda p: (abs(p - reference), p))
    else:
        price = round_half_up((prices[0] + prices[-1]) / 2, tick)
    return Uncross(price, best_volume, least)


def allocate(orders: Sequence[AuctionOrder], result: Uncross) -> dict[Hashable, int]:
    """Split the executed volume over the orders by price then time priority.

    Returns:
        Executed quantity by order key (orders that get nothing are absent).
    """
    out: dict[Hashable, int] = {}
    for side in (Side.BUY, Side.SELL):
        if side is Side.BUY:
            eligible = [o for o in orders if o.side is side and o.price >= result.price]
            eligible.sort(key=lambda o: (-o.price, o.seq))
        else:
            eligible = [o for o in orders if o.side is side and o.price <= result.price]
            eligible.sort(key=lambda o: (o.price, o.seq))
        left = result.volume
        for o in eligible:
            if left == 0:
                break
            n = min(o.qty, left)
            if n > 0:
                out[o.key] = out.get(o.key, 0) + n
                left -= n
    return out
