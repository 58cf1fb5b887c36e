"""Invariant checks of the deterministic simulation tests (pure: each returns a problem or None)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ashare_exec.model import AccountId, OrderStatus, Side
from ashare_exec.model.fsm import TRANSITIONS
from ashare_exec.model.order import Order
from ashare_exec.oms.reconcile import reconcile

__all__ = [
    "LEGAL_EDGES",
    "DstFailure",
    "check_answered",
    "check_ledger",
    "check_legal_paths",
    "check_orders_vs_venue",
    "check_sent_once",
    "order_snapshot",
]

_S = OrderStatus
_OPEN = frozenset({_S.PENDING_NEW, _S.NEW, _S.PARTIALLY_FILLED, _S.UNKNOWN})
LEGAL_EDGES: frozenset[tuple[OrderStatus, OrderStatus]] = frozenset(
    {(s, t) for (s, _trigger), t in TRANSITIONS.items() if t is not None}
    # a rejected cancel returns to the status remembered before PENDING_CANCEL
    | {
        (_S.PENDING_CANCEL, t)
        for (s, _trigger), v in TRANSITIONS.items()
        if v is None
        for t in _OPEN
    }
    | {(s, s) for s in OrderStatus}
)
"""Every status change the transition table allows (plus staying put)."""


class DstFailure(AssertionError):
    """A broken invariant; the message names the seed and the step."""


def check_legal_paths(orders: Iterable[Order]) -> str | None:
    """Each order's event log is a connected path of allowed edges."""
    for o in orders:
        prev: OrderStatus | None = None
        for i, entry in enumerate(o.log):
            if i == 0:
                if entry.status_before is not None:
                    return f"order {o.spec.client_order_id} log starts from {entry.status_before}"
            elif entry.status_before != prev:
                return (
                    f"order {o.spec.client_order_id} log entry {i} starts at "
                    f"{entry.status_before}, the previous one ended at {prev}"
                )
            elif (entry.status_before, entry.status_after) not in LEGAL_EDGES:
                return (
                    f"order {o.spec.client_order_id}: illegal edge {entry.status_before} -> "
                    f"{entry.status_after} on {type(entry.event).__name__}"
                )
            prev = entry.status_after
        if prev is not None and prev is not o.status:
            return f"order {o.spec.client_order_id} is {o.status} but its log ends at {prev}"
    return None


def check_answered(
    book: Any, answered: Mapping[str, tuple[AccountId, str, str, int, str]]
) -> str | None:
    """Every answered order (``client id -> (account, symbol, side, qty, price)``) is in
    the book with that content."""
    for coid, (account, symbol, side, qty, price) in answered.items():
        o = book.get(account, coid)
        if o is None:
            return f"order {coid} was answered and is lost"
        s = o.spec
        got = (str(s.instrument_id), s.side.value, s.qty, str(s.price))
        if got != (symbol, side, qty, str(Decimal(price))):
            return f"order {coid} content {got} != {(symbol, side, qty, price)}"
    return None


def check_sent_once(sends: Mapping[str, int], where: str) -> str | None:
    """No order reached ``where`` more than once."""
    for coid, n in sends.items():
        if n > 1:
            return f"order {coid} was sent to {where} {n} times"
    return None


def order_snapshot(service: Any) -> dict[str, tuple[Any, ...]]:
    """Every order and position as comparable tuples (live state vs journal replay)."""
    state = service.core.state
    out: dict[str, tuple[Any, ...]] = {}
    for o in state.book.orders():
        out[f"order:{o.spec.account_id}:{o.spec.client_order_id}"] = (
            o.spec,
            o.status,
            o.filled_qty,
            tuple(sorted(o.fills)),
            o.broker_order_id,
            len(o.log),
        )
    for p in state.ledger.positions():
        out[f"pos:{p.account_id}:{p.instrument_id}"] = (p.total, p.sellable, p.frozen, p.avg_cost)
    for acct in service.core.accounts:
        c = state.ledger.cash(acct)
        out[f"cash:{acct}"] = (c.available, c.frozen)
    return out


def check_orders_vs_venue(
    orders: Iterable[Order],
    exchange: Any,
    account: AccountId,
    now: datetime,
    *,
    grace_s: float,
    alerted: set[str],
) -> str | None:
    """Each order is as the venue has it; orders the venue lacks are resolved (or alerted).

    ``exchange`` is the simulator's :class:`SimExchange` (today's orders). An order the
    venue does not list must be terminal, or still in flight for less than ``grace_s``,
    or ``UNKNOWN`` with an ``ORDER_IN_DOUBT`` alert.
    """
    venue = {o.client_order_id: o for o in exchange.orders.values() if o.account_id == account}
    mine = {o.spec.client_order_id: o for o in orders}
    for coid, v in venue.items():
        g = mine.get(coid)
        if g is None:
            return f"venue order {coid} is unknown to the gateway"
        if g.status is not v.status or g.filled_qty != v.filled_qty:
            return (
                f"order {coid}: gateway {g.status} filled {g.filled_qty}, "
                f"venue {v.status} filled {v.filled_qty}"
            )
    for coid, g in mine.items():
        if coid in venue or g.is_terminal:
            continue
        if now - g.ts_updated < timedelta(seconds=grace_s):
            continue
        if g.status is _S.UNKNOWN and coid in alerted:
            continue
        if g.ts_created.date() != now.date():
            return f"order {coid} of {g.ts_created.date()} is still {g.status} after the day roll"
        return f"order {coid} is {g.status} but the venue never got it (and no alert)"
    return None


def check_ledger(ledger: Any, exchange: Any, account: AccountId, book: Any = None) -> str | None:
    """Positions (total, sellable) and cash (available, frozen) equal the venue's.

    With ``book``: our working orders the venue has never received (in flight, or lost on
    the way) freeze on our side only, so the venue's figures are compared less them: a
    sell's leaves off ``sellable``, a buy's frozen cash moved from available to frozen.
    Orders the venue knows are in its figures (``check_orders_vs_venue`` sees they agree).
    """
    acct = exchange.accounts[account]
    held: dict[str, int] = {}
    cash_held = Decimal(0)
    for o in book.open_orders(account) if book is not None else ():
        if (account, o.spec.client_order_id) in exchange.orders:
            continue
        if o.spec.side is Side.SELL:
            sym = str(o.spec.instrument_id)
            held[sym] = held.get(sym, 0) + o.leaves_qty
        else:
            cash_held += ledger.order_freeze(account, o.spec.client_order_id)
    theirs = {
        str(i): (h.total, h.sellable - held.get(str(i), 0))
        for i, h in acct.holdings.items()
        if h.total
    }
    ours = {str(p.instrument_id): (p.total, p.sellable) for p in ledger.positions(account)}
    ours = {k: v for k, v in ours.items() if v[0]}
    if ours != theirs:
        diff = sorted(set(ours.items()) ^ set(theirs.items()))
        return f"positions differ from the venue: {diff[:4]}"
    cash = ledger.cash(account)
    venue_cash = (acct.available - cash_held, acct.frozen + cash_held)
    if (cash.available, cash.frozen) != venue_cash:
        return (
            f"cash (available, frozen) ({cash.available}, {cash.frozen}) != venue "
            f"({venue_cash[0]}, {venue_cash[1]})"
            + (f" (after our unseen buy freezes {cash_held})" if cash_held else "")
        )
    return None


def archives_gap(root: Path) -> str:
    """'' when the day archives under ``root`` together hold every journaled event up to
    the newest they hold (each starts where the previous one ended: what came after a
    day's archive, such as an evening reconcile, is in the next); else what is missing."""
    seqs: set[int] = set()
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        events = folder / "events.jsonl"
        if folder.name.startswith(".") or not events.is_file():
            continue
        for line in events.read_text(encoding="utf-8").splitlines():
            if line.strip():
                seqs.add(json.loads(line)["seq"])
    missing = sorted(set(range(1, max(seqs, default=0) + 1)) - seqs)
    return f"events {missing[:10]} are in no day archive" if missing else ""


def skipping_differs(service: Any, exchange: Any, account: AccountId) -> str | None:
    """Whether the next reconcile, skipping the rows the last one found settled, would find
    anything other than a full one on the venue's current lists (``None``: the same)."""
    memo = service.reconciler.settled_for(account)
    if not memo:
        return None
    state = service.core.state
    now = service.core.clock.now()
    orders, trades = exchange.order_reports(account), exchange.trade_reports(account)
    full = reconcile(state.book, state.ledger, account, now, orders=orders, trades=trades)
    fast = reconcile(
        state.book, state.ledger, account, now, orders=orders, trades=trades, settled=memo
    )
    if fast != full:  # the findings (the memo itself is not compared)
        return f"a reconcile skipping {fast.skipped} settled rows finds {fast}, a full one {full}"
    return None
