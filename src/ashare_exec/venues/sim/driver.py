"""The conformance-suite driver for the simulator (also handy in engine tests).

It runs the venue on a manual :class:`~ashare_exec.clock.SimClock` during continuous
trading, with a durable state file so that :meth:`SimDriver.restart` rebuilds the venue
from disk like a restarted process.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ashare_exec.clock import CST, SimClock
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    OrderSpec,
    PriceType,
    Side,
)
from ashare_exec.venues.base import VenueAdapter
from ashare_exec.venues.sim.adapter import SimVenue
from ashare_exec.venues.sim.config import FaultConfig, SimAccountConfig, SimConfig
from ashare_exec.venues.sim.factory import build_sim_venue

__all__ = ["SimDriver"]

DEFAULT_START = datetime(2026, 11, 25, 10, 0, tzinfo=CST)


class SimDriver:
    """Drives a :class:`SimVenue` for :mod:`ashare_exec.venues.conformance`."""

    def __init__(
        self,
        state_path: Path | None,
        *,
        start: datetime = DEFAULT_START,
        seed: int = 7,
        symbol: str = "600000.SH",
        faults: FaultConfig | None = None,
    ) -> None:
        self.account_id = AccountId("conf")
        self.instrument_id = InstrumentId.parse(symbol)
        self.clock = SimClock(start)
        self.config = SimConfig(
            seed=seed,
            accounts=(SimAccountConfig(self.account_id, Decimal("2000000"), {symbol: 10_000}),),
            state_path=state_path,
            faults=faults or FaultConfig(),
        )
        self.venue: SimVenue | None = None

    async def start(self) -> VenueAdapter:
        """A new venue at the driver's clock."""
        self.venue = build_sim_venue(self.config, self.clock)
        return self.venue

    async def restart(self, old: VenueAdapter) -> VenueAdapter:
        """Close ``old`` and its store, then rebuild from the state file."""
        await old.close()
        if isinstance(old, SimVenue):
            old.exchange.store.close()
        return await self.start()

    def _sim(self) -> SimVenue:
        assert self.venue is not None
        return self.venue

    def _spec(self, coid: ClientOrderId, side: Side, qty: int, price: Decimal | None) -> OrderSpec:
        return OrderSpec(
            account_id=self.account_id,
            client_order_id=coid,
            instrument_id=self.instrument_id,
            side=side,
            qty=qty,
            price_type=PriceType.LIMIT,
            price=price,
        )

    def _quote_levels(self) -> tuple[Decimal, int, Decimal]:
        ex = self._sim().exchange
        ex.advance_to(self.clock.now())
        book = ex.book(self.instrument_id, self.clock.now())
        assert book.asks, "the sim book must show asks"
        assert book.bids, "the sim book must show bids"
        return book.asks[0].price, book.asks[0].size, book.bids[0].price

    def marketable_buy(self, coid: ClientOrderId) -> OrderSpec:
        """Buy at the best ask, at most its displayed size (fills at once)."""
        ask, size, _ = self._quote_levels()
        return self._spec(coid, Side.BUY, max(100, min(size, 1000) // 100 * 100), ask)

    def sweeping_buy(self, coid: ClientOrderId) -> OrderSpec:
        """Buy at the best ask more than it shows: partly filled, the rest rests."""
        ask, size, _ = self._quote_levels()
        return self._spec(coid, Side.BUY, size + 1000, ask)

    def passive_buy(self, coid: ClientOrderId) -> OrderSpec:
        """Buy five ticks under the best bid."""
        _, _, bid = self._quote_levels()
        return self._spec(coid, Side.BUY, 100, bid - Decimal("0.05"))

    def invalid_buy(self, coid: ClientOrderId) -> tuple[OrderSpec, str]:
        """A price off the 0.01 tick."""
        _, _, bid = self._quote_levels()
        return self._spec(coid, Side.BUY, 100, bid + Decimal("0.005")), "PRICE_OFF_TICK"

    def unaffordable_buy(self, coid: ClientOrderId) -> OrderSpec:
        """A valid buy worth more than the account's cash."""
        _, _, bid = self._quote_levels()
        return self._spec(coid, Side.BUY, 900_000, bid)

    def oversell(self, coid: ClientOrderId) -> OrderSpec:
        """Sell more than the 10,000 sellable shares."""
        ask, _, _ = self._quote_levels()
        return self._spec(coid, Side.SELL, 20_000, ask)

    async def advance(self, seconds: float) -> None:
        """Move the clock and the market."""
        await self._sim().advance_to(self.clock.now() + timedelta(seconds=seconds))

    async def settle(self) -> None:
        """Give scheduled deliveries time to run."""
        await asyncio.sleep(0.02)

    def set_noisy_link(self, venue: VenueAdapter, on: bool) -> None:
        """Duplicate and reorder a third of the reports."""
        assert isinstance(venue, SimVenue)
        rate = 0.34 if on else 0.0
        venue.faults.config = replace(venue.faults.config, duplicate_rate=rate, reorder_rate=rate)

    def drop_next_submit(self, venue: VenueAdapter) -> None:
        """Lose the next submit."""
        assert isinstance(venue, SimVenue)
        venue.faults.drop_next_submits += 1

    def drop_link(self, venue: VenueAdapter) -> None:
        """Drop the link; it comes back after ``reconnect_after_ms``."""
        assert isinstance(venue, SimVenue)
        venue.disconnect("conformance: link dropped")
