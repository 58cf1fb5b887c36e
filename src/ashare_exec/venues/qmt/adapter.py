"""The QMT/MiniQMT venue adapter (xtquant ``XtQuantTrader``, async APIs only).

Threads: every public method runs on the engine loop. xtquant calls back on its executor
thread into :class:`~ashare_exec.venues.qmt.bridge.CallbackBridge`, which copies and
enqueues; requests run on the session's own thread (:class:`~.shim.XtSession`) and are
awaited with an adapter-side timeout. The link supervisor lives in :mod:`.link`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from ashare_exec.clock import Clock, cst_date
from ashare_exec.errors import (
    BrokerError,
    BrokerRejected,
    BrokerTimeout,
    BrokerUnavailable,
    GatewayError,
)
from ashare_exec.model import (
    AccountId,
    AccountStatus,
    BrokerOrderId,
    CashReport,
    ClientOrderId,
    Exchange,
    OrderCancelRejected,
    OrderFilled,
    OrderSpec,
    OrderStatusReport,
    PositionReport,
    PriceType,
    TimeInForce,
)
from ashare_exec.venues.base import VenueCapabilities
from ashare_exec.venues.qmt import parsing as p
from ashare_exec.venues.qmt.book import OrderRecord, QmtAlert
from ashare_exec.venues.qmt.config import QmtConfig
from ashare_exec.venues.qmt.constants import VENUE_NAME
from ashare_exec.venues.qmt.link import QmtLink
from ashare_exec.venues.qmt.router import instrument_of
from ashare_exec.venues.qmt.store import QmtIdStore, QmtOrderIds
from ashare_exec.venues.shared_query import SharedQuery

__all__ = ["QmtAdapter"]

T = TypeVar("T")


class QmtAdapter(QmtLink):
    """Venue adapter for one MiniQMT terminal and its accounts.

    Args:
        config: the connection settings.
        clock: time source for report timestamps and session ids.
        store: where the id mapping is persisted (in memory by default).
        on_alert: called on the loop for each integrity alert (also kept in :attr:`alerts`).
    """

    def __init__(
        self,
        config: QmtConfig,
        clock: Clock,
        *,
        store: QmtIdStore | None = None,
        on_alert: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(config, clock, store=store, on_alert=on_alert)
        self._order_rows: SharedQuery[AccountId, list[p.XtOrderRow] | None] = SharedQuery(
            lambda account_id: self._query_rows("orders", account_id, p.copy_order)
        )
        """The day's order rows for looking one order up (a burst shares one listing)."""
        self.router.send_deferred_cancel = lambda rec: self._spawn(
            self.cancel(rec.account_id, rec.client_order_id, None)
        )
        self.name = VENUE_NAME
        self.capabilities = VenueCapabilities(
            name=VENUE_NAME,
            exchanges=frozenset(Exchange),
            price_types=frozenset(t for table in p.MAP_PRICE_TYPE_GW2XT.values() for t in table),
            accounts=config.accounts,
        )

    def id_mapping(
        self, account_id: AccountId, client_order_id: ClientOrderId
    ) -> QmtOrderIds | None:
        """The current id mapping of one of our orders (what :attr:`store` holds)."""
        rec = self._book(account_id).by_cid.get(client_order_id)
        return None if rec is None else rec.ids(rec.stock_code, self._session_id)

    def _alert(self, kind: str, rec: OrderRecord, message: str) -> None:
        self._raise_alert(QmtAlert(kind, rec.account_id, rec.client_order_id, message))

    def _emit_cancel_reject(
        self, account_id: AccountId, cid: ClientOrderId, code: str, message: str
    ) -> None:
        self._emit(OrderCancelRejected(account_id=account_id, client_order_id=cid,
                                       ts_event=self.clock.now(), reason_code=code,
                                       message=message))  # fmt: skip

    # ------------------------------------------------------------------ submit
    async def submit(self, spec: OrderSpec) -> None:
        """Send one order with ``order_stock_async``; return once the request has left.

        The async response is awaited in the background for ``submit_timeout_s``; without
        one the order is looked up by its remark (silent-reject detection) and, if still not
        found, an ``ORDER_IN_DOUBT`` alert is raised. It is never resent.

        Raises:
            BrokerUnavailable: link or account not ready; nothing was sent.
            BrokerRejected: refused before sending (invalid pair, id reuse, ...).
            BrokerTimeout: the native call itself hung: the order is in doubt.
        """
        book = self._book(spec.account_id)
        self._require_ready(spec.account_id)
        if spec.client_order_id in book.by_cid:
            raise BrokerRejected(
                f"client order id {spec.client_order_id} was already sent today; never resent",
                code="DUPLICATE_CLIENT_ORDER_ID",
            )
        if book.pending_submits >= self.config.max_pending_submits:
            raise BrokerRejected("too many submits awaiting an answer", code="RATE_LIMITED")
        price_type, price = self._wire_price(spec)
        try:
            remark = p.encode_remark(spec.client_order_id, self.config.remark_max_len)
        except ValueError as e:
            raise BrokerRejected(str(e), code="INVALID_REQUEST") from e
        rec = OrderRecord(
            spec.account_id, spec.client_order_id, remark, spec.instrument_id, spec.side, spec,
            day=cst_date(self.clock),
        )  # fmt: skip
        book.add(rec)
        _, session_id = self.session_ids()
        try:
            # Durable before anything leaves (shares the journal's next group commit).
            await self.store.persist(rec.ids(rec.stock_code, session_id))
            self._require_ready(spec.account_id)  # the link may have dropped meanwhile
        except BaseException as e:
            book.by_cid.pop(rec.client_order_id, None)
            book.by_remark.pop(rec.remark, None)
            if isinstance(e, GatewayError) and not isinstance(e, BrokerError):
                raise BrokerUnavailable(f"ids not recorded, nothing was sent: {e}") from e
            raise
        session = self._session
        assert session is not None
        loop = asyncio.get_running_loop()
        rec.answer = loop.create_future()
        rec.holding = True
        try:
            seq = await self._on_session(
                session.order_async,
                spec.account_id, str(spec.instrument_id), p.MAP_SIDE_GW2XT[spec.side],
                spec.qty, price_type, price, self.config.strategy_name, remark,
            )  # fmt: skip
        except BrokerRejected:
            book.by_cid.pop(rec.client_order_id, None)
            book.by_remark.pop(rec.remark, None)
            raise
        except BrokerTimeout:
            rec.in_doubt = True
            raise
        except BrokerError as e:  # the native call failed midway: it may have left
            rec.in_doubt = True
            raise BrokerTimeout(f"order_stock_async failed, order in doubt: {e.message}") from e
        except asyncio.CancelledError:
            # It may still leave from the session thread: watch for an answer (by remark)
            # so the order ends acknowledged, rejected or ORDER_IN_DOUBT, never silent.
            rec.in_doubt = True
            book.pending_submits += 1
            self._spawn(self._watch_answer(rec))
            raise
        finally:
            self._release_held(rec)
        book.by_seq[seq] = rec
        early = self._order_early.pop(seq, None)
        if early is not None:
            self.router.on_order_answer(spec.account_id, rec, early)
        book.pending_submits += 1
        self._spawn(self._watch_answer(rec))

    async def _watch_answer(self, rec: OrderRecord) -> None:
        answer = rec.answer
        try:
            if answer is not None:
                await asyncio.wait_for(asyncio.shield(answer), self.config.submit_timeout_s)
                self._failures = 0
        except TimeoutError:
            await self._silent_reject_check(rec)
        finally:
            self._books[rec.account_id].pending_submits -= 1
            rec.answer = None

    def _wire_price(self, spec: OrderSpec) -> tuple[int, float]:
        """Refuse invalid (exchange, board, price type) combinations before sending."""
        inst = spec.instrument_id
        code = p.price_type_xt(inst.exchange, spec.price_type)
        if code is None or spec.price_type is PriceType.AFTER_HOURS_FIXED:
            raise BrokerRejected(
                f"{spec.price_type} is not offered on {inst.exchange}",
                code="PRICE_TYPE_NOT_SUPPORTED",
            )
        if spec.time_in_force is not TimeInForce.DAY and spec.price_type is PriceType.LIMIT:
            raise BrokerRejected("A-share limit orders are day orders", code="INVALID_REQUEST")
        if isinstance(spec.qty, bool) or not isinstance(spec.qty, int) or spec.qty <= 0:
            raise BrokerRejected(
                f"qty must be a positive int, was {spec.qty!r}", code="QTY_NOT_POSITIVE"
            )
        if spec.price_type is PriceType.LIMIT:
            if spec.price is None or spec.price <= 0:
                raise BrokerRejected("a limit order needs a positive price", code="PRICE_REQUIRED")
            return code, _wire(spec.price)
        board = p.board_of(inst.code, inst.exchange)
        if board in p.PROTECTION_REQUIRED_BOARDS and spec.protection_price is None:
            raise BrokerRejected(
                f"market orders on {board} need a protection price",
                code="PROTECTION_PRICE_REQUIRED",
            )
        return code, _wire(spec.protection_price) if spec.protection_price else 0.0

    async def _silent_reject_check(self, rec: OrderRecord) -> None:
        """No answer in time: look the order up by remark; never resend."""
        if _settled(rec):
            return
        self._note_failure("submit timeout")
        try:
            rows = await self._order_rows(rec.account_id)
        except (BrokerTimeout, BrokerUnavailable):
            rows = None
        found = [r for r in rows or [] if r.order_remark and self._is_ours(r, rec)]
        if found:
            self.router.on_order_row(found[-1], from_query=True)
            return
        if _settled(rec):  # a push settled it while we queried
            return
        rec.in_doubt = True
        self._alert("ORDER_IN_DOUBT", rec, "no answer to order_stock_async and no order found")

    @staticmethod
    def _is_ours(row: p.XtOrderRow, rec: OrderRecord) -> bool:
        return row.order_remark == rec.remark or p.is_truncation(row.order_remark, rec.remark)

    # ------------------------------------------------------------------ cancel
    async def cancel(
        self,
        account_id: AccountId,
        client_order_id: ClientOrderId,
        broker_order_id: BrokerOrderId | None,
    ) -> None:
        """Cancel by ``order_id``; by ``order_sysid`` + market when the id is stale; once
        the ack brings either, when asked before it."""
        book = self._book(account_id)
        self._require_connected()
        rec = book.by_cid.get(client_order_id)
        if rec is None and broker_order_id and broker_order_id.isdigit():
            rec = book.by_order_id.get(int(broker_order_id))
        if rec is None:
            self._emit_cancel_reject(
                account_id, client_order_id, "ORDER_NOT_FOUND", "unknown order"
            )
            return
        if rec.cancel_waiting:
            return  # one cancel request at a time per order
        generation, _ = self.session_ids()
        by_id = rec.order_id is not None and rec.order_id_generation == generation
        if not by_id and not rec.order_sysid:
            if rec.final_sent:  # refused before any ack: nothing to cancel
                rec.cancel_pending = True
                self.router.cancel_rejected(rec, "the order is already done")
            else:  # the ack brings the id to cancel by; sent then (router._learn)
                rec.cancel_deferred = True
            return
        rec.cancel_pending = rec.cancel_waiting = True
        rec.cancel_failures.clear()
        try:
            ans = await self._cancel_once(rec, by_id)
            if ans.cancel_result != 0 and by_id and rec.order_sysid and not rec.final_sent:
                rec.cancel_failures.clear()
                ans = await self._cancel_once(rec, False)
        finally:
            rec.cancel_waiting = False
        if ans.cancel_result != 0 or rec.cancel_failures:
            reason = ans.error_msg or "; ".join(rec.cancel_failures) or "cancel refused"
            self.router.cancel_rejected(rec, reason)

    async def _cancel_once(self, rec: OrderRecord, by_id: bool) -> p.XtCancelAnswer:
        session = self._session
        assert session is not None
        fut: asyncio.Future[p.XtCancelAnswer] = asyncio.get_running_loop().create_future()
        if by_id:
            assert rec.order_id is not None
            seq = await self._on_session(session.cancel_async, rec.account_id, rec.order_id)
        else:
            assert rec.instrument_id is not None
            market = p.MAP_MARKET_GW2XT[rec.instrument_id.exchange]
            seq = await self._on_session(
                session.cancel_sysid_async, rec.account_id, market, rec.order_sysid
            )
        early = self._cancel_early.pop(seq, None)
        if early is not None:
            return early
        self._cancel_waiters[seq] = fut
        try:
            return await asyncio.wait_for(fut, self.config.request_timeout_s)
        except TimeoutError as e:
            self._note_failure("cancel timeout")
            raise BrokerTimeout(f"no answer to the cancel of {rec.client_order_id}") from e
        finally:
            self._cancel_waiters.pop(seq, None)

    # ------------------------------------------------------------------ queries
    async def query_orders(self, account_id: AccountId) -> list[OrderStatusReport]:
        """Every order of the day (``None`` from xtquant is read as an empty list)."""
        self._book(account_id)
        rows = await self._query_rows("orders", account_id, p.copy_order)
        return self.router.status_reports(account_id, rows or [])

    async def query_order(
        self, account_id: AccountId, client_order_id: ClientOrderId
    ) -> OrderStatusReport | None:
        """One order by our client id (matched through the remark); only its rows of the
        day's listing are converted (a row costs ~4 µs on the loop)."""
        book = self._book(account_id)
        rec = book.by_cid.get(client_order_id)
        rows = await self._order_rows(account_id) or []
        if rec is not None:
            rows = book.rows_of(rec, rows)
        reports = [self.router.status_report(r) for r in rows]
        found = [r for r in reports if r is not None and r.client_order_id == client_order_id]
        if found and rec is not None:
            rec.in_doubt = False
        return found[-1] if found else None

    async def query_trades(self, account_id: AccountId) -> list[OrderFilled]:
        """Every fill of the day for our orders (external fills are left to adoption)."""
        self._book(account_id)
        rows = await self._query_rows("trades", account_id, p.copy_trade)
        return self.router.fill_reports(account_id, rows or [])

    async def query_positions(self, account_id: AccountId) -> list[PositionReport]:
        """Every position of the account."""
        self._book(account_id)
        rows = await self._query_rows("positions", account_id, p.copy_position)
        out = []
        for r in rows or []:
            inst = instrument_of(r.stock_code)
            if inst is not None:
                out.append(
                    PositionReport(
                        account_id=account_id,
                        instrument_id=inst,
                        total_qty=r.volume,
                        sellable_qty=r.can_use_volume,
                        avg_cost=p.px(r.avg_price) if r.avg_price else None,
                        ts_event=self.clock.now(),
                    )
                )
        return out

    async def query_cash(self, account_id: AccountId) -> CashReport:
        """The account's cash (``BrokerUnavailable`` when MiniQMT returns nothing)."""
        self._book(account_id)
        rows = await self._query_rows("asset", account_id, _copy_asset)
        if not rows:
            raise BrokerUnavailable(f"no asset row for account {account_id}")
        a = rows[0]
        return CashReport(
            account_id=account_id, available=p.px(a.cash), frozen=p.px(a.frozen_cash),
            total_asset=p.px(a.total_asset), market_value=p.px(a.market_value),
            ts_event=self.clock.now(),
        )  # fmt: skip

    async def query_account_status(self, account_id: AccountId) -> AccountStatus:
        """Poll the account's login status (and push ``AccountStatusChanged`` on change)."""
        book = self._book(account_id)
        await self._poll_account_status()
        if book.xt_status is None:
            return AccountStatus.DOWN
        return p.account_status_xt2gw(book.xt_status)


def _settled(rec: OrderRecord) -> bool:
    return rec.accepted_sent or rec.final_sent


def _wire(price: Decimal) -> float:
    # The native field is a C++ double: the one place a price becomes a float.
    return float(price)


def _copy_asset(resp: Any) -> p.XtAssetRow:
    return p.copy_asset(resp)
