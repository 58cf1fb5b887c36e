"""A scripted venue for engine tests: the test decides what the 'broker' answers.

It follows the adapter contract (reports only via the sink, never synchronously inside
``submit``), keeps its own view of orders and fills for the queries, and records every
request it received, so tests can assert that nothing was sent twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ashare_exec.clock import Clock
from ashare_exec.errors import BrokerUnavailable
from ashare_exec.model import (
    AccountId,
    AccountStatus,
    BrokerOrderId,
    CashReport,
    ClientOrderId,
    Exchange,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderSpec,
    OrderStatus,
    OrderStatusReport,
    PositionReport,
    PriceType,
    TradeId,
    VenueConnected,
)
from ashare_exec.venues.base import ReportSink, VenueAdapter, VenueCapabilities, VenueReport


@dataclass
class _Order:
    spec: OrderSpec
    broker_id: BrokerOrderId
    status: OrderStatus = OrderStatus.NEW
    filled: int = 0
    fills: list[OrderFilled] = field(default_factory=list)


class ScriptedVenue(VenueAdapter):
    """A venue whose answers the test scripts.

    Args:
        auto_ack: push ``OrderAccepted`` after each submit.
        silent: accept the submit but never answer (a silent drop).
        submit_error: raise this from ``submit`` (the venue never keeps the order, unless
            ``keep_on_error``: a timeout the order got through all the same).
    """

    def __init__(self, clock: Clock, accounts: tuple[AccountId, ...] = (AccountId("acc"),)) -> None:
        self.name = "fake"
        self.capabilities = VenueCapabilities(
            "fake", frozenset(Exchange), frozenset(PriceType), accounts
        )
        self.clock = clock
        self.sink: ReportSink | None = None
        self.connected = False
        self.auto_ack = True
        self.silent = False
        self.ignore_cancels = False
        self.submit_error: Exception | None = None
        self.keep_on_error = False
        self.submits: list[OrderSpec] = []
        self.on_submit: Callable[[OrderSpec], None] | None = None
        self.cancels: list[ClientOrderId] = []
        self.orders: dict[ClientOrderId, _Order] = {}
        self.cash = Decimal("1000000")
        self.positions: list[PositionReport] = []
        self._seq = 0

    def set_report_sink(self, sink: ReportSink) -> None:
        self.sink = sink

    @property
    def is_connected(self) -> bool:
        return self.connected

    def push(self, report: VenueReport) -> None:
        """Deliver a report on the loop, later (as the contract demands)."""
        assert self.sink is not None
        asyncio.get_running_loop().call_soon(self.sink, report)

    async def connect(self) -> None:
        self.connected = True
        self.push(VenueConnected(venue=self.name, ts_event=self.clock.now()))

    async def close(self) -> None:
        self.connected = False

    async def submit(self, spec: OrderSpec) -> None:
        if not self.connected:
            raise BrokerUnavailable("fake venue down")
        self.submits.append(spec)
        if self.on_submit is not None:
            self.on_submit(spec)
        if self.submit_error is not None and not self.keep_on_error:
            raise self.submit_error
        self._seq += 1
        order = _Order(spec, BrokerOrderId(f"B{self._seq}"))
        self.orders[spec.client_order_id] = order
        if self.submit_error is not None:
            raise self.submit_error
        if self.silent:
            return
        if self.auto_ack:
            self.push(self.accepted(spec.client_order_id))

    def accepted(self, coid: ClientOrderId) -> OrderAccepted:
        o = self.orders[coid]
        return OrderAccepted(
            account_id=o.spec.account_id,
            client_order_id=coid,
            ts_event=self.clock.now(),
            broker_order_id=o.broker_id,
        )

    def fill(
        self, coid: ClientOrderId, qty: int, px: str, trade_id: str | None = None
    ) -> OrderFilled:
        """Record a fill at the venue and return the report (the test pushes it)."""
        o = self.orders[coid]
        o.filled += qty
        o.status = OrderStatus.FILLED if o.filled >= o.spec.qty else OrderStatus.PARTIALLY_FILLED
        self._seq += 1
        report = OrderFilled(
            account_id=o.spec.account_id,
            client_order_id=coid,
            ts_event=self.clock.now(),
            trade_id=TradeId(trade_id or f"T{self._seq}"),
            instrument_id=o.spec.instrument_id,
            side=o.spec.side,
            last_qty=qty,
            last_px=Decimal(px),
            fee=Decimal("5"),
            broker_order_id=o.broker_id,
        )
        o.fills.append(report)
        return report

    async def cancel(
        self,
        account_id: AccountId,
        client_order_id: ClientOrderId,
        broker_order_id: BrokerOrderId | None,
    ) -> None:
        self.cancels.append(client_order_id)
        if self.ignore_cancels:
            return
        o = self.orders.get(client_order_id)
        if o is None or o.status in (OrderStatus.FILLED, OrderStatus.CANCELED):
            return
        o.status = OrderStatus.CANCELED
        self.push(
            OrderCanceled(
                account_id=account_id, client_order_id=client_order_id, ts_event=self.clock.now()
            )
        )

    def _report(self, o: _Order) -> OrderStatusReport:
        return OrderStatusReport(
            account_id=o.spec.account_id,
            client_order_id=o.spec.client_order_id,
            broker_order_id=o.broker_id,
            exchange_order_id=None,
            instrument_id=o.spec.instrument_id,
            side=o.spec.side,
            price_type=o.spec.price_type,
            price=o.spec.price,
            qty=o.spec.qty,
            filled_qty=o.filled,
            avg_px=None,
            status=o.status,
            ts_event=self.clock.now(),
        )

    async def query_order(
        self, account_id: AccountId, client_order_id: ClientOrderId
    ) -> OrderStatusReport | None:
        o = self.orders.get(client_order_id)
        return None if o is None else self._report(o)

    async def query_orders(self, account_id: AccountId) -> list[OrderStatusReport]:
        return [self._report(o) for o in self.orders.values()]

    async def query_trades(self, account_id: AccountId) -> list[OrderFilled]:
        return [f for o in self.orders.values() for f in o.fills]

    async def query_positions(self, account_id: AccountId) -> list[PositionReport]:
        return [p for p in self.positions if p.account_id == account_id]

    async def query_cash(self, account_id: AccountId) -> CashReport:
        return CashReport(account_id=account_id, available=self.cash, frozen=Decimal(0))

    async def query_account_status(self, account_id: AccountId) -> AccountStatus:
        return AccountStatus.OK

    def now(self) -> datetime:
        return self.clock.now()
