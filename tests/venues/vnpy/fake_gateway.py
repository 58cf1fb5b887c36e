"""A minimal vn.py ``BaseGateway`` for the generic hosting path (imported by the adapter).

It behaves like a typical vn.py stock gateway: ``send_order`` emits SUBMITTING and returns
``vt_orderid``; acknowledgements, fills and cancels are pushed later from another thread;
refusals are a log line followed by a REJECTED order (vn.py carries no error code); a
refused cancel is silent. Tests script it through the class attributes and methods below.
"""

from __future__ import annotations

import threading
from copy import copy
from typing import Any, ClassVar

from vnpy.event import EventEngine
from vnpy.trader.constant import Direction, Exchange, Status
from vnpy.trader.gateway import BaseGateway
from vnpy.trader.object import (
    AccountData,
    CancelRequest,
    OrderData,
    OrderRequest,
    PositionData,
    SubscribeRequest,
    TradeData,
)


class FakeStockGateway(BaseGateway):
    """A scripted stock gateway."""

    default_name = "FAKE"
    default_setting: ClassVar[dict[str, Any]] = {"账号": "", "密码": ""}
    exchanges: ClassVar[list[Exchange]] = [Exchange.SSE, Exchange.SZSE]

    def __init__(self, event_engine: EventEngine, gateway_name: str) -> None:
        super().__init__(event_engine, gateway_name)
        self.orders: dict[str, OrderData] = {}
        self.count = 0
        self.reject_next = ""
        self.silent_cancels = False
        self.trade_no = 0
        self.lock = threading.Lock()

    def _later(self, fn: Any, *args: Any) -> None:
        threading.Timer(0.01, fn, args).start()

    def connect(self, setting: dict[str, Any]) -> None:
        self.write_log(f"connected as {setting.get('账号')}")

    def close(self) -> None:
        pass

    def subscribe(self, req: SubscribeRequest) -> None:
        pass

    def send_order(self, req: OrderRequest) -> str:
        with self.lock:
            self.count += 1
            order = req.create_order_data(str(self.count), self.gateway_name)
            self.orders[order.orderid] = order
        self.on_order(copy(order))
        if self.reject_next:
            text, self.reject_next = self.reject_next, ""
            self._later(self._reject, order.orderid, text)
        else:
            self._later(self._status, order.orderid, Status.NOTTRADED)
        return order.vt_orderid

    def _reject(self, orderid: str, text: str) -> None:
        self.write_log(text)
        self._status(orderid, Status.REJECTED)

    def _status(self, orderid: str, status: Status) -> None:
        order = self.orders[orderid]
        order.status = status
        self.on_order(copy(order))

    def fill(self, orderid: str, volume: int) -> None:
        """Push one trade of ``volume`` at the order's price."""
        order = self.orders[orderid]
        self.trade_no += 1
        order.traded += volume
        self.on_trade(TradeData(
            symbol=order.symbol, exchange=order.exchange, orderid=orderid,
            tradeid=str(self.trade_no), direction=order.direction, price=order.price,
            volume=volume, gateway_name=self.gateway_name,
        ))  # fmt: skip
        self._status(
            orderid, Status.ALLTRADED if order.traded >= order.volume else Status.PARTTRADED
        )

    def cancel_order(self, req: CancelRequest) -> None:
        if not self.silent_cancels:
            self._later(self._status, req.orderid, Status.CANCELLED)

    def query_account(self) -> None:
        self._later(self.on_account, AccountData(
            accountid="A", balance=1_000_000.0, frozen=2_500.5, gateway_name=self.gateway_name
        ))  # fmt: skip

    def query_position(self) -> None:
        self._later(self.on_position, PositionData(
            symbol="600000", exchange=Exchange.SSE, direction=Direction.NET, volume=1_000,
            frozen=300, price=10.5, gateway_name=self.gateway_name,
        ))  # fmt: skip

    def query_history(self, req: Any) -> list[Any]:
        return []
