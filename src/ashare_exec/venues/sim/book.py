"""A five-level displayed book that our orders consume, and the taking algorithm.

The market's snapshot is the *displayed* liquidity. Our marketable orders take it level by
level; what they take is removed until the next snapshot replaces the book, so no fill can
exceed the displayed volume of a snapshot. Prices are ``Decimal``, sizes ``int`` shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ashare_exec.model import Quote, Side

__all__ = ["Book", "Level", "take"]


@dataclass(slots=True)
class Level:
    """One price level: price and remaining displayed size."""

    price: Decimal
    size: int


@dataclass(slots=True)
class Book:
    """The current displayed book of one instrument (best level first on each side)."""

    bids: list[Level] = field(default_factory=list)
    asks: list[Level] = field(default_factory=list)
    last: Decimal | None = None
    volume: int = 0
    """Cumulative traded volume of the day (from the feed)."""

    @classmethod
    def from_quote(cls, quote: Quote) -> Book:
        """Build a book from a snapshot (levels with a zero size are dropped)."""
        return cls(
            bids=[
                Level(p, s)
                for p, s in zip(quote.bid_prices, quote.bid_sizes, strict=False)
                if s > 0
            ],
            asks=[
                Level(p, s)
                for p, s in zip(quote.ask_prices, quote.ask_sizes, strict=False)
                if s > 0
            ],
            last=quote.last,
            volume=quote.volume,
        )

    def side(self, side: Side) -> list[Level]:
        """The levels on ``side`` (bids for BUY)."""
        return self.bids if side is Side.BUY else self.asks

    def best(self, side: Side) -> Decimal | None:
        """Best price on ``side``, if any."""
        levels = self.side(side)
        return levels[0].price if levels else None

    def displayed(self, side: Side) -> int:
        """Total displayed size on ``side``."""
        return sum(lv.size for lv in self.side(side))


def _crosses(side: Side, level_price: Decimal, limit: Decimal | None) -> bool:
    if limit is None:
        return True
    return level_price <= limit if side is Side.BUY else level_price >= limit


def available_to(book: Book, side: Side, limit: Decimal | None, max_levels: int | None) -> int:
    """How much an order on ``side`` could take now, within ``limit`` and ``max_levels``."""
    total = 0
    for i, lv in enumerate(book.side(side.opposite)):
        if max_levels is not None and i >= max_levels:
            break
        if not _crosses(side, lv.price, limit):
            break
        total += lv.size
    return total


def take(
    book: Book, side: Side, qty: int, limit: Decimal | None, max_levels: int | None
) -> list[tuple[Decimal, int]]:
    """Take up to ``qty`` from the opposite side, best level first; mutate the book.

    Args:
        book: the displayed book (consumed levels are reduced or removed).
        side: the aggressor's side.
        qty: the most to take.
        limit: worst acceptable price (``None``: any displayed price).
        max_levels: how many opposite levels may be touched (``None``: all displayed).

    Returns:
        The fills as ``(price, qty)``, best price first.
    """
    fills: list[tuple[Decimal, int]] = []
    levels = book.side(side.opposite)
    touched = 0
    while qty > 0 and levels:
        if max_levels is not None and touched >= max_levels:
            break
        lv = levels[0]
        if not _crosses(side, lv.price, limit):
            break
        n = min(qty, lv.size)
        fills.append((lv.price, n))
        qty -= n
        lv.size -= n
        touched += 1
        if lv.size == 0:
            levels.pop(0)
    return fills
