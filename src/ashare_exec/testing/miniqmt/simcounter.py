"""Back the emulated MiniQMT with the built-in simulator, so orders match under A-share rules.

With a :class:`SimCounter`, :class:`~ashare_exec.testing.miniqmt.MiniQmt` hands each order to
:class:`~ashare_exec.venues.sim.exchange.SimExchange` (price limits, cage, lots, T+1, fees,
cash freezing, continuous matching and auctions against its market) and turns the
simulator's reports back into MiniQMT pushes. Cash and positions come from the simulator.
"""

from __future__ import annotations

from decimal import Decimal

from ashare_exec.clock import Clock
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    OrderSpec,
    PriceType,
    Side,
)
from ashare_exec.testing.miniqmt import structs as s
from ashare_exec.testing.miniqmt.book import ACCOUNT_TYPE_STOCK, BUY, EmuOrder
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.qmt.parsing import price_type_gw
from ashare_exec.venues.sim.exchange import SimExchange

__all__ = ["SimCounter"]


class SimCounter:
    """The simulator as MiniQMT's counter and exchange."""

    def __init__(self, exchange: SimExchange, clock: Clock) -> None:
        self.exchange = exchange
        self.clock = clock

    @staticmethod
    def key(order: EmuOrder) -> ClientOrderId:
        """The simulator-side client id of an emulated order (stable across renumbering)."""
        return ClientOrderId(order.key)

    def spec(self, order: EmuOrder) -> OrderSpec:
        """The simulator order for an emulated MiniQMT order."""
        inst = InstrumentId.parse(order.stock_code)
        price_type = price_type_gw(inst.exchange, order.price_type)
        limit = price_type is PriceType.LIMIT
        return OrderSpec(
            account_id=AccountId(order.account_id),
            client_order_id=self.key(order),
            instrument_id=inst,
            side=Side.BUY if order.order_type == BUY else Side.SELL,
            qty=order.volume,
            price_type=price_type,
            price=order.price if limit else None,
            protection_price=None if limit or order.price <= 0 else order.price,
        )

    def submit(self, order: EmuOrder) -> list[VenueReport]:
        """Place the order (raises ``BrokerRejected`` for an unknown account)."""
        return self.exchange.submit(self.spec(order), self.clock.now())

    def cancel(self, order: EmuOrder) -> list[VenueReport]:
        """Cancel the order's remainder."""
        return self.exchange.cancel(
            AccountId(order.account_id), self.key(order), None, self.clock.now()
        )

    def finish_day(self) -> list[VenueReport] | None:
        """The simulator's :meth:`~SimExchange.finish_day` at the clock's time."""
        return self.exchange.finish_day(self.clock.now())

    def advance(self) -> list[VenueReport]:
        """Move the simulated market to the clock's time."""
        return self.exchange.advance_to(self.clock.now())

    def asset(self, account_id: str) -> s.XtAsset:
        """Cash as MiniQMT reports it."""
        cash = self.exchange.cash_report(AccountId(account_id), self.clock.now())
        return s.XtAsset(
            account_type=ACCOUNT_TYPE_STOCK,
            account_id=account_id,
            cash=float(cash.available),
            frozen_cash=float(cash.frozen),
            market_value=float(cash.market_value or Decimal(0)),
            total_asset=float(cash.total_asset or cash.available + cash.frozen),
            fetch_balance=float(cash.available),
        )

    def positions(self, account_id: str, code: str = "") -> list[s.XtPosition]:
        """Positions as MiniQMT reports them."""
        rows = self.exchange.position_reports(AccountId(account_id), self.clock.now())
        return [
            s.XtPosition(
                account_type=ACCOUNT_TYPE_STOCK,
                account_id=account_id,
                stock_code=str(p.instrument_id),
                volume=p.total_qty,
                can_use_volume=p.sellable_qty,
                avg_price=float(p.avg_cost or 0),
            )
            for p in rows
            if not code or str(p.instrument_id) == code
        ]
