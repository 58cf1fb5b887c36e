"""What the risk checks may read about an account: a small read-only protocol.

The engine adapts its OMS/ledger to :class:`AccountView`; the risk layer never imports the
OMS. :class:`ashare_exec.risk.memory.InMemoryAccount` is a plain implementation for tests,
property tests and the benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from ashare_exec.model import InstrumentId, PriceType, Side

__all__ = ["FLAT", "AccountView", "PositionView", "WorkingOrderView"]


@dataclass(frozen=True, slots=True)
class PositionView:
    """One symbol's holding and the orders working on it (all in shares)."""

    total_qty: int = 0
    """Shares held now (including today's buys)."""
    sellable_qty: int = 0
    """Shares that may be sold today under T+1, *before* deducting working sells."""
    working_sell_qty: int = 0
    """Leaves quantity of our working sells (already committed)."""
    working_buy_qty: int = 0
    """Leaves quantity of our working buys."""
    bought_today: int = 0
    """Shares bought (filled) today; with working buys it feeds the ST daily buy cap."""
    avg_cost: Decimal | None = None
    """Average cost per share, for fallback stop-loss / take-profit."""

    @property
    def free_to_sell(self) -> int:
        """Sellable shares not yet committed to a working sell."""
        return max(0, self.sellable_qty - self.working_sell_qty)


FLAT = PositionView()
"""No holding and no working orders."""


@dataclass(frozen=True, slots=True)
class WorkingOrderView:
    """One of our working orders (open at the venue, or in flight to it)."""

    client_order_id: str
    instrument_id: InstrumentId
    side: Side
    price: Decimal | None
    leaves_qty: int
    price_type: PriceType = PriceType.LIMIT


class AccountView(Protocol):
    """Read-only account state for the risk checks. Amounts in CNY, quantities in shares."""

    def available_cash(self) -> Decimal:
        """Cash free for new buys; amounts frozen by working buys are already taken off."""
        ...

    def frozen_cash(self) -> Decimal:
        """Cash frozen by working buys (notional + fees)."""
        ...

    def position(self, instrument_id: InstrumentId) -> PositionView | None:
        """The holding of one symbol, or ``None`` when flat with no working orders."""
        ...

    def working_orders(
        self, instrument_id: InstrumentId | None = None, side: Side | None = None
    ) -> Sequence[WorkingOrderView]:
        """Working orders: all, of one symbol, or of one symbol and side."""
        ...

    def open_order_count(self) -> int:
        """How many orders are working."""
        ...

    def market_value(self) -> Decimal:
        """Market value of all long positions."""
        ...

    def equity(self) -> Decimal:
        """Total assets: cash (free + frozen) + market value."""
        ...

    def pnl_today(self) -> Decimal:
        """Realised + unrealised profit and loss since the start of the day (loss < 0)."""
        ...
