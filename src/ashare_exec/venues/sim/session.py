"""The trading day of the simulator: time advances through snapshots and session events.

Events of a trading day, in order: 9:25 opening-auction uncross, 9:30 queued orders enter
the book, continuous snapshots (resting orders fill when the market reaches them), 13:00
orders queued at lunch enter the book, 15:00 closing-auction uncross and the expiry of every
working order. Crossing midnight into a new trading day rolls the accounts (T+1), unless
``SimConfig.t1_release_at`` released the day's buys in the evening already (a broker whose
night clearing comes before midnight).
"""

from __future__ import annotations

from collections.abc import Hashable
from datetime import date, datetime, time, timedelta

from ashare_exec.clock import CST
from ashare_exec.model import (
    Exchange,
    InstrumentId,
    OrderStatus,
    PriceType,
    Quote,
    Side,
    TradingPhase,
)
from ashare_exec.rules import phase_at
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.sim.auction import AuctionOrder, TieBreak, allocate, uncross
from ashare_exec.venues.sim.book import Book
from ashare_exec.venues.sim.core import ExchangeCore
from ashare_exec.venues.sim.marketdata import CLOSE_AUCTION_AT, OPEN_AUCTION_AT
from ashare_exec.venues.sim.matching import initial_queue_ahead, match_incoming, passive_fill
from ashare_exec.venues.sim.state import SimOrder, Stage

__all__ = ["SessionEngine"]

_OPEN_BOOK_AT = (time(9, 30), time(13, 0))


class SessionEngine(ExchangeCore):
    """Moves the simulated exchange through time (see the module docstring)."""

    def milestones(self, day: date) -> list[datetime]:
        """Session events of ``day`` (none on a non-trading day)."""
        if not self.calendar.is_trading_day(day):
            return []
        at = [OPEN_AUCTION_AT, *_OPEN_BOOK_AT, CLOSE_AUCTION_AT]
        if self.config.t1_release_at is not None:
            at.append(self.config.t1_release_at)
        return [datetime.combine(day, t, CST) for t in at]

    def advance(self, ts: datetime) -> list[VenueReport]:
        """Process everything up to ``ts`` and return the reports it produced (uncommitted)."""
        ts = ts.astimezone(CST)
        out: list[VenueReport] = []
        if self.now is None:
            self.now = ts
        cur = self.now
        if self.day is None or self.day != cur.date():
            out += self._roll_to(cur.date())
        while cur < ts:
            midnight = datetime.combine(cur.date() + timedelta(days=1), time(0), CST)
            span_end = min(ts, midnight)
            for m in self.milestones(cur.date()):
                if cur < m <= span_end:
                    out += self._continuous(cur, m, include_end=False)
                    out += self._milestone(m)
                    cur = m
            out += self._continuous(cur, span_end, include_end=True)
            cur = span_end
            if cur == midnight:
                out += self._roll_to(cur.date())
        self.now = max(self.now, ts)
        return out

    # ---- day roll -----------------------------------------------------------------------
    def _roll_to(self, day: date) -> list[VenueReport]:
        out: list[VenueReport] = []
        if self.day == day:
            return out
        if self.day is not None:
            close_at = datetime.combine(self.day, CLOSE_AUCTION_AT, CST)
            for o in [o for lst in self.working.values() for o in lst]:
                out.append(self.finish(o, OrderStatus.EXPIRED, close_at, "收盘未成交, 委托失效"))
            for acct in self.accounts.values():
                acct.roll_day()
            for iid in {iid for iid, _ in self._bands}:
                q = self.feed.latest(iid, close_at)
                if q is not None and q.last is not None:
                    self.closes[str(iid)] = str(q.last)
        self.day = day
        self.orders.clear()
        self.by_broker_id.clear()
        self.working.clear()
        self.fills.clear()
        self.books.clear()
        self._bands.clear()
        return out

    # ---- session events -----------------------------------------------------------------
    def _milestone(self, m: datetime) -> list[VenueReport]:
        t = m.time()
        if t == self.config.t1_release_at:
            # The broker's night clearing: the close has expired every order, so this only
            # makes the day's buys sellable; the switch at midnight finds nothing left.
            for acct in self.accounts.values():
                acct.roll_day()
            return []
        if t == OPEN_AUCTION_AT:
            return self._auctions(m, opening=True)
        if t == CLOSE_AUCTION_AT:
            out = self._auctions(m, opening=False)
            for o in [o for lst in self.working.values() for o in lst]:
                out.append(self.finish(o, OrderStatus.EXPIRED, m, "收盘未成交, 委托失效"))
            return out
        out = []
        for iid in sorted(self.working):
            for o in [o for o in self.working[iid] if o.stage is Stage.QUEUED]:
                out += self.enter_continuous(o, m)
        return out

    def _auctions(self, m: datetime, *, opening: bool) -> list[VenueReport]:
        out: list[VenueReport] = []
        for iid in sorted(self.working):
            orders = [o for o in self.working[iid] if o.stage in (Stage.AUCTION, Stage.BOOK)]
            if orders:
                out += self._uncross(iid, orders, m, opening)
            if opening:
                book = self.book(iid, m)
                for o in list(self.working.get(iid, ())):
                    if o.stage is Stage.AUCTION and o.rest_price is not None:
                        o.stage = Stage.BOOK
                        o.queue_ahead = initial_queue_ahead(
                            book, o.side, o.rest_price, self.config.queue_model,
                            self.config.queue_fraction,
                        )  # fmt: skip
                        self.touch(o, m)
        return out

    def _crowd(self, iid: InstrumentId, m: datetime, opening: bool) -> list[AuctionOrder]:
        """The rest of the market in the auction, rebuilt from the auction snapshot."""
        q = self.feed.latest(iid, m)
        if q is None or q.ts_event != m or q.last is None:
            return []
        prev: Quote | None = None
        if not opening:
            prev = self.feed.latest(iid, m - timedelta(seconds=1))
        matched = q.volume - (prev.volume if prev is not None else 0)
        crowd = [
            AuctionOrder(("crowd", "b"), Side.BUY, q.last, matched, -2),
            AuctionOrder(("crowd", "s"), Side.SELL, q.last, matched, -2),
        ]
        for i, (p, s) in enumerate(zip(q.bid_prices, q.bid_sizes, strict=False)):
            crowd.append(AuctionOrder(("crowd", "b", i), Side.BUY, p, s, -1))
        for i, (p, s) in enumerate(zip(q.ask_prices, q.ask_sizes, strict=False)):
            crowd.append(AuctionOrder(("crowd", "s", i), Side.SELL, p, s, -1))
        return crowd

    def _uncross(
        self, iid: InstrumentId, orders: list[SimOrder], m: datetime, opening: bool
    ) -> list[VenueReport]:
        pc, tick, _, _ = self.band(iid, m.date())
        ours = [
            AuctionOrder(o.broker_order_id, o.side, o.rest_price, o.leaves, o.seq)
            for o in orders
            if o.rest_price is not None
        ]
        everyone = self._crowd(iid, m, opening) + ours
        reference = pc
        if not opening:
            last = self.feed.latest(iid, m - timedelta(seconds=1))
            reference = last.last if last is not None and last.last is not None else pc
        tie = self.config.tie_break_sh if iid.exchange is Exchange.SH else self.config.tie_break_sz
        result = uncross(everyone, reference, tick, TieBreak(tie))
        if result is None:
            return []
        got: dict[Hashable, int] = allocate(everyone, result)
        out: list[VenueReport] = []
        for o in orders:
            n = got.get(o.broker_order_id, 0)
            if n > 0:
                out.append(self.book_fill(o, result.price, n, m))
        return out

    # ---- continuous trading -------------------------------------------------------------
    def enter_continuous(self, o: SimOrder, ts: datetime) -> list[VenueReport]:
        """Match an order arriving in continuous trading; rest or cancel its remainder."""
        book = self.book(o.instrument_id, ts)
        price = o.rest_price if o.price_type is PriceType.LIMIT else o.price
        plan = match_incoming(book, o.side, o.leaves, o.price_type, price, o.protection_price)
        out = [self.book_fill(o, px, n, ts) for px, n in plan.fills]
        if o.leaves > 0:
            if plan.rest_price is None:
                out.append(self.finish(o, OrderStatus.CANCELED, ts, plan.cancel_text))
            else:
                o.stage = Stage.BOOK
                o.rest_price = plan.rest_price
                o.queue_ahead = initial_queue_ahead(
                    book, o.side, plan.rest_price, self.config.queue_model,
                    self.config.queue_fraction,
                )  # fmt: skip
                self.touch(o, ts)
        return out

    def _continuous(
        self, start: datetime, end: datetime, *, include_end: bool
    ) -> list[VenueReport]:
        out: list[VenueReport] = []
        if start >= end:
            return out
        for iid in sorted(self.working):
            resting = [o for o in self.working[iid] if o.stage is Stage.BOOK]
            if not resting:
                continue
            prev = self.feed.latest(iid, start)
            prev_volume = prev.volume if prev is not None else 0
            for q in self.feed.snapshots(iid, start, end):
                assert q.ts_event is not None
                if not include_end and q.ts_event == end:
                    break
                traded = max(q.volume - prev_volume, 0)
                prev_volume = q.volume
                if self._phase(iid, q.ts_event) is not TradingPhase.CONTINUOUS:
                    continue
                book = Book.from_quote(q)
                self.books[iid] = (q.ts_event, book)
                out += self._passive(resting, book, traded, q.ts_event)
                resting = [o for o in resting if o.stage is Stage.BOOK]
                if not resting:
                    break
        return out

    def _passive(
        self, resting: list[SimOrder], book: Book, traded: int, ts: datetime
    ) -> list[VenueReport]:
        out: list[VenueReport] = []
        left = traded
        for o in sorted(resting, key=lambda o: o.seq):
            assert o.rest_price is not None
            pf = passive_fill(book, o.side, o.rest_price, o.leaves, o.queue_ahead, left)
            if pf.queue_ahead != o.queue_ahead:
                o.queue_ahead = pf.queue_ahead
                self.touch(o, ts)
            for px, n in pf.fills:
                if px == o.rest_price:
                    left -= n
                out.append(self.book_fill(o, px, n, ts))
        return out

    def _phase(self, iid: InstrumentId, ts: datetime) -> TradingPhase:
        inst = self.instrument(iid)
        return phase_at(iid.exchange, ts, self.calendar, inst.product if inst else None)
