"""Positions and cash (value types) and the ledger events that are not order events.

Quantities are ``int`` shares, money is :class:`~decimal.Decimal`. ``avg_cost`` includes
buy fees (cost basis); ``realised_pnl`` is net of the sell fees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from ashare_exec.model.identifiers import AccountId, InstrumentId

__all__ = [
    "BROKER_SNAPSHOT",
    "POSITION_FIELDS",
    "T1_RELEASE",
    "Cash",
    "DayRolled",
    "LedgerCorrected",
    "LedgerEvent",
    "Position",
]

BROKER_SNAPSHOT = "BROKER_SNAPSHOT"
"""A correction's reason: the broker's figure differed from ours."""
T1_RELEASE = "T1_RELEASE"
"""A correction's reason: after the close the broker made the day's buys sellable before our
next day started (its night switch came first). Expected, never flagged."""

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Position:
    """Holdings of one instrument in one account.

    ``sellable`` excludes shares bought today (T+1, unless the instrument is T+0) and
    shares frozen by working sell orders.
    """

    account_id: AccountId
    instrument_id: InstrumentId
    total: int = 0
    sellable: int = 0
    frozen: int = 0
    """Shares held back by working sell orders."""
    bought_today: int = 0
    avg_cost: Decimal = _ZERO
    realised_pnl: Decimal = _ZERO
    fees: Decimal = _ZERO

    @property
    def is_flat(self) -> bool:
        """No shares and nothing pending."""
        return self.total == 0 and self.frozen == 0 and self.bought_today == 0


@dataclass(frozen=True, slots=True)
class Cash:
    """Cash of one account: ``available`` excludes ``frozen`` (working buys + fees)."""

    account_id: AccountId
    available: Decimal = _ZERO
    frozen: Decimal = _ZERO
    fees_paid: Decimal = _ZERO

    @property
    def total(self) -> Decimal:
        """Available plus frozen."""
        return self.available + self.frozen


POSITION_FIELDS = frozenset({"total", "sellable", "frozen", "bought_today", "avg_cost"})
"""Position fields a :class:`LedgerCorrected` may set (cash: ``available``, ``frozen``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEvent:
    """Base of ledger events that are not about one order."""

    kind: ClassVar[str] = "LEDGER"
    account_id: AccountId
    ts_event: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerCorrected(LedgerEvent):
    """A figure was set to the broker's value (the broker is the source of truth).

    ``instrument_id`` is ``None`` for a cash field.
    """

    kind: ClassVar[str] = "CORRECTION"
    instrument_id: InstrumentId | None
    field: str
    before: Decimal
    after: Decimal
    exceeds_tolerance: bool = False
    reason: str = BROKER_SNAPSHOT

    @property
    def delta(self) -> Decimal:
        """``after - before``."""
        return self.after - self.before


@dataclass(frozen=True, slots=True, kw_only=True)
class DayRolled(LedgerEvent):
    """A new trading day started: shares bought before ``day`` become sellable."""

    kind: ClassVar[str] = "DAY_ROLL"
    day: date
