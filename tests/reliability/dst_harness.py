"""Deterministic simulation testing: the whole engine + simulator in one process, per seed.

A seed fixes everything: the simulator's market and link faults, the fault rates, and a
random schedule of steps — submits (new, idempotent resubmits, conflicting resubmits),
cancels, time passing (the market moves, timers fire), link drops, venue restarts (the
simulator reopened from its store), gateway restarts (stop, replay the journal, start),
reconciles and day rolls. Invariants are checked after every step; a failure names the
seed and the step and replays exactly (:class:`~tests.reliability.vloop.VirtualTimeLoop`).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ashare_exec.api.schemas import OrderIn
from ashare_exec.clock import CST, SimClock
from ashare_exec.config import AccountConfig, GatewayConfig, JournalConfig, SessionConfig
from ashare_exec.engine.node import build_service
from ashare_exec.engine.service import ExecutionService
from ashare_exec.errors import GatewayError, JournalError
from ashare_exec.model import ClientOrderId, OrderStatus
from ashare_exec.observability.alerts import ReconciliationMismatch
from ashare_exec.venues.sim.factory import build_sim_exchange
from tests.reliability.dst_bursts import Bursts
from tests.reliability.dst_checks import (
    DstFailure,
    check_answered,
    check_ledger,
    check_legal_paths,
    check_orders_vs_venue,
    check_sent_once,
    order_snapshot,
    skipping_differs,
)
from tests.reliability.dst_days import DayRolls
from tests.reliability.dst_journal import JournalWeather
from tests.reliability.dst_start import VenueDownAtStart
from tests.reliability.fault_kit import ACC
from tests.reliability.resubmits import resubmit
from tests.reliability.vloop import InlineExecutor

__all__ = ["DstFailure", "DstRun", "run_seed"]

START = datetime(2026, 11, 25, 9, 31, tzinfo=CST)
SYMBOLS = (
    ("600000.SH", Decimal("10.02")),
    ("000001.SZ", Decimal("11.60")),
    ("601318.SH", Decimal("58.20")),
)
RATES = (0.0, 0.0, 0.02, 0.1, 0.3)
GRACE_S = 1.0
RISK: dict[str, Any] = {
    "disabled_checks": ["duplicate", "rate_limit", "daily_count", "cancel_ratio",
                        "chase_guard", "open_orders", "price_deviation", "self_trade"],
    "max_consecutive_rejections": False,
    "global_max_msgs_per_second": 1_000_000,
}  # fmt: skip
ACTIONS = (
    ("submit", 40),
    ("resubmit", 5),
    ("cancel", 15),
    ("wait", 20),
    ("disconnect", 4),
    ("venue_restart", 3),
    ("gateway_restart", 3),
    ("reconcile", 6),
    ("day_roll", 1),
)


class DstRun(DayRolls, Bursts, VenueDownAtStart, JournalWeather):
    """One seeded run on a folder (the journal and the venue's store live there)."""

    def __init__(self, seed: int, folder: Path, steps: int = 40) -> None:
        self.seed = seed
        self.folder = folder
        self.steps = steps
        self.rng = random.Random(seed)
        # Its own stream, so the main one (and every older seed's schedule) is unchanged.
        self.rng_down = random.Random(seed * 7919 + 1)
        # Half the seeds' broker clears at 20:00, before our midnight (its own stream too).
        self.t1_release_at = "20:00" if random.Random(seed * 104729 + 7).random() < 0.5 else None
        self.rng_link = random.Random(seed * 15485863 + 11)
        """Whether the link is down at a close, and whether it comes back that evening."""
        self.rng_burst = random.Random(seed * 49979687 + 17)
        """When a burst of submits and cancels comes, and what is in it."""
        self.rng_journal = random.Random(seed * 32452843 + 13)
        """When the journal stops writing, how, and for how many steps."""
        self.rng_heal = random.Random(seed * 67867967 + 23)
        """Whether a journal halt is healed by an operator's resume or a gateway restart."""
        self.rng_start = random.Random(seed * 86028121 + 19)
        """Whether a restarted gateway finds its venue out of reach, and for how long."""
        self.venue_down_until: int | None = None
        """The step at which the venue down at start is back (``None``: it is not down)."""
        self.journal_fault: tuple[str, Callable[[], None], int] | None = None
        self.resumed = False
        """``(fault, lift it, the step of the restart that heals it)`` while one is on."""
        self.mismatches: list[tuple[int, str]] = []
        """``(step, kind)`` of every ``ReconciliationMismatch`` signalled."""
        self.clock = SimClock(START)
        self.faults = {
            "drop_rate": self.rng.choice(RATES),
            "duplicate_rate": self.rng.choice(RATES),
            "reorder_rate": self.rng.choice(RATES),
            "submit_drop_rate": self.rng.choice(RATES) / 2,
            "reject_rate": self.rng.choice(RATES) / 2,
            "disconnect_rate": self.rng.choice(RATES) / 3,
            "replay_on_reconnect": self.rng.random() < 0.3,
        }
        if self.rng.random() < 0.25:  # a clean link: no report lost, so the ledger is exact
            self.faults.update(drop_rate=0.0, submit_drop_rate=0.0, disconnect_rate=0.0)
        self.answered: dict[str, tuple[str, str, int, str]] = {}
        self.sends: Counter[str] = Counter()
        self.cancels_sent: Counter[str] = Counter()
        self.alerts: list[tuple[str, str]] = []
        self.trace: list[str] = []
        self.lossless = not any(
            self.faults[k] for k in ("drop_rate", "submit_drop_rate", "disconnect_rate")
        )
        """No report can be lost in this seed (until a link drop or venue restart step)."""
        self.step = -1
        self._seq = 0
        self.service: ExecutionService | None = None

    @classmethod
    async def quiet(cls, seed: int, folder: Path) -> DstRun:
        """A started run on a clean simulator (no report faults), for scripted scenarios."""
        run = cls(seed, folder)
        run.faults = {}
        await run.boot()
        return run

    # ---- wiring -------------------------------------------------------------------------

    def config(self) -> GatewayConfig:
        """The gateway's configuration for this seed."""
        return GatewayConfig(
            data_dir=self.folder / "data",
            log_dir=self.folder / "logs",
            accounts=(
                AccountConfig(
                    ACC, "sim", Decimal("3000000"), {"600000.SH": 20000, "000001.SZ": 20000}
                ),
            ),
            sessions=SessionConfig(
                pre_close_cancel=None,
                reconcile_interval_s=5.0,
                inflight_timeout_s=GRACE_S,
                venue_retry_s=0.02,
                venue_retry_max_s=0.1,
            ),
            journal=JournalConfig("fast"),
            risk=RISK,
            venues={"sim": self._sim_table()},
        )

    def _sim_table(self) -> dict[str, Any]:
        table: dict[str, Any] = {"seed": self.seed, "faults": dict(self.faults)}
        if self.t1_release_at is not None:
            table["t1_release_at"] = self.t1_release_at
        return table

    @property
    def svc(self) -> ExecutionService:
        assert self.service is not None
        return self.service

    @property
    def sim(self) -> Any:
        return self.svc.core.accounts[ACC].venue

    async def boot(self, svc: ExecutionService | None = None) -> None:
        """Build (replaying the journal), instrument, and start the service."""
        svc = svc or build_service(self.config(), self.clock)
        # Hook: the journal's writer thread would make runs depend on thread timing.
        svc.core.journal._executor = InlineExecutor()  # type: ignore[attr-defined]
        svc.archive_executor = InlineExecutor()
        on_alert = svc.hooks.on_alert

        def alert(severity: str, code: str, message: str, ctx: dict[str, Any]) -> None:
            self.alerts.append((code, str(ctx.get("client_order_id"))))
            on_alert(severity, code, message, ctx)

        svc.hooks.on_alert = alert
        on_signal = svc.core.on_signal

        def signal(event: object) -> None:
            if isinstance(event, ReconciliationMismatch):
                self.mismatches.append((self.step, event.kind))
            on_signal(event)

        svc.core.on_signal = signal
        sim = svc.core.accounts[ACC].venue
        submit = sim.submit

        async def counted(spec: Any) -> None:
            if sim.is_connected:
                self.sends[spec.client_order_id] += 1
            await submit(spec)

        sim.submit = counted  # type: ignore[method-assign]
        cancel = sim.cancel

        async def counted_cancel(account_id: Any, coid: Any, broker_id: Any) -> None:
            self.cancels_sent[coid] += 1
            await cancel(account_id, coid, broker_id)

        sim.cancel = counted_cancel  # type: ignore[method-assign]
        self.service = svc
        await svc.start()

    async def settle(self, seconds: float = 0.1) -> None:
        """Let reports, timers and reconciles run for ``seconds`` of loop time."""
        await asyncio.sleep(seconds)
        await self.svc.core.drain()

    # ---- the run ------------------------------------------------------------------------

    async def run(self) -> list[str]:
        """Every step, then a final settle and full check; returns the trace."""
        await self.boot()
        try:
            for step in range(self.steps):
                self.step = step
                await self._journal_weather()
                await self.venue_start_weather()
                await self.burst_weather()
                action = self._pick()
                if action in ("disconnect", "venue_restart", "day_roll"):
                    await self.venue_start_weather(now=True)  # they move the link themselves
                await getattr(self, f"do_{action}")()
                await self.settle()
                self.check_always()
            self.step = self.steps
            await self.final()
        finally:
            if self.service is not None:
                await self.service.stop()
        return self.trace

    def _pick(self) -> str:
        names = [a for a, _ in ACTIONS]
        weights = [w for _, w in ACTIONS]
        return self.rng.choices(names, weights)[0]

    def note(self, text: str) -> None:
        """Add a line to the trace (what happened at this step)."""
        self.trace.append(f"{self.step}: {text}")

    def fail(self, what: str) -> DstFailure:
        """A failure that names the seed and the step (and the recent trace)."""
        tail = "\n  ".join(self.trace[-8:])
        return DstFailure(
            f"seed {self.seed} step {self.step}: {what}\n  faults {self.faults}\n  {tail}"
        )

    # ---- actions ------------------------------------------------------------------------

    def _body(self, rng: random.Random | None = None) -> OrderIn:
        rng = rng or self.rng
        symbol, ref = rng.choice(SYMBOLS)
        side: Literal["BUY", "SELL"] = rng.choice(("BUY", "SELL"))
        marketable = rng.random() < 0.5
        sign = 1 if (side == "BUY") == marketable else -1
        price = ref + sign * Decimal(rng.randint(0, 25)) / 100
        self._seq += 1
        return OrderIn(
            account_id=ACC,
            symbol=symbol,
            side=side,
            qty=100 * rng.randint(1, 4),
            price=price,
            client_order_id=f"d{self._seq}",
        )

    async def _submit(self, body: OrderIn) -> None:
        try:
            view = await self.svc.submit(body, actor="dst")
        except GatewayError as e:
            self.note(f"submit {body.client_order_id} refused {e.code}")
            left = self.svc.core.state.book.get(ACC, ClientOrderId(str(body.client_order_id)))
            if left is not None and not left.is_terminal:
                what = f"refused order {left.spec.client_order_id} left {left.status}"
                raise self.fail(what) from None
            return
        assert body.client_order_id is not None
        assert body.price is not None
        self.answered[body.client_order_id] = (body.symbol, body.side, body.qty, str(body.price))
        self.note(f"submit {body.client_order_id} -> {view['status']}")

    async def do_submit(self) -> None:
        await self._submit(self._body())

    async def do_resubmit(self) -> None:
        """The same id again: same content is idempotent, other content is refused."""
        if not self.answered:
            return
        coid = self.rng.choice(sorted(self.answered))
        symbol, side, qty, price = self.answered[coid]
        same = self.rng.random() < 0.6
        body = OrderIn(
            account_id=ACC,
            symbol=symbol,
            side=side,  # type: ignore[arg-type]
            qty=qty if same else qty + 100,
            price=Decimal(price),
            client_order_id=coid,
        )
        problem, note = await resubmit(self.svc, body, same=same, actor="dst")
        if problem:
            raise self.fail(problem)
        self.note(note)

    async def do_cancel(self) -> None:
        open_orders = self.svc.core.state.book.open_orders(ACC)
        if not open_orders:
            return
        order = self.rng.choice(open_orders)
        coid = order.spec.client_order_id
        before = order.status
        try:
            view = await self.svc.cancel(ACC, coid, actor="dst")
        except GatewayError as e:
            self.note(f"cancel {coid} refused {e.code}")
            view = None
        after = self.svc.core.state.book.get(ACC, coid)
        if (
            after is not None
            and after.status is OrderStatus.PENDING_CANCEL
            and before is not OrderStatus.PENDING_CANCEL
            and not self.cancels_sent[coid]
        ):
            raise self.fail(f"{coid} reads PENDING_CANCEL but no cancel went to the venue")
        if view is not None:
            self.note(f"cancel {coid} -> {view['status']}")

    async def do_wait(self) -> None:
        seconds = self.rng.choice((0.2, 1.0, 3.0, 12.0))
        await self.sim.advance_to(self.clock.now() + timedelta(seconds=seconds))
        await self.settle(seconds)
        self.note(f"wait {seconds}s -> {self.clock.now().time()}")
        if self.lossless and self.sim.is_connected:
            # No report was ever lost: the ledger built from reports alone matches the venue.
            state = self.svc.core.state
            problem = check_ledger(state.ledger, self.sim.exchange, ACC, state.book)
            if problem:
                raise self.fail(f"ledger drifted without any lost report: {problem}")

    async def do_disconnect(self) -> None:
        self.lossless = False
        auto = self.rng.random() < 0.7
        self.sim.disconnect("dst link drop", auto_reconnect=auto)
        self.note(f"disconnect (auto reconnect {auto})")
        if not auto:
            await self.settle(0.5)
            self.sim.reconnect()

    async def do_venue_restart(self) -> None:
        """The venue process restarts: its state comes back from its own store."""
        self.lossless = False
        sim = self.sim
        sim.disconnect("dst venue restart", auto_reconnect=False)
        await self.settle()
        old = sim.exchange
        old.store.close()
        sim.exchange = build_sim_exchange(
            old.config, instruments=old._master, calendar=old.calendar
        )
        sim.reconnect()
        self.note("venue restart")

    async def do_gateway_restart(self) -> None:
        """Graceful stop, then a new service replays the journal: the state must be equal."""
        if self.journal_fault is not None:
            await self._heal_journal()
            return
        svc = await self.stop_and_replay()
        self.venue_down_at_start(svc)
        await self.boot(svc)
        self.note("gateway restart (replay equal)")
        self.check_down_at_start()

    async def stop_and_replay(self, when: str = "") -> ExecutionService:
        """Graceful stop, then a new service (returned, not started) replays the journal:
        its state must equal the live one."""
        await self.svc.stop()  # in-flight orders may settle while it stops
        before = order_snapshot(self.svc)
        self.service = None
        svc = build_service(self.config(), self.clock)
        after = order_snapshot(svc)
        if after != before:
            diff = sorted(set(before.items()) ^ set(after.items()))[:4]
            raise self.fail(f"journal replay {when}differs from the live state: {diff}")
        return svc

    async def do_reconcile(self) -> None:
        if not self.sim.is_connected:
            return
        problem = skipping_differs(self.svc, self.sim.exchange, ACC)
        if problem:
            raise self.fail(problem)
        try:
            await self.svc.reconciler.reconcile(ACC, "dst")
        except JournalError:
            if self.journal_fault is None:
                raise
            self.note("reconcile: corrections applied, not journaled (halted)")
        await self.settle()
        if self.sim.is_connected and self.svc.core.accounts[ACC].reconciled:
            self.check_venue(final=False)
        self.note("reconcile + venue check")

    # ---- checks -------------------------------------------------------------------------

    def check_always(self) -> None:
        """No order lost or changed, none sent twice, every path legal."""
        book = self.svc.core.state.book
        answered = {c: (ACC, *a) for c, a in self.answered.items()}
        problem = check_answered(book, answered) or check_sent_once(self.sends, "the venue")
        if problem:
            raise self.fail(problem)
        for o in book.orders(ACC):
            if "DUPLICATE_CLIENT_ORDER_ID" in o.reasons:
                raise self.fail(f"order {o.spec.client_order_id} hit DUPLICATE_CLIENT_ORDER_ID")
        problem = check_legal_paths(book.orders(ACC))
        if problem:
            raise self.fail(problem)

    def check_venue(self, *, final: bool) -> None:
        """Orders and ledger equal the venue's (after a reconcile)."""
        in_doubt_alerted = {c for code, c in self.alerts if code == "ORDER_IN_DOUBT"}
        problem = check_orders_vs_venue(
            self.svc.core.state.book.orders(ACC),
            self.sim.exchange,
            ACC,
            self.clock.now(),
            grace_s=0.0 if final else GRACE_S * 3,
            alerted=in_doubt_alerted,
        ) or check_ledger(
            self.svc.core.state.ledger, self.sim.exchange, ACC, self.svc.core.state.book
        )
        if problem:
            raise self.fail(problem)

    async def final(self) -> None:
        """Link up, let every timer run out, reconcile twice, then check everything."""
        if self.journal_fault is not None:
            await self._heal_journal()
        await self.venue_start_weather(now=True)
        if not self.sim.is_connected:
            self.sim.reconnect()
        for _ in range(3):
            await self.sim.advance_to(self.clock.now() + timedelta(seconds=GRACE_S * 4))
            await self.settle(GRACE_S * 4)
            await self.svc.reconciler.reconcile(ACC, "dst-final")
            await self.settle()
        self.check_always()
        self.check_venue(final=True)
        # A fixpoint: with nothing moving, one more reconcile must find nothing to change.
        rep = await self.svc.reconciler.reconcile(ACC, "dst-fixpoint")
        if rep is None or not rep.clean:
            raise self.fail(f"a reconcile at rest still changed things: {rep}")
        await self.check_replay_after_resume()
        statuses = Counter(o.status.value for o in self.svc.core.state.book.orders(ACC))
        fills = len(self.sim.exchange.fills)
        self.note(f"final check passed: {sorted(statuses.items())}, venue fills today {fills}")


async def run_seed(seed: int, folder: Path, steps: int = 40) -> list[str]:
    """Run one seed (raise :class:`DstFailure` on a broken invariant); return the trace."""
    return await DstRun(seed, folder, steps).run()
