"""The execution service: the facade the API, the CLI and tests drive.

It owns the :class:`~ashare_exec.engine.core.ExecutionCore` and everything around it:
start-up (replay the journal → close a missed day → connect → reconcile → open for
commands; a venue out of reach is connected in the background), the event stream,
reconciliation on a timer and after reconnects, the session scheduler (pre-close cleanup,
end of day), trading-state changes, and graceful shutdown. Its parts live beside it:
commands in ``engine/commands.py``, queries in ``engine/queries.py``, the day actions (and
closing a day the service was down for) in ``engine/closing.py``, run-time risk limits and
the risk controls' own actions in ``engine/risk_ops.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ashare_exec.clock import Clock, iso
from ashare_exec.config import GatewayConfig
from ashare_exec.engine.bus import EventBus
from ashare_exec.engine.closing import ClosingMixin
from ashare_exec.engine.commands import CommandsMixin
from ashare_exec.engine.core import ExecutionCore
from ashare_exec.engine.queries import QueriesMixin
from ashare_exec.engine.risk_ops import RiskMixin
from ashare_exec.engine.views import (
    event_view,
)
from ashare_exec.errors import BrokerError, GatewayError, JournalError
from ashare_exec.model import (
    AccountId,
    CancelAllOrders,
    OrderEvent,
    OrderFilled,
    OrderStatus,
    VenueDisconnected,
)
from ashare_exec.oms.state import StateChange

if TYPE_CHECKING:
    from ashare_exec.engine.pretrade import RulesAndRisk
    from ashare_exec.engine.reconciler import Reconciler
    from ashare_exec.engine.scheduler import SessionScheduler
    from ashare_exec.venues.base import VenueAdapter

__all__ = ["ExecutionService", "ServiceHooks"]

log = logging.getLogger(__name__)


@dataclass
class ServiceHooks:
    """Optional observers (metrics, alerts, audit, order log); all default to no-ops."""

    on_change: Callable[[StateChange], None] = lambda _: None
    on_alert: Callable[[str, str, str, dict[str, Any]], None] = lambda *_: None
    on_audit: Callable[[str, str, dict[str, Any]], None] = lambda *_: None
    on_api_latency: Callable[[str, float], None] = lambda *_: None
    metrics_exposition: Callable[[], tuple[bytes, str]] = lambda: (b"", "text/plain")
    extra_status: dict[str, Callable[[], Any]] = field(default_factory=dict)
    alerts_to_stream: bool = True
    """Publish engine alerts on the stream here (False when an alert engine does it)."""
    periodic: Callable[[], Awaitable[None]] | None = None
    aclose: Callable[[], Awaitable[None]] | None = None
    on_end_of_day: Callable[[date], None] = lambda _d: None


class ExecutionService(QueriesMixin, CommandsMixin, ClosingMixin, RiskMixin):
    """Everything a running gateway does, behind one object (one asyncio loop)."""

    def __init__(
        self,
        *,
        config: GatewayConfig,
        clock: Clock,
        core: ExecutionCore,
        pretrade: RulesAndRisk,
        reconciler: Reconciler,
        scheduler: SessionScheduler | None,
        bus: EventBus,
        hooks: ServiceHooks,
        close_resources: Callable[[], None],
        archive_day: Callable[[date], Path | None],
    ) -> None:
        self.config = config
        self.clock = clock
        self.core = core
        self.pretrade = pretrade
        self.reconciler = reconciler
        self.scheduler = scheduler
        self.bus = bus
        self.hooks = hooks
        self._close_resources = close_resources
        self._archive_day = archive_day
        self.last_active_day = lambda: None
        self.active_day_before = lambda _d: None
        self.is_archived = lambda _d: False
        self._tasks: list[asyncio.Task[Any]] = []
        self.started = False
        self.cancel_on_shutdown = False
        self.shutdown_timeout_s = 10.0
        self.last_archive: Path | None = None
        self.waiting_for: dict[str, str] = {}
        """Venues down since start, each with the last reason it could not be reached."""
        self.post_start: list[Callable[[], Any]] = []
        self.observer: Any = None
        core._publish = self._publish
        core._alert = self._alert
        core._request_reconcile = reconciler.request
        reconciler.on_first_reconcile = self._first_reconciled
        pretrade.alert = self._alert
        pretrade.execute = self._execute_risk_action

    # ---- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Connect every venue, reconcile every account, then open for commands."""
        self.core.start()
        self.core.on_venue_connected = self._on_venue_connected
        # A day missed is closed from the journal alone, before any venue can report
        # anything dated today (a late push of yesterday's order while connecting).
        await self.close_missed_day()
        await self.start_today()
        venues = {id(rt.venue): rt.venue for rt in self.core.accounts.values()}
        down: dict[str, tuple[VenueAdapter, BrokerError]] = {}
        for venue in venues.values():
            venue.set_report_sink(self.core.on_report)
            try:
                await venue.connect()
            except BrokerError as e:
                if not self.config.sessions.wait_for_venues:
                    raise
                down[venue.name] = (venue, e)
                # As a link that dropped: the venue's gauge reads 0 and the venue alert rule
                # pages now (and reports it back, with the downtime, once it connects).
                self.core.on_report(
                    VenueDisconnected(venue=venue.name, ts_event=self.clock.now(),
                                      reason=f"not reached at start: {e.message}")
                )  # fmt: skip
        await self.core.drain()
        up = [a for a, rt in self.core.accounts.items() if rt.venue.name not in down]
        for account_id in up:
            await self.reconciler.reconcile(account_id, "start")
        # The accounts of a venue down wait for their first reconcile (_first_reconciled):
        # nothing can be learned of their orders in flight before it, and a timer that asked
        # first would race it.
        self.core.rearm_inflight(up)
        self.core.accepting = True
        self.core.check_clock(self.clock.now())  # a clock set back while we were down halts
        self._spawn(self.reconciler.run_timer(self.config.sessions.reconcile_interval_s), "recon")
        if self.scheduler is not None:
            self._spawn(self.scheduler.run(), "scheduler")
        self._spawn(self._risk_loop(), "risk")
        if self.hooks.periodic is not None:
            self._spawn(self.hooks.periodic(), "observer")
        for hook in self.post_start:
            hook()
        self.started = True
        for name, (venue, error) in down.items():
            self.waiting_for[name] = error.message
            self._spawn(self._connect_later(venue), f"connect-{name}")
        waiting = (
            f"; waiting for {', '.join(down)} (not reached; connecting again in the background, "
            "its accounts take no orders until it is up)"
            if down
            else " and reconciled"
        )
        self._alert("info", "SERVICE_STARTED", f"service started{waiting}", {})

    async def _connect_later(self, venue: VenueAdapter) -> None:
        """Connect a venue that was down at start, with doubling waits, until it is up. Its
        accounts are then reconciled as at a start (``_on_venue_connected``)."""
        sessions = self.config.sessions
        delay, attempts = sessions.venue_retry_s, 1
        while True:
            await asyncio.sleep(delay)
            attempts += 1
            try:
                await venue.connect()
            except BrokerError as e:
                log.warning("%s still out of reach (attempt %d): %s", venue.name, attempts, e)
                self.waiting_for[venue.name] = e.message
                delay = min(delay * 2, sessions.venue_retry_max_s)
                continue
            log.info("%s connected after %d attempts", venue.name, attempts)
            self.waiting_for.pop(venue.name, None)
            return

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())
            self._alert("critical", "TASK_FAILED", f"background task {task.get_name()} failed", {})

    def _first_reconciled(self, account_id: AccountId) -> None:
        if self.started:  # an account of a venue down at start: see start()
            self.core.rearm_inflight([account_id])

    def _on_venue_connected(self, venue: str) -> None:
        if not self.started:
            return
        if self.scheduler is not None:
            self.scheduler.retry_deferred()  # an end of day waiting for this venue
        for rt in self.core.accounts.values():
            if rt.venue.name == venue:
                first = not self.reconciler.has_reconciled(rt.account_id)
                self.reconciler.request(rt.account_id, "start" if first else "reconnect")

    async def stop(self, *, cancel_working: bool = False) -> None:
        """Graceful shutdown: refuse new orders, settle in-flight orders, flush, close."""
        self.core.accepting = False
        self.core.refusal_code = "SHUTTING_DOWN"
        if cancel_working:
            for rt in self.core.accounts.values():
                with contextlib.suppress(GatewayError):
                    await self.cancel_all_orders(CancelAllOrders(rt.account_id), actor="shutdown")
        deadline = asyncio.get_running_loop().time() + self.shutdown_timeout_s
        while asyncio.get_running_loop().time() < deadline and any(
            o.status in (OrderStatus.PENDING_NEW, OrderStatus.PENDING_CANCEL)
            for o in self.core.state.book.open_orders()
        ):
            await asyncio.sleep(0.02)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        with contextlib.suppress(JournalError):  # the risk counters of the last second
            self.pretrade.persist_if_dirty()
        await self.core.stop()
        venues = {id(rt.venue): rt.venue for rt in self.core.accounts.values()}
        for venue in venues.values():
            with contextlib.suppress(Exception):
                await venue.close()
        if self.hooks.aclose is not None:
            with contextlib.suppress(Exception):
                await self.hooks.aclose()
        self._close_resources()
        self.started = False

    # ---- trading state, limits, metrics -------------------------------------------------

    async def set_trading_state(
        self,
        account_id: str | None,
        state: str,
        *,
        actor: str,
        cancel_working: bool = False,
        reason: str = "",
    ) -> dict[str, Any]:
        """Set the kill-switch state (persisted, audited); optionally cancel working orders."""
        if account_id is not None:
            self.core.runtime(account_id)
        record = self.pretrade.set_state(account_id, state, actor, reason, self.clock.now())
        record["persisted"] = self._persist_risk()
        still_failing: JournalError | None = None
        if state == "ACTIVE" and account_id is None:
            try:
                if self.core.resume_after_halt():
                    record["resumed_engine"] = True
                    record["persisted"] = self._persist_risk()  # held while halted: now written
                    if self.scheduler is not None:
                        self.scheduler.retry_deferred()  # an end of day waiting for the journal
            except JournalError as e:
                record["resumed_engine"], still_failing = False, e
        self.hooks.on_audit("trading_state", actor, record)
        self._publish_plain("risk", record, account_id)
        if still_failing is not None:
            raise JournalError(
                f"trading state set to {state}, but the journal still cannot write "
                f"({still_failing.message}): new orders stay refused until it can",
                context=still_failing.context,
            )
        canceled: list[str] = []
        if cancel_working:
            targets = [account_id] if account_id else list(self.core.accounts)
            for acct in targets:
                canceled += await self.cancel_all_orders(
                    CancelAllOrders(AccountId(acct)), actor=actor
                )
        return {**record, "canceled": canceled}

    def metrics_exposition(self) -> tuple[bytes, str]:
        """Prometheus text exposition."""
        return self.hooks.metrics_exposition()

    def observe_api(self, route: str, seconds: float) -> None:
        """Record one API call's latency."""
        self.hooks.on_api_latency(route, seconds)

    # ---- publishing ---------------------------------------------------------------------

    def _publish(self, change: StateChange) -> None:
        self.hooks.on_change(change)
        order = change.order
        event = change.event
        if order is None or not isinstance(event, OrderEvent):
            self._publish_plain("account", {"event": type(event).__name__}, event.account_id)
            return
        ts = iso(event.ts_event)
        kind = "fill" if isinstance(event, OrderFilled) else "order"
        self.bus.publish(kind, ts, event_view(order, event), order.spec.account_id)

    def _publish_plain(self, kind: str, data: dict[str, Any], account_id: str | None) -> None:
        self.bus.publish(kind, self.clock.now().isoformat(), data, account_id)

    def _alert(self, severity: str, code: str, message: str, context: dict[str, Any]) -> None:
        log.log(logging.WARNING if severity != "info" else logging.INFO, "%s: %s", code, message)
        self.hooks.on_alert(severity, code, message, context)
        if not self.hooks.alerts_to_stream:
            return
        self._publish_plain(
            "alert",
            {"severity": severity, "code": code, "message": message, **_jsonable(context)},
            str(context.get("account_id")) if context.get("account_id") else None,
        )


def _jsonable(context: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in context.items():
        out[k] = v if isinstance(v, str | int | bool | type(None)) else str(v)
    return out
