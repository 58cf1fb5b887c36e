"""What the broker's balances do not include yet: the freezes of our orders it has not seen.

A broker snapshot (positions, cash) reflects the orders the broker knows. An order we have
journaled and frozen but the broker has not received yet (in flight), or one it already
reports ended while we still think it working, is frozen on our side only. Setting our
``sellable`` / cash to the broker's figures as they are would drop that freeze from the
balance while our freeze record stays, and the freeze would be released twice when the
order ends. :func:`unseen_freezes` measures what to subtract from the broker's figures to
get the correction target (:meth:`Ledger.apply_broker_snapshot`).

An order the broker lists as working is in its figures. A fill moves shares or cash out of
the freeze the same way on both sides: a sell fill leaves ``sellable`` as it was (total and
freeze both drop), a buy fill leaves ``available`` about as it was (the freeze released
pays for the fill). So if one side has booked a fill the other has not (a fills gap, or a
pushed fill we applied before the broker's list was taken), only the buy's frozen cash
differs: by our freeze minus the freeze of the broker's leaves.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ashare_exec.model.enums import Side
from ashare_exec.model.identifiers import AccountId, ClientOrderId, InstrumentId
from ashare_exec.model.reports import OrderStatusReport
from ashare_exec.oms.book import OrderBook
from ashare_exec.oms.ledger import Ledger

__all__ = ["UnseenFreezes", "moved_instruments", "unseen_freezes"]


@dataclass(slots=True)
class UnseenFreezes:
    """Freezes on our side that the broker's figures do not contain (one account)."""

    shares: dict[InstrumentId, int] = field(default_factory=dict)
    """Sell freezes per instrument: subtract from the broker's ``sellable``."""
    available: Decimal = Decimal(0)
    """Buy freezes: subtract from the broker's available cash."""
    frozen: Decimal = Decimal(0)
    """Buy freezes: add to the broker's frozen cash."""
    orders: dict[ClientOrderId, int | Decimal] = field(default_factory=dict)
    """Each order's freeze difference (shares for a sell, cash for a buy), for the report."""

    def __bool__(self) -> bool:
        return bool(self.orders)


def unseen_freezes(
    book: OrderBook,
    ledger: Ledger,
    account_id: AccountId,
    venue_orders: Iterable[OrderStatusReport],
) -> UnseenFreezes:
    """What our working orders freeze beyond what the broker freezes for them.

    Args:
        venue_orders: the broker's order list of the same reconcile pass as the balances.
            An order of ours it does not list, or lists as ended, freezes nothing there.

    Call it after the reconcile's order events were applied, so that orders the broker
    reports ended are ended here too (their freezes released, nothing to adjust).
    """
    working: dict[ClientOrderId, int] = {}
    """Our orders the broker lists as working, with the broker's leaves."""
    for report in venue_orders:
        if report.account_id != account_id or report.status.is_terminal:
            continue
        order = book.find(account_id, report.client_order_id or None, report.broker_order_id)
        if order is not None:
            working[order.spec.client_order_id] = max(report.qty - report.filled_qty, 0)
    out = UnseenFreezes()
    for order in book.open_orders(account_id):
        spec = order.spec
        ours = ledger.order_freeze(account_id, spec.client_order_id)
        if not ours:
            continue
        leaves = working.get(spec.client_order_id)
        if spec.side is Side.SELL:
            if leaves is not None:
                continue  # in the broker's sellable, whatever fills either side lacks
            out.shares[spec.instrument_id] = out.shares.get(spec.instrument_id, 0) + int(ours)
            out.orders[spec.client_order_id] = ours
            continue
        if leaves is None:
            out.available += ours
            out.frozen += ours
            out.orders[spec.client_order_id] = ours
            continue
        if leaves == order.leaves_qty:
            continue
        diff = Decimal(ours) - Decimal(ledger.freeze_for(spec, leaves))
        if diff:
            out.frozen += diff
            out.orders[spec.client_order_id] = diff
    return out


def moved_instruments(
    before: Iterable[OrderStatusReport], after: Iterable[OrderStatusReport]
) -> frozenset[InstrumentId]:
    """The instruments of the orders that appeared, went, or changed status or quantities
    between two listings of the venue's orders: those whose balances read in between may or
    may not include the change."""

    def marks(orders: Iterable[OrderStatusReport]) -> set[tuple[InstrumentId, object]]:
        return {
            (o.instrument_id, (o.client_order_id, o.broker_order_id, o.status, o.filled_qty, o.qty))
            for o in orders
        }

    return frozenset(instrument for instrument, _ in marks(before) ^ marks(after))
