"""The emulated counter's books: accounts, orders, trades, with a minimal A-share matcher.

Prices and money are ``Decimal`` inside; they become ``float`` only in the native structs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ashare_exec.testing.miniqmt import structs as s

BUY = 23
SELL = 24
LIMIT_TYPES = frozenset({11, 5})
# Exchange -> price types the exchange accepts (xttrader.md; qmt-xtp.md §3.2).
VALID_PRICE_TYPES: dict[str, frozenset[int]] = {
    "SH": frozenset({11, 5, 42, 43, 44, 45}),
    "BJ": frozenset({11, 5, 42, 43, 44, 45}),
    "SZ": frozenset({11, 5, 44, 45, 46, 47, 48}),
}
IOC_TYPES = frozenset({42, 46, 47, 48})
OPEN_STATUSES = frozenset({48, 49, 50, 51, 52, 55})
ACCOUNT_TYPE_STOCK = 2


@dataclass(slots=True)
class EmuOrder:
    """One order at the emulated counter."""

    account_id: str
    order_id: int
    stock_code: str
    order_type: int
    volume: int
    price_type: int
    price: Decimal
    strategy_name: str
    remark: str
    order_time: int
    key: str = ""
    """Stable internal id (the simulator's client order id); survives renumbering."""
    order_sysid: str = ""
    traded_volume: int = 0
    traded_amount: Decimal = Decimal(0)
    status: int = 48
    status_msg: str = ""
    frozen: Decimal = Decimal(0)
    cancel_requested: bool = False

    def to_native(self) -> s.XtOrder:
        """Render as the native order struct."""
        avg = self.traded_amount / self.traded_volume if self.traded_volume else Decimal(0)
        return s.XtOrder(
            account_type=ACCOUNT_TYPE_STOCK,
            account_id=self.account_id,
            stock_code=self.stock_code,
            order_id=self.order_id,
            order_sysid=self.order_sysid,
            order_time=self.order_time,
            order_type=self.order_type,
            order_volume=self.volume,
            price_type=self.price_type,
            price=float(self.price),
            traded_volume=self.traded_volume,
            traded_price=float(avg),
            order_status=self.status,
            status_msg=self.status_msg,
            strategy_name=self.strategy_name,
            order_remark=self.remark,
            direction=48,
            offset_flag=self.order_type,
        )

    @property
    def leaves(self) -> int:
        """Quantity still working."""
        return self.volume - self.traded_volume


@dataclass(slots=True)
class EmuAccount:
    """Cash, positions and login status of one account."""

    account_id: str
    cash: Decimal
    positions: dict[str, list[int]] = field(default_factory=dict)
    """code -> [volume, can_use_volume]"""
    status: int = 0
    frozen: Decimal = Decimal(0)

    def asset(self) -> s.XtAsset:
        """Render as the native asset struct."""
        return s.XtAsset(
            account_type=ACCOUNT_TYPE_STOCK,
            account_id=self.account_id,
            cash=float(self.cash),
            frozen_cash=float(self.frozen),
            market_value=0.0,
            total_asset=float(self.cash + self.frozen),
            fetch_balance=float(self.cash),
        )

    def position_rows(self, code: str = "") -> list[s.XtPosition]:
        """Render positions (one code or all) as native structs."""
        return [
            s.XtPosition(
                account_type=ACCOUNT_TYPE_STOCK,
                account_id=self.account_id,
                stock_code=c,
                volume=vol,
                can_use_volume=use,
                yesterday_volume=use,
            )
            for c, (vol, use) in sorted(self.positions.items())
            if not code or c == code
        ]


def early_reject_reason(req: s.OrderStockReq) -> str | None:
    """Return why the terminal refuses the request before creating an order, if it does."""
    code: str = req.m_strStockCode
    parts = code.split(".")
    if len(parts) != 2 or len(parts[0]) != 6 or parts[1] not in VALID_PRICE_TYPES:
        return f"invalid stock code {code}"
    if req.m_nOrderType not in (BUY, SELL):
        return f"invalid order type {req.m_nOrderType}"
    if req.m_nPriceType not in VALID_PRICE_TYPES[parts[1]]:
        return f"price type {req.m_nPriceType} not supported on {parts[1]}"
    if req.m_nOrderVolume <= 0:
        return "order volume must be positive"
    if req.m_nPriceType in LIMIT_TYPES and req.m_dPrice <= 0:
        return "limit price must be positive"
    return None


def lot_or_tick_problem(order: EmuOrder) -> str | None:
    """Return the counter's complaint about lots or ticks, if any."""
    star = order.stock_code.startswith(("688", "689"))
    vol = order.volume
    if order.order_type == BUY and (vol < 200 if star else vol % 100 != 0):
        return "委托数量必须是100的整数倍 buy volume is not a valid lot"
    if order.price_type in LIMIT_TYPES and order.price % Decimal("0.01") != 0:
        return "委托价格不符合最小价格变动单位 price off tick"
    return None


def fill_price(order: EmuOrder, last: Decimal | None) -> Decimal | None:
    """Return the price at which ``order`` trades now against ``last``, if it is marketable."""
    if last is None:
        return None
    if order.price_type in LIMIT_TYPES:
        crosses = last <= order.price if order.order_type == BUY else last >= order.price
        return last if crosses else None
    if order.price > 0:  # protection price of a market order
        crosses = last <= order.price if order.order_type == BUY else last >= order.price
        return last if crosses else None
    return last
