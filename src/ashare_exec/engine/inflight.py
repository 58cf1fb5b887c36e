"""In-flight resolution: orders and cancels that got no answer are settled by query.

An order with no acknowledgement within the timeout is queried by its client id and
resolved, or marked ``UNKNOWN`` with an alert — never resent; so is an order with a cancel
pending that the venue does not know (its submit was never answered either). An order in
doubt is asked again a timeout later; if the venue still does not know it, a reconcile
settles it (it never arrived). A cancel the
venue never acted on is re-sent (a cancel is safe to repeat) a few times, then given up
with an alert.
After a restart every order still in flight is put back under the timer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.engine.contracts import AccountRuntime
from ashare_exec.errors import BrokerError, BrokerTimeout, BrokerUnavailable
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    OrderCancelRejected,
    OrderEvent,
    OrderSpec,
    OrderStatus,
    OrderStatusReport,
    OrderUnknown,
)
from ashare_exec.model.order import Order
from ashare_exec.oms.state import OmsState, StateChange
from ashare_exec.venues.base import VenueReport

__all__ = ["MAX_CANCEL_RETRIES", "InflightMixin"]

MAX_CANCEL_RETRIES = 3
_WORKING = frozenset({OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.PENDING_NEW})
_IN_FLIGHT = frozenset({OrderStatus.PENDING_NEW, OrderStatus.PENDING_CANCEL, OrderStatus.UNKNOWN})


class InflightMixin:
    """The in-flight part of :class:`~ashare_exec.engine.core.ExecutionCore`."""

    clock: Clock
    state: OmsState
    accounts: dict[AccountId, AccountRuntime]
    inflight_timeout_s: float
    on_sent: Callable[[str, OrderSpec, float, str | None], None]
    _request_reconcile: Callable[[AccountId, str], None]
    _alert: Callable[[str, str, str, dict[str, Any]], None]

    def on_report(self, report: VenueReport) -> None:  # pragma: no cover - see core
        raise NotImplementedError

    async def _commit(self, event: OrderEvent) -> StateChange:  # pragma: no cover - see core
        raise NotImplementedError

    def _arm_inflight(self, rt: AccountRuntime, coid: ClientOrderId) -> None:
        loop = asyncio.get_running_loop()
        old = rt.inflight.pop(coid, None)
        if old is not None:
            old.cancel()
        order = self.state.book.get(rt.account_id, coid)
        if order is None or order.status not in _IN_FLIGHT:
            # Answered already: QMT and XTP answer on their own threads, and the answer can
            # reach the loop before the call that sent the order (or the cancel) returns.
            # A timer then would only hold the order for a timeout and find nothing to do.
            return
        rt.inflight[coid] = loop.call_later(
            self.inflight_timeout_s,
            lambda: asyncio.ensure_future(self.resolve_inflight(rt, coid)),
        )

    async def resolve_inflight(self, rt: AccountRuntime, coid: ClientOrderId) -> None:
        """Settle an order that got no answer: query it by client id; never resend."""
        rt.inflight.pop(coid, None)
        order = self.state.book.get(rt.account_id, coid)
        if order is None or order.status not in _IN_FLIGHT:
            return
        answered, report = await self._query_inflight(rt, coid)
        if order.status not in _IN_FLIGHT:
            return  # settled meanwhile (a reconcile, a late report)
        if not answered:
            await self._mark_unknown(order, "no answer and the venue cannot be queried")
            return
        if report is None:
            # A cancel asked before any answer to the submit is no answer either: the
            # order may never have reached the venue (in doubt, as the submit alone).
            if order.status in (OrderStatus.PENDING_NEW, OrderStatus.PENDING_CANCEL):
                await self._mark_unknown(order, "no answer and the venue does not know the order")
                # Asked once more a timeout later: a venue slow to list it has had its time.
                self._arm_inflight(rt, coid)
            else:
                # Still unknown there: a reconcile now settles it (it never arrived), not
                # the next timed one, a minute of ORDER_IN_DOUBT later.
                self._request_reconcile(rt.account_id, f"order {coid} in doubt, not at the venue")
            return
        self.on_report(report)
        if order.status is OrderStatus.PENDING_CANCEL and report.status in _WORKING:
            await self._retry_cancel(rt, order, report)

    async def _query_inflight(
        self, rt: AccountRuntime, coid: ClientOrderId
    ) -> tuple[bool, OrderStatusReport | None]:
        """Query by client id while the venue cannot answer, with doubling waits:
        ``(answered, report)``. A venue back during the last wait is asked once more: its
        reconnect's reconcile may be over already, and nothing else would look again."""
        delay = 0.2
        for _attempt in range(5):
            try:
                return True, await rt.venue.query_order(rt.account_id, coid)
            except (BrokerUnavailable, BrokerTimeout):
                await asyncio.sleep(delay)
                delay *= 2
        if rt.venue.is_connected:
            try:
                return True, await rt.venue.query_order(rt.account_id, coid)
            except (BrokerUnavailable, BrokerTimeout):
                pass
        return False, None

    async def _retry_cancel(
        self, rt: AccountRuntime, order: Order, report: OrderStatusReport
    ) -> None:
        """The venue still works an order we asked to cancel: the cancel was lost (or we
        crashed before sending it). Re-sending a cancel is safe, unlike re-sending an order."""
        coid = order.spec.client_order_id
        tries = rt.cancel_retries.get(coid, 0)
        if tries < MAX_CANCEL_RETRIES:
            rt.cancel_retries[coid] = tries + 1
            broker_id = order.broker_order_id or report.broker_order_id
            t0 = time.perf_counter()
            try:
                await rt.venue.cancel(rt.account_id, coid, broker_id)
            except BrokerError as e:
                self.on_sent("cancel", order.spec, time.perf_counter() - t0, e.code)
            else:
                self.on_sent("cancel", order.spec, time.perf_counter() - t0, None)
            self._arm_inflight(rt, coid)
            return
        rt.cancel_retries.pop(coid, None)
        self._alert(
            "error",
            "CANCEL_NOT_CONFIRMED",
            f"order {coid}: cancel not confirmed by the venue; it is working again",
            {"account_id": rt.account_id, "client_order_id": coid},
        )
        await self._commit(
            OrderCancelRejected(
                account_id=rt.account_id,
                client_order_id=coid,
                ts_event=self.clock.now(),
                reason_code="CANCEL_NOT_CONFIRMED",
                message=f"the venue still works the order after {tries} cancel attempts",
            )
        )

    def rearm_inflight(self, accounts: Iterable[AccountId] | None = None) -> int:
        """After a restart: put every order still in flight (of ``accounts``, default all)
        back under the in-flight timer."""
        n = 0
        chosen = self.accounts.values() if accounts is None else map(self.accounts.get, accounts)
        for rt in chosen:
            if rt is None:
                continue
            for order in self.state.book.open_orders(rt.account_id):
                if order.status in _IN_FLIGHT:
                    self._arm_inflight(rt, order.spec.client_order_id)
                    n += 1
        return n

    async def _mark_unknown(self, order: Order, why: str) -> None:
        if order.status is OrderStatus.UNKNOWN or order.is_terminal:
            return
        await self._commit(
            OrderUnknown(
                account_id=order.spec.account_id,
                client_order_id=order.spec.client_order_id,
                ts_event=self.clock.now(),
                message=why,
            )
        )
        self._alert(
            "critical",
            "ORDER_IN_DOUBT",
            f"order {order.spec.client_order_id} is UNKNOWN: {why}",
            {"account_id": order.spec.account_id, "client_order_id": order.spec.client_order_id},
        )
