"""Turning an event and the state it produced into rows for the journal's tables.

Rows are built when the item is handed to the journal, so a pending group commit stores
the state as it was at that moment even if the (mutable) order moves on meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ashare_exec.clock import CST, iso
from ashare_exec.journal.codec import JournalEvent, encode_parts
from ashare_exec.model.events import OrderDenied, OrderEvent, OrderFilled, OrderSubmitted
from ashare_exec.model.identifiers import InstrumentId
from ashare_exec.model.order import Order
from ashare_exec.model.portfolio import Cash, DayRolled, Position
from ashare_exec.oms.state import StateChange

__all__ = [
    "IDS_MEMO_MAX",
    "SQL_BARE",
    "SQL_CASH",
    "SQL_DAY",
    "SQL_EVENT",
    "SQL_FILL",
    "SQL_IDMAP",
    "SQL_ORDER",
    "SQL_POSITION",
    "Batch",
    "JournalItem",
    "prepare",
    "skip_written_ids",
]

_CST_OFFSET = timedelta(hours=8)

# Column order matches the row tuples built below.
SQL_EVENT = (
    "INSERT INTO events(seq, ts, day, account, client_order_id, type, payload) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_ORDER_COLUMNS = (
    "account, client_order_id, day, instrument, side, qty, price_type, price, status, "
    "filled_qty, avg_px, broker_order_id, exchange_order_id, strategy_id, external, reasons, "
    "ts_created, ts_updated, last_seq, protection_price, time_in_force, previous_status, "
    "message, venue_filled_qty, created_seq, done_seq"
)
_ORDER_UPDATED = _ORDER_COLUMNS.split(", ")[2:-2]
# The row is a full snapshot of the order, so a conflict overwrites every column. A row
# without created_seq updates the order already there (keep its creation and first
# terminal seqs); one with created_seq is a new order reusing the id of an evicted one.
SQL_ORDER = (
    f"INSERT INTO orders({_ORDER_COLUMNS}) VALUES ({', '.join('?' * 26)}) "
    "ON CONFLICT(account, client_order_id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _ORDER_UPDATED)
    + ", done_seq = CASE WHEN excluded.created_seq IS NOT NULL THEN excluded.done_seq "
    "ELSE COALESCE(done_seq, excluded.done_seq) END, "
    "created_seq = COALESCE(excluded.created_seq, created_seq)"
)
SQL_FILL = (
    "INSERT INTO fills(account, client_order_id, trade_id, day, instrument, side, "
    "qty, px, fee, ts, seq, venue_fee) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SQL_BARE = "UPDATE projection_base SET seq = MAX(seq, ?)"
SQL_DAY = (
    "INSERT INTO ledger_days(account, day, roll_seq, last_seq) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(account) DO UPDATE SET "
    "roll_seq = CASE WHEN excluded.day > day THEN excluded.roll_seq ELSE roll_seq END, "
    "day = MAX(day, excluded.day), last_seq = excluded.last_seq"
)
SQL_POSITION = (
    "INSERT OR REPLACE INTO positions(account, instrument, total, sellable, frozen, "
    "bought_today, avg_cost, realised_pnl, fees, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SQL_CASH = (
    "INSERT OR REPLACE INTO cash(account, available, frozen, fees_paid, last_seq) "
    "VALUES (?, ?, ?, ?, ?)"
)
SQL_IDMAP = (
    "INSERT INTO id_map(account, client_order_id, broker_order_id, exchange_order_id) "
    "VALUES (?, ?, ?, ?) ON CONFLICT(account, client_order_id) DO UPDATE SET "
    "broker_order_id = COALESCE(excluded.broker_order_id, broker_order_id), "
    "exchange_order_id = COALESCE(excluded.exchange_order_id, exchange_order_id)"
)

SQL_STATE = "INSERT OR REPLACE INTO state(key, value) VALUES (?, ?)"

JournalItem = StateChange | OrderEvent | JournalEvent
"""What the journal accepts: a bare event, or a state change (event + projections)."""


@dataclass(slots=True)
class Batch:
    """Rows for one transaction; projections keyed so the last state per key wins.

    Order rows are built once per order per batch by :meth:`seal` (the order object is
    mutable: seal the batch before the order can change again).
    """

    events: list[tuple[Any, ...]] = field(default_factory=list)
    orders: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    fills: list[tuple[Any, ...]] = field(default_factory=list)
    positions: dict[tuple[str, InstrumentId], tuple[Any, ...]] = field(default_factory=dict)
    cash: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    ids: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)
    touched: dict[tuple[str, str], tuple[Order, int]] = field(default_factory=dict)
    created: dict[tuple[str, str], int] = field(default_factory=dict)
    """Seq of the creation event of orders created in this batch."""
    done: dict[tuple[str, str], int] = field(default_factory=dict)
    """Seq of the first event that left the order terminal, within this batch."""
    days: list[tuple[Any, ...]] = field(default_factory=list)
    state: dict[str, str] = field(default_factory=dict)
    """Key/value rows of the ``state`` table staged with this commit (last value wins)."""
    bare: int = 0
    """Seq of the last bare order or correction event: its projections were not written."""

    def seal(self) -> Batch:
        """Build the order and id-map rows from the orders touched; return ``self``."""
        for key, (order, seq) in self.touched.items():
            self.orders[key] = _order_row(order, seq, self.created.get(key), self.done.get(key))
            if order.broker_order_id is not None or order.exchange_order_id is not None:
                self.ids[key] = (*key, order.broker_order_id, order.exchange_order_id)
        self.touched.clear()
        self.created.clear()
        self.done.clear()
        return self

    @classmethod
    def merge(cls, batches: list[Batch]) -> Batch:
        """One batch holding all (sealed) rows, in order."""
        if len(batches) == 1:
            return batches[0]
        out = cls()
        for b in batches:
            out.events.extend(b.events)
            for key, row in b.orders.items():
                old = out.orders.get(key)
                if old is not None and row[-2] is None:
                    # Same order, updated later: keep the creation / first terminal seqs.
                    row = (*row[:-2], old[-2], row[-1] if old[-1] is None else old[-1])
                out.orders[key] = row
            out.fills.extend(b.fills)
            out.positions.update(b.positions)
            out.cash.update(b.cash)
            out.ids.update(b.ids)
            out.days.extend(b.days)
            out.state.update(b.state)
            out.bare = max(out.bare, b.bare)
        return out


def _day(ts: datetime, iso: str) -> str:
    if ts.utcoffset() == _CST_OFFSET:
        return iso[:10]
    return ts.astimezone(CST).date().isoformat()


def _order_row(
    order: Order, seq: int, created_seq: int | None, done_seq: int | None
) -> tuple[Any, ...]:
    spec = order.spec
    avg = order.avg_px
    created = iso(order.ts_created)
    return (
        spec.account_id,
        spec.client_order_id,
        _day(order.ts_created, created),
        str(spec.instrument_id),
        spec.side,
        spec.qty,
        spec.price_type,
        None if spec.price is None else str(spec.price),
        order.status,
        order.filled_qty,
        None if avg is None else str(avg),
        order.broker_order_id,
        order.exchange_order_id,
        spec.strategy_id,
        int(spec.external),
        ",".join(order.reasons),
        created,
        iso(order.ts_updated),
        seq,
        None if spec.protection_price is None else str(spec.protection_price),
        spec.time_in_force,
        order.previous_status,
        order.message,
        order.venue_filled_qty,
        created_seq,
        done_seq,
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


IDS_MEMO_MAX = 50_000
"""Working orders whose id-map row the journal remembers as written (past this many the
memo starts over: it only saves rewriting a row or two)."""


def skip_written_ids(
    batch: Batch, written: dict[tuple[str, str], tuple[Any, ...]], finished: list[tuple[str, str]]
) -> None:
    """Drop from ``batch`` the id-map rows ``written`` holds unchanged (the id map changes
    once or twice per order), remember the rest, and forget the ``finished`` orders: their
    ids change no more, and a service that runs for weeks must not keep one per order."""
    if batch.ids:
        fresh = {k: row for k, row in batch.ids.items() if written.get(k) != row}
        if len(written) > IDS_MEMO_MAX:
            written.clear()
        written.update(fresh)
        batch.ids = fresh
    for key in finished:
        written.pop(key, None)


def prepare(batch: Batch, item: JournalItem, seq: int) -> None:
    """Add the rows for ``item`` (numbered ``seq``) to ``batch``."""
    if type(item) is StateChange:
        event = item.event
        order = item.order
        position = item.ledger.position
        cash = item.ledger.cash
        fee = item.ledger.fee
        result = item.result
        duplicate = result is not None and result.duplicate
        if order is not None and result is not None and not duplicate:
            key = (order.spec.account_id, order.spec.client_order_id)
            if type(event) is OrderSubmitted or type(event) is OrderDenied:
                batch.created[key] = seq
                batch.done.pop(key, None)
            if result.status_after.is_terminal and key not in batch.done:
                batch.done[key] = seq
    else:
        event, order, position, cash, fee, duplicate = item, None, None, None, None, False  # type: ignore[assignment]
        if type(event) is not DayRolled:
            batch.bare = seq
    payload, ts_iso = encode_parts(event)
    day = _day(event.ts_event, ts_iso)
    coid = getattr(event, "client_order_id", None)
    batch.events.append((seq, ts_iso, day, event.account_id, coid, type(event).__name__, payload))
    if order is not None:
        batch.touched[(order.spec.account_id, order.spec.client_order_id)] = (order, seq)
    if type(event) is OrderFilled and not duplicate:
        batch.fills.append(
            (
                event.account_id,
                event.client_order_id,
                event.trade_id,
                day,
                str(event.instrument_id),
                event.side,
                event.last_qty,
                str(event.last_px),
                None if fee is None else str(fee),
                ts_iso,
                seq,
                None if event.fee is None else str(event.fee),
            )
        )
    elif type(event) is DayRolled:
        batch.days.append((event.account_id, event.day.isoformat(), seq, seq))
    if position is not None:
        batch.positions[(position.account_id, position.instrument_id)] = _position_row(
            position, seq
        )
    if cash is not None:
        batch.cash[cash.account_id] = _cash_row(cash, seq)
