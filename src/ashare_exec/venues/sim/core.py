"""State and primitives of the simulated exchange: orders, fills, freezes, commit.

:class:`ExchangeCore` holds everything the simulator knows and the small operations that
change it (book a fill, finish an order). The session logic (:mod:`.session`) and the
request handling (:mod:`.exchange`) build on it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from ashare_exec.model import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    Instrument,
    InstrumentId,
    OrderCanceled,
    OrderExpired,
    OrderStatus,
    Quote,
    Side,
    TradeId,
)
from ashare_exec.model.numbers import ZERO, money
from ashare_exec.rules import (
    DEFAULT_RULES,
    FeeSchedule,
    RulesConfig,
    TradingCalendar,
    estimate_fees,
    price_limits,
    sellable_same_day,
    tick_size,
)
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.sim.accounts import Account
from ashare_exec.venues.sim.book import Book
from ashare_exec.venues.sim.config import FeedKind, SimConfig
from ashare_exec.venues.sim.marketdata import Feed, RandomWalkFeed, ReplayFeed
from ashare_exec.venues.sim.state import SimFill, SimOrder, Stage
from ashare_exec.venues.sim.store import SimStore, open_store

__all__ = ["ExchangeCore"]


class ExchangeCore:
    """The simulator's state (see :class:`~ashare_exec.venues.sim.exchange.SimExchange`)."""

    def __init__(
        self,
        config: SimConfig,
        instruments: Mapping[InstrumentId, Instrument],
        calendar: TradingCalendar,
        *,
        fees: FeeSchedule | None = None,
        rules: RulesConfig = DEFAULT_RULES,
        feed: Feed | None = None,
        store: SimStore | None = None,
    ) -> None:
        self.config = config
        self.calendar = calendar
        self.fees = fees or FeeSchedule()
        self.rules = rules
        self._master = dict(instruments)
        self._bands: dict[tuple[InstrumentId, date], tuple[Decimal, Decimal, Decimal, Decimal]] = {}
        self._rolled: dict[InstrumentId, tuple[str, Instrument, Instrument]] = {}
        self.feed: Feed = feed or self._default_feed()
        self.store = store or open_store(config.state_path)
        self.fault_rng = random.Random(f"{config.seed}:faults")
        self.accounts: dict[AccountId, Account] = {}
        self.orders: dict[tuple[AccountId, ClientOrderId], SimOrder] = {}
        self.by_broker_id: dict[BrokerOrderId, SimOrder] = {}
        self.working: dict[InstrumentId, list[SimOrder]] = {}
        self.fills: list[SimFill] = []
        self.books: dict[InstrumentId, tuple[datetime | None, Book]] = {}
        self.closes: dict[str, str] = {}
        self.now: datetime | None = None
        self.day: date | None = None
        self.order_seq = 0
        self.trade_seq = 0
        self._dirty_orders: dict[int, SimOrder] = {}
        self._dirty_fills: list[SimFill] = []
        self._load()

    # ---- set-up -------------------------------------------------------------------------
    def _default_feed(self) -> Feed:
        if self.config.feed is FeedKind.REPLAY:
            from ashare_exec.venues.sim.replay import sample_replay_path

            return ReplayFeed.from_csv(self.config.replay_path or sample_replay_path())
        return RandomWalkFeed(self.config.seed, self.band, self.config.walk)

    def _load(self) -> None:
        loaded = self.store.load()
        meta = loaded.meta
        if "day" in meta:
            self.day = date.fromisoformat(meta["day"])
            self.now = datetime.fromisoformat(meta["now"])
            self.order_seq = int(meta["order_seq"])
            self.trade_seq = int(meta["trade_seq"])
            self.closes = json.loads(meta.get("closes", "{}"))
        self.accounts = {a.account_id: a for a in loaded.accounts}
        for ac in self.config.accounts:
            if ac.account_id not in self.accounts:
                acct = Account(ac.account_id, Decimal(ac.cash))
                for sym, qty in ac.positions.items():
                    h = acct.holding(InstrumentId.parse(sym))
                    h.total = h.settled = qty
                    inst = self._master.get(InstrumentId.parse(sym))
                    h.cost = money(inst.prev_close * qty) if inst else ZERO
                self.accounts[ac.account_id] = acct
        for o in loaded.orders:
            if o.day == self.day:
                self._index(o)
        self.fills = [f for f in loaded.fills if f.day == self.day]

    def _index(self, o: SimOrder) -> None:
        self.orders[(o.account_id, o.client_order_id)] = o
        self.by_broker_id[o.broker_order_id] = o
        if not o.status.is_terminal:
            self.working.setdefault(o.instrument_id, []).append(o)

    # ---- reference data -----------------------------------------------------------------
    def instrument(self, iid: InstrumentId) -> Instrument | None:
        """The instrument of the current day (previous close rolled from our own close)."""
        inst = self._master.get(iid)
        if inst is None:
            return None
        close = self.closes.get(str(iid))
        if close is not None and inst.limit_up is None:
            # The same object while the close is the same: a new one per call made every
            # order miss the price-limit cache (keyed by identity) and fill it up.
            hit = self._rolled.get(iid)
            if hit is None or hit[0] != close or hit[1] is not inst:
                hit = self._rolled[iid] = (close, inst, replace(inst, prev_close=Decimal(close)))
            return hit[2]
        return inst

    def band(self, iid: InstrumentId, day: date) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """(prev_close, tick, limit_down, limit_up) of ``iid`` on ``day`` (cached)."""
        key = (iid, day)
        b = self._bands.get(key)
        if b is None:
            inst = self.instrument(iid)
            if inst is None:
                raise KeyError(str(iid))
            tick = tick_size(inst, config=self.rules)
            lim = price_limits(inst, day, self.calendar, config=self.rules)
            pc = inst.prev_close
            b = (pc, tick, lim.down or tick, lim.up or pc * 10)
            self._bands[key] = b
        return b

    def quote(self, iid: InstrumentId, at: datetime) -> Quote | None:
        """The latest snapshot of ``iid`` at ``at``."""
        return self.feed.latest(iid, at)

    def book(self, iid: InstrumentId, at: datetime) -> Book:
        """The displayed book at ``at``; liquidity we took stays taken until the next snapshot."""
        q = self.feed.latest(iid, at)
        ts = q.ts_event if q is not None else None
        cached = self.books.get(iid)
        if cached is not None and cached[0] == ts:
            return cached[1]
        b = Book.from_quote(q) if q is not None else Book()
        self.books[iid] = (ts, b)
        return b

    # ---- primitives ---------------------------------------------------------------------
    def touch(self, o: SimOrder, ts: datetime) -> None:
        """Mark ``o`` changed at ``ts`` (committed with the next batch)."""
        o.ts_updated = ts
        self._dirty_orders[id(o)] = o

    def book_fill(self, o: SimOrder, px: Decimal, qty: int, ts: datetime) -> VenueReport:
        """Execute ``qty`` of ``o`` at ``px``: fees, cash, position, order; return the report."""
        inst = self.instrument(o.instrument_id)
        assert inst is not None
        leaves_before = o.leaves
        o.filled_qty += qty
        o.amount += px * qty
        fee_total = estimate_fees(inst, o.side, o.filled_qty, o.amount / o.filled_qty,
                                  o.day, self.fees).total  # fmt: skip
        fee = fee_total - o.fees
        o.fees = fee_total
        released = ZERO
        if o.side is Side.BUY:
            if qty == leaves_before:
                released = o.frozen_cash
            elif o.freeze_px is None:  # state saved by an older version
                released = money(o.frozen_cash * qty / leaves_before)
            else:
                released = o.frozen_cash - self.buy_freeze(inst, o, leaves_before - qty)
            o.frozen_cash -= released
        acct = self.accounts[o.account_id]
        acct.apply_fill(o.instrument_id, o.side, qty, px, fee, released, sellable_same_day(inst))
        o.status = OrderStatus.FILLED if o.filled_qty == o.qty else OrderStatus.PARTIALLY_FILLED
        if o.status is OrderStatus.FILLED:
            self._retire(o)
        self.trade_seq += 1
        f = SimFill(
            trade_id=TradeId(f"T{o.day:%Y%m%d}{self.trade_seq:08d}"),
            account_id=o.account_id,
            client_order_id=o.client_order_id,
            broker_order_id=o.broker_order_id,
            instrument_id=o.instrument_id,
            side=o.side,
            qty=qty,
            px=px,
            fee=fee,
            ts=ts,
            day=o.day,
        )
        self.fills.append(f)
        self._dirty_fills.append(f)
        self.touch(o, ts)
        return f.report()

    def buy_freeze(self, inst: Instrument, o: SimOrder, leaves: int) -> Decimal:
        """What a buy keeps frozen for ``leaves`` shares: their amount at the freeze price
        plus the fees estimated for them (minimum commission included), the estimate the
        gateway's ledger makes too (``docs/oms.md`` §3). After a partial fill the rest is
        estimated afresh, not prorated."""
        px = o.freeze_px
        assert px is not None
        fee = estimate_fees(inst, Side.BUY, leaves, px, o.day, self.fees).total
        return money(px * leaves) + fee

    def finish(self, o: SimOrder, status: OrderStatus, ts: datetime, text: str = "") -> VenueReport:
        """End ``o`` (CANCELED or EXPIRED): release what it froze; return the report."""
        acct = self.accounts[o.account_id]
        if o.side is Side.BUY:
            acct.release_cash(o.frozen_cash)
            o.frozen_cash = ZERO
        else:
            acct.release_shares(o.instrument_id, o.qty - o.filled_qty)
        o.status = status
        o.message = text or o.message
        self._retire(o)
        self.touch(o, ts)
        if status is OrderStatus.EXPIRED:
            return OrderExpired(
                account_id=o.account_id, client_order_id=o.client_order_id, ts_event=ts
            )
        return OrderCanceled(
            account_id=o.account_id, client_order_id=o.client_order_id, ts_event=ts, message=text
        )

    def _retire(self, o: SimOrder) -> None:
        o.stage = Stage.DONE
        o.rest_price = None
        lst = self.working.get(o.instrument_id)
        if lst is not None and o in lst:
            lst.remove(o)

    def commit(self) -> None:
        """Write every change since the last commit (before any report leaves)."""
        if self.day is None or self.now is None:
            return
        meta = {
            "day": self.day.isoformat(),
            "now": self.now.isoformat(),
            "order_seq": str(self.order_seq),
            "trade_seq": str(self.trade_seq),
            "closes": json.dumps(self.closes),
        }
        self.store.commit(
            meta, self.accounts.values(), self._dirty_orders.values(), self._dirty_fills
        )
        self._dirty_orders = {}
        self._dirty_fills = []
