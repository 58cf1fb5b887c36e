"""Continuous matching: how an incoming order of each price type meets the displayed book,
and how a resting order fills when the market trades through it.

Pure functions over :class:`~ashare_exec.venues.sim.book.Book`; no time, no I/O.
Remainder semantics follow the exchange rules (``ashare-rules.md`` §5):

* ``LIMIT``: takes levels priced within the limit; the remainder rests at the limit.
* ``BEST5_IOC``: takes up to five opposite levels; the remainder is canceled.
* ``BEST5_TO_LIMIT``: takes up to five opposite levels; the remainder rests at the last fill
  price, or with no fill at the own-side best; with neither it is canceled.
* ``COUNTERPARTY_BEST``: becomes a limit at the opposite best and takes it; the remainder
  rests there (canceled when the opposite side is empty).
* ``OWN_BEST``: becomes a limit at the own-side best and rests (canceled when empty).
* ``IOC``: takes every displayed level; the remainder is canceled.
* ``FOK``: all or nothing against every displayed level.

A protection price (STAR/BSE market orders) caps every fill and the resting price.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ashare_exec.model import PriceType, Side
from ashare_exec.venues.sim.book import Book, available_to, take

__all__ = ["MatchPlan", "QueueModel", "initial_queue_ahead", "match_incoming", "passive_fill"]


class QueueModel(StrEnum):
    """Where a new passive order joins the queue at its price level."""

    FRONT = "front"  # nothing ahead: fills as soon as anything trades at our price
    BACK = "back"  # the whole displayed size at our price is ahead of us
    FRACTION = "fraction"  # a fraction of the displayed size is ahead of us


@dataclass(frozen=True, slots=True)
class MatchPlan:
    """The outcome of an incoming order: immediate fills and what happens to the rest.

    ``rest_price`` is the price the remainder rests at; ``None`` means the remainder (if any)
    is canceled with ``cancel_text``.
    """

    fills: list[tuple[Decimal, int]]
    rest_price: Decimal | None
    cancel_text: str = ""


def _worse(side: Side, a: Decimal, b: Decimal) -> bool:
    """Whether price ``a`` is worse than ``b`` for an order on ``side``."""
    return a > b if side is Side.BUY else a < b


def _cap(side: Side, price: Decimal, protection: Decimal | None) -> Decimal:
    if protection is not None and _worse(side, price, protection):
        return protection
    return price


def match_incoming(
    book: Book,
    side: Side,
    qty: int,
    price_type: PriceType,
    price: Decimal | None,
    protection: Decimal | None = None,
) -> MatchPlan:
    """Match an incoming order against ``book`` (mutated) in continuous trading."""
    if price_type is PriceType.LIMIT:
        if price is None:
            raise ValueError("a limit order needs a price")
        return MatchPlan(take(book, side, qty, price, None), price)
    if price_type is PriceType.BEST5_IOC:
        return MatchPlan(take(book, side, qty, protection, 5), None, "最优五档即时成交剩余撤销")
    if price_type is PriceType.IOC:
        return MatchPlan(take(book, side, qty, protection, None), None, "即时成交剩余撤销")
    if price_type is PriceType.FOK:
        if available_to(book, side, protection, None) < qty:
            return MatchPlan([], None, "全额成交或撤销: 对手方数量不足")
        return MatchPlan(take(book, side, qty, protection, None), None)
    if price_type is PriceType.BEST5_TO_LIMIT:
        fills = take(book, side, qty, protection, 5)
        if fills:
            return MatchPlan(fills, fills[-1][0])
        own = book.best(side)
        if own is None:
            return MatchPlan([], None, "最优五档剩余转限价: 无成交且本方无申报, 自动撤销")
        return MatchPlan([], _cap(side, own, protection))
    if price_type is PriceType.COUNTERPARTY_BEST:
        opp = book.best(side.opposite)
        if opp is None:
            return MatchPlan([], None, "对手方最优: 对手方无申报, 自动撤销")
        limit = _cap(side, opp, protection)
        return MatchPlan(take(book, side, qty, limit, None), limit)
    if price_type is PriceType.OWN_BEST:
        own = book.best(side)
        if own is None:
            return MatchPlan([], None, "本方最优: 本方无申报, 自动撤销")
        return MatchPlan([], _cap(side, own, protection))
    raise ValueError(f"price type {price_type} is not matched in continuous trading")


def initial_queue_ahead(
    book: Book, side: Side, price: Decimal, model: QueueModel, fraction: Decimal
) -> int:
    """Displayed size ahead of a new passive order at ``price`` under ``model``."""
    if model is QueueModel.FRONT:
        return 0
    shown = sum(lv.size for lv in book.side(side) if lv.price == price)
    if model is QueueModel.BACK:
        return shown
    return int(Decimal(shown) * fraction)


@dataclass(frozen=True, slots=True)
class PassiveFill:
    """Fills of a resting order on a new snapshot and its remaining queue position."""

    fills: list[tuple[Decimal, int]]
    queue_ahead: int


def passive_fill(
    book: Book,
    side: Side,
    price: Decimal,
    leaves: int,
    queue_ahead: int,
    traded: int,
) -> PassiveFill:
    """Fill a resting limit order on a new snapshot.

    Args:
        book: the new displayed book (mutated when the order takes from it).
        side: the order's side.
        price: its resting limit price.
        leaves: its open quantity.
        queue_ahead: displayed size still ahead of it at its price.
        traded: market volume traded since the previous snapshot.

    If the new book crosses the order, it takes displayed liquidity like an aggressor.
    Otherwise, when the last trade went through its price, it fills up to the traded
    volume; when the last trade was at its price, the traded volume first works off the
    queue ahead of it.
    """
    fills = take(book, side, leaves, price, None)
    leaves -= sum(q for _, q in fills)
    if leaves == 0 or book.last is None or traded <= 0:
        return PassiveFill(fills, queue_ahead)
    last = book.last
    through = last < price if side is Side.BUY else last > price
    if through:
        n = min(leaves, traded)
        return PassiveFill([*fills, (price, n)], 0)
    if last == price:
        worked = min(queue_ahead, traded)
        queue_ahead -= worked
        n = min(leaves, traded - worked)
        if n > 0:
            fills = [*fills, (price, n)]
    return PassiveFill(fills, queue_ahead)
