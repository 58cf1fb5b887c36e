"""What comes in from xtquant and goes out to the engine, for :class:`~.link.QmtLink`.

Vendor callbacks arrive here on the loop (the bridge hops them over): a push or an answer
goes to the router, a disconnect declares trouble to the supervisor. Reports leave through
:meth:`LinkTraffic._emit`, held back while their order is being settled by a query.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ashare_exec.errors import BrokerError, GatewayError
from ashare_exec.model import AccountId
from ashare_exec.venues.base import ReportSink, VenueReport
from ashare_exec.venues.qmt import constants as c
from ashare_exec.venues.qmt import parsing as p
from ashare_exec.venues.qmt.book import AccountBook, OrderRecord, QmtAlert
from ashare_exec.venues.qmt.bridge import VendorMessage
from ashare_exec.venues.qmt.router import ReportRouter

__all__ = ["LinkTraffic"]

log = logging.getLogger("ashare_exec.venues.qmt")
T = TypeVar("T")


class LinkTraffic:
    """Vendor input and report output of the MiniQMT link (see the module docstring)."""

    alerts: list[QmtAlert]
    router: ReportRouter
    _on_alert: Callable[[Any], None] | None
    _sink: ReportSink | None
    _books: dict[AccountId, AccountBook]
    _loop: asyncio.AbstractEventLoop | None
    _generation: int
    _closed: bool
    _dropped: bool
    _tasks: set[asyncio.Task[Any]]
    _order_early: dict[int, p.XtOrderAnswer]
    _cancel_early: dict[int, p.XtCancelAnswer]
    _cancel_waiters: dict[int, asyncio.Future[p.XtCancelAnswer]]

    def _declare_trouble(self, reason: str) -> None:  # pragma: no cover - see link
        raise NotImplementedError

    def _set_account_status(self, account_id: str, code: int) -> None:  # pragma: no cover
        raise NotImplementedError

    async def _fetch(  # pragma: no cover - see link
        self, what: str, account_id: str, copy: Callable[[Any], T]
    ) -> list[T] | None:
        raise NotImplementedError

    # ------------------------------------------------------------------ vendor input
    def _on_vendor(self, message: VendorMessage) -> None:
        generation, kind, record = message
        if generation != self._generation or self._closed:
            return  # a late callback of a retired session
        if kind == "disconnected":
            self._dropped = True
            self._declare_trouble("MiniQMT disconnected")
            return
        try:
            handled = self.router.dispatch(record)
        except GatewayError as e:
            # A malformed push is kept aside with an alert; the next reconcile queries
            # the venue's own view of the order, so nothing is lost silently.
            self.router.alert(QmtAlert("MALFORMED_REPORT", "", "", f"{e.message}: {record!r}"))
            return
        if handled:
            pass
        elif kind == "order_answer" and isinstance(record, p.XtOrderAnswer):
            if not self.router.on_any_order_answer(record):
                self._order_early[record.seq] = record
        elif kind == "cancel_answer" and isinstance(record, p.XtCancelAnswer):
            waiter = self._cancel_waiters.pop(record.seq, None)
            if waiter is None:
                self._cancel_early[record.seq] = record
            elif not waiter.done():
                waiter.set_result(record)
        elif kind == "account_status" and isinstance(record, p.XtAccountState):
            self._set_account_status(record.account_id, record.status)

    # ------------------------------------------------------------------ output
    def _emit(self, report: VenueReport) -> None:
        cid = getattr(report, "client_order_id", None)
        account_id = getattr(report, "account_id", None)
        if cid is not None and account_id is not None:
            book = self._books.get(account_id)
            rec = book.by_cid.get(cid) if book is not None else None
            if rec is not None and rec.holding:
                rec.held.append(report)
                return
        loop = self._loop
        if loop is not None:
            loop.call_soon(self._deliver, report)

    def _release_held(self, rec: OrderRecord) -> None:
        rec.holding = False
        held, rec.held = rec.held, []
        for report in held:
            self._emit(report)  # type: ignore[arg-type]

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _deliver(self, report: VenueReport) -> None:
        if self._sink is not None:
            self._sink(report)

    def _raise_alert(self, alert: QmtAlert) -> None:
        log.error("qmt integrity alert %s: %s", alert.kind, alert.message)
        self.alerts.append(alert)
        if self._on_alert is not None:
            self._on_alert(alert)

    def _schedule_settle(self, rec: OrderRecord) -> None:
        self._spawn(self._settle(rec))

    async def _settle(self, rec: OrderRecord) -> None:
        with contextlib.suppress(BrokerError):
            rows = await self._fetch("orders", rec.account_id, p.copy_order)
            trades = await self._fetch("trades", rec.account_id, p.copy_trade)
            for trade in trades or []:
                if trade.order_remark == rec.remark or trade.order_sysid == rec.order_sysid:
                    self.router.on_trade_row(trade)
            for row in rows or []:
                if row.order_status != c.ORDER_UNKNOWN and (
                    row.order_remark == rec.remark or row.order_sysid == rec.order_sysid
                ):
                    self.router.on_order_row(row, from_query=True)
