"""The execution core: the command path and the report path, on one asyncio loop.

Command path (``submit``): account and symbol checks → idempotency by client order id →
venue readiness → exchange rules + risk (a denial is recorded as ``DENIED``, never raised)
→ ``OrderSubmitted`` applied and **journaled before** the venue sees the order → venue
submit → an in-flight timer that settles a silent order by query (never by resending).

Report path (``engine/report_path.py``): adapters push reports through
:meth:`ExecutionCore.on_report` (loop thread); one consumer task drains them in arrival
order, applies each through the OMS state, journals the batch with one commit, then
publishes to subscribers. Reports that cannot be applied are quarantined, alerted and
trigger a reconcile of their account — never dropped silently. In-flight resolution
(``engine/inflight.py``) settles orders and cancels that got no answer. When the clock
runs back or the journal fails, new orders halt (``engine/halts.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.engine.contracts import AccountRuntime, Journal, PreTrade, PreTradeDecision
from ashare_exec.engine.halts import HaltsMixin
from ashare_exec.engine.inflight import InflightMixin
from ashare_exec.engine.report_path import ReportPathMixin
from ashare_exec.errors import (
    BrokerError,
    BrokerRejected,
    BrokerTimeout,
    BrokerUnavailable,
    InvalidRequest,
    OrderNotFound,
    OrderRefused,
    ServiceUnavailable,
)
from ashare_exec.model import (
    AccountId,
    AccountStatus,
    ClientOrderId,
    Instrument,
    InstrumentId,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderPendingCancel,
    OrderRejected,
    OrderSpec,
    OrderStatus,
    OrderSubmitted,
    Quote,
    SubmitOrder,
    is_valid_client_order_id,
)
from ashare_exec.model.events import NOT_SENT
from ashare_exec.model.order import Order
from ashare_exec.model.portfolio import LedgerEvent
from ashare_exec.oms.idempotency import check_submit
from ashare_exec.oms.state import OmsState, StateChange
from ashare_exec.venues.base import VenueReport

__all__ = ["AccountRuntime", "ExecutionCore", "Journal", "PreTrade", "PreTradeDecision"]


class ExecutionCore(HaltsMixin, ReportPathMixin, InflightMixin):
    """Owns the OMS state for every account; the only writer of orders and ledger.

    Args:
        clock: injected time.
        state: the OMS state (book + ledger), rebuilt from the journal before start.
        journal: durable append.
        accounts: per-account runtime (venue, id minter).
        instruments: the instrument master.
        pretrade: exchange rules + risk.
        quotes: latest quote for an instrument, if any.
        publish: called after each journaled change (stream, metrics, logs).
        alert: called with (severity, code, message, context).
        inflight_timeout_s: how long an order may wait for its first answer.
    """

    def __init__(
        self,
        *,
        clock: Clock,
        state: OmsState,
        journal: Journal,
        accounts: dict[AccountId, AccountRuntime],
        instruments: dict[InstrumentId, Instrument],
        pretrade: PreTrade,
        quotes: Callable[[InstrumentId], Quote | None],
        publish: Callable[[StateChange], None],
        alert: Callable[[str, str, str, dict[str, Any]], None],
        request_reconcile: Callable[[AccountId, str], None],
        inflight_timeout_s: float = 10.0,
    ) -> None:
        self.clock = clock
        self.state = state
        self.journal = journal
        self.accounts = accounts
        self.instruments = instruments
        self.pretrade = pretrade
        self.quotes = quotes
        self._publish = publish
        self._alert = alert
        self._request_reconcile = request_reconcile
        self.inflight_timeout_s = inflight_timeout_s
        self.accepting = False
        self.refusal_code = "SHUTTING_DOWN"
        self.halt_reason: str | None = None
        self._clock_high = clock.now()
        self.quarantine: list[tuple[datetime, str, object]] = []
        self._reports: asyncio.Queue[VenueReport] = asyncio.Queue()
        self._consumer: asyncio.Task[None] | None = None
        self._venue_up: dict[str, bool] = {}
        self.on_venue_connected: Callable[[str], None] = lambda _: None
        self.on_sent: Callable[[str, OrderSpec, float, str | None], None] = lambda *_: None
        """Called after each venue request: (action, spec, seconds, error code or None)."""
        self.on_signal: Callable[[object], None] = lambda _: None
        """Connectivity, account-status, journal and reconciliation signals (for alerts)."""

    # ---- lifecycle ----------------------------------------------------------------------

    def start(self) -> None:
        """Start the report consumer."""
        if self._consumer is None:
            self._consumer = asyncio.create_task(self._consume(), name="reports")

    async def stop(self) -> None:
        """Drain queued reports and stop the consumer."""
        for rt in self.accounts.values():
            for handle in rt.inflight.values():
                handle.cancel()
            rt.inflight.clear()
        await self.drain()
        self.recover_at_stop()
        if self._consumer is not None:
            self._consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._consumer
            self._consumer = None

    async def drain(self) -> None:
        """Wait until every queued report has been applied and journaled."""
        await self._reports.join()

    def venue_up(self, venue: str) -> bool:
        """Whether the venue link is up."""
        return self._venue_up.get(venue, False)

    # ---- command path -------------------------------------------------------------------

    def runtime(self, account_id: str) -> AccountRuntime:
        """The account's runtime, or ``UNKNOWN_ACCOUNT``."""
        rt = self.accounts.get(AccountId(account_id))
        if rt is None:
            raise InvalidRequest(f"unknown account {account_id!r}", code="UNKNOWN_ACCOUNT")
        return rt

    def instrument(self, instrument_id: InstrumentId) -> Instrument:
        """The instrument, or ``UNKNOWN_SYMBOL``."""
        inst = self.instruments.get(instrument_id)
        if inst is None:
            raise InvalidRequest(
                f"{instrument_id} is not in the instrument master", code="UNKNOWN_SYMBOL"
            )
        return inst

    def ready_for_orders(self, rt: AccountRuntime) -> None:
        """Raise unless the account can take new orders right now."""
        if not self.accepting:
            raise ServiceUnavailable("the service takes no new orders now", code=self.refusal_code)
        if not rt.venue.is_connected or not self.venue_up(rt.venue.name):
            raise BrokerUnavailable(f"venue {rt.venue.name} is disconnected")
        if not rt.reconciled:
            raise BrokerUnavailable(
                f"account {rt.account_id} is not reconciled yet", code="VENUE_DISCONNECTED"
            )
        if rt.status is not AccountStatus.OK:
            raise ServiceUnavailable(
                f"account {rt.account_id} is {rt.status.value}", code="ACCOUNT_NOT_READY"
            )

    def resolve_client_id(self, cmd: SubmitOrder, rt: AccountRuntime) -> ClientOrderId:
        """The command's client order id (checked), or a freshly minted one."""
        if cmd.client_order_id is None:
            return rt.minter.next(lambda c: self.state.book.get(rt.account_id, c) is not None)
        if not is_valid_client_order_id(cmd.client_order_id):
            raise InvalidRequest(
                "client_order_id must be 1-20 characters of A-Za-z0-9_-",
                context={"client_order_id": cmd.client_order_id},
            )
        return cmd.client_order_id

    async def submit(self, cmd: SubmitOrder) -> tuple[Order, bool]:
        """Process one submit; return the order and whether it was created now.

        Raises:
            InvalidRequest: unknown account or symbol, malformed client id.
            DuplicateClientOrderId: the id exists with different content.
            ServiceUnavailable / BrokerUnavailable: not taking orders now.
        """
        rt = self.runtime(cmd.account_id)
        coid = self.resolve_client_id(cmd, rt)
        cmd = replace(cmd, client_order_id=coid)
        existing = check_submit(self.state.book, cmd, coid)
        if existing is not None:
            return existing, False
        inst = self.instrument(cmd.instrument_id)
        now = self.clock.now()
        self.check_clock(now)
        self.ready_for_orders(rt)
        decision = self.pretrade.check(cmd, inst, self.quotes(cmd.instrument_id), now)
        spec = _spec(decision.order or cmd, coid)
        if not decision.allowed:
            denied = OrderDenied(
                account_id=rt.account_id,
                client_order_id=coid,
                ts_event=now,
                spec=spec,
                reasons=decision.reasons,
                message="; ".join(decision.messages),
            )
            change, journaled = await self._record(denied)
            assert change.order is not None
            if not journaled:  # not sent either way; answered as every order in a halt is
                raise _not_recorded()
            return change.order, True
        submitted = OrderSubmitted(
            account_id=rt.account_id, client_order_id=coid, ts_event=now, spec=spec
        )
        change, journaled = await self._record(submitted)
        order = change.order
        assert order is not None
        if not journaled:
            await self._not_sent(order)
        await self._send(rt, order)
        return order, True

    async def _not_sent(self, order: Order) -> None:
        """An order the journal could not record is not sent: rejected here, then raise."""
        current = self.state.book.get(order.spec.account_id, order.spec.client_order_id)
        if current is not None and not current.is_terminal:
            await self._commit(
                OrderRejected(
                    account_id=order.spec.account_id,
                    client_order_id=order.spec.client_order_id,
                    ts_event=self.clock.now(),
                    reason_code=NOT_SENT,
                    message="not sent: the journal could not record it",
                )
            )
        raise _not_recorded()

    async def _send(self, rt: AccountRuntime, order: Order) -> None:
        spec = order.spec
        t0 = time.perf_counter()
        try:
            await rt.venue.submit(spec)
        except BrokerError as e:
            self.on_sent("send", spec, time.perf_counter() - t0, e.code)
            await self._send_failed(order, e)
            return
        self.on_sent("send", spec, time.perf_counter() - t0, None)
        self._arm_inflight(rt, order.spec.client_order_id)

    async def _send_failed(self, order: Order, error: BrokerError) -> None:
        spec = order.spec
        try:
            raise error
        except BrokerUnavailable as e:
            await self._commit(
                OrderRejected(
                    account_id=spec.account_id,
                    client_order_id=spec.client_order_id,
                    ts_event=self.clock.now(),
                    reason_code="VENUE_DISCONNECTED",
                    message=e.message,
                )
            )
            return
        except BrokerRejected as e:
            await self._commit(
                OrderRejected(
                    account_id=spec.account_id,
                    client_order_id=spec.client_order_id,
                    ts_event=self.clock.now(),
                    reason_code=e.code if e.code != "BROKER_ERROR" else "BROKER_REJECTED",
                    message=e.message,
                )
            )
            return
        except BrokerTimeout as e:
            await self._mark_unknown(order, f"submit timed out: {e.message}")
        except BrokerError as e:
            await self._mark_unknown(order, f"venue error: {e.message}")
        # The venue may have it all the same: asked after the timeout, as an unanswered one.
        self._arm_inflight(self.accounts[spec.account_id], spec.client_order_id)

    async def cancel(self, account_id: str, client_order_id: str) -> Order:
        """Request a cancel (never blocked by risk limits; only by exchange windows)."""
        rt = self.runtime(account_id)
        order = self.state.book.get(rt.account_id, ClientOrderId(client_order_id))
        if order is None:
            raise OrderNotFound(f"no order {client_order_id!r} in account {account_id!r}")
        if order.is_terminal:
            raise OrderRefused(
                f"order {client_order_id} is already {order.status.value}",
                reasons=("ORDER_ALREADY_DONE",),
            )
        if order.status is OrderStatus.PENDING_CANCEL:
            return order
        if not rt.venue.is_connected:
            raise BrokerUnavailable(f"venue {rt.venue.name} is disconnected")
        now = self.clock.now()
        self.pretrade.on_cancel(order, now)
        coid = order.spec.client_order_id
        await self._commit(
            OrderPendingCancel(account_id=rt.account_id, client_order_id=coid, ts_event=now)
        )
        current = self.state.book.get(rt.account_id, coid)
        if current is not None and current.is_terminal:
            return current  # it finished while the cancel was being journaled
        t0 = time.perf_counter()
        try:
            await rt.venue.cancel(rt.account_id, coid, (current or order).broker_order_id)
        except BrokerError as e:
            self.on_sent("cancel", order.spec, time.perf_counter() - t0, e.code)
            await self._commit(
                OrderCancelRejected(
                    account_id=rt.account_id,
                    client_order_id=order.spec.client_order_id,
                    ts_event=self.clock.now(),
                    reason_code=e.code,
                    message=e.message,
                )
            )
            raise
        self.on_sent("cancel", order.spec, time.perf_counter() - t0, None)
        self._arm_inflight(rt, order.spec.client_order_id)
        return order

    def _apply(self, event: OrderEvent | LedgerEvent) -> StateChange:
        change = self.state.apply(event)
        self.pretrade.observe(change)
        return change

    def _after(self, change: StateChange) -> None:
        self.pretrade.on_change(change, self.clock.now())
        self._publish(change)


def _not_recorded() -> ServiceUnavailable:
    return ServiceUnavailable(
        "journal failure, trading halted: the order was not sent", code="TRADING_HALTED"
    )


def _spec(cmd: SubmitOrder, coid: ClientOrderId) -> OrderSpec:
    return OrderSpec(
        account_id=cmd.account_id,
        client_order_id=coid,
        instrument_id=cmd.instrument_id,
        side=cmd.side,
        qty=cmd.qty,
        price_type=cmd.price_type,
        price=cmd.price,
        protection_price=cmd.protection_price,
        time_in_force=cmd.time_in_force,
        strategy_id=cmd.strategy_id,
    )
