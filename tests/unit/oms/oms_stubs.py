"""Small factories for order events, shared by the model, oms and journal tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from ashare_exec.clock import CST
from ashare_exec.model import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    ExchangeOrderId,
    InstrumentId,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderExpired,
    OrderFilled,
    OrderPendingCancel,
    OrderRejected,
    OrderRestated,
    OrderSpec,
    OrderStatus,
    OrderSubmitted,
    OrderUnknown,
    PriceType,
    Side,
    StrategyId,
    TradeId,
)
from ashare_exec.model.order import VENUE_FILLED_QTY

ACC = AccountId("ACC1")
INST = InstrumentId.parse("600000.SH")
INST2 = InstrumentId.parse("000001.SZ")
T0 = datetime(2026, 11, 25, 9, 30, tzinfo=CST)


def ts(seconds: int = 0) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


def spec(
    coid: str = "C1",
    *,
    side: Side = Side.BUY,
    qty: int = 1000,
    price: str | None = "10.00",
    inst: InstrumentId = INST,
    account: str = ACC,
    strategy: str | None = None,
    external: bool = False,
) -> OrderSpec:
    """An order spec (limit order unless ``price`` is None)."""
    return OrderSpec(
        account_id=AccountId(account),
        client_order_id=ClientOrderId(coid),
        instrument_id=inst,
        side=side,
        qty=qty,
        price_type=PriceType.LIMIT if price is not None else PriceType.BEST5_IOC,
        price=Decimal(price) if price is not None else None,
        strategy_id=StrategyId(strategy) if strategy else None,
        external=external,
    )


def submitted(coid: str = "C1", at: int = 0, **kw: object) -> OrderSubmitted:
    """OrderSubmitted for ``spec(coid, **kw)``."""
    s = spec(coid, **kw)  # type: ignore[arg-type]
    return OrderSubmitted(
        account_id=s.account_id, client_order_id=s.client_order_id, ts_event=ts(at), spec=s
    )


def denied(coid: str = "C1", at: int = 0, **kw: object) -> OrderDenied:
    """OrderDenied for ``spec(coid, **kw)``."""
    s = spec(coid, **kw)  # type: ignore[arg-type]
    return OrderDenied(
        account_id=s.account_id,
        client_order_id=s.client_order_id,
        ts_event=ts(at),
        spec=s,
        reasons=("INSUFFICIENT_CASH",),
        message="no cash",
    )


def _base(coid: str, at: int, account: str = ACC) -> dict[str, object]:
    return {
        "account_id": AccountId(account),
        "client_order_id": ClientOrderId(coid),
        "ts_event": ts(at),
    }


def accepted(
    coid: str = "C1", at: int = 1, broker: str | None = "B1", exch: str | None = None
) -> OrderAccepted:
    """OrderAccepted with broker / exchange ids."""
    return OrderAccepted(
        **_base(coid, at),  # type: ignore[arg-type]
        broker_order_id=BrokerOrderId(broker) if broker else None,
        exchange_order_id=ExchangeOrderId(exch) if exch else None,
    )


def rejected(coid: str = "C1", at: int = 1) -> OrderRejected:
    """OrderRejected by the broker."""
    return OrderRejected(**_base(coid, at), reason_code="BROKER_REJECTED", message="junk")  # type: ignore[arg-type]


def filled(
    coid: str = "C1",
    trade: str = "T1",
    qty: int = 100,
    px: str = "10.00",
    *,
    at: int = 2,
    fee: str | None = None,
    side: Side = Side.BUY,
    inst: InstrumentId = INST,
    account: str = ACC,
) -> OrderFilled:
    """One fill."""
    return OrderFilled(
        **_base(coid, at, account),  # type: ignore[arg-type]
        trade_id=TradeId(trade),
        instrument_id=inst,
        side=side,
        last_qty=qty,
        last_px=Decimal(px),
        fee=Decimal(fee) if fee is not None else None,
    )


def pending_cancel(coid: str = "C1", at: int = 3) -> OrderPendingCancel:
    """We asked to cancel."""
    return OrderPendingCancel(**_base(coid, at))  # type: ignore[arg-type]


def canceled(coid: str = "C1", at: int = 4) -> OrderCanceled:
    """The venue canceled the remainder."""
    return OrderCanceled(**_base(coid, at))  # type: ignore[arg-type]


def cancel_rejected(coid: str = "C1", at: int = 4) -> OrderCancelRejected:
    """The venue refused the cancel."""
    return OrderCancelRejected(**_base(coid, at), message="too late")  # type: ignore[arg-type]


def expired(coid: str = "C1", at: int = 5) -> OrderExpired:
    """End of day."""
    return OrderExpired(**_base(coid, at))  # type: ignore[arg-type]


def unknown(coid: str = "C1", at: int = 5) -> OrderUnknown:
    """No answer in time."""
    return OrderUnknown(**_base(coid, at))  # type: ignore[arg-type]


def restated(
    coid: str = "C1",
    status: OrderStatus = OrderStatus.NEW,
    at: int = 6,
    venue_filled: int | None = None,
) -> OrderRestated:
    """Reconciliation restatement."""
    extra = {VENUE_FILLED_QTY: str(venue_filled)} if venue_filled is not None else {}
    return OrderRestated(**_base(coid, at), status=status, extra=extra)  # type: ignore[arg-type]
