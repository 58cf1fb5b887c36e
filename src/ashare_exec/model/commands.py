"""Commands: imperative instructions sent to the engine."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ashare_exec.model.enums import PriceType, Side, TimeInForce
from ashare_exec.model.identifiers import AccountId, ClientOrderId, InstrumentId, StrategyId


@dataclass(frozen=True, slots=True)
class SubmitOrder:
    """Submit one new order.

    ``price`` is required for limit orders; ``protection_price`` is the STAR/BSE market-order
    protection limit. ``qty`` is in shares (units, bonds).
    """

    account_id: AccountId
    instrument_id: InstrumentId
    side: Side
    qty: int
    price_type: PriceType = PriceType.LIMIT
    price: Decimal | None = None
    protection_price: Decimal | None = None
    time_in_force: TimeInForce = TimeInForce.DAY
    client_order_id: ClientOrderId | None = None
    strategy_id: StrategyId | None = None

    def content_key(self) -> tuple[object, ...]:
        """What must match for a resubmission with the same client id to be idempotent."""
        return (
            self.account_id,
            self.instrument_id,
            self.side,
            self.qty,
            self.price_type,
            self.price,
            self.protection_price,
            self.time_in_force,
        )


@dataclass(frozen=True, slots=True)
class CancelOrder:
    """Cancel one order by client order id."""

    account_id: AccountId
    client_order_id: ClientOrderId


@dataclass(frozen=True, slots=True)
class CancelAllOrders:
    """Cancel every working order of an account, optionally filtered."""

    account_id: AccountId
    instrument_id: InstrumentId | None = None
    side: Side | None = None
    strategy_id: StrategyId | None = None
