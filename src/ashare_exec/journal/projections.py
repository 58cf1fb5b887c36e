"""Fast recovery: rebuild the OMS state from the journal's projection tables.

Every event is journaled in the same transaction as the rows it changes (``orders``,
``fills``, ``positions``, ``cash``, ``ledger_days``), so those rows hold the state after the
last event. Loading them costs a few microseconds per order in the book instead of a
decode and an :meth:`OmsState.apply` per event ever journaled.

* The book: every order not evicted by its account's last day roll (``done_seq`` is the
  seq of the event that first left the order terminal). Working orders are rebuilt field
  by field with their fills; terminal ones are restored *cold* (key and ids only, see
  :class:`~ashare_exec.oms.book.ColdOrder`) and built the same way on first lookup. Each
  order's ``log`` is a :class:`~ashare_exec.journal.lazylog.LazyLog` that replays the
  order's own events from the journal the first time it is read (or appended to).
* The ledger: positions and cash as saved; positions saved before the last day roll are
  rolled here (the roll writes no position row); per-order freezes recomputed from the
  working orders (:meth:`Ledger.restore`).

Anything that does not add up returns ``None``: the caller replays the whole journal.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, cast

from ashare_exec.errors import JournalError
from ashare_exec.journal.lazylog import LazyLog, load_order_log, log_loader
from ashare_exec.journal.sqlite import Journal
from ashare_exec.model.enums import TERMINAL_STATUSES, OrderStatus, PriceType, Side, TimeInForce
from ashare_exec.model.events import OrderSpec
from ashare_exec.model.identifiers import (
    AccountId,
    InstrumentId,
)
from ashare_exec.model.order import Fill, Order
from ashare_exec.model.portfolio import Cash, Position
from ashare_exec.oms.book import ColdOrder, OrderBook, OrderKey, OrderLoader
from ashare_exec.oms.ledger import Ledger
from ashare_exec.oms.state import OmsState

__all__ = ["LazyLog", "load_order_log", "recover_from_projections"]  # the first two: lazylog

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
_TERMINAL = "(" + ", ".join(sorted(f"'{s.value}'" for s in TERMINAL_STATUSES)) + ")"
_HOT_SQL = f"{_ORDER_SQL} WHERE status NOT IN {_TERMINAL}"
_COLD_SQL = (
    "SELECT account, client_order_id, broker_order_id, exchange_order_id, instrument, side, "
    "qty, filled_qty, created_seq, done_seq, time_in_force IS NULL FROM orders "
    f"WHERE status IN {_TERMINAL} AND (done_seq IS NULL OR done_seq > ?)"
)
_COLD_FILLS_CHECK_SQL = (
    "SELECT COUNT(*) FROM orders o LEFT JOIN ledger_days d ON d.account = o.account "
    f"WHERE o.status IN {_TERMINAL} AND (o.done_seq IS NULL "
    "OR o.done_seq > COALESCE(d.last_seq, 0)) AND o.filled_qty != COALESCE((SELECT "
    "SUM(f.qty) FROM fills f WHERE f.account = o.account AND f.client_order_id = "
    "o.client_order_id AND f.seq >= o.created_seq), 0)"
)
_FILL_COLUMNS = "SELECT account, client_order_id, trade_id, qty, px, venue_fee, ts, seq"
_FILL_SQL = f"{_FILL_COLUMNS} FROM fills WHERE seq >= ? ORDER BY seq"
_ONE_ORDER_SQL = f"{_ORDER_SQL} WHERE account = ? AND client_order_id = ?"
_ONE_ORDER_FILLS_SQL = (
    f"{_FILL_COLUMNS} FROM fills WHERE account = ? AND client_order_id = ? AND seq >= ? "
    "ORDER BY seq"
)
_BULK_THAW = 64
"""From this many orders at once, cold orders are read by batches of keys, not one by one."""
_SCAN_THAW = 20_000
"""From this many orders at once, cold orders are built from one scan of every terminal
order (the whole day's, at a restart): cheaper than looking that many up by key."""
_KEYS_PER_QUERY = 500  # under SQLite's oldest default limit of 999 bound parameters


def recover_from_projections(journal: Journal, ledger: Ledger) -> OmsState | None:
    """The state rebuilt from projections into the empty ``ledger``, or ``None``.

    ``None`` when the projections cannot be trusted: rows written by an older schema,
    a missing creation seq, fills that do not add up to an order's filled quantity.
    """
    base = journal.read("SELECT seq FROM projection_base")
    if not base or base[0][0] != 0:
        return None
    with _collector_paused():
        state = _recover(journal, ledger)
        if state is not None and len(state.book) >= _FREEZE_AT:
            # The recovered state lives as long as the process: keep the collector's full
            # passes from re-scanning it (seconds at 1M events). Refcounting still frees it.
            gc.freeze()
        return state


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Hundreds of thousands of new objects and no garbage: skip the cyclic collector's
    repeated passes over them (they cost more than the loading itself)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _recover(journal: Journal, ledger: Ledger) -> OmsState | None:
    last_seq = journal.last_seq
    day_rows = journal.read("SELECT account, day, roll_seq, last_seq FROM ledger_days")
    evicted_at = {r[0]: int(r[3]) for r in day_rows}
    loaded = _load_book(journal, evicted_at, last_seq)
    if loaded is None:
        return None
    book = OrderBook()
    book.restore(loaded, _thawer(journal, last_seq))
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


class _Builder:
    """Builds orders and fills from projection rows, sharing parsed values between them."""

    def __init__(self, journal: Journal, last_seq: int) -> None:
        self.journal, self.last_seq = journal, last_seq
        self.iids: dict[str, InstrumentId] = {}
        self.decimals: dict[str | None, Decimal | None] = {None: None}
        self.ts_cache: dict[str, datetime] = {}

    def dec(self, text: str | None) -> Any:
        found = self.decimals.get(text, _MISSING)
        if found is _MISSING:
            return self.decimals.setdefault(text, Decimal(text))  # type: ignore[arg-type]
        return found

    def when(self, text: str) -> datetime:
        t = self.ts_cache.get(text)
        return t if t is not None else self.ts_cache.setdefault(text, datetime.fromisoformat(text))

    def order(self, row: tuple[Any, ...]) -> Order:
        """An order from an ``_ORDER_SQL`` row, without its fills."""
        (acct, coid, inst, side, qty, ptype, price, prot, tif, strategy, external, status,
         prev, filled, broker, exch, reasons, message, venue_filled, created, updated,
         created_seq, _done_seq) = row  # fmt: skip
        iid = self.iids.get(inst) or self.iids.setdefault(inst, InstrumentId.parse(inst))
        dec, when, status_of = self.dec, self.when, _STATUS
        spec = _new_spec(
            acct, coid, iid, _SIDE[side], qty, _PRICE_TYPE[ptype], dec(price), dec(prot),
            _TIF[tif], strategy, bool(external),
        )  # fmt: skip
        return Order(
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
            LazyLog(load=log_loader(self.journal, acct, coid, created_seq, self.last_seq)),
        )

    def add_fills(
        self, by_key: dict[tuple[str, str], tuple[Order, int, list[int]]], rows: list[Any]
    ) -> bool:
        """Attach fill rows to their orders; whether every order's fills add up."""
        dec, when = self.dec, self.when
        for acct, coid, trade, qty, text, fee, ts, seq in rows:
            found = by_key.get((acct, coid))
            if found is None or seq < found[1]:
                continue  # a fill of an evicted order (maybe of a reused client id)
            order, _created, total = found
            px = dec(text)
            order.fills[trade] = _new_fill(trade, qty, px, dec(fee), when(ts))
            order.notional += qty * px
            total[0] += qty
        return all(total[0] == order.filled_qty for order, _c, total in by_key.values())


def _load_book(
    journal: Journal, evicted_at: dict[str, int], last_seq: int
) -> list[Order | ColdOrder] | None:
    """The book's orders in creation order: working ones built, terminal ones cold."""
    min_evicted = min(evicted_at.values(), default=0)
    hot_rows = journal.read(_HOT_SQL)
    cold_rows = journal.read(_COLD_SQL, (min_evicted,))
    if any(r[21] is None or r[8] is None for r in hot_rows) or any(
        r[8] is None or r[10] for r in cold_rows
    ):
        return None  # written before the columns existed
    if journal.read(_COLD_FILLS_CHECK_SQL)[0][0]:
        return None  # a terminal order's fills do not add up
    builder = _Builder(journal, last_seq)
    new_cold = ColdOrder._make
    entries: list[tuple[int, Order | ColdOrder]] = []
    by_key: dict[tuple[str, str], tuple[Order, int, list[int]]] = {}
    for row in hot_rows:
        order = builder.order(row)
        entries.append((row[21], order))
        by_key[(row[0], row[1])] = (order, row[21], [0])
    texts: dict[str, str] = {}  # one string object per instrument and side
    share = texts.setdefault
    for acct, coid, broker, exch, inst, side, qty, filled, created_seq, done_seq, _o in cold_rows:
        if done_seq is not None and done_seq <= evicted_at.get(acct, 0):
            continue
        summary = (share(inst, inst), share(side, side), qty, filled)
        entries.append((created_seq, new_cold((acct, coid, broker, exch, *summary))))
    if by_key:
        first = min(created for _o, created, _n in by_key.values())
        if not builder.add_fills(by_key, journal.read(_FILL_SQL, (first,))):
            return None
    entries.sort(key=itemgetter(0))  # creation order (already nearly sorted: cheap)
    return [e[1] for e in entries]


def _thawer(journal: Journal, last_seq: int) -> OrderLoader:
    """The book's loader of cold orders: their rows and fills, read when first needed.

    A cold order is terminal and no event reached it since recovery (any would have
    built it first), so its rows are still those read at recovery.
    """

    def thaw(keys: Sequence[OrderKey]) -> dict[OrderKey, Order]:
        builder = _Builder(journal, last_seq)
        by_key: dict[tuple[str, str], tuple[Order, int, list[int]]] = {}
        if len(keys) < _BULK_THAW:
            for key in keys:
                for row in journal.read(_ONE_ORDER_SQL, key):
                    by_key[key] = (builder.order(row), row[21], [0])
            fills = [
                f
                for key, (_o, created, _t) in by_key.items()
                for f in journal.read(_ONE_ORDER_FILLS_SQL, (*key, created))
            ]
            return _built(builder, by_key, fills)
        if len(keys) < _SCAN_THAW:
            return _built(builder, by_key, _read_by_keys(journal, builder, keys, by_key))
        with _collector_paused():
            wanted = set(keys)
            for row in journal.read(f"{_ORDER_SQL} WHERE status IN {_TERMINAL}"):
                if (row[0], row[1]) in wanted:
                    by_key[(row[0], row[1])] = (builder.order(row), row[21], [0])
            first = min((c for _o, c, _t in by_key.values()), default=0)
            built = _built(builder, by_key, journal.read(_FILL_SQL, (first,)))
            if len(keys) >= _FREEZE_AT:
                gc.freeze()  # as at recovery: these orders stay for the day
            return built

    return thaw


def _read_by_keys(
    journal: Journal,
    builder: _Builder,
    keys: Sequence[OrderKey],
    by_key: dict[tuple[str, str], tuple[Order, int, list[int]]],
) -> list[Any]:
    """Read the orders of ``keys`` into ``by_key`` by batches of keys; return their fills
    (in seq order per order, which is all :meth:`_Builder.add_fills` needs)."""
    per_account: dict[str, list[str]] = {}
    for acct, coid in keys:
        per_account.setdefault(acct, []).append(coid)
    fills: list[Any] = []
    for account, coids in per_account.items():
        for i in range(0, len(coids), _KEYS_PER_QUERY):
            part = coids[i : i + _KEYS_PER_QUERY]
            marks = ", ".join("?" * len(part))
            for row in journal.read(
                f"{_ORDER_SQL} WHERE account = ? AND client_order_id IN ({marks})",
                (account, *part),
            ):
                by_key[(row[0], row[1])] = (builder.order(row), row[21], [0])
            fills += journal.read(
                f"{_FILL_COLUMNS} FROM fills WHERE account = ? AND client_order_id IN ({marks}) "
                "ORDER BY seq",
                (account, *part),
            )
    return fills


def _built(
    builder: _Builder, by_key: dict[tuple[str, str], tuple[Order, int, list[int]]], fills: Any
) -> dict[OrderKey, Order]:
    if not builder.add_fills(by_key, fills):
        raise JournalError("journal: the fills of a restored order do not add up")
    return {cast(OrderKey, k): v[0] for k, v in by_key.items()}
