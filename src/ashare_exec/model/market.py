"""Market data snapshots (a quote with up to five levels per side)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ashare_exec.model.identifiers import InstrumentId


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    """A level-1/level-5 snapshot. Levels are best first; sizes are in shares.

    ``volume`` is the cumulative traded volume of the day, when known.
    """

    instrument_id: InstrumentId
    ts_event: datetime | None = None
    last: Decimal | None = None
    bid_prices: tuple[Decimal, ...] = ()
    bid_sizes: tuple[int, ...] = ()
    ask_prices: tuple[Decimal, ...] = ()
    ask_sizes: tuple[int, ...] = ()
    volume: int = 0

    @property
    def best_bid(self) -> Decimal | None:
        """Best bid price, if any."""
        return self.bid_prices[0] if self.bid_prices else None

    @property
    def best_ask(self) -> Decimal | None:
        """Best ask price, if any."""
        return self.ask_prices[0] if self.ask_prices else None
