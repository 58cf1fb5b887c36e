"""The simulator behind the venue adapter contract (:class:`~ashare_exec.venues.VenueAdapter`).

:class:`SimVenue` wraps a :class:`~ashare_exec.venues.sim.exchange.SimExchange` and a
:class:`~ashare_exec.clock.Clock`. Requests are stamped with ``clock.now()``; the venue
first moves its market to that instant. Reports go to the sink on the loop, never inside
the call that caused them (``loop.call_soon`` / ``call_later`` with the configured latency),
after the venue's state was committed. Faults from :class:`~.config.FaultConfig` apply.

Driving the market: ``await venue.advance_to(ts)`` (moves a :class:`SimClock` and the
market), ``await venue.sync()`` (to ``clock.now()``), or :meth:`SimVenue.start_ticker` for
a background task that follows a running clock.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from ashare_exec.clock import Clock, SimClock
from ashare_exec.errors import BrokerUnavailable
from ashare_exec.model import (
    AccountId,
    AccountStatus,
    BrokerOrderId,
    CashReport,
    ClientOrderId,
    Exchange,
    OrderFilled,
    OrderSpec,
    OrderStatusReport,
    PositionReport,
    PriceType,
    VenueConnected,
    VenueDisconnected,
)
from ashare_exec.venues.base import ReportSink, VenueAdapter, VenueCapabilities, VenueReport
from ashare_exec.venues.sim.config import LatencyKind
from ashare_exec.venues.sim.exchange import SimExchange
from ashare_exec.venues.sim.faults import LinkFaults

__all__ = ["SimVenue"]

SIM_PRICE_TYPES = frozenset(set(PriceType) - {PriceType.AFTER_HOURS_FIXED})


class SimVenue(VenueAdapter):
    """The built-in simulated exchange as a venue adapter."""

    def __init__(self, exchange: SimExchange, clock: Clock, *, name: str | None = None) -> None:
        self.exchange = exchange
        self.clock = clock
        self.name = name or exchange.config.venue_name
        self.capabilities = VenueCapabilities(
            name=self.name,
            exchanges=frozenset(Exchange),
            price_types=SIM_PRICE_TYPES,
            accounts=tuple(exchange.accounts),
        )
        self.faults = LinkFaults.seeded(exchange.config.faults, exchange.config.seed)
        self._sink: ReportSink | None = None
        self._connected = False
        self._closed = False
        self._epoch = 0
        self._last_at = 0.0
        self._ticker: asyncio.Task[None] | None = None
        self._reconnect: asyncio.TimerHandle | None = None
        self.unreachable = False
        """While set, ``connect()`` fails and the link does not come back (a venue down at
        start, as a broker terminal not running yet: tests and rehearsals)."""

    # ---- contract -----------------------------------------------------------------------
    def set_report_sink(self, sink: ReportSink) -> None:
        """Set the report receiver."""
        self._sink = sink

    async def connect(self) -> None:
        """Log in (instantly) and push ``VenueConnected``.

        Raises:
            BrokerUnavailable: the venue is :attr:`unreachable`.
        """
        if self.unreachable:
            raise BrokerUnavailable(f"{self.name}: the venue cannot be reached")
        self._closed = False
        self._up("connect")

    async def close(self) -> None:
        """Log out; stop the ticker and any pending reconnect."""
        self._closed = True
        self._connected = False
        self._epoch += 1
        if self._reconnect is not None:
            self._reconnect.cancel()
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None

    @property
    def is_connected(self) -> bool:
        """Whether the simulated link is up."""
        return self._connected

    async def submit(self, spec: OrderSpec) -> None:
        """Send an order (see :meth:`SimExchange.submit`)."""
        self._require()
        if self.faults.lose_submit():
            return
        self._emit(self.exchange.submit(spec, self.clock.now()))
        self._maybe_drop()

    async def cancel(
        self,
        account_id: AccountId,
        client_order_id: ClientOrderId,
        broker_order_id: BrokerOrderId | None,
    ) -> None:
        """Ask for a cancel (see :meth:`SimExchange.cancel`)."""
        self._require()
        self._emit(
            self.exchange.cancel(account_id, client_order_id, broker_order_id, self.clock.now())
        )
        self._maybe_drop()

    async def query_order(
        self, account_id: AccountId, client_order_id: ClientOrderId
    ) -> OrderStatusReport | None:
        """The venue's view of one order."""
        self._query_prep()
        return self.exchange.order_report(account_id, client_order_id)

    async def query_orders(self, account_id: AccountId) -> list[OrderStatusReport]:
        """Every order of today."""
        self._query_prep()
        return self.exchange.order_reports(account_id)

    async def query_trades(self, account_id: AccountId) -> list[OrderFilled]:
        """Every fill of today."""
        self._query_prep()
        return self.exchange.trade_reports(account_id)

    async def query_positions(self, account_id: AccountId) -> list[PositionReport]:
        """Every position."""
        self._query_prep()
        return self.exchange.position_reports(account_id, self.clock.now())

    async def query_cash(self, account_id: AccountId) -> CashReport:
        """Cash balances."""
        self._query_prep()
        return self.exchange.cash_report(account_id, self.clock.now())

    async def query_account_status(self, account_id: AccountId) -> AccountStatus:
        """Account status (``OK``)."""
        self._query_prep()
        return self.exchange.account_status(account_id)

    # ---- driving ------------------------------------------------------------------------
    async def advance_to(self, ts: datetime) -> None:
        """Move a :class:`SimClock` to ``ts`` (if it is one) and the market with it."""
        if isinstance(self.clock, SimClock) and ts > self.clock.now():
            self.clock.set(ts)
        self._emit(self.exchange.advance_to(ts))

    async def sync(self) -> None:
        """Move the market to ``clock.now()``."""
        self._emit(self.exchange.advance_to(self.clock.now()))

    def start_ticker(self, interval_s: float = 0.5) -> None:
        """Follow a running clock: sync every ``interval_s`` seconds of loop time."""
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.get_running_loop().create_task(
                self._tick(interval_s), name=f"{self.name}-ticker"
            )

    async def _tick(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            await self.sync()

    def disconnect(
        self, reason: str = "simulated link drop", *, auto_reconnect: bool = True
    ) -> None:
        """Drop the link: push ``VenueDisconnected``; reconnect later unless told not to."""
        if not self._connected:
            return
        self._connected = False
        self._epoch += 1
        self._deliver_now(
            VenueDisconnected(venue=self.name, ts_event=self.clock.now(), reason=reason)
        )
        if auto_reconnect and not self._closed:
            delay = self.exchange.config.faults.reconnect_after_ms / 1000
            loop = asyncio.get_running_loop()
            self._reconnect = loop.call_later(delay, self.reconnect)

    def reconnect(self) -> None:
        """Bring the link back (push ``VenueConnected``; replay the day if configured)."""
        if self._connected or self._closed or self.unreachable:
            return
        self._up("reconnect")
        if self.exchange.config.faults.replay_on_reconnect:
            for account_id in self.capabilities.accounts:
                self._emit(self.exchange.day_reports(account_id))

    # ---- internals ----------------------------------------------------------------------
    def _up(self, how: str) -> None:
        # The market kept moving while the link was down (the close, a night's day roll):
        # catch it up first, so what it reported meanwhile is lost, as on a real link.
        self.exchange.advance_to(self.clock.now())
        self._connected = True
        self._epoch += 1
        # connectivity events come from the adapter itself, not over the link: never lost
        self._deliver_now(VenueConnected(venue=self.name, ts_event=self.clock.now(), session=how))

    def _require(self) -> None:
        if not self._connected:
            raise BrokerUnavailable(f"{self.name}: not connected")

    def _query_prep(self) -> None:
        self._require()
        self._emit(self.exchange.advance_to(self.clock.now()))

    def _maybe_drop(self) -> None:
        if self.faults.drop_link():
            self.disconnect("simulated link drop (fault injection)")

    def _deliver_now(self, report: VenueReport) -> None:
        asyncio.get_running_loop().call_soon(self._deliver, report, None)

    def _emit(self, reports: list[VenueReport]) -> None:
        """Schedule delivery (state is already committed by the exchange)."""
        if not self._connected:
            return  # lost on a dead link; the engine reconciles by query
        loop = asyncio.get_running_loop()
        shaped = self.faults.shape(reports)
        instant = self.exchange.config.faults.latency is LatencyKind.NONE
        for r in shaped:
            if instant:
                loop.call_soon(self._deliver, r, self._epoch)
                continue
            # strictly increasing due times keep the link's order (timers with equal
            # due times are not FIFO)
            at = max(self._last_at + 1e-6, loop.time() + self.faults.latency_s())
            self._last_at = at
            loop.call_at(at, self._deliver, r, self._epoch)
        for r in self.faults.flush():
            at = max(self._last_at, loop.time()) + 0.005 + self.faults.latency_s()
            loop.call_at(at, self._deliver, r, self._epoch)

    def _deliver(self, report: VenueReport, epoch: int | None) -> None:
        if epoch is not None and epoch != self._epoch:
            return  # sent on a link that has since dropped
        if self._sink is not None:
            self._sink(report)
