"""Fast recovery: rebuild the OMS state from the journal's projection tables.

Every event is journaled in the same transaction as the rows it changes (``orders``,
``fills``, ``positions``, ``cash``, ``ledger_days``), so those rows hold the state after the
last event. Loading them costs a few microseconds per order in the book instead of a
decode and an :meth:`OmsState.apply` per event ever journaled.

* The book: every order not evicted by its account's last day roll (``done_seq`` is the
  seq of the event that first left the order terminal), rebuilt field by field with its
  fills; each order's ``log`` is a :class:`LazyLog` that replays the order's own events
  from the journal the first time it is read (or appended to).
* The ledger: positions and cash as saved; positions saved before the last day roll are
  rolled here (the roll writes no position row); per-order freezes recomputed from the
  working orders (:meth:`Ledger.restore`).

Anything that does not add up returns ``None``: the caller replays the whole journal.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, SupportsIndex, cast

from ashare_exec.errors import InvalidTransition, JournalError
from ashare_exec.journal.codec import decode_event
from ashare_exec.journal.sqlite import Journal
from ashare_exec.model.enums import OrderStatus, PriceType, Side, TimeInForce
from ashare_exec.model.events import OrderDenied, OrderEvent, OrderSpec, OrderSubmitted
from ashare_exec.model.identifiers import (
    AccountId,
    InstrumentId,
)
from ashare_exec.model.order import Fill, Order, OrderLogEntry
from ashare_exec.model.portfolio import Cash, Position
from ashare_exec.oms.book import OrderBook
from ashare_exec.oms.ledger import Ledger
from ashare_exec.oms.state import OmsState

__all__ = ["LazyLog", "load_order_log", "recover_from_projections"]

_ZERO = Decimal(0)
_MISSING = Decimal("NaN")
_FREEZE_AT = 10_000
"""Orders in the book from which the recovered objects are moved out of the collector's view."""
_STATUS = {s.value: s for s in OrderStatus}
_SIDE = {s.value: s for s in Side}
_PRICE_TYPE = {p.value: p for p in PriceType}
_TIF = {t.value: t for t in TimeInForce}

_ORDER_SQL = (
    "SELECT account, client_order_id, instrument, side, qty, price_type, price, "
    "protection_price, time_in_force, strategy_id, external, status, previous_status, "
    "filled_qty, broker_order_id, exchange_order_id, reasons, message, venue_filled_qty, "
    "ts_created, ts_updated, created_seq, done_seq FROM orders"
)
_FILL_SQL = (
    "SELECT account, client_order_id, trade_id, qty, px, venue_fee, ts, seq "
    "FROM fills WHERE seq >= ? ORDER BY seq"
)
_LOG_SQL = (
    "SELECT type, payload FROM events WHERE account = ? AND client_order_id = ? "
    "AND seq BETWEEN ? AND ? ORDER BY seq"
)


class LazyLog(list[OrderLogEntry]):
    """An order's log that loads its past entries on first use (read or write).

    Recovery from projections does not decode the events; the log of an order is rebuilt
    from the journal only when something (e.g. the API's order detail) asks for it.
    """

    __slots__ = ("_load",)

    def __init__(
        self,
        items: Iterable[OrderLogEntry] = (),
        load: Callable[[], list[OrderLogEntry]] | None = None,
    ) -> None:
        super().__init__(items)
        self._load = load

    @property
    def loaded(self) -> bool:
        """Whether the past entries are in memory."""
        return self._load is None

    def _ready(self) -> None:
        load = self._load
        if load is not None:
            past = load()
            self._load = None
            list.__init__(self, [*past, *list.__iter__(self)])

    def __getitem__(self, i: Any) -> Any:
        self._ready()
        return list.__getitem__(self, i)

    def __setitem__(self, i: Any, value: Any) -> None:
        self._ready()
        list.__setitem__(self, i, value)

    def __delitem__(self, i: SupportsIndex | slice) -> None:
        self._ready()
        list.__delitem__(self, i)


def _materialising(name: str) -> Callable[..., Any]:
    base = getattr(list, name)

    def method(self: LazyLog, *args: Any, **kwargs: Any) -> Any:
        self._ready()
        return base(self, *args, **kwargs)

    method.__name__ = name
    return method


for _name in (
    "__iter__", "__len__", "__contains__", "__reversed__", "__eq__", "__ne__", "__lt__",
    "__le__", "__gt__", "__ge__", "__repr__", "__add__", "__iadd__", "__mul__", "__rmul__",
    "__imul__", "__reduce_ex__", "append", "extend", "insert", "pop", "remove", "index",
    "count", "copy", "sort", "reverse", "clear",
):  # fmt: skip
    setattr(LazyLog, _name, _materialising(_name))


def load_order_log(
    journal: Journal, account: str, client_order_id: str, first_seq: int, last_seq: int
) -> list[OrderLogEntry]:
    """Rebuild an order's log from its events ``first_seq..last_seq`` (creation first).

    Raises:
        JournalError: the events do not start with the order's creation.
    """
    order: Order | None = None
    for type_name, payload in journal.read(
        _LOG_SQL, (account, client_order_id, first_seq, last_seq)
    ):
        event = cast(OrderEvent, decode_event(type_name, payload))
        if order is None:
            if not isinstance(event, OrderSubmitted | OrderDenied):
                raise JournalError(f"order {client_order_id!r}: no creation event at {first_seq}")
            order = Order.create(event)
            continue
        try:
            order.apply(event)
        except InvalidTransition:
            continue  # refused on replay too
    return [] if order is None else list(order.log)


def _log_loader(
    journal: Journal, account: str, coid: str, first: int, last: int
) -> Callable[[], list[OrderLogEntry]]:
    return lambda: load_order_log(journal, account, coid, first, last)


def recover_from_projections(journal: Journal, ledger: Ledger) -> OmsState | None:
    """The state rebuilt from projections into the empty ``ledger``, or ``None``.

    ``None`` when the projections cannot be trusted: rows written by an older schema,
    a missing creation seq, fills that do not add up to an order's filled quantity.
    """
    base = journal.read("SELECT seq FROM projection_base")
    if not base or base[0][0] != 0:
        return None
    # Hundreds of thousands of new objects and no garbage: skip the cyclic collector's
    # repeated passes over them (they cost more than the loading itself).
    enabled = gc.isenabled()
    gc.disable()
    try:
        state = _recover(journal, ledger)
        if state is not None and len(state.book) >= _FREEZE_AT:
            # The recovered state lives as long as the process: keep the collector's full
            # passes from re-scanning it (seconds at 1M events). Refcounting still frees it.
            gc.freeze()
        return state
    finally:
        if enabled:
            gc.enable()


def _recover(journal: Journal, ledger: Ledger) -> OmsState | None:
    last_seq = journal.last_seq
    day_rows = journal.read("SELECT account, day, roll_seq, last_seq FROM ledger_days")
    evicted_at = {r[0]: int(r[3]) for r in day_rows}
    orders = _load_orders(journal, evicted_at, last_seq)
    if orders is None:
        return None
    book = OrderBook()
    book.restore(orders)
    roll_seq = {r[0]: int(r[2]) for r in day_rows}
    positions: list[Position] = []
    unrolled: list[tuple[AccountId, InstrumentId]] = []
    iids: dict[str, InstrumentId] = {}
    for acct, inst, total, sellable, frozen, bought, avg, pnl, fees, seq in journal.read(
        "SELECT account, instrument, total, sellable, frozen, bought_today, avg_cost, "
        "realised_pnl, fees, last_seq FROM positions"
    ):
        iid = iids.get(inst) or iids.setdefault(inst, InstrumentId.parse(inst))
        positions.append(
            Position(
                AccountId(acct),
                iid,
                total,
                sellable,
                frozen,
                bought,
                Decimal(avg),
                Decimal(pnl),
                Decimal(fees),
            )
        )
        if seq < roll_seq.get(acct, 0):
            unrolled.append((AccountId(acct), iid))
    cash = [
        Cash(AccountId(a), Decimal(av), Decimal(fr), Decimal(fp))
        for a, av, fr, fp in journal.read("SELECT account, available, frozen, fees_paid FROM cash")
    ]
    days = {AccountId(r[0]): date.fromisoformat(r[1]) for r in day_rows}
    ledger.restore(positions, cash, days, book.open_orders(), unrolled=unrolled)
    return OmsState(book, ledger)


def _builder(cls: type[Any], names: tuple[str, ...]) -> Callable[..., Any]:
    """A constructor that sets the slots directly: no ``__init__``, no frozen-check cost.

    Only for values that already passed validation once (rows written from live objects).
    The body is unrolled (one setter call per field): this runs once per order or fill.
    """
    args = ", ".join(f"v{i}" for i in range(len(names)))
    body = "".join(f"    s{i}(obj, v{i})\n" for i in range(len(names)))
    scope: dict[str, Any] = {f"s{i}": cls.__dict__[n].__set__ for i, n in enumerate(names)}
    scope["new"], scope["cls"] = object.__new__, cls
    exec(f"def build({args}):\n    obj = new(cls)\n{body}    return obj\n", scope)
    return cast(Callable[..., Any], scope["build"])


_new_spec = _builder(OrderSpec, tuple(f.name for f in fields(OrderSpec)))
_new_fill = _builder(Fill, tuple(f.name for f in fields(Fill)))


def _load_orders(journal: Journal, evicted_at: dict[str, int], last_seq: int) -> list[Order] | None:
    iids: dict[str, InstrumentId] = {}
    decimals: dict[str | None, Decimal | None] = {None: None}
    ts_cache: dict[str, datetime] = {}
    parse_ts = datetime.fromisoformat
    new_spec, new_fill, status_of = _new_spec, _new_fill, _STATUS

    def dec(text: str | None) -> Any:
        found = decimals.get(text, _MISSING)
        return decimals.setdefault(text, Decimal(text)) if found is _MISSING else found  # type: ignore[arg-type]

    def when(text: str) -> datetime:
        t = ts_cache.get(text)
        return t if t is not None else ts_cache.setdefault(text, parse_ts(text))

    orders: list[Order] = []
    by_key: dict[tuple[str, str], tuple[Order, int, list[int]]] = {}
    min_evicted = min(evicted_at.values(), default=0)
    if min_evicted:
        rows = journal.read(_ORDER_SQL + " WHERE done_seq IS NULL OR done_seq > ?", (min_evicted,))
    else:
        rows = journal.read(_ORDER_SQL)
    if any(r[21] is None or r[8] is None for r in rows):
        return None  # written before the columns existed
    rows.sort(key=itemgetter(21))  # creation order (already nearly sorted: cheap)
    for row in rows:
        (acct, coid, inst, side, qty, ptype, price, prot, tif, strategy, external, status,
         prev, filled, broker, exch, reasons, message, venue_filled, created, updated,
         created_seq, done_seq) = row  # fmt: skip
        if done_seq is not None and done_seq <= evicted_at.get(acct, 0):
            continue
        iid = iids.get(inst) or iids.setdefault(inst, InstrumentId.parse(inst))
        px, ppx = dec(price), dec(prot)
        spec = new_spec(
            acct, coid, iid, _SIDE[side], qty, _PRICE_TYPE[ptype], px, ppx, _TIF[tif], strategy,
            bool(external),
        )  # fmt: skip
        order = Order(
            spec,
            status_of[status],
            when(created),
            when(updated),
            None if prev is None else status_of[prev],
            broker,
            exch,
            filled,
            _ZERO,
            {},
            filled > qty,
            venue_filled,
            tuple(reasons.split(",")) if reasons else (),
            message or "",
            LazyLog(load=_log_loader(journal, acct, coid, created_seq, last_seq)),
        )
        orders.append(order)
        by_key[(acct, coid)] = (order, created_seq, [0])
    if not orders:
        return orders
    first = min(created for _o, created, _n in by_key.values())
    for acct, coid, trade, qty, text, fee, ts, seq in journal.read(_FILL_SQL, (first,)):
        found = by_key.get((acct, coid))
        if found is None or seq < found[1]:
            continue  # a fill of an evicted order (maybe of a reused client id)
        order, _created, total = found
        px = dec(text)
        order.fills[trade] = new_fill(trade, qty, px, dec(fee), when(ts))
        order.notional += qty * px
        total[0] += qty
    for order, _created, total in by_key.values():
        if total[0] != order.filled_qty:
            return None
    return orders
