"""Filters and pages over the order book (:meth:`OrderBook.orders`, :meth:`OrderBook.page`).

A page is read newest first from the book's creation sequence, building cold orders a
chunk at a time and never more than a budget per page, so one listing request never holds
the event loop for seconds after a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from ashare_exec.model.enums import OrderStatus, Side
from ashare_exec.model.identifiers import AccountId, InstrumentId, StrategyId
from ashare_exec.model.order import Order
from ashare_exec.oms.cold import OrderKey

__all__ = ["PAGE_BUILD_BUDGET", "OrderPage", "hot_page", "matcher", "scan"]

PAGE_BUILD_BUDGET = 5_000
"""Cold orders one page may build (≈ 75 ms); a listing that needs more ends its page early,
with a cursor, so one request never holds the event loop for seconds."""


class OrderPage(NamedTuple):
    """One page of a listing (:meth:`OrderBook.page`)."""

    orders: list[Order]
    """Matching orders, oldest first."""
    next_before: int | None
    """Where the next (older) page starts; ``None`` when no older order is left to examine."""


def matcher(
    account_id: AccountId | None,
    statuses: frozenset[OrderStatus] | None,
    instrument_id: InstrumentId | None,
    strategy_id: StrategyId | None,
    side: Side | None,
    where: Callable[[Order], bool] | None,
) -> Callable[[Order], bool]:
    """A predicate true for the orders that pass every given filter."""

    def match(o: Order) -> bool:
        return (
            (account_id is None or o.spec.account_id == account_id)
            and (statuses is None or o.status in statuses)
            and (instrument_id is None or o.spec.instrument_id == instrument_id)
            and (strategy_id is None or o.spec.strategy_id == strategy_id)
            and (side is None or o.spec.side is side)
            and (where is None or where(o))
        )

    return match


def hot_page(
    source: Mapping[OrderKey, Order | None],
    positions: Mapping[OrderKey, int],
    match: Callable[[Order], bool],
    limit: int,
    end: int,
) -> OrderPage:
    """The last ``limit`` built orders of ``source`` that match, before position ``end``
    (for filters no cold order can pass: no scan of the day)."""
    hits = sorted(
        (positions[k], o)
        for k, o in source.items()
        if o is not None and positions[k] < end and match(o)
    )
    kept = hits[max(len(hits) - limit, 0) :]
    more = len(hits) > limit
    return OrderPage([o for _p, o in kept], kept[0][0] if more else None)


def scan(
    seq: Sequence[OrderKey],
    orders: Mapping[OrderKey, Order | None],
    build: Callable[[Sequence[OrderKey]], object],
    account_id: AccountId | None,
    match: Callable[[Order], bool],
    limit: int,
    end: int,
    max_built: int,
) -> OrderPage:
    """The last ``limit`` matches before position ``end`` of ``seq``, newest first,
    building cold orders (``None`` in ``orders``) through ``build`` a chunk at a time, at
    most ``max_built`` of them after the first chunk."""
    found: list[Order] = []
    max_built = max(max_built, 1)  # a chunk of none would never move back
    built, chunk, i = 0, min(max(limit, 256), max_built), end
    while i > 0 and len(found) < limit:
        lo = max(i - chunk, 0)
        part = seq[lo:i]
        cold = [  # newest first, as the page fills
            k
            for k in reversed(part)
            if orders[k] is None and (account_id is None or k[0] == account_id)
        ]
        if cold:
            if built and built + len(cold) > max_built:
                break  # the budget is spent: the caller continues from ``i``
            build(cold)
            built += len(cold)
        j = len(part)
        while j and len(found) < limit:
            j -= 1
            order = orders[part[j]]
            if order is not None and match(order):
                found.append(order)
        i = lo + j
        chunk = min(chunk * 2, max_built)  # a rare filter: few, larger loader calls
    found.reverse()
    return OrderPage(found, i if i > 0 else None)
