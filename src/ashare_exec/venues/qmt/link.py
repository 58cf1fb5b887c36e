"""The MiniQMT link: sessions, reconnect supervisor, heartbeat, request plumbing, gating.

Reconnect (``qmt-xtp.md`` §3.5), by a supervisor task, never from a callback: mark down,
stop the old trader on a fresh thread, back off, new trader + new session id, connect,
subscribe, poll account status, reconcile orders and trades, then ``VenueConnected``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from ashare_exec.clock import Clock, cst_date
from ashare_exec.errors import (
    BrokerError,
    BrokerTimeout,
    BrokerUnavailable,
    InvalidRequest,
)
from ashare_exec.model import (
    AccountId,
    AccountStatusChanged,
    VenueConnected,
    VenueDisconnected,
)
from ashare_exec.venues.base import ReportSink, VenueAdapter
from ashare_exec.venues.qmt import constants as c
from ashare_exec.venues.qmt import parsing as p
from ashare_exec.venues.qmt.book import AccountBook, OrderRecord, QmtAlert
from ashare_exec.venues.qmt.bridge import CallbackBridge, SessionAllocator
from ashare_exec.venues.qmt.config import QmtConfig
from ashare_exec.venues.qmt.link_traffic import LinkTraffic
from ashare_exec.venues.qmt.router import ReportRouter, instrument_of
from ashare_exec.venues.qmt.shim import XtSession
from ashare_exec.venues.qmt.store import InMemoryIdStore, QmtIdStore

__all__ = ["QmtLink"]

log = logging.getLogger("ashare_exec.venues.qmt")
T = TypeVar("T")


class QmtLink(LinkTraffic, VenueAdapter):
    """Connection management shared by :class:`~.adapter.QmtAdapter` (not used alone)."""

    def __init__(
        self,
        config: QmtConfig,
        clock: Clock,
        *,
        store: QmtIdStore | None,
        on_alert: Callable[[Any], None] | None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.store: QmtIdStore = store if store is not None else InMemoryIdStore()
        self.alerts: list[QmtAlert] = []
        """Integrity alerts raised so far (the engine may also pass ``on_alert``)."""
        self.thread_probe: Callable[[str], None] | None = None
        """Test hook: called with the thread name of every xtquant callback."""
        self._on_alert = on_alert
        self._sink: ReportSink | None = None
        self._books = {a: AccountBook(a) for a in config.accounts}
        self.router = ReportRouter(
            self._books, clock, self._emit, self._raise_alert, self.store,
            self.session_ids, self._schedule_settle,
        )  # fmt: skip
        self._allocator = SessionAllocator(config.instance_no, lambda: int(clock.now().timestamp()))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session: XtSession | None = None
        self._bridge: CallbackBridge | None = None
        self._session_id: int | None = None
        self._generation = 0
        self._ready = False
        self._dropped = False
        """The session being established said it disconnected (before it was ready)."""
        self._closed = False
        self._failures = 0
        self._trouble = asyncio.Event()
        self._trouble_reason = ""
        self._supervisor: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._order_early: dict[int, p.XtOrderAnswer] = {}
        self._cancel_early: dict[int, p.XtCancelAnswer] = {}
        self._cancel_waiters: dict[int, asyncio.Future[p.XtCancelAnswer]] = {}
        today = cst_date(clock)  # the store holds the day's mappings
        for account_id in config.accounts:
            for ids in self.store.load(account_id):
                rec = OrderRecord(ids.account_id, ids.client_order_id, ids.remark,
                                  instrument_of(ids.stock_code), None, day=today)  # fmt: skip
                rec.order_sysid = ids.order_sysid
                self._books[account_id].add(rec)

    # ------------------------------------------------------------------ contract
    def start_day(self, day: date) -> None:
        """Forget the orders of earlier days and key the id store by ``day``: a client id
        of yesterday's may be sent again today, and a restart loads today's mappings.
        xttrader forgets what it kept of yesterday's answered requests (on the session
        thread, which its other calls use; nothing waits for it)."""
        self.store.start_day(day.isoformat())
        for book in self._books.values():
            book.start_day(day)
        if self._session is not None:
            self._session.run(self._session.forget_answered)

    def set_report_sink(self, sink: ReportSink) -> None:
        """Set the receiver of every report (called on the loop thread only)."""
        self._sink = sink

    @property
    def is_connected(self) -> bool:
        """Connected, subscribed and reconciled."""
        return self._ready

    @property
    def session_id(self) -> int | None:
        """The MiniQMT session id of the live trader (for logs and persistence)."""
        return self._session_id

    def session_ids(self) -> tuple[int, int | None]:
        """(generation, session id) of the live connection."""
        return self._generation, self._session_id

    async def connect(self) -> None:
        """Connect once; afterwards the supervisor reconnects on its own with backoff.

        Raises:
            BrokerUnavailable: the first connect failed.
        """
        if self._closed:
            raise BrokerUnavailable("the QMT adapter is closed")
        if self._supervisor is not None:
            return
        self._loop = asyncio.get_running_loop()
        try:
            await self._establish()
        except Exception as e:
            raise BrokerUnavailable(f"cannot connect to MiniQMT: {e}") from e
        self._supervisor = asyncio.create_task(self._supervise(), name="qmt-supervisor")

    async def close(self) -> None:
        """Stop the supervisor and heartbeat, then stop the trader off the callback thread."""
        self._closed = True
        self._ready = False
        for task in (self._supervisor, self._heartbeat, *self._tasks):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._supervisor = self._heartbeat = None
        await self._retire()

    # ------------------------------------------------------------------ link life
    async def _establish(self) -> None:
        self._trouble.clear()
        self._dropped = False
        loop = asyncio.get_running_loop()
        self._generation += 1
        session_id = self._allocator.allocate()
        bridge = CallbackBridge(loop, self._on_vendor, self._generation, self.thread_probe)
        self._bridge, self._session_id = bridge, session_id
        self._session = XtSession(self.config.userdata_path, session_id, bridge)
        for book in self._books.values():
            book.forget_session()
        log.info("qmt: connecting session %s", session_id)
        try:
            async with asyncio.timeout(self.config.connect_timeout_s):
                # Building the trader starts threads and imports: it gets the connect budget.
                rc = await self._on_session(
                    self._session.build_and_connect, budget=self.config.connect_timeout_s
                )
                if rc != 0:
                    raise BrokerUnavailable(self.config.connect_failed(rc, session_id))
                for account_id in self.config.accounts:
                    result = await self._request(self._session.subscribe_async, account_id,
                                                 copy=_copy_int)  # fmt: skip
                    if result != 0:
                        raise BrokerUnavailable(f"subscribe({account_id}) returned {result}")
                await self._poll_account_status()
                for account_id in self.config.accounts:
                    await self._reconcile(account_id)
                if self._dropped:
                    # Its disconnect came while it was not ready to act on one: the
                    # answers were in, the session is gone all the same.
                    raise BrokerUnavailable(f"session {session_id} disconnected while connecting")
        except BaseException:
            await self._retire()
            raise
        self._failures = 0
        self._ready = True
        self._emit(VenueConnected(venue=c.VENUE_NAME, ts_event=self.clock.now(),
                                  session=str(session_id)))  # fmt: skip
        if self.config.heartbeat_interval_s > 0:
            self._heartbeat = asyncio.create_task(self._beat(), name="qmt-heartbeat")

    async def _reconcile(self, account_id: AccountId) -> None:
        orders = await self._fetch("orders", account_id, p.copy_order)
        for row in orders or []:
            self.router.on_order_row(row, from_query=True)
        trades = await self._fetch("trades", account_id, p.copy_trade)
        for trade in trades or []:
            self.router.on_trade_row(trade)

    async def _supervise(self) -> None:
        while not self._closed:
            await self._trouble.wait()
            reason = self._trouble_reason
            log.warning("qmt: link down (%s); reconnecting", reason)
            self._ready = False
            if self._heartbeat is not None:
                self._heartbeat.cancel()
                self._heartbeat = None
            self._emit(VenueDisconnected(venue=c.VENUE_NAME, ts_event=self.clock.now(),
                                         reason=reason))  # fmt: skip
            self._generation += 1  # late callbacks of the old session are dropped
            await self._retire()
            delay = self.config.backoff_initial_s
            while not self._closed:
                await asyncio.sleep(delay)
                try:
                    await self._establish()
                    break
                except Exception as e:
                    log.warning("qmt: reconnect failed: %s", e)
                    delay = min(delay * 2, self.config.backoff_max_s)

    async def _retire(self) -> None:
        """Stop the current trader on a fresh thread (never on xtquant's callback thread)."""
        session, self._session = self._session, None
        if session is None:
            return
        try:
            await asyncio.wait_for(
                asyncio.wrap_future(session.stop_in_thread()), self.config.connect_timeout_s
            )
        except TimeoutError:
            log.error("qmt: stopping session %s timed out", session.session_id)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(self.config.heartbeat_interval_s)
            with contextlib.suppress(BrokerError):
                await self._poll_account_status()

    def _declare_trouble(self, reason: str) -> None:
        if self._ready and not self._trouble.is_set():
            self._trouble_reason = reason
            self._trouble.set()

    def _note_failure(self, reason: str) -> None:
        self._failures += 1
        if self._failures >= self.config.max_consecutive_failures:
            self._declare_trouble(f"{self._failures} failed calls ({reason})")

    # ------------------------------------------------------------------ requests
    async def _on_session(self, fn: Callable[..., T], *args: Any, budget: float | None = None) -> T:
        session = self._session
        if session is None:
            raise BrokerUnavailable("MiniQMT is not connected")
        try:
            fut = asyncio.wrap_future(session.run(fn, *args))
        except RuntimeError as e:  # the session thread was shut down
            raise BrokerUnavailable("MiniQMT session is closed") from e
        try:
            return await asyncio.wait_for(fut, budget or self.config.request_timeout_s)
        except TimeoutError as e:
            self._note_failure(getattr(fn, "__name__", "call"))
            raise BrokerTimeout(f"MiniQMT call {getattr(fn, '__name__', fn)} timed out") from e

    async def _request(self, start: Callable[..., Any], *args: Any, copy: Callable[[Any], T]) -> T:
        bridge = self._bridge
        if bridge is None:
            raise BrokerUnavailable("MiniQMT is not connected")
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._on_session(start, *args, bridge.resolver(fut, copy))
        try:
            result = await asyncio.wait_for(fut, self.config.request_timeout_s)
        except TimeoutError as e:
            self._note_failure(getattr(start, "__name__", "request"))
            raise BrokerTimeout("MiniQMT did not answer in time") from e
        self._failures = 0
        return result

    async def _fetch(self, what: str, account_id: str, copy: Callable[[Any], T]) -> list[T] | None:
        session = self._session
        if session is None:
            raise BrokerUnavailable("MiniQMT is not connected")
        if what == "asset":  # query_stock_asset_async hands over resp[0] or None

            def rows(resp: Any) -> list[T] | None:
                return None if resp is None else [copy(resp)]
        else:

            def rows(resp: Any) -> list[T] | None:
                return None if resp is None else [copy(x) for x in resp]

        return await self._request(session.query_async, what, account_id, copy=rows)

    async def _query_rows(
        self, what: str, account_id: str, copy: Callable[[Any], T]
    ) -> list[T] | None:
        self._require_connected()
        return await self._fetch(what, account_id, copy)

    async def _poll_account_status(self) -> None:
        rows = await self._fetch("account_status", "", p.copy_account_state)
        for row in rows or []:
            self._set_account_status(row.account_id, row.status)

    # ------------------------------------------------------------------ gating
    def _book(self, account_id: AccountId) -> AccountBook:
        book = self._books.get(account_id)
        if book is None:
            raise InvalidRequest(f"account {account_id} is not on this MiniQMT",
                                 code="UNKNOWN_ACCOUNT")  # fmt: skip
        return book

    def _require_connected(self) -> None:
        if not self._ready or self._session is None:
            raise BrokerUnavailable("MiniQMT link is down", code="VENUE_DISCONNECTED")

    def _require_ready(self, account_id: AccountId) -> None:
        self._require_connected()
        status = self._books[account_id].xt_status
        if status != c.ACCOUNT_STATUS_OK:
            raise BrokerUnavailable(
                f"account {account_id} is not ready at the broker (status {status})",
                code="ACCOUNT_NOT_READY",
            )

    def _set_account_status(self, account_id: str, code: int) -> None:
        book = self._books.get(AccountId(account_id))
        if book is None:
            return
        old = None if book.xt_status is None else p.account_status_xt2gw(book.xt_status)
        book.xt_status = code
        new = p.account_status_xt2gw(code)
        if new != old:
            self._emit(AccountStatusChanged(account_id=book.account_id, status=new,
                                            ts_event=self.clock.now(),
                                            message=f"xtquant account status {code}"))  # fmt: skip


def _copy_int(value: Any) -> int:
    return int(value) if isinstance(value, int) else -1
