"""Seeded fault soak of the whole service on its primary venue: QMT through the real xtquant.

The deterministic simulation (``dst_harness``) runs the engine on the simulator adapter. This
runs the same engine through :class:`~ashare_exec.venues.qmt.QmtAdapter` and xtquant's real
``XtQuantTrader`` code against the MiniQMT emulator backed by the simulator
(``ashare_exec.testing.miniqmt``), with a seeded schedule of steps and of the emulator's
faults: orders that vanish, answers lost, orders refused before they exist, pushes doubled
and reversed or lost, cancels held, connections dropped, the terminal restarted (order ids
renumbered), the counter's pushes replayed, gateway restarts. The emulator answers on its
own threads, so a run is seeded but not exactly reproducible: checks against the venue wait
(briefly) for the pushes in transit, and a failure prints the seed and the trace.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ashare_exec.api.schemas import OrderIn
from ashare_exec.clock import CST, SimClock
from ashare_exec.config import AccountConfig, GatewayConfig, JournalConfig, SessionConfig
from ashare_exec.engine.node import build_service
from ashare_exec.engine.service import ExecutionService
from ashare_exec.errors import DuplicateClientOrderId, GatewayError
from ashare_exec.model import (
    AccountId,
    CancelAllOrders,
    ClientOrderId,
    InstrumentId,
    OrderSpec,
    OrderStatus,
)
from ashare_exec.testing.miniqmt import MiniQmt, embedded, install
from ashare_exec.venues.qmt.parsing import decode_remark
from tests.reliability.dst_checks import (
    DstFailure,
    check_ledger,
    check_legal_paths,
    check_orders_vs_venue,
    order_snapshot,
)

__all__ = ["QmtSoak", "run_qmt_seed"]

ACC = AccountId("55001234")
ACC2 = AccountId("55005678")
ACCOUNTS = (ACC, ACC2)
"""Two fund accounts on one terminal, as ``[venues.qmt] accounts`` allows; most orders
are the first's."""
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
QMT: dict[str, Any] = {
    "emulator": True,
    "request_timeout_s": 1.0,
    "submit_timeout_s": 0.3,
    "connect_timeout_s": 3.0,
    "heartbeat_interval_s": 0,
    "backoff_initial_s": 0.05,
    "backoff_max_s": 0.2,
}
ACTIONS = (
    ("submit", 40),
    ("resubmit", 5),
    ("cancel", 15),
    ("burst", 6),
    ("cancel_all", 2),
    ("wait", 15),
    ("swallow", 2),
    ("lose_answer", 3),
    ("refuse", 3),
    ("hold_cancels", 3),
    ("mute", 1),
    ("hang", 2),
    ("drop_link", 3),
    ("terminal_restart", 2),
    ("counter_replay", 2),
    ("gateway_restart", 3),
    ("reconcile", 6),
)
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


@dataclass(frozen=True, slots=True)
class _VenueOrder:
    """A simulator order as the checks expect it, under our client order id."""

    account_id: AccountId
    client_order_id: ClientOrderId
    status: OrderStatus
    filled_qty: int


@dataclass(frozen=True, slots=True)
class _Ids:
    """An order's account and client id (as an order's spec has them)."""

    account_id: AccountId
    client_order_id: ClientOrderId


class _Venue:
    """The simulator behind the emulated terminal, with its orders keyed by our ids (the
    remark), in the shape ``dst_checks`` reads (``orders``, ``accounts``)."""

    def __init__(self, terminal: MiniQmt) -> None:
        sim = terminal.sim
        assert sim is not None
        with terminal.lock:
            self.accounts = sim.exchange.accounts
            self.orders: dict[tuple[AccountId, ClientOrderId], _VenueOrder] = {}
            self.remarks: Counter[str] = Counter()
            for acc in ACCOUNTS:
                for emu in terminal.orders.get(str(acc), []):
                    coid = decode_remark(emu.remark) or emu.remark
                    self.remarks[coid] += 1
                    o = sim.exchange.orders.get((acc, ClientOrderId(emu.key)))
                    if o is not None:
                        cid = ClientOrderId(coid)
                        self.orders[(acc, cid)] = _VenueOrder(acc, cid, o.status, o.filled_qty)


class QmtSoak:
    """One seeded run on a folder (the journal and the adapter's id store live there)."""

    def __init__(self, seed: int, folder: Path, steps: int = 30) -> None:
        self.seed = seed
        self.folder = folder
        self.steps = steps
        self.rng = random.Random(seed)
        self.knobs = {k: self.rng.random() < 0.3 for k in KNOBS}
        self.clock = SimClock(START)
        self.terminal: MiniQmt | None = None
        self.service: ExecutionService | None = None
        self.answered: dict[str, tuple[AccountId, str, str, int, str]] = {}
        """Client id -> (account, symbol, side, qty, price) of every order answered."""
        self.sends: Counter[str] = Counter()
        self.alerts: list[tuple[str, str]] = []
        self.trace: list[str] = []
        self.step = -1
        self._seq = 0

    # ---- wiring -------------------------------------------------------------------------

    def config(self) -> GatewayConfig:
        """The gateway's configuration: one QMT account on the emulated terminal."""
        return GatewayConfig(
            data_dir=self.folder / "data",
            log_dir=self.folder / "logs",
            accounts=(
                AccountConfig(ACC, "qmt", Decimal("3000000"), dict(POSITIONS)),
                AccountConfig(ACC2, "qmt", Decimal("500000"), {"600000.SH": 5000}),
            ),
            sessions=SessionConfig(
                pre_close_cancel=None, reconcile_interval_s=3600.0, inflight_timeout_s=GRACE_S
            ),
            journal=JournalConfig("fast"),
            risk=RISK,
            venues={"qmt": dict(QMT), "sim": {"seed": self.seed}},
        )

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
        """A service on the folder (journal replayed), not started."""
        with self._same_terminal():
            return build_service(self.config(), self.clock)

    @property
    def svc(self) -> ExecutionService:
        assert self.service is not None
        return self.service

    @property
    def term(self) -> MiniQmt:
        assert self.terminal is not None
        return self.terminal

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
        adapter = svc.core.accounts[ACC].venue
        submit = adapter.submit

        async def counted(spec: Any) -> None:
            self.sends[spec.client_order_id] += 1
            await submit(spec)

        adapter.submit = counted
        self.service = svc
        await svc.start()

    async def settle(self, seconds: float = 0.05) -> None:
        """Let pushes on the emulator's threads arrive and the engine apply them."""
        await asyncio.sleep(seconds)
        await self.svc.core.drain()

    # ---- the run ------------------------------------------------------------------------

    async def run(self) -> list[str]:
        """Every step, then the final reconcile and full check; returns the trace."""
        self.note(f"knobs {sorted(k for k, on in self.knobs.items() if on)}")
        await self.boot()
        try:
            for step in range(self.steps):
                self.step = step
                action = self.rng.choices([a for a, _ in ACTIONS], [w for _, w in ACTIONS])[0]
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
        return DstFailure(f"qmt seed {self.seed} step {self.step}: {what}\n  {tail}")

    # ---- actions ------------------------------------------------------------------------

    def _body(self) -> OrderIn:
        symbol, ref = self.rng.choice(SYMBOLS)
        side: Literal["BUY", "SELL"] = self.rng.choice(("BUY", "SELL"))
        marketable = self.rng.random() < 0.5
        sign = 1 if (side == "BUY") == marketable else -1
        price = ref + sign * Decimal(self.rng.randint(0, 25)) / 100
        account = ACC2 if self.rng.random() < 0.25 else ACC
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
        try:
            view = await self.svc.submit(body, actor="soak")
        except DuplicateClientOrderId:
            if same:
                raise self.fail(f"resubmit of {coid} with the same content refused") from None
            self.note(f"resubmit {coid} changed -> DUPLICATE_CLIENT_ORDER_ID")
            return
        except GatewayError as e:
            self.note(f"resubmit {coid} refused {e.code}")
            return
        if not same or view["created"]:
            raise self.fail(f"resubmit of {coid} (same={same}) created a new order")
        self.note(f"resubmit {coid} -> existing {view['status']}")

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
        """Cancel every working order of the account (or of one instrument)."""
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
        await asyncio.to_thread(self.term.tick)
        self.note(f"wait {seconds}s -> {self.clock.now().time()}")

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

    async def do_counter_replay(self) -> None:
        await asyncio.to_thread(self.term.counter_reconnect)
        self.note("counter link bounced (pushes of the day replayed)")

    async def do_gateway_restart(self) -> None:
        """Stop, then a new service replays the journal: the state must be equal. Half the
        stops are hasty: they do not wait for orders and cancels in flight to be answered
        (the answers come to nobody; the next service must learn them from the terminal)."""
        hasty = self.rng.random() < 0.5
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
        for coid, (account, symbol, side, qty, price) in self.answered.items():
            o = book.get(account, ClientOrderId(coid))
            if o is None:
                raise self.fail(f"order {coid} was answered and is lost")
            s = o.spec
            got = (str(s.instrument_id), s.side.value, s.qty, str(s.price))
            if got != (symbol, side, qty, str(Decimal(price))):
                raise self.fail(f"order {coid} content {got} != {(symbol, side, qty, price)}")
        for coid, n in self.sends.items():
            if n > 1:
                raise self.fail(f"order {coid} was sent to the adapter {n} times")
        twice = [c for c, n in _Venue(self.term).remarks.items() if n > 1]
        if twice:
            raise self.fail(f"the terminal holds orders {twice} more than once")
        problem = check_legal_paths(book.orders())
        if problem:
            raise self.fail(problem)

    def _venue_problem(self, *, final: bool) -> str | None:
        venue = _Venue(self.term)
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
        """Orders and ledger equal the venue's once the pushes in transit have arrived."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while (problem := self._venue_problem(final=final)) is not None:
            if loop.time() > deadline:
                raise self.fail(problem)
            await self.settle(0.05)

    async def final(self) -> None:
        """Faults off, link up, every timer run out, reconcile, then check everything."""
        behaviour = self.term.behaviour
        behaviour.hold_cancels = behaviour.mute_pushes = False
        await asyncio.to_thread(self.term.release_cancels)
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


async def run_qmt_seed(seed: int, folder: Path, steps: int = 30) -> list[str]:
    """Run one seed (raise :class:`DstFailure` on a broken invariant); return the trace."""
    return await QmtSoak(seed, folder, steps).run()
