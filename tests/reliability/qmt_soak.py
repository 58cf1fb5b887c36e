"""The venue soak on QMT: the service through the QMT adapter and xtquant's real client.

The MiniQMT emulator (``ashare_exec.testing.miniqmt``, its counter the simulator) stands in
for the terminal. Each seed turns some of its behaviours on (:data:`KNOBS`) and adds its
faults to the common steps of :class:`~tests.reliability.venue_soak.VenueSoak`: orders
that vanish, answers lost, orders refused before they exist, a hung terminal, pushes lost,
cancels held, connections dropped, the terminal restarted (order ids renumbered), the
counter's pushes replayed.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from ashare_exec.engine.node import build_service
from ashare_exec.engine.service import ExecutionService
from ashare_exec.model import ClientOrderId, OrderStatus
from ashare_exec.testing.miniqmt import MiniQmt, embedded, install
from ashare_exec.venues.qmt.parsing import decode_remark
from ashare_exec.venues.sim.exchange import SimExchange
from tests.reliability.crash_qmt import as_the_terminal_reports
from tests.reliability.venue_days import VenueDayRolls
from tests.reliability.venue_soak import (
    ACC,
    ACCOUNTS,
    COMMON_ACTIONS,
    VenueOrder,
    VenueOrders,
    VenueSoak,
)

__all__ = ["ACC", "QmtSoak", "run_qmt_seed"]

QMT: dict[str, Any] = {
    "emulator": True,
    "request_timeout_s": 1.0,
    "submit_timeout_s": 0.3,
    "connect_timeout_s": 3.0,
    "heartbeat_interval_s": 0,
    "backoff_initial_s": 0.05,
    "backoff_max_s": 0.2,
}
KNOBS = (
    "push_before_response",
    "push_unreported",
    "push_wait_reporting",
    "trade_before_order_push",
    "cancel_echoes_sysid",
    "order_ids_survive_restart",
    "noisy_link",
)
"""Terminal behaviours each seed turns on or off (``MiniQmtBehaviour``)."""


class QmtSoak(VenueDayRolls, VenueSoak):
    """One seeded run on the QMT adapter and the MiniQMT emulator, across trading days
    (``venue_days``)."""

    venue_word = "terminal"

    name = "qmt"
    actions = (
        *COMMON_ACTIONS,
        ("swallow", 2),
        ("lose_answer", 3),
        ("refuse", 3),
        ("hold_cancels", 3),
        ("mute", 2),
        ("hang", 2),
        ("drop_link", 3),
        ("terminal_restart", 2),
        ("counter_replay", 2),
        ("terminal_down", 2),
        ("account_down", 2),
    )

    def __init__(self, seed: int, folder: Path, steps: int = 30) -> None:
        super().__init__(seed, folder, steps)
        self.knobs = {k: self.rng.random() < 0.3 for k in KNOBS}
        # Knobs added later draw from streams of their own: older seeds keep their schedules.
        self.knobs["restart_reuses_ids"] = random.Random(f"{seed}:reuse-ids").random() < 0.3
        self.knobs["close_leaves_orders_open"] = random.Random(f"{seed}:close").random() < 0.3
        self.days = random.Random(f"{seed}:days")
        self.heartbeat_s = self.rng.choice((0.0, 0.2))
        """Half the seeds poll the account status (a hung terminal is then declared dead)."""
        self.terminal: MiniQmt | None = None
        on = sorted(k for k, on in self.knobs.items() if on)
        self.note(f"knobs {on}, heartbeat {self.heartbeat_s} s")

    @property
    def term(self) -> MiniQmt:
        assert self.terminal is not None
        return self.terminal

    def venue_table(self) -> dict[str, Any]:
        return dict(QMT, heartbeat_interval_s=self.heartbeat_s)

    @contextmanager
    def _same_terminal(self) -> Iterator[None]:
        """The first build starts the emulated terminal; later ones (gateway restarts)
        connect to it again, as a restarted gateway does to the QMT it left running."""
        original = embedded.start_embedded_miniqmt

        def start(config: Any, clock: Any, accounts: Any, instruments: Any = None) -> MiniQmt:
            if self.terminal is None:
                self.terminal = original(config, clock, accounts, instruments, tick_s=0)
                for knob, on in self.knobs.items():
                    setattr(self.terminal.behaviour, knob, on)
            install(self.terminal)
            return self.terminal

        embedded.start_embedded_miniqmt = start  # type: ignore[assignment]
        try:
            yield
        finally:
            embedded.start_embedded_miniqmt = original  # type: ignore[assignment]

    def build(self) -> ExecutionService:
        with self._same_terminal():
            return build_service(self.config(), self.clock)

    def venue(self) -> VenueOrders:
        """The simulator behind the terminal, its orders under our ids (the remark)."""
        terminal = self.term
        sim = terminal.sim
        assert sim is not None
        with terminal.lock:
            out = VenueOrders(sim.exchange.accounts)
            for acc in ACCOUNTS:
                for emu in terminal.orders.get(str(acc), []):
                    coid = decode_remark(emu.remark) or emu.remark
                    out.held[coid] += 1
                    o = sim.exchange.orders.get((acc, ClientOrderId(emu.key)))
                    if o is not None:
                        cid = ClientOrderId(coid)
                        status = o.status
                        if emu.cancel_requested and not status.is_terminal:  # a held cancel
                            status = OrderStatus.PENDING_CANCEL
                        out.orders[(acc, cid)] = VenueOrder(acc, cid, status, o.filled_qty)
        return out

    def advance_market(self) -> None:
        self.term.tick()

    async def before_step(self) -> None:
        await self.maybe_roll_day()

    def day_exchange(self) -> SimExchange:
        assert self.term.sim is not None
        return self.term.sim.exchange

    def reachable(self, on: bool) -> None:
        self.term.set_online(on)

    def orders_of_day(self, day: date) -> dict[tuple[str, str], tuple[OrderStatus, int]]:
        """Of every day the terminal had (its current list and ``past_orders``)."""
        sim = self.term.sim
        assert sim is not None
        out: dict[tuple[str, str], tuple[OrderStatus, int]] = {}
        with self.term.lock:
            by_key = {o.key: o for orders in self.term.orders.values() for o in orders}
            today = [(o, by_key.get(str(key))) for (_, key), o in sim.exchange.orders.items()]
            for o, emu in [*self.term.past_orders, *today]:
                if o.day == day and emu is not None:
                    coid = decode_remark(emu.remark) or emu.remark
                    status = as_the_terminal_reports(o.status, emu.status)
                    out[(str(o.account_id), coid)] = (status, o.filled_qty)
        return out

    async def faults_off(self) -> None:
        behaviour = self.term.behaviour
        behaviour.hold_cancels = behaviour.mute_pushes = False
        await asyncio.to_thread(self.term.release_cancels)
        await asyncio.to_thread(self.term.set_online, True)

    # ---- the terminal's faults ------------------------------------------------------------

    async def do_swallow(self) -> None:
        self.term.swallow_next_orders(1)
        self.note("the next order vanishes at the terminal")

    async def do_lose_answer(self) -> None:
        self.term.drop_next_order_responses(1)
        self.note("the next order's answer is lost")

    async def do_refuse(self) -> None:
        self.term.reject_next_orders(1, "资金不足")
        self.note("the next order is refused before it exists")

    async def do_hold_cancels(self) -> None:
        behaviour = self.term.behaviour
        behaviour.hold_cancels = not behaviour.hold_cancels
        if not behaviour.hold_cancels:
            await asyncio.to_thread(self.term.release_cancels)
        self.note(f"hold cancels {behaviour.hold_cancels}")

    async def do_mute(self) -> None:
        """Every push and answer is lost for a moment (as before a link drops)."""
        self.term.behaviour.mute_pushes = True
        await self.do_submit()
        await self.settle(0.1)
        self.term.behaviour.mute_pushes = False
        self.note("pushes muted for one submit")

    async def do_hang(self) -> None:
        """The terminal hangs (every request swallowed, the connection up) around a submit."""
        self.term.behaviour.unresponsive = True
        try:
            await self.do_submit()
        finally:
            self.term.behaviour.unresponsive = False
        self.note("the terminal hung during one submit")

    async def do_drop_link(self) -> None:
        await asyncio.to_thread(self.term.drop_connections)
        self.note("connections dropped")

    async def do_terminal_restart(self) -> None:
        await asyncio.to_thread(self.term.restart)
        self.note("terminal restart")

    async def do_terminal_down(self) -> None:
        """The terminal goes away (closed by hand, crashed) and comes back a moment later:
        every connect meanwhile fails."""
        await asyncio.to_thread(self.term.set_online, False)
        await self.settle(0.3)
        await asyncio.to_thread(self.term.set_online, True)
        self.note("terminal down for 0.3 s")

    async def do_account_down(self) -> None:
        """One account loses its broker login for a few steps' worth of orders (status 1,
        waiting for login, or 3, failed), then gets it back."""
        account = self.schedule.choice(ACCOUNTS)
        code = self.schedule.choice((1, 3))
        await asyncio.to_thread(self.term.set_account_status, str(account), code)
        await self.settle()
        for _ in range(self.rng.randint(1, 3)):
            await self._submit(self._body(account))
        await asyncio.to_thread(self.term.set_account_status, str(account), 0)
        await self.settle()
        self.note(f"account {account} status {code} for a few orders")

    async def do_counter_replay(self) -> None:
        await asyncio.to_thread(self.term.counter_reconnect)
        self.note("counter link bounced (pushes of the day replayed)")


async def run_qmt_seed(seed: int, folder: Path, steps: int = 30) -> list[str]:
    """Run one seed (raise ``DstFailure`` on a broken invariant); return the trace."""
    return await QmtSoak(seed, folder, steps).run()
