"""The connection half of the vn.py adapter: host lifecycle, row dispatch, reconnects.

Threads: every method runs on the engine loop. The gateway's EventEngine thread only copies
rows onto the loop (:class:`~.shim.GatewayHost`); vendor calls run in worker threads with a
timeout. Orders and queries are in :mod:`.adapter`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from ashare_exec.clock import Clock, cst_date
from ashare_exec.errors import BrokerError, BrokerTimeout, BrokerUnavailable
from ashare_exec.model import (
    ClientOrderId,
    Exchange,
    PriceType,
    VenueConnected,
    VenueDisconnected,
)
from ashare_exec.venues.base import ReportSink, VenueAdapter, VenueCapabilities, VenueReport
from ashare_exec.venues.vnpy import parsing as p
from ashare_exec.venues.vnpy.book import OrderRecord, VnpyAlert, VnpyBook
from ashare_exec.venues.vnpy.config import VnpyConfig
from ashare_exec.venues.vnpy.constants import PROFILE_XTP, SURROGATE_BITS, VENUE_PREFIX
from ashare_exec.venues.vnpy.constants import XTP_GATEWAY_CLASS as XTP
from ashare_exec.venues.vnpy.shim import GatewayHost
from ashare_exec.venues.vnpy.store import InMemoryVnpyIdStore, VnpyIdStore, VnpyOrderIds

ANSWER_PATIENCE = 10
"""A query waits for its answer while the venue keeps delivering (a RESTART login's replay
of the day runs on the callback thread before the answer), up to this many timeouts."""

__all__ = ["VnpyLink"]


class VnpyLink(VenueAdapter):
    """Connection, dispatch and supervision of one vn.py gateway login (one account).

    Args:
        config: the gateway class, its settings and the adapter's timings.
        clock: time source for report timestamps.
        store: where the ``client_order_id <-> vt_orderid`` mapping is persisted.
        on_alert: called on the loop for each integrity alert (also kept in :attr:`alerts`).
        prepare_gateway: called with each new vn.py gateway before it connects (a test seam:
            replace the native request methods there).
    """

    def __init__(
        self,
        config: VnpyConfig,
        clock: Clock,
        *,
        store: VnpyIdStore | None = None,
        on_alert: Callable[[VnpyAlert], None] | None = None,
        prepare_gateway: Callable[[Any], None] | None = None,
    ) -> None:
        self.config = config
        self._prepare = prepare_gateway
        self.clock = clock
        self.store: VnpyIdStore = store or InMemoryVnpyIdStore()
        self._on_alert = on_alert
        self.alerts: list[VnpyAlert] = []
        derived = config.gateway.rpartition(":")[2].removesuffix("Gateway").upper()
        self.gateway_name = config.gateway_name or derived
        """vn.py's gateway name (the ``vt_orderid`` prefix): configured, or the class name
        without ``Gateway``, upper-cased (``XtpGateway`` -> ``XTP``)."""
        self.name = f"{VENUE_PREFIX}:{self.gateway_name}"
        xtp = config.gateway == XTP
        self.capabilities = VenueCapabilities(
            name=self.name,
            exchanges=frozenset({Exchange.SH, Exchange.SZ}) if xtp else frozenset(Exchange),
            price_types=frozenset(
                {PriceType.LIMIT, PriceType.BEST5_IOC, PriceType.COUNTERPARTY_BEST}
                if xtp
                else {PriceType.LIMIT}
            ),
            accounts=(config.account,),
        )
        self.book = VnpyBook(config.account, clock, self._emit_for, self._alert, xtp)
        self.host: GatewayHost | None = None
        self._sink: ReportSink | None = None
        self._connected = False
        self._drops = 0
        """Link drops seen, connected or not (a drop while logging in must not be lost)."""
        self._login_call: tuple[GatewayHost, asyncio.Future[tuple[bool, str]]] | None = None
        """The last vendor login and its host (it may outlive its timeout in its thread)."""
        self._closing = False
        self._restored = False
        self._seq = 0
        self._sending = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._supervisor: asyncio.Task[None] | None = None
        self._waiters: dict[int, asyncio.Future[p.HostQueryDone]] = {}
        self._account_waiters: list[asyncio.Future[p.VtAccountRow]] = []
        self._positions: dict[tuple[str, str, str], p.VtPositionRow] = {}
        self._fresh: dict[tuple[str, str, str], p.VtPositionRow] | None = None
        self._account: p.VtAccountRow | None = None
        self._heard_at = 0.0
        """``time.monotonic()`` when the gateway last delivered anything."""
        self.emulator: Any = None
        """The in-process XTP server when built with ``emulator = true`` (else ``None``)."""

    @property
    def xtp(self) -> bool:
        """Whether the hosted gateway is vnpy_xtp's (surrogates, raw errors, order queries)."""
        return self.host is not None and self.host.profile == PROFILE_XTP

    def set_report_sink(self, sink: ReportSink) -> None:
        """Set the callable that receives every report (on the loop thread)."""
        self._sink = sink

    @property
    def is_connected(self) -> bool:
        """Whether the gateway is logged in."""
        return self._connected

    def id_mapping(self, client_order_id: ClientOrderId) -> VnpyOrderIds | None:
        """The persisted ids of one of our orders."""
        rec = self.book.by_cid.get(client_order_id)
        if rec is None:
            return None
        return VnpyOrderIds(
            account_id=rec.account_id, client_order_id=client_order_id,
            surrogate=rec.surrogate, vt_orderid=rec.vt_orderid,
        )  # fmt: skip

    # ------------------------------------------------------------------ plumbing
    def _push(self, report: VenueReport) -> None:
        if self._sink is not None:
            self._sink(report)

    def _emit_for(self, rec: OrderRecord, report: VenueReport) -> None:
        if rec.holding:
            rec.held.append(report)
        else:
            self._push(report)

    def _release(self, rec: OrderRecord) -> None:
        rec.holding = False
        held, rec.held = rec.held, []
        for report in held:
            self._push(report)

    def _alert(self, alert: VnpyAlert) -> None:
        self.alerts.append(alert)
        if self._on_alert is not None:
            self._on_alert(alert)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro, name=f"{self.name}:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self._alert(VnpyAlert("TASK_FAILED", self.config.account, "", repr(task.exception())))

    def _dispatch(self, row: object) -> None:
        """Every row from the EventEngine, on the loop, in the gateway's order."""
        if self._closing:
            return  # a closed adapter reports nothing
        self._heard_at = time.monotonic()
        book = self.book
        if isinstance(row, p.XtpOrderRaw):
            book.on_raw(row)
        elif isinstance(row, p.VtOrderRow):
            book.on_order(row, sending=self._sending > 0)
        elif isinstance(row, p.VtTradeRow):
            book.on_trade(row, sending=self._sending > 0)
        elif isinstance(row, p.XtpTradeRaw):
            if row.order_client_id:
                book.raw_client_ids.setdefault(row.vt_orderid, row.order_client_id)
        elif isinstance(row, p.XtpCancelErrorRow):
            book.on_cancel_error(row)
        elif isinstance(row, p.VtPositionRow):
            key = (row.symbol, row.exchange, row.direction)
            self._positions[key] = row
            if self._fresh is not None:
                self._fresh[key] = row
        elif isinstance(row, p.VtAccountRow):
            self._account = row
            waiters, self._account_waiters = self._account_waiters, []
            for fut in waiters:
                if not fut.done():
                    fut.set_result(row)
        elif isinstance(row, p.VtLogRow):
            book.last_log = row.msg
        elif isinstance(row, p.HostQueryDone):
            waiter = self._waiters.get(row.request_id)
            if waiter is not None and not waiter.done():
                waiter.set_result(row)
        elif isinstance(row, p.LinkDown):
            self._on_link_down(row.reason)

    # ------------------------------------------------------------------ connection
    async def connect(self) -> None:
        """Start the gateway, log in, reconcile, push ``VenueConnected``.

        Raises:
            BrokerUnavailable: the login failed (the reason is the gateway's text).
            ConfigError: the gateway class cannot be loaded.
        """
        if self._connected:
            return
        self._closing = False
        cfg = self.config
        host = GatewayHost(
            cfg.gateway, self.gateway_name, cfg.data_dir or Path.cwd() / "vnpy",
            cfg.event_interval_s, self._dispatch, asyncio.get_running_loop(), self._prepare,
        )  # fmt: skip
        await asyncio.to_thread(host.start)
        self.host = host
        self.book.xtp = self.xtp
        self._restore()
        drops = self._drops
        ok, text = await self._login(host, host.connect, dict(cfg.settings))
        if not ok:
            self.host = None
            pending = self._login_call
            if pending is not None and pending[0] is host and not pending[1].done():
                # The vendor login outlived its timeout: stop the host once it returns, or
                # its session would stay logged in with nobody listening.
                loop = asyncio.get_running_loop()
                pending[1].add_done_callback(lambda _f: loop.run_in_executor(None, host.stop))
            else:
                await asyncio.to_thread(host.stop)
            raise BrokerUnavailable(f"{self.name} login failed: {text}")
        try:
            await self._reconcile()
        except BrokerError as e:  # logged in but not answering: as good as unreachable
            self.host = None
            await asyncio.to_thread(host.stop)
            raise BrokerUnavailable(f"{self.name} reconciliation after login failed: {e}") from e
        self._connected = True
        self._push(VenueConnected(venue=self.name, ts_event=self.clock.now(), session=text))
        if self._drops != drops:  # it dropped while we logged in: that drop counts now
            self._on_link_down("the link dropped while logging in")

    async def _login(
        self, host: GatewayHost, call: Callable[..., tuple[bool, str]], *args: Any
    ) -> tuple[bool, str]:
        """Run a vendor login on a worker thread, within ``connect_timeout_s``. It cannot be
        cancelled: one that outlives its timeout runs on, and the next attempt on the same
        host waits for it rather than opening a second session beside it."""
        pending = self._login_call
        if pending is not None and pending[0] is host and not pending[1].done():
            fut = pending[1]
        else:
            fut = asyncio.get_running_loop().run_in_executor(None, call, *args)
            self._login_call = (host, fut)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), self.config.connect_timeout_s)
        except TimeoutError:
            return False, "login timed out"
        except Exception as e:  # vendor code: any failure is a failed login
            return False, f"{type(e).__name__}: {e}"

    def _restore(self) -> None:
        """Load today's id mappings once, so replayed pushes map back to our orders."""
        if self._restored:
            return
        self._restored = True
        today = cst_date(self.clock)  # the store holds the day's mappings
        for ids in self.store.load(self.config.account):
            if ids.client_order_id not in self.book.by_cid:
                self.book.add(
                    OrderRecord(ids.account_id, ids.client_order_id, ids.surrogate,
                                vt_orderid=ids.vt_orderid, day=today)
                )  # fmt: skip
            self._seq = max(self._seq, ids.surrogate & ((1 << SURROGATE_BITS) - 1))

    async def _reconcile(self) -> None:
        """XTP: replay the day's orders, then trades, through the gateway's own mapping."""
        host = self.host
        if host is not None and self.xtp:
            await self._ask(lambda rid: host.query_xtp("orders", rid))
            await self._ask(lambda rid: host.query_xtp("trades", rid))
        self.book.flush_orphans()

    def _on_link_down(self, reason: str) -> None:
        self._drops += 1
        if not self._connected or self._closing:
            return
        self._connected = False
        self._push(VenueDisconnected(venue=self.name, ts_event=self.clock.now(), reason=reason))
        if self._supervisor is None or self._supervisor.done():
            self._supervisor = self._spawn(self._supervise(), "reconnect")

    async def _supervise(self) -> None:
        """Log in again with doubling backoff until it works (or the adapter closes)."""
        delay = self.config.backoff_initial_s
        while not self._closing:
            await asyncio.sleep(delay)
            host = self.host
            if host is None:
                return
            drops = self._drops
            ok, text = await self._login(host, host.relogin)
            if ok:
                try:
                    await self._reconcile()
                except BrokerError as e:
                    self._alert(VnpyAlert("RECONCILE_FAILED", self.config.account, "", e.message))
                if self._drops != drops:
                    # The new session dropped while we logged in or reconciled: up it is
                    # not (declared so, it stayed "connected" to no session for good).
                    delay = self.config.backoff_initial_s
                    continue
                self._connected = True
                self._push(VenueConnected(venue=self.name, ts_event=self.clock.now(), session=text))
                return
            delay = min(delay * 2, self.config.backoff_max_s)

    async def close(self) -> None:
        """Stop the supervisor and watchers, log out, stop the EventEngine. Idempotent."""
        self._closing = True
        self._connected = False
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        host, self.host = self.host, None
        if host is not None:
            await asyncio.to_thread(host.stop)

    def _require_host(self) -> GatewayHost:
        if not self._connected or self.host is None:
            raise BrokerUnavailable(f"{self.name} is not connected")
        return self.host

    async def _ask(self, call: Callable[[int], None]) -> p.HostQueryDone:
        host = self.host
        if host is None:
            raise BrokerUnavailable(f"{self.name} is not connected")
        rid = host.next_request_id()
        fut: asyncio.Future[p.HostQueryDone] = asyncio.get_running_loop().create_future()
        self._waiters[rid] = fut
        timeout = self.config.query_timeout_s
        try:
            await asyncio.wait_for(asyncio.to_thread(call, rid), timeout)
            return await self._answer(fut, timeout)
        except TimeoutError as e:
            raise BrokerTimeout(f"{self.name}: no answer to query {rid}") from e
        finally:
            self._waiters.pop(rid, None)

    async def _answer(
        self, fut: asyncio.Future[p.HostQueryDone], quiet_s: float
    ) -> p.HostQueryDone:
        """Wait for ``fut`` until ``quiet_s`` passed without the gateway delivering anything
        (or :data:`ANSWER_PATIENCE` times ``quiet_s`` in all); raises ``TimeoutError``."""
        asked = time.monotonic()
        give_up = asked + quiet_s * ANSWER_PATIENCE
        while True:
            wait = min(max(asked, self._heard_at) + quiet_s, give_up) - time.monotonic()
            if wait <= 0:
                raise TimeoutError
            try:
                return await asyncio.wait_for(asyncio.shield(fut), wait)
            except TimeoutError:
                continue  # heard something meanwhile? then the wait goes on
