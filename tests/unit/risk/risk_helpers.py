"""Shared fixtures for the risk tests: an instrument, a quote, an account, an engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ashare_exec.clock import CST
from ashare_exec.model import (
    AccountId,
    Board,
    Instrument,
    InstrumentId,
    PriceType,
    ProductType,
    Quote,
    Side,
    SubmitOrder,
)
from ashare_exec.risk import (
    FLAT,
    CheckContext,
    PositionView,
    RiskConfig,
    RiskEngine,
    WorkingOrderView,
)

IID = InstrumentId.parse("600000.SH")
ACC = "acc1"
T0 = datetime(2026, 11, 25, 10, 0, 0, tzinfo=CST)  # a Wednesday, continuous trading


def inst(**kw: object) -> Instrument:
    base: dict[str, object] = {
        "instrument_id": IID,
        "name": "PF Bank",
        "board": Board.MAIN,
        "product": ProductType.STOCK,
        "prev_close": Decimal("10.00"),
    }
    base.update(kw)
    return Instrument(**base)  # type: ignore[arg-type]


def quote(last: str = "10.00", bid: str = "9.99", ask: str = "10.01") -> Quote:
    return Quote(
        instrument_id=IID,
        last=Decimal(last),
        bid_prices=(Decimal(bid),),
        bid_sizes=(1000,),
        ask_prices=(Decimal(ask),),
        ask_sizes=(1000,),
    )


def order(
    side: Side = Side.BUY,
    qty: int = 100,
    price: str | None = "10.00",
    price_type: PriceType = PriceType.LIMIT,
    account: str = ACC,
) -> SubmitOrder:
    return SubmitOrder(
        account_id=AccountId(account),
        instrument_id=IID,
        side=side,
        qty=qty,
        price=None if price is None else Decimal(price),
        price_type=price_type,
    )


def engine(**limits: object) -> RiskEngine:
    return RiskEngine(RiskConfig.from_dict(limits))


@dataclass
class StubView:
    """A fixed AccountView for pure check tests."""

    cash: Decimal = Decimal(1_000_000)
    frozen: Decimal = Decimal(0)
    pos: PositionView | None = None
    orders: list[WorkingOrderView] = field(default_factory=list)
    mv: Decimal = Decimal(0)
    eq: Decimal = Decimal(1_000_000)
    pnl: Decimal = Decimal(0)

    def available_cash(self) -> Decimal:
        return self.cash

    def frozen_cash(self) -> Decimal:
        return self.frozen

    def position(self, instrument_id: InstrumentId) -> PositionView | None:
        return self.pos

    def working_orders(
        self, instrument_id: InstrumentId | None = None, side: Side | None = None
    ) -> list[WorkingOrderView]:
        return [
            o
            for o in self.orders
            if instrument_id in (None, o.instrument_id) and side in (None, o.side)
        ]

    def open_order_count(self) -> int:
        return len(self.orders)

    def market_value(self) -> Decimal:
        return self.mv

    def equity(self) -> Decimal:
        return self.eq

    def pnl_today(self) -> Decimal:
        return self.pnl


def ctx(
    cmd: SubmitOrder | None = None,
    *,
    limits: dict[str, object] | None = None,
    **kw: object,
) -> CheckContext:
    """A CheckContext with sensible defaults; ``limits`` go through RiskConfig validation."""
    cmd = cmd or order()
    price = cmd.price if cmd.price is not None else Decimal("10.00")
    base: dict[str, object] = {
        "cmd": cmd,
        "instrument": inst(),
        "symbol": str(cmd.instrument_id),
        "quote": quote(),
        "view": StubView(),
        "now": T0,
        "now_ts": T0.timestamp(),
        "limits": RiskConfig.from_dict(limits or {}).defaults,
        "position": FLAT,
        "price": price,
        "notional": price * cmd.qty,
        "limit_up": Decimal("11.00"),
        "limit_down": Decimal("9.00"),
    }
    base.update(kw)
    return CheckContext(**base)  # type: ignore[arg-type]


def wo(side: Side, price: str | None, qty: int = 100, cid: str = "w1") -> WorkingOrderView:
    return WorkingOrderView(cid, IID, side, None if price is None else Decimal(price), qty)
