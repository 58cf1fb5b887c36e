"""The venue soak on XTP: the service through the vn.py adapter and the real vnpy_xtp gateway.

The XTP server emulator (``ashare_exec.venues.vnpy.emulator``, its counter the simulator)
stands in for the broker's trading server; vn.py's ``XtpGateway`` and ``EventEngine`` and
our adapter are the real code. Each seed sets how the server's pushes travel (doubled and
shuffled, delayed) and adds its faults to the common steps of
:class:`~tests.reliability.venue_soak.VenueSoak`: an order that gets an id and never
reaches the server, an order refused at insert, cancels held, sessions cut, logins refused
for a while.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import ashare_exec.venues.vnpy.factory as vnpy_factory
from ashare_exec.engine.node import build_service
from ashare_exec.engine.service import ExecutionService
from ashare_exec.model import ClientOrderId, OrderStatus
from ashare_exec.venues.sim.exchange import SimExchange
from ashare_exec.venues.vnpy.emulator import XtpServer
from ashare_exec.venues.vnpy.store import KeyValueVnpyIdStore
from tests.reliability.venue_days import VenueDayRolls
from tests.reliability.venue_soak import (
    COMMON_ACTIONS,
    VenueOrder,
    VenueOrders,
    VenueSoak,
)

__all__ = ["XtpSoak", "run_xtp_seed"]

VNPY: dict[str, Any] = {
    "emulator": True,
    "submit_timeout_s": 0.3,
    "query_timeout_s": 1.0,
    "connect_timeout_s": 3.0,
    "backoff_initial_s": 0.02,
    "backoff_max_s": 0.1,
    "event_interval_s": 0.2,
}


class XtpSoak(VenueDayRolls, VenueSoak):
    """One seeded run on the vn.py adapter, vnpy_xtp and the XTP server emulator, across
    trading days (``venue_days``)."""

    venue_word = "server"

    name = "vnpy"
    actions = (
        *COMMON_ACTIONS,
        ("swallow", 2),
        ("refuse", 3),
        ("hold_cancels", 3),
        ("drop_link", 3),
        ("refuse_login", 2),
    )

    def __init__(self, seed: int, folder: Path, steps: int = 30) -> None:
        super().__init__(seed, folder, steps)
        self.noisy = self.rng.random() < 0.3
        self.jitter_s = self.rng.choice((0.0, 0.0, 0.002, 0.01))
        self.servers: list[XtpServer] = []
        self.days = random.Random(f"{seed}:days")
        self.note(f"noisy {self.noisy}, jitter {self.jitter_s} s")

    def venue_table(self) -> dict[str, Any]:
        return dict(VNPY)

    @contextmanager
    def _same_servers(self) -> Iterator[None]:
        """The first build starts the servers; later ones (gateway restarts) log in to
        them again, as a restarted gateway does to the broker's server."""
        original = vnpy_factory._emulators

        def emulators(*args: Any) -> list[Any]:
            if not self.servers:
                self.servers = original(*args)
                self.servers[0]._ticker_stop.set()  # the run moves the market itself
                for server in self.servers:
                    server.noisy, server.jitter_s = self.noisy, self.jitter_s
                    server.rng.seed(self.seed)
            return self.servers

        vnpy_factory._emulators = emulators  # type: ignore[assignment]
        try:
            yield
        finally:
            vnpy_factory._emulators = original  # type: ignore[assignment]

    def build(self) -> ExecutionService:
        with self._same_servers():
            return build_service(self.config(), self.clock)

    def server(self) -> XtpServer:
        """The server of the account a fault hits (mostly the first's)."""
        return self.servers[1] if self.rng.random() < 0.25 else self.servers[0]

    def venue(self) -> VenueOrders:
        """The simulator behind the servers, their orders under our ids: XTP carries no
        text of ours, so the surrogate ``order_client_id`` is mapped back through the id
        store the adapter persisted before sending."""
        first = self.servers[0]
        with first.lock:
            out = VenueOrders(first.exchange.accounts)
            for server in self.servers:
                acc = server.account
                login = self.svc.core.accounts[acc].venue.logins[acc]
                ours = {ids.surrogate: ids.client_order_id for ids in login.store.load(acc)}
                held = set(server.held_cancels)
                for xtp_id, row in server.orders.items():
                    coid = ours.get(row["order_client_id"], f"?{xtp_id}")
                    out.held[coid] += 1
                    o = first.exchange.orders.get((acc, ClientOrderId(f"x{xtp_id}")))
                    if o is not None:
                        cid = ClientOrderId(coid)
                        status = o.status
                        if xtp_id in held and not status.is_terminal:  # a cancel sits there
                            status = OrderStatus.PENDING_CANCEL
                        out.orders[(acc, cid)] = VenueOrder(acc, cid, status, o.filled_qty)
        return out

    def advance_market(self) -> None:
        self.servers[0].advance()

    async def before_step(self) -> None:
        await self.maybe_roll_day()

    def check_always(self) -> None:
        """Also: nothing failed on the server's callback thread (an error there is kept in
        ``XtpServer.errors``; the answer it was giving is lost, so a query times out)."""
        super().check_always()
        errors = [repr(e) for server in self.servers for e in server.errors]
        if errors:
            raise self.fail(f"the XTP emulator's callback thread failed: {errors[0]}")

    def day_exchange(self) -> SimExchange:
        return self.servers[0].exchange

    def reachable(self, on: bool) -> None:
        for server in self.servers:
            server.refuse_login = "" if on else "server unreachable"
            if not on:
                server.drop_connections()

    def orders_of_day(self, day: date) -> dict[tuple[str, str], tuple[OrderStatus, int]]:
        """Of every day the servers had, mapped back through that day's id store."""
        journal = self.svc.core.journal
        first = self.servers[0]
        out: dict[tuple[str, str], tuple[OrderStatus, int]] = {}
        with first.lock:
            for server in self.servers:
                acc = server.account
                store = KeyValueVnpyIdStore(journal.get_state, journal.set_state, day.isoformat())
                ours = {ids.surrogate: ids.client_order_id for ids in store.load(acc)}
                today = [(first.exchange.orders.get((acc, ClientOrderId(f"x{xtp_id}"))), row)
                         for xtp_id, row in server.orders.items()]  # fmt: skip
                for o, row in [*server.past_orders, *today]:
                    if o is None or o.day != day:
                        continue
                    coid = ours.get(row["order_client_id"], f"?{row['order_xtp_id']}")
                    status = o.status
                    if status is OrderStatus.EXPIRED and row["order_status"] in (3, 5):
                        status = OrderStatus.CANCELED  # XTP has no "expired" either
                    out[(str(acc), coid)] = (status, o.filled_qty)
        return out

    async def faults_off(self) -> None:
        for server in self.servers:
            server.refuse_login = ""
            await asyncio.to_thread(server.release_cancels)

    # ---- the server's faults --------------------------------------------------------------

    async def do_swallow(self) -> None:
        self.server().swallow += 1
        self.note("the next order gets an id and never reaches the server")

    async def do_refuse(self) -> None:
        self.server().fail_next_insert = "资金不足"
        self.note("the next order is refused at insert")

    async def do_hold_cancels(self) -> None:
        server = self.server()
        if server.hold_cancels:
            await asyncio.to_thread(server.release_cancels)
        else:
            server.hold_cancels = True
        self.note(f"hold cancels {server.hold_cancels} ({server.account})")

    async def do_drop_link(self) -> None:
        await asyncio.to_thread(self.server().drop_connections)
        self.note("sessions cut")

    async def do_refuse_login(self) -> None:
        """Sessions cut and logins refused for a moment (the server restarting)."""
        server = self.server()
        server.refuse_login = "server busy"
        await asyncio.to_thread(server.drop_connections)
        await self.settle(0.3)
        server.refuse_login = ""
        self.note(f"logins refused for 0.3 s ({server.account})")


async def run_xtp_seed(seed: int, folder: Path, steps: int = 30) -> list[str]:
    """Run one seed (raise ``DstFailure`` on a broken invariant); return the trace."""
    return await XtpSoak(seed, folder, steps).run()
