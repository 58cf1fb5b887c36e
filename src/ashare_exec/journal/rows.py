"""Turning an event and the state it produced into rows for the journal's tables.

Rows are built when the item is handed to the journal, so a pending group commit stores
the state as it was at that moment even if the (mutable) order moves on meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ashare_exec.clock import CST
from ashare_exec.journal.codec import JournalEvent, encode_payload
from ashare_exec.model.events import OrderEvent, OrderFilled
from ashare_exec.model.order import Order
from ashare_exec.model.portfolio import Cash, Position
from ashare_exec.oms.state import StateChange

__all__ = ["Batch", "JournalItem", "prepare"]

JournalItem = StateChange | OrderEvent | JournalEvent
"""What the journal accepts: a bare event, or a state change (event + projections)."""


@dataclass(slots=True)
class Batch:
    """Rows for one transaction; projections keyed so the last state per key wins."""

    events: list[tuple[Any, ...]] = field(default_factory=list)
    orders: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    fills: list[tuple[Any, ...]] = field(default_factory=list)
    positions: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    cash: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    ids: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)

    @classmethod
    def merge(cls, batches: list[Batch]) -> Batch:
        """One batch holding all rows, in order."""
        if len(batches) == 1:
            return batches[0]
        out = cls()
        for b in batches:
            out.events.extend(b.events)
            out.orders.update(b.orders)
            out.fills.extend(b.fills)
            out.positions.update(b.positions)
            out.cash.update(b.cash)
            out.ids.update(b.ids)
        return out


def _order_row(order: Order, seq: int) -> tuple[Any, ...]:
    spec = order.spec
    avg = order.avg_px
    return (
        spec.account_id,
        spec.client_order_id,
        order.ts_created.astimezone(CST).date().isoformat(),
        str(spec.instrument_id),
        spec.side.value,
        spec.qty,
        spec.price_type.value,
        None if spec.price is None else str(spec.price),
        order.status.value,
        order.filled_qty,
        None if avg is None else str(avg),
        order.broker_order_id,
        order.exchange_order_id,
        spec.strategy_id,
        int(spec.external),
        ",".join(order.reasons),
        order.ts_created.isoformat(),
        order.ts_updated.isoformat(),
        seq,
    )


def _position_row(pos: Position, seq: int) -> tuple[Any, ...]:
    return (
        pos.account_id,
        str(pos.instrument_id),
        pos.total,
        pos.sellable,
        pos.frozen,
        pos.bought_today,
        str(pos.avg_cost),
        str(pos.realised_pnl),
        str(pos.fees),
        seq,
    )


def _cash_row(cash: Cash, seq: int) -> tuple[Any, ...]:
    return (cash.account_id, str(cash.available), str(cash.frozen), str(cash.fees_paid), seq)


def prepare(batch: Batch, item: JournalItem, seq: int) -> None:
    """Add the rows for ``item`` (numbered ``seq``) to ``batch``."""
    if isinstance(item, StateChange):
        event = item.event
        order = item.order
        position = item.ledger.position
        cash = item.ledger.cash
        fee = item.ledger.fee
        duplicate = item.result is not None and item.result.duplicate
    else:
        event, order, position, cash, fee, duplicate = item, None, None, None, None, False
    ts = event.ts_event
    day = ts.astimezone(CST).date().isoformat()
    coid = getattr(event, "client_order_id", None)
    batch.events.append(
        (
            seq,
            ts.isoformat(),
            day,
            event.account_id,
            coid,
            type(event).__name__,
            encode_payload(event),
        )
    )
    if order is not None:
        key = (order.spec.account_id, order.spec.client_order_id)
        batch.orders[key] = _order_row(order, seq)
        if order.broker_order_id is not None or order.exchange_order_id is not None:
            batch.ids[key] = (*key, order.broker_order_id, order.exchange_order_id)
    if type(event) is OrderFilled and not duplicate:
        batch.fills.append(
            (
                event.account_id,
                event.client_order_id,
                event.trade_id,
                day,
                str(event.instrument_id),
                event.side.value,
                event.last_qty,
                str(event.last_px),
                None if fee is None else str(fee),
                ts.isoformat(),
                seq,
            )
        )
    if position is not None:
        batch.positions[(position.account_id, str(position.instrument_id))] = _position_row(
            position, seq
        )
    if cash is not None:
        batch.cash[cash.account_id] = _cash_row(cash, seq)
