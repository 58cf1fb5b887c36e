"""The harness of the conformance suite: the driver protocol and the report collector.

See :mod:`ashare_exec.venues.conformance` for the scenarios.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    OrderFilled,
    OrderSpec,
)
from ashare_exec.venues.base import VenueAdapter, VenueReport

__all__ = ["Harness", "VenueDriver"]


class VenueDriver(Protocol):
    """How the suite drives one kind of venue."""

    account_id: AccountId
    instrument_id: InstrumentId
    """A liquid instrument the account holds at least 1,000 sellable shares of."""

    async def start(self) -> VenueAdapter:
        """A fresh venue in continuous trading (not yet connected)."""
        ...

    async def restart(self, old: VenueAdapter) -> VenueAdapter:
        """Kill ``old`` and build a new adapter over the venue's durable state."""
        ...

    def marketable_buy(self, coid: ClientOrderId) -> OrderSpec:
        """A buy that fills completely on arrival."""
        ...

    def sweeping_buy(self, coid: ClientOrderId) -> OrderSpec:
        """A limit buy that fills partly on arrival and rests with a remainder."""
        ...

    def passive_buy(self, coid: ClientOrderId) -> OrderSpec:
        """A limit buy that rests without filling."""
        ...

    def invalid_buy(self, coid: ClientOrderId) -> tuple[OrderSpec, str]:
        """A buy the exchange rules reject, with the expected reason code."""
        ...

    def unaffordable_buy(self, coid: ClientOrderId) -> OrderSpec:
        """A valid buy larger than the account's cash."""
        ...

    def oversell(self, coid: ClientOrderId) -> OrderSpec:
        """A valid sell larger than the sellable position."""
        ...

    async def advance(self, seconds: float) -> None:
        """Let ``seconds`` of market time pass."""
        ...

    async def settle(self) -> None:
        """Let every report in flight arrive."""
        ...

    def set_noisy_link(self, venue: VenueAdapter, on: bool) -> None:
        """Duplicate and reorder reports on ``venue``'s link."""
        ...

    def drop_next_submit(self, venue: VenueAdapter) -> None:
        """Lose the next submit silently (it never reaches the venue)."""
        ...

    def drop_link(self, venue: VenueAdapter) -> None:
        """Drop the link now; the adapter must reconnect on its own."""
        ...


class Harness:
    """Collects the reports of one adapter and offers the scenarios' assertions."""

    def __init__(self, driver: VenueDriver) -> None:
        self.driver = driver
        self.reports: list[VenueReport] = []
        self.venue: VenueAdapter | None = None

    async def open(self, venue: VenueAdapter | None = None) -> VenueAdapter:
        """Build (or take) the adapter, attach the sink, connect."""
        v = venue or await self.driver.start()
        v.set_report_sink(self.reports.append)
        await v.connect()
        self.venue = v
        return v

    @property
    def v(self) -> VenueAdapter:
        """The adapter under test."""
        assert self.venue is not None, "call open() first"
        return self.venue

    def of(self, coid: str) -> list[VenueReport]:
        """Order reports of one client order id, in arrival order."""
        return [r for r in self.reports if getattr(r, "client_order_id", None) == coid]

    def fills(self, coid: str) -> dict[str, OrderFilled]:
        """Fills of one order, de-duplicated by trade id (content must agree)."""
        out: dict[str, OrderFilled] = {}
        for r in self.of(coid):
            if isinstance(r, OrderFilled):
                seen = out.setdefault(r.trade_id, r)
                assert seen == r, f"trade {r.trade_id} reported twice with different content"
        return out

    async def wait_for(self, pred: Callable[[], bool], what: str, within: float = 2.0) -> None:
        """Wait until ``pred()`` holds."""
        loop = asyncio.get_running_loop()
        end = loop.time() + within
        while not pred():
            if loop.time() > end:
                raise AssertionError(f"timed out waiting for {what}; reports: {self.reports!r}")
            await asyncio.sleep(0.001)

    async def wait_terminal(self, coid: str) -> None:
        """Wait until the venue's view of ``coid`` is terminal and reported."""

        async def done() -> bool:
            rep = await self.v.query_order(self.driver.account_id, ClientOrderId(coid))
            return rep is not None and rep.status.is_terminal

        loop = asyncio.get_running_loop()
        end = loop.time() + 2.0
        while not await done():
            assert loop.time() < end, f"{coid} never became terminal"
            await asyncio.sleep(0.001)
        await self.driver.settle()

    async def check_consistent(self, coid: str) -> None:
        """Pushed fills agree with the venue's view of the order and its trades."""
        rep = await self.v.query_order(self.driver.account_id, ClientOrderId(coid))
        assert rep is not None, f"{coid} unknown to the venue"
        fills = self.fills(coid)
        assert sum(f.last_qty for f in fills.values()) == rep.filled_qty
        trades = {
            t.trade_id
            for t in await self.v.query_trades(self.driver.account_id)
            if t.client_order_id == coid
        }
        assert set(fills) == trades
