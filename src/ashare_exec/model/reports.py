"""Reports from a venue that are not order events: snapshots, balances, connectivity.

Used for queries and reconciliation (the broker is the source of truth).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ashare_exec.model.enums import AccountStatus, OrderStatus, PriceType, Side
from ashare_exec.model.identifiers import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    ExchangeOrderId,
    InstrumentId,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderStatusReport:
    """The venue's view of one order at ``ts_event``.

    ``client_order_id`` is ``None`` when the venue does not carry ours (an external order).
    """

    account_id: AccountId
    client_order_id: ClientOrderId | None
    broker_order_id: BrokerOrderId | None
    exchange_order_id: ExchangeOrderId | None
    instrument_id: InstrumentId
    side: Side
    price_type: PriceType
    price: Decimal | None
    qty: int
    filled_qty: int
    avg_px: Decimal | None
    status: OrderStatus
    ts_event: datetime
    message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionReport:
    """The venue's position in one instrument."""

    account_id: AccountId
    instrument_id: InstrumentId
    total_qty: int
    sellable_qty: int
    avg_cost: Decimal | None = None
    ts_event: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CashReport:
    """The venue's cash balances for an account."""

    account_id: AccountId
    available: Decimal
    frozen: Decimal
    total_asset: Decimal | None = None
    market_value: Decimal | None = None
    ts_event: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueConnected:
    """The venue link is up (after a connect or reconnect)."""

    venue: str
    ts_event: datetime
    session: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueDisconnected:
    """The venue link went down; the adapter reconnects with backoff on its own."""

    venue: str
    ts_event: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountStatusChanged:
    """The broker changed an account's status (login lost, restored, ...)."""

    account_id: AccountId
    status: AccountStatus
    ts_event: datetime
    message: str = ""
