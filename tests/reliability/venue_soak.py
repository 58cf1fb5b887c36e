"""Seeded fault soaks of the whole service on a real vendor client against its emulator.

The deterministic simulation (``dst_harness``) runs the engine on the simulator's adapter.
These run the same service through a broker adapter and the vendor's real client code —
QMT through xtquant's ``XtQuantTrader`` (``qmt_soak``), XTP through vn.py's ``XtpGateway``
(``xtp_soak``) — against an in-process emulator of the broker's side whose counter is the
simulator, with a seeded schedule of steps and of the emulator's faults. This module holds
what the venues share: the accounts, the orders, the common steps and every check.

The emulators answer on their own threads, so a run is seeded but not exactly
reproducible: checks against the venue wait (briefly) for what is in transit, and a
failure prints the seed, the step and the trace.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ashare_exec.api.schemas import OrderIn
from ashare_exec.clock import CST, SimClock
from ashare_exec.config import AccountConfig, GatewayConfig, JournalConfig, SessionConfig
from ashare_exec.engine.service import ExecutionService
from ashare_exec.errors import GatewayError
from ashare_exec.model import (
    AccountId,
    CancelAllOrders,
    ClientOrderId,
    InstrumentId,
    OrderSpec,
    OrderStatus,
)
from tests.reliability.dst_checks import (
    DstFailure,
    check_answered,
    check_ledger,
    check_legal_paths,
    check_orders_vs_venue,
    check_sent_once,
    order_snapshot,
)
from tests.reliability.resubmits import resubmit

__all__ = ["ACC", "ACC2", "ACCOUNTS", "DstFailure", "VenueOrders", "VenueSoak"]

ACC = AccountId("55001234")
ACC2 = AccountId("55005678")
ACCOUNTS = (ACC, ACC2)
"""Two fund accounts on one venue; most orders are the first's."""
START = datetime(2026, 11, 25, 9, 31, tzinfo=CST)
SYMBOLS = (
    ("600000.SH", Decimal("10.02")),
    ("000001.SZ", Decimal("11.60")),
    ("601318.SH", Decimal("58.20")),
)
POSITIONS = {"600000.SH": 20000, "000001.SZ": 20000, "601318.SH": 4000}
GRACE_S = 0.5
SLOW_STEP_S = 3.0
"""A step slower than this is noted in the trace (something waited for a timeout)."""
LOTS = (1, 1, 2, 3, 4, 4, 12, 40)
"""Order sizes in lots; the large ones take several price levels (partial fills)."""
RISK: dict[str, Any] = {
    "disabled_checks": ["duplicate", "rate_limit", "daily_count", "cancel_ratio",
                        "chase_guard", "open_orders", "price_deviation", "self_trade"],
    "max_consecutive_rejections": False,
    "global_max_msgs_per_second": 1_000_000,
}  # fmt: skip
COMMON_ACTIONS = (
    ("submit", 40),
    ("resubmit", 5),
    ("cancel", 15),
    ("burst", 6),
    ("cancel_all", 2),
    ("wait", 15),
    ("gateway_restart", 3),
    ("reconcile", 6),
)


@dataclass(frozen=True, slots=True)
class VenueOrder:
    """A simulator order as the checks read it, under our client order id."""

    account_id: AccountId
    client_order_id: ClientOrderId
    status: OrderStatus
    filled_qty: int


@dataclass(slots=True)
class VenueOrders:
    """The venue as ``dst_checks`` reads it (``orders`` by our ids, ``accounts``), and how
    many orders it holds for each of our ids (more than one: an order sent twice)."""

    accounts: Any
    orders: dict[tuple[AccountId, ClientOrderId], VenueOrder] = field(default_factory=dict)
    held: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class _Ids:
    """An order's account and client id (as an order's spec has them)."""

    account_id: AccountId
    client_order_id: ClientOrderId


class VenueSoak:
    """One seeded run on a folder (the journal and the adapter's id store live there).

    A subclass wires its venue: :attr:`name`, :attr:`actions` (the common ones and its
    faults, each a ``do_<action>`` method), :meth:`venue_table`, :meth:`build`,
    :meth:`venue`, :meth:`advance_market` and :meth:`faults_off`; :meth:`before_step`
    optionally.
    """

    name = "venue"
    actions: tuple[tuple[str, int], ...] = COMMON_ACTIONS

    def __init__(self, seed: int, folder: Path, steps: int = 30) -> None:
        self.seed = seed
        self.folder = folder
        self.steps = steps
        self.schedule = random.Random(seed)
        """Picks the steps (and the kind of each fault), so the schedule stays the seed's
        whatever the timing."""
        self.rng = random.Random(seed * 7919 + 1)
        """Everything else a step draws (its orders, what it cancels)."""
        self.clock = SimClock(START)
        self.service: ExecutionService | None = None
        self.answered: dict[str, tuple[AccountId, str, str, int, str]] = {}
        """Client id -> (account, symbol, side, qty, price) of every order answered."""
        self.sends: Counter[str] = Counter()
        self.alerts: list[tuple[str, str]] = []
        self.trace: list[str] = []
        self.step = -1
        self._seq = 0
        self.refs = dict(SYMBOLS)
        """The price each symbol's orders are drawn around (a day roll may move it)."""

    # ---- what a venue provides ------------------------------------------------------

    def venue_table(self) -> dict[str, Any]:
        """The ``[venues.<name>]`` table (its emulator on)."""
        raise NotImplementedError

    def build(self) -> ExecutionService:
        """A service on the folder (journal replayed), not started, on the same emulator
        as the previous one (a restarted gateway finds its broker where it left it)."""
        raise NotImplementedError

    def venue(self) -> VenueOrders:
        """The venue's orders and accounts now."""
        raise NotImplementedError

    def advance_market(self) -> None:
        """Move the emulated market to the clock (called on a worker thread)."""
        raise NotImplementedError

    async def faults_off(self) -> None:
        """Lift every standing fault before the final check."""
        raise NotImplementedError

    async def before_step(self) -> None:
        """What a venue does between steps, outside the seed's schedule (nothing here)."""

    # ---- wiring -------------------------------------------------------------------------

    def config(self) -> GatewayConfig:
        """The gateway's configuration: both accounts on the emulated venue."""
        return GatewayConfig(
            data_dir=self.folder / "data",
            log_dir=self.folder / "logs",
            accounts=(
                AccountConfig(ACC, self.name, Decimal("3000000"), dict(POSITIONS)),
                AccountConfig(ACC2, self.name, Decimal("500000"), {"600000.SH": 5000}),
            ),
            sessions=SessionConfig(
                pre_close_cancel=None, reconcile_interval_s=3600.0, inflight_timeout_s=GRACE_S
            ),
            journal=JournalConfig("fast"),
            risk=RISK,
            venues={self.name: self.venue_table(), "sim": {"seed": self.seed}},
        )

    @property
    def svc(self) -> ExecutionService:
        assert self.service is not None
        return self.service

    @property
    def adapter(self) -> Any:
        return self.svc.core.accounts[ACC].venue

    async def boot(self, svc: ExecutionService | None = None) -> None:
        """Build (unless given), count what reaches the adapter, start."""
        svc = svc or self.build()
        on_alert = svc.hooks.on_alert

        def alert(severity: str, code: str, message: str, ctx: dict[str, Any]) -> None:
            self.alerts.append((code, str(ctx.get("client_order_id"))))
            on_alert(severity, code, message, ctx)

        svc.hooks.on_alert = alert
        venues = {id(rt.venue): rt.venue for rt in svc.core.accounts.values()}
        for adapter in venues.values():
            adapter.submit = self._counted(adapter.submit)
        self.service = svc
        await svc.start()

    def _counted(self, submit: Any) -> Any:
        async def counted(spec: Any) -> None:
            self.sends[spec.client_order_id] += 1
            await submit(spec)

        return counted

    async def settle(self, seconds: float = 0.05) -> None:
        """Let what the emulator's threads deliver arrive and the engine apply it."""
        await asyncio.sleep(seconds)
        await self.svc.core.drain()

    # ---- the run ------------------------------------------------------------------------

    async def run(self) -> list[str]:
        """Every step, then the final reconcile and full check; returns the trace."""
        await self.boot()
        names, weights = [a for a, _ in self.actions], [w for _, w in self.actions]
        try:
            for step in range(self.steps):
                self.step = step
                await self.before_step()
                action = self.schedule.choices(names, weights)[0]
                began = asyncio.get_running_loop().time()
                await getattr(self, f"do_{action}")()
                await self.settle()
                self.check_always()
                took = asyncio.get_running_loop().time() - began
                if took > SLOW_STEP_S:
                    self.note(f"{action} took {took:.1f} s")
            self.step = self.steps
            await self.final()
        finally:
            if self.service is not None:
                await self.service.stop()
        return self.trace

    def note(self, text: str) -> None:
        """Add a line to the trace."""
        self.trace.append(f"{self.step}: {text}")

    def fail(self, what: str) -> DstFailure:
        """A failure naming the seed, the step and the recent trace."""
        tail = "\n  ".join(self.trace[-10:])
        return DstFailure(f"{self.name} seed {self.seed} step {self.step}: {what}\n  {tail}")

    # ---- common actions -----------------------------------------------------------------

    def _body(self, account: AccountId | None = None) -> OrderIn:
        symbol, _ = self.rng.choice(SYMBOLS)
        ref = self.refs[symbol]
        side: Literal["BUY", "SELL"] = self.rng.choice(("BUY", "SELL"))
        marketable = self.rng.random() < 0.5
        sign = 1 if (side == "BUY") == marketable else -1
        price = ref + sign * Decimal(self.rng.randint(0, 25)) / 100
        drawn = ACC2 if self.rng.random() < 0.25 else ACC
        account = account or drawn
        self._seq += 1
        return OrderIn(
            account_id=account, symbol=symbol, side=side, qty=100 * self.rng.choice(LOTS),
            price=price, client_order_id=f"q{self._seq}",
        )  # fmt: skip

    async def do_submit(self) -> None:
        await self._submit(self._body())

    async def _submit(self, body: OrderIn) -> None:
        try:
            view = await self.svc.submit(body, actor="soak")
        except GatewayError as e:
            self.note(f"submit {body.client_order_id} refused {e.code}")
            coid = ClientOrderId(str(body.client_order_id))
            left = self.svc.core.state.book.get(AccountId(body.account_id), coid)
            if left is not None and not left.is_terminal:
                what = f"refused order {body.client_order_id} left {left.status}"
                raise self.fail(what) from None
            return
        assert body.client_order_id is not None
        assert body.price is not None
        self.answered[body.client_order_id] = (
            AccountId(body.account_id),
            body.symbol,
            body.side,
            body.qty,
            str(body.price),
        )
        self.note(f"submit {body.client_order_id} -> {view['status']}")

    async def do_resubmit(self) -> None:
        """The same id again: same content is idempotent, other content is refused."""
        if not self.answered:
            return
        coid = self.rng.choice(sorted(self.answered))
        account, symbol, side, qty, price = self.answered[coid]
        same = self.rng.random() < 0.6
        body = OrderIn(
            account_id=account, symbol=symbol, side=side,  # type: ignore[arg-type]
            qty=qty if same else qty + 100, price=Decimal(price), client_order_id=coid,
        )  # fmt: skip
        problem, note = await resubmit(self.svc, body, same=same, actor="soak")
        if problem:
            raise self.fail(problem)
        self.note(note)

    async def do_burst(self) -> None:
        """Several submits and cancels at once, as a strategy's rebalance sends them."""
        ops: list[Any] = []
        for _ in range(self.rng.randint(3, 8)):
            open_orders = self.svc.core.state.book.open_orders()
            if open_orders and self.rng.random() < 0.3:
                ops.append(self._cancel(self.rng.choice(open_orders).spec))
            else:
                body = self._body()
                ops.append(self._submit(body))
                if self.rng.random() < 0.3:  # and its cancel right behind it
                    account = AccountId(body.account_id)
                    ops.append(
                        self._cancel(_Ids(account, ClientOrderId(str(body.client_order_id))))
                    )
        self.note(f"burst of {len(ops)}")
        await asyncio.gather(*ops)

    async def do_cancel(self) -> None:
        open_orders = self.svc.core.state.book.open_orders()
        if not open_orders:
            return
        await self._cancel(self.rng.choice(open_orders).spec)

    async def _cancel(self, ids: _Ids | OrderSpec) -> None:
        await asyncio.sleep(0)  # a cancel right behind its submit: let the submit start
        coid = ids.client_order_id
        try:
            view = await self.svc.cancel(ids.account_id, coid, actor="soak")
        except GatewayError as e:
            self.note(f"cancel {coid} refused {e.code}")
            return
        self.note(f"cancel {coid} -> {view['status']}")

    async def do_cancel_all(self) -> None:
        """Cancel every working order of an account (or of one instrument)."""
        account = self.rng.choice(ACCOUNTS)
        symbol = self.rng.choice((None, *(sym for sym, _ in SYMBOLS)))
        iid = None if symbol is None else InstrumentId.parse(symbol)
        try:
            done = await self.svc.cancel_all_orders(
                CancelAllOrders(account, instrument_id=iid), actor="soak"
            )
        except GatewayError as e:
            self.note(f"cancel-all {symbol or ''} refused {e.code}")
            return
        self.note(f"cancel-all {symbol or ''} -> {len(done)} cancels")

    async def do_wait(self) -> None:
        """Time passes at the venue: the market moves, resting orders may fill."""
        seconds = self.rng.choice((1.0, 3.0, 12.0))
        self.clock.advance(timedelta(seconds=seconds))
        await asyncio.to_thread(self.advance_market)
        self.note(f"wait {seconds}s -> {self.clock.now().time()}")

    async def do_gateway_restart(self) -> None:
        """Stop, then a new service replays the journal: the state must be equal. Half the
        stops are hasty: they do not wait for orders and cancels in flight to be answered
        (the answers come to nobody; the next service must learn them from the venue)."""
        hasty = self.schedule.random() < 0.5  # part of the schedule: not timing-dependent
        if hasty:
            self.svc.shutdown_timeout_s = 0.0
        await self.svc.stop()
        before = order_snapshot(self.svc)
        self.service = None
        svc = self.build()
        after = order_snapshot(svc)
        if after != before:
            diff = sorted(set(before.items()) ^ set(after.items()), key=str)[:4]
            raise self.fail(f"journal replay differs from the live state: {diff}")
        await self.boot(svc)
        self.note(f"gateway restart{' (hasty)' if hasty else ''} (replay equal)")

    async def do_reconcile(self) -> None:
        if not await self._connected(2.0):
            self.note("reconcile skipped: link down")
            return
        for account in ACCOUNTS:
            await self.svc.reconciler.reconcile(account, "soak")
        await self.settle()
        await self.check_venue(final=False)
        self.note("reconcile + venue check")

    async def _connected(self, within: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        accounts = self.svc.core.accounts
        while not (self.adapter.is_connected and all(accounts[a].reconciled for a in ACCOUNTS)):
            if loop.time() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    # ---- checks -------------------------------------------------------------------------

    def check_always(self) -> None:
        """No answered order lost or changed, none sent twice, every path legal."""
        book = self.svc.core.state.book
        problem = check_answered(book, self.answered) or check_sent_once(self.sends, "the adapter")
        if problem:
            raise self.fail(problem)
        twice = sorted(c for c, n in self.venue().held.items() if n > 1)
        if twice:
            raise self.fail(f"the venue holds orders {twice} more than once")
        problem = check_legal_paths(book.orders())
        if problem:
            raise self.fail(problem)

    def _venue_problem(self, *, final: bool) -> str | None:
        venue = self.venue()
        state = self.svc.core.state
        in_doubt = {c for code, c in self.alerts if code == "ORDER_IN_DOUBT"}
        for account in ACCOUNTS:
            problem = check_orders_vs_venue(
                state.book.orders(account), venue, account, self.clock.now(),
                grace_s=0.0 if final else GRACE_S * 3, alerted=in_doubt,
            ) or check_ledger(state.ledger, venue, account, state.book)  # fmt: skip
            if problem:
                return f"account {account}: {problem}"
        return None

    async def check_venue(self, *, final: bool, within: float = 2.0) -> None:
        """Orders and ledger equal the venue's once what is in transit has arrived."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (problem := self._venue_problem(final=final)) is not None:
            if loop.time() > deadline:
                raise self.fail(problem)
            await self.settle(0.05)

    async def final(self) -> None:
        """Faults off, link up, every timer run out, reconcile, then check everything."""
        await self.faults_off()
        if not await self._connected(5.0):
            raise self.fail("the adapter did not reconnect within 5 s")
        for _ in range(2):
            # The reconciler's grace is on the service clock, which only the run moves.
            self.clock.advance(timedelta(seconds=GRACE_S * 4))
            await self.settle(GRACE_S * 2)
            for account in ACCOUNTS:
                await self.svc.reconciler.reconcile(account, "soak-final")
        await self.settle()
        self.check_always()
        await self.check_venue(final=True)
        for account in ACCOUNTS:
            rep = await self.svc.reconciler.reconcile(account, "soak-fixpoint")
            if rep is None or not rep.clean:
                raise self.fail(f"a reconcile at rest still changed things: {rep}")
        statuses = Counter(o.status.value for o in self.svc.core.state.book.orders())
        self.note(f"final check passed: {sorted(statuses.items())}")
