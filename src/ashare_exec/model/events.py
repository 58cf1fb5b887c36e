"""Order events (past tense). ``Order.apply(event)`` is the only way an order changes.

Venue adapters produce :class:`OrderAccepted`, :class:`OrderRejected`, :class:`OrderFilled`,
:class:`OrderCanceled`, :class:`OrderExpired` and :class:`OrderCancelRejected`; the engine
produces the others (:class:`OrderSubmitted`, :class:`OrderDenied`,
:class:`OrderPendingCancel`, :class:`OrderUnknown`, :class:`OrderRestated`).
Each event names its :class:`~ashare_exec.model.enums.ExecType` (what happened), separate
from the order's resulting status.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from ashare_exec.model.enums import ExecType, OrderStatus, PriceType, Side, TimeInForce
from ashare_exec.model.identifiers import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    ExchangeOrderId,
    InstrumentId,
    StrategyId,
    TradeId,
)

NOT_SENT = "TRADING_HALTED"
"""The reason of an order rejected by the gateway because its journal write failed (the
order was not sent; ``engine/halts.py``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderSpec:
    """The normalised content of an order, fixed at creation."""

    account_id: AccountId
    client_order_id: ClientOrderId
    instrument_id: InstrumentId
    side: Side
    qty: int
    price_type: PriceType
    price: Decimal | None
    protection_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    strategy_id: StrategyId | None = None
    external: bool = False
    """Adopted from the venue (e.g. placed by hand in the broker client), not sent by us."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent:
    """Base of every order event."""

    exec_type: ClassVar[ExecType]
    account_id: AccountId
    client_order_id: ClientOrderId
    ts_event: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderSubmitted(OrderEvent):
    """The order passed risk and was journaled; it is about to leave for the venue."""

    exec_type: ClassVar[ExecType] = ExecType.PENDING_NEW
    spec: OrderSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderDenied(OrderEvent):
    """Our own checks refused the order; it was never sent."""

    exec_type: ClassVar[ExecType] = ExecType.DENIED
    spec: OrderSpec
    reasons: tuple[str, ...]
    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderAccepted(OrderEvent):
    """The venue acknowledged the order; it is working."""

    exec_type: ClassVar[ExecType] = ExecType.NEW
    broker_order_id: BrokerOrderId | None = None
    exchange_order_id: ExchangeOrderId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRejected(OrderEvent):
    """The broker or exchange rejected the order (or, with :data:`NOT_SENT`, the gateway
    did not send it: its journal write failed)."""

    exec_type: ClassVar[ExecType] = ExecType.REJECTED
    reason_code: str = "BROKER_REJECTED"
    message: str = ""
    broker_order_id: BrokerOrderId | None = None

    @property
    def unsent(self) -> bool:
        """The gateway's own rejection of an order it never sent, not the venue's."""
        return self.reason_code == NOT_SENT


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderFilled(OrderEvent):
    """One execution (fill). Applied once per ``trade_id``."""

    exec_type: ClassVar[ExecType] = ExecType.TRADE
    trade_id: TradeId
    instrument_id: InstrumentId
    side: Side
    last_qty: int
    last_px: Decimal
    fee: Decimal | None = None
    """Fees the venue charged for this fill, when it reports them."""
    broker_order_id: BrokerOrderId | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderPendingCancel(OrderEvent):
    """We asked the venue to cancel the order."""

    exec_type: ClassVar[ExecType] = ExecType.PENDING_CANCEL


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCanceled(OrderEvent):
    """The remainder was canceled (the order may carry fills)."""

    exec_type: ClassVar[ExecType] = ExecType.CANCELED
    reason_code: str | None = None
    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderCancelRejected(OrderEvent):
    """The venue refused a cancel (order already done, cancel window, ...)."""

    exec_type: ClassVar[ExecType] = ExecType.CANCEL_REJECTED
    reason_code: str = "BROKER_REJECTED"
    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderExpired(OrderEvent):
    """The order ended at the close without filling completely."""

    exec_type: ClassVar[ExecType] = ExecType.EXPIRED


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderUnknown(OrderEvent):
    """We sent the order but cannot tell its fate (no answer); a query must settle it."""

    exec_type: ClassVar[ExecType] = ExecType.RESTATED
    reason_code: str = "SUBMIT_TIMEOUT"
    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRestated(OrderEvent):
    """Reconciliation set the order's status from the venue's own view."""

    exec_type: ClassVar[ExecType] = ExecType.RESTATED
    status: OrderStatus
    broker_order_id: BrokerOrderId | None = None
    exchange_order_id: ExchangeOrderId | None = None
    message: str = ""
    extra: dict[str, str] = field(default_factory=dict)


ORDER_EVENT_TYPES: tuple[type[OrderEvent], ...] = (
    OrderSubmitted,
    OrderDenied,
    OrderAccepted,
    OrderRejected,
    OrderFilled,
    OrderPendingCancel,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderUnknown,
    OrderRestated,
)
