"""Conformance driver: the QMT adapter on the MiniQMT emulator (``venues.conformance``).

The market is the emulator's minimal book: a last price with a depth (shares one order can
take on arrival). ``restart`` builds a new adapter over the same id store, like a restarted
gateway process on the same trading day.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

from ashare_exec.clock import CST, SimClock
from ashare_exec.model import AccountId, ClientOrderId, InstrumentId, OrderSpec, PriceType, Side
from ashare_exec.testing.miniqmt.loader import install
from ashare_exec.testing.miniqmt.simcounter import SimCounter
from ashare_exec.testing.miniqmt.terminal import MiniQmt
from ashare_exec.venues.base import VenueAdapter
from ashare_exec.venues.qmt.adapter import QmtAdapter
from ashare_exec.venues.qmt.config import QmtConfig
from ashare_exec.venues.qmt.store import InMemoryIdStore
from ashare_exec.venues.sim.driver import SimDriver
from ashare_exec.venues.sim.factory import build_sim_venue

__all__ = ["QmtEmulatorDriver", "QmtSimDriver"]

LAST = Decimal("10.00")
DEPTH = 500


class QmtEmulatorDriver:
    """Drives a :class:`QmtAdapter` over a fresh :class:`MiniQmt`."""

    def __init__(self, *, symbol: str = "600000.SH", submit_timeout_s: float = 0.3) -> None:
        self.account_id = AccountId("conf")
        self.instrument_id = InstrumentId.parse(symbol)
        self.clock = SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
        self.terminal = MiniQmt()
        self.terminal.add_account(self.account_id, Decimal(2_000_000), {symbol: 10_000})
        self.terminal.set_price(symbol, LAST, depth=DEPTH)
        self.store = InMemoryIdStore()
        self.config = QmtConfig(
            userdata_path="C:/MiniQMT/userdata_mini",
            accounts=(self.account_id,),
            request_timeout_s=1.0,
            submit_timeout_s=submit_timeout_s,
            connect_timeout_s=3.0,
            heartbeat_interval_s=0.0,
            backoff_initial_s=0.02,
            backoff_max_s=0.1,
        )
        install(self.terminal)

    async def start(self) -> VenueAdapter:
        """A new adapter (not connected)."""
        return QmtAdapter(self.config, self.clock, store=self.store)

    async def restart(self, old: VenueAdapter) -> VenueAdapter:
        """Close ``old``; a new adapter over the same store (MiniQMT keeps running)."""
        await old.close()
        return await self.start()

    def _spec(self, coid: ClientOrderId, side: Side, qty: int, price: Decimal) -> OrderSpec:
        return OrderSpec(
            account_id=self.account_id,
            client_order_id=coid,
            instrument_id=self.instrument_id,
            side=side,
            qty=qty,
            price_type=PriceType.LIMIT,
            price=price,
        )

    def marketable_buy(self, coid: ClientOrderId) -> OrderSpec:
        """At the last price, within the depth: fills at once."""
        return self._spec(coid, Side.BUY, DEPTH // 100 * 100, LAST)

    def sweeping_buy(self, coid: ClientOrderId) -> OrderSpec:
        """More than the depth: partly filled, the rest rests."""
        return self._spec(coid, Side.BUY, DEPTH + 1000, LAST)

    def passive_buy(self, coid: ClientOrderId) -> OrderSpec:
        """Below the last price: rests."""
        return self._spec(coid, Side.BUY, 100, LAST - Decimal("0.05"))

    def invalid_buy(self, coid: ClientOrderId) -> tuple[OrderSpec, str]:
        """A price off the 0.01 tick (refused by the counter)."""
        return self._spec(coid, Side.BUY, 100, LAST - Decimal("0.005")), "PRICE_OFF_TICK"

    def unaffordable_buy(self, coid: ClientOrderId) -> OrderSpec:
        """Worth more than the account's cash."""
        return self._spec(coid, Side.BUY, 900_000, LAST - Decimal("0.05"))

    def oversell(self, coid: ClientOrderId) -> OrderSpec:
        """More than the 10,000 sellable shares."""
        return self._spec(coid, Side.SELL, 20_000, LAST)

    async def advance(self, seconds: float) -> None:
        """Let time pass (capped: the adapter's timers are short on the emulator)."""
        await asyncio.sleep(min(seconds, self.config.submit_timeout_s + 0.2))

    async def settle(self) -> None:
        """Let queued pushes arrive."""
        await asyncio.sleep(0.05)

    def set_noisy_link(self, venue: VenueAdapter, on: bool) -> None:
        """Duplicate and reorder every push burst."""
        self.terminal.behaviour.noisy_link = on

    def drop_next_submit(self, venue: VenueAdapter) -> None:
        """The next order request vanishes (no answer, no order)."""
        self.terminal.swallow_next_orders(1)

    def drop_link(self, venue: VenueAdapter) -> None:
        """MiniQMT drops every client; the adapter reconnects with a new session."""
        self.terminal.drop_connections()


class QmtSimDriver(QmtEmulatorDriver):
    """Like :class:`QmtEmulatorDriver`, but MiniQMT's counter is the built-in simulator.

    Orders match under the A-share rules of :mod:`ashare_exec.venues.sim` (limits, cage,
    lots, T+1, fees, continuous matching against its synthetic market); the order specs are
    the simulator driver's own (priced off the simulated book).
    """

    def __init__(self, *, seed: int = 7, submit_timeout_s: float = 0.3) -> None:
        super().__init__(submit_timeout_s=submit_timeout_s)
        self._sim = SimDriver(None, seed=seed)
        self._sim.venue = build_sim_venue(self._sim.config, self._sim.clock)
        self.clock = self._sim.clock
        self.account_id = self._sim.account_id
        self.instrument_id = self._sim.instrument_id
        self.terminal = MiniQmt(sim=SimCounter(self._sim.venue.exchange, self.clock))
        self.terminal.add_account(self.account_id, 0)
        install(self.terminal)

    def marketable_buy(self, coid: ClientOrderId) -> OrderSpec:
        """Buy at the simulated best ask, within its size."""
        with self.terminal.lock:
            return self._sim.marketable_buy(coid)

    def sweeping_buy(self, coid: ClientOrderId) -> OrderSpec:
        """Buy more than the best ask shows."""
        with self.terminal.lock:
            return self._sim.sweeping_buy(coid)

    def passive_buy(self, coid: ClientOrderId) -> OrderSpec:
        """Buy under the best bid."""
        with self.terminal.lock:
            return self._sim.passive_buy(coid)

    def invalid_buy(self, coid: ClientOrderId) -> tuple[OrderSpec, str]:
        """Off the tick (refused by the simulator's exchange rules)."""
        with self.terminal.lock:
            return self._sim.invalid_buy(coid)

    def unaffordable_buy(self, coid: ClientOrderId) -> OrderSpec:
        """More than the cash."""
        with self.terminal.lock:
            return self._sim.unaffordable_buy(coid)

    def oversell(self, coid: ClientOrderId) -> OrderSpec:
        """More than the sellable shares."""
        with self.terminal.lock:
            return self._sim.oversell(coid)

    async def advance(self, seconds: float) -> None:
        """Move the simulated market; fills and expiries are pushed through MiniQMT."""
        self.clock.advance(timedelta(seconds=seconds))
        self.terminal.tick()
        await asyncio.sleep(self.config.submit_timeout_s + 0.2)
