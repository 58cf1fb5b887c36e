"""The simulated exchange and broker counter (synchronous; the adapter wraps it).

:class:`SimExchange` takes requests stamped with the simulated time, moves the market up to
that time, applies broker-side checks (cash including fees, sellable T+1 shares) and the
exchange rules (:func:`ashare_exec.rules.validate_order`), matches, commits its own state,
and returns the reports in the order a venue would emit them.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from functools import lru_cache

from ashare_exec.clock import CST
from ashare_exec.errors import BrokerRejected
from ashare_exec.model import (
    AccountId,
    AccountStatus,
    BrokerOrderId,
    CashReport,
    ClientOrderId,
    Exchange,
    ExchangeOrderId,
    InstrumentId,
    OrderAccepted,
    OrderCancelRejected,
    OrderFilled,
    OrderRejected,
    OrderSpec,
    OrderStatus,
    OrderStatusReport,
    PositionReport,
    PriceType,
    Side,
    SubmitOrder,
    TradingPhase,
)
from ashare_exec.model.numbers import ZERO, money
from ashare_exec.rules import cancel_allowed, validate_order
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.sim.accounts import Account, InsufficientFunds
from ashare_exec.venues.sim.messages import reject_text
from ashare_exec.venues.sim.session import SessionEngine
from ashare_exec.venues.sim.state import SimOrder, Stage

__all__ = ["SimExchange"]

_AUCTION = frozenset({TradingPhase.OPENING_AUCTION, TradingPhase.OPENING_AUCTION_NO_CANCEL,
                      TradingPhase.CLOSING_AUCTION})  # fmt: skip


class SimExchange(SessionEngine):
    """The simulated venue's matching engine and counter.

    Every public method takes ``ts`` (the simulated now), first processes the market up to
    it, commits its state, and returns the reports produced, oldest first.
    """

    def advance_to(self, ts: datetime) -> list[VenueReport]:
        """Move the market to ``ts``: snapshots, auctions, expiry, day roll."""
        out = self.advance(ts)
        self.commit()
        return out

    def finish_day(self, now: datetime) -> list[VenueReport] | None:
        """When ``now`` is on a later date than the trading day the market is on, run that
        day to its last instant (closing auction, expiry) and return its reports; else
        ``None``. Its orders are still here then (for a venue emulator to keep); the next
        call that moves the market rolls to the new day and forgets them."""
        if self.day is None or now.astimezone(CST).date() <= self.day:
            return None
        return self.advance_to(datetime.combine(self.day, time.max, CST))

    def account(self, account_id: AccountId) -> Account:
        """The account, or raise :class:`BrokerRejected` (``UNKNOWN_ACCOUNT``)."""
        acct = self.accounts.get(account_id)
        if acct is None:
            raise BrokerRejected(f"资金账号不存在: {account_id}", code="UNKNOWN_ACCOUNT")
        return acct

    # ---- requests -----------------------------------------------------------------------
    def submit(self, spec: OrderSpec, ts: datetime) -> list[VenueReport]:
        """Take a new order.

        Raises:
            BrokerRejected: unknown account, or the client order id already used today.
        """
        out = self.advance(ts)
        acct = self.account(spec.account_id)
        if (spec.account_id, spec.client_order_id) in self.orders:
            raise BrokerRejected(
                f"委托编号重复: {spec.client_order_id}", code="DUPLICATE_CLIENT_ORDER_ID"
            )
        assert self.day is not None
        self.order_seq += 1
        n = self.order_seq
        o = SimOrder(
            account_id=spec.account_id,
            client_order_id=spec.client_order_id,
            broker_order_id=BrokerOrderId(str(n)),
            exchange_order_id=ExchangeOrderId(
                f"{_id_prefix(spec.instrument_id.exchange, self.day)}{n:07d}"
            ),
            instrument_id=spec.instrument_id,
            side=spec.side,
            price_type=spec.price_type,
            price=spec.price,
            protection_price=spec.protection_price,
            qty=spec.qty,
            day=self.day,
            seq=n,
            ts_created=ts,
            ts_updated=ts,
        )
        self._index(o)
        code, detail = self._check(o, acct, ts)
        if code:
            out.append(self._reject(o, code, detail, ts))
        else:
            out.append(
                OrderAccepted(
                    account_id=o.account_id,
                    client_order_id=o.client_order_id,
                    ts_event=ts,
                    broker_order_id=o.broker_order_id,
                    exchange_order_id=o.exchange_order_id,
                )
            )
            out += self._route(o, ts)
        self.touch(o, ts)
        self.commit()
        return out

    def _check(self, o: SimOrder, acct: Account, ts: datetime) -> tuple[str, str]:
        inst = self.instrument(o.instrument_id)
        if inst is None:
            return "UNKNOWN_SYMBOL", str(o.instrument_id)
        h = acct.holding(o.instrument_id)
        cmd = SubmitOrder(o.account_id, o.instrument_id, o.side, o.qty, o.price_type, o.price,
                          o.protection_price)  # fmt: skip
        v = validate_order(
            cmd,
            inst,
            self.quote(o.instrument_id, ts),
            ts,
            self.calendar,
            sellable_qty=h.sellable if o.side is Side.SELL else None,
            position_qty=h.total if o.side is Side.SELL else None,
            config=self.rules,
        )
        if not v.ok or v.order is None:
            details = (
                m.removeprefix(f"{c}: ") for c, m in zip(v.reasons, v.messages, strict=False)
            )
            return v.reasons[0], "; ".join(details)
        o.price, o.protection_price = v.order.price, v.order.protection_price
        rate = self.config.faults.reject_rate
        if rate > 0 and self.fault_rng.random() < rate:
            return "BROKER_REJECTED", "模拟柜台随机拒单"
        try:
            if o.side is Side.BUY:
                px = o.price if o.price_type is PriceType.LIMIT else o.protection_price
                px = px if px is not None else v.limits.up
                assert px is not None
                o.freeze_px = px
                o.frozen_cash = self.buy_freeze(inst, o, o.qty)
                acct.freeze_cash(o.frozen_cash)
            else:
                acct.freeze_shares(o.instrument_id, o.qty)
        except InsufficientFunds as e:
            o.frozen_cash = ZERO
            return e.code, e.message
        return "", ""

    def _reject(self, o: SimOrder, code: str, detail: str, ts: datetime) -> VenueReport:
        o.status = OrderStatus.REJECTED
        o.reason_code = code
        o.message = reject_text(code, detail)
        self._retire(o)
        return OrderRejected(
            account_id=o.account_id,
            client_order_id=o.client_order_id,
            ts_event=ts,
            reason_code=code,
            message=o.message,
            broker_order_id=o.broker_order_id,
        )

    def _route(self, o: SimOrder, ts: datetime) -> list[VenueReport]:
        phase = self._phase(o.instrument_id, ts)
        if phase is TradingPhase.CONTINUOUS:
            o.rest_price = o.price
            return self.enter_continuous(o, ts)
        o.rest_price = o.price
        o.stage = Stage.AUCTION if phase in _AUCTION else Stage.QUEUED
        return []

    def cancel(
        self,
        account_id: AccountId,
        client_order_id: ClientOrderId,
        broker_order_id: BrokerOrderId | None,
        ts: datetime,
    ) -> list[VenueReport]:
        """Cancel an order's remainder (or refuse with a reason)."""
        out = self.advance(ts)
        self.account(account_id)
        o = self.orders.get((account_id, client_order_id))
        if o is None and broker_order_id is not None:
            o = self.by_broker_id.get(broker_order_id)
        code = ""
        if o is None:
            code = "ORDER_NOT_FOUND"
        elif o.status.is_terminal:
            code = "ORDER_ALREADY_DONE"
        elif not cancel_allowed(self._phase(o.instrument_id, ts), config=self.rules):
            code = "CANCEL_NOT_ALLOWED_NOW"
        if code:
            out.append(
                OrderCancelRejected(
                    account_id=account_id,
                    client_order_id=client_order_id,
                    ts_event=ts,
                    reason_code=code,
                    message=reject_text(code),
                )
            )
        else:
            assert o is not None
            out.append(self.finish(o, OrderStatus.CANCELED, ts, "撤单成功"))
        self.commit()
        return out

    # ---- queries ------------------------------------------------------------------------
    def order_report(
        self, account_id: AccountId, client_order_id: ClientOrderId
    ) -> OrderStatusReport | None:
        """One order of today, by client order id."""
        self.account(account_id)
        o = self.orders.get((account_id, client_order_id))
        return o.report() if o is not None else None

    def order_reports(self, account_id: AccountId) -> list[OrderStatusReport]:
        """Every order of today."""
        self.account(account_id)
        mine = [o for o in self.orders.values() if o.account_id == account_id]
        return [o.report() for o in sorted(mine, key=lambda o: o.seq)]

    def trade_reports(self, account_id: AccountId) -> list[OrderFilled]:
        """Every fill of today."""
        self.account(account_id)
        return [f.report() for f in self.fills if f.account_id == account_id]

    def position_reports(self, account_id: AccountId, ts: datetime) -> list[PositionReport]:
        """Every non-empty position."""
        acct = self.account(account_id)
        return [
            PositionReport(
                account_id=account_id,
                instrument_id=iid,
                total_qty=h.total,
                sellable_qty=h.sellable,
                avg_cost=money(h.cost / h.total) if h.total else None,
                ts_event=ts,
            )
            for iid, h in sorted(acct.holdings.items())
            if h.total or h.frozen
        ]

    def cash_report(self, account_id: AccountId, ts: datetime) -> CashReport:
        """Cash balances (market value at the latest snapshot)."""
        acct = self.account(account_id)
        value = sum(
            (h.total * self._mark(iid, ts) for iid, h in acct.holdings.items() if h.total),
            start=ZERO,
        )
        return CashReport(
            account_id=account_id,
            available=acct.available,
            frozen=acct.frozen,
            total_asset=money(acct.cash + value),
            market_value=money(value),
            ts_event=ts,
        )

    def _mark(self, iid: InstrumentId, ts: datetime) -> Decimal:
        q = self.quote(iid, ts)
        if q is not None and q.last is not None:
            return q.last
        inst = self.instrument(iid)
        return inst.prev_close if inst is not None else ZERO

    def account_status(self, account_id: AccountId) -> AccountStatus:
        """Always ``OK`` for a configured account."""
        self.account(account_id)
        return AccountStatus.OK

    def day_reports(self, account_id: AccountId) -> list[VenueReport]:
        """Every report of today rebuilt from the durable state (replay after reconnect)."""
        from ashare_exec.venues.sim.replay import rebuild_reports

        return rebuild_reports(
            [o for o in self.orders.values() if o.account_id == account_id],
            [f for f in self.fills if f.account_id == account_id],
        )


@lru_cache(maxsize=64)
def _id_prefix(exchange: Exchange, day: date) -> str:
    """``SH1126``: the exchange and the day's month and day, ahead of the order number."""
    return f"{exchange}{day:%m%d}"
