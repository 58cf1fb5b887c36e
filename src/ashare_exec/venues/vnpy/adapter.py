"""The vn.py venue adapter: any vn.py ``BaseGateway`` behind the venue contract.

Orders: ``send_order`` runs in a worker thread; the ``client_order_id <-> vt_orderid``
mapping (and for XTP the 32-bit ``order_client_id`` surrogate) is persisted before sending
and when ``send_order`` returns. Failed sends (``""``, ``"XTP.0"``) become rejections;
orders the venue never confirms are looked up (XTP) or flagged ``ORDER_IN_DOUBT``, and are
never resent. Connection handling lives in :class:`~.link.VnpyLink`.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date

from ashare_exec.clock import cst_date
from ashare_exec.errors import BrokerRejected, BrokerTimeout, BrokerUnavailable, GatewayError
from ashare_exec.model import (
    AccountId,
    AccountStatus,
    BrokerOrderId,
    CashReport,
    ClientOrderId,
    OrderCancelRejected,
    OrderFilled,
    OrderRejected,
    OrderSpec,
    OrderStatus,
    OrderStatusReport,
    PositionReport,
    PriceType,
)
from ashare_exec.venues.vnpy import parsing as p
from ashare_exec.venues.vnpy.book import OrderRecord, VnpyAlert
from ashare_exec.venues.vnpy.link import VnpyLink
from ashare_exec.venues.vnpy.store import VnpyOrderIds

__all__ = ["VnpyAdapter"]


class VnpyAdapter(VnpyLink):
    """Venue adapter for one vn.py gateway login (one account).

    Args:
        config: the gateway class, its settings and the adapter's timings.
        clock: time source for report timestamps.
        store: where the ``client_order_id <-> vt_orderid`` mapping is persisted.
        on_alert: called on the loop for each integrity alert (also kept in :attr:`alerts`).
        prepare_gateway: called with each new vn.py gateway before it connects (test seam).
    """

    # ------------------------------------------------------------------ submit
    async def submit(self, spec: OrderSpec) -> None:
        """Send one order; its outcome arrives as reports (never inside this call).

        Raises:
            BrokerUnavailable: not logged in; nothing was sent.
            BrokerRejected: refused before sending (account, duplicate id, price type, ...).
            BrokerTimeout: ``send_order`` did not return in time: the order is in doubt.
        """
        host = self._require_host()
        self._check_account(spec.account_id)
        if spec.client_order_id in self.book.by_cid:
            raise BrokerRejected(
                f"client order id {spec.client_order_id} was already sent today; never resent",
                code="DUPLICATE_CLIENT_ORDER_ID",
            )
        order_type, exchange, price = self._wire(spec)
        self._seq += 1
        sur = p.surrogate(self.config.instance_no, self._seq) if self.xtp else 0
        inst = spec.instrument_id
        rec = OrderRecord(
            spec.account_id, spec.client_order_id, sur, spec=spec, instrument_id=inst,
            side=spec.side, qty=spec.qty, price=spec.price, price_type=spec.price_type,
            holding=True, day=cst_date(self.clock),
        )  # fmt: skip
        self.book.add(rec)
        try:
            await self.store.persist(_ids(rec))  # durable before anything leaves
            host = self._require_host()  # the link may have dropped meanwhile
        except BaseException as e:
            self.book.by_cid.pop(spec.client_order_id, None)
            if isinstance(e, GatewayError) and not isinstance(e, BrokerUnavailable):
                raise BrokerUnavailable(f"ids not recorded, nothing was sent: {e}") from e
            raise
        loop = asyncio.get_running_loop()
        self._sending += 1
        try:
            vt_orderid, error = await asyncio.wait_for(
                asyncio.to_thread(
                    host.send_order, inst.code, exchange, p.MAP_SIDE_GW2VT[spec.side],
                    order_type, spec.qty, price, spec.client_order_id, sur,
                ),
                self.config.submit_timeout_s,
            )  # fmt: skip
        except TimeoutError as e:
            rec.in_doubt = True
            raise BrokerTimeout(f"send_order of {spec.client_order_id} hung; in doubt") from e
        except (TypeError, ValueError, KeyError) as e:  # refused by vn.py before the wire
            self.book.by_cid.pop(spec.client_order_id, None)
            raise BrokerRejected(f"send_order refused: {e}", code="INVALID_REQUEST") from e
        except Exception as e:  # vendor failure midway: it may have left
            rec.in_doubt = True
            raise BrokerTimeout(f"send_order failed, order in doubt: {e}") from e
        finally:
            self._sending -= 1
            loop.call_soon(self._release, rec)
        if p.failed_orderid(vt_orderid):
            self._rejected_send(rec, vt_orderid, error)
            return
        rec.vt_orderid = vt_orderid
        self.book.add(rec)
        self.store.save(_ids(rec))
        self.book.flush_orphans(vt_orderid)
        if self._sending == 0:
            self.book.flush_orphans()
        self._spawn(self._watch_submit(rec), f"watch:{spec.client_order_id}")

    def _check_account(self, account_id: AccountId) -> None:
        if account_id != self.config.account:
            raise BrokerRejected(
                f"account {account_id} is not traded by {self.name}", code="UNKNOWN_ACCOUNT"
            )

    def _wire(self, spec: OrderSpec) -> tuple[str, str, float]:
        """Refuse what the gateway cannot express; return (vn.py type, exchange, price)."""
        inst = spec.instrument_id
        exchange = p.MAP_EXCHANGE_GW2VT[inst.exchange]
        host = self.host
        if inst.exchange not in self.capabilities.exchanges or (
            host is not None and host.exchanges and exchange not in host.exchanges
        ):
            raise BrokerRejected(f"{self.name} does not route to {inst.exchange}",
                                 code="NOT_PERMITTED")  # fmt: skip
        order_type = p.vt_order_type(self.xtp, inst, spec.price_type)
        if order_type is None:
            raise BrokerRejected(
                f"{spec.price_type} on {inst} cannot be sent through {self.name}",
                code="PRICE_TYPE_NOT_SUPPORTED",
            )
        if isinstance(spec.qty, bool) or not isinstance(spec.qty, int) or spec.qty <= 0:
            raise BrokerRejected(f"qty must be a positive int, was {spec.qty!r}",
                                 code="QTY_NOT_POSITIVE")  # fmt: skip
        if spec.price_type is PriceType.LIMIT:
            if spec.price is None or spec.price <= 0:
                raise BrokerRejected("a limit order needs a positive price", code="PRICE_REQUIRED")
            return order_type, exchange, float(spec.price)  # the vendor field is a double
        return order_type, exchange, float(spec.protection_price or 0)

    def _rejected_send(self, rec: OrderRecord, vt_orderid: str, error: str) -> None:
        assert rec.client_order_id is not None
        rec.final = OrderStatus.REJECTED
        rec.confirmed = True
        rec.error_text = error or self.book.last_log or "send_order failed"
        rec.error_code = p.reason_from_xtp_error(0, rec.error_text)
        rec.held.append(OrderRejected(
            account_id=rec.account_id, client_order_id=rec.client_order_id,
            ts_event=self.clock.now(), reason_code=rec.error_code,
            message=f"send_order returned {vt_orderid!r}: {rec.error_text}",
        ))  # fmt: skip

    async def _watch_submit(self, rec: OrderRecord) -> None:
        """Unconfirmed after ``submit_timeout_s``: look it up (XTP) or flag it; never resend."""
        await asyncio.sleep(self.config.submit_timeout_s)
        if _settled(rec):
            return
        host = self.host
        if host is not None and self.xtp and self._connected:
            orderid = rec.vt_orderid.rpartition(".")[2]
            with contextlib.suppress(BrokerTimeout, BrokerUnavailable):
                await self._ask(lambda rid: host.query_xtp("orders", rid, orderid))
        if _settled(rec):  # a push or the lookup settled it
            return
        rec.in_doubt = True
        self._alert(VnpyAlert("ORDER_IN_DOUBT", rec.account_id, str(rec.client_order_id),
                              f"{rec.vt_orderid} never confirmed by the venue"))  # fmt: skip

    # ------------------------------------------------------------------ cancel
    async def cancel(
        self,
        account_id: AccountId,
        client_order_id: ClientOrderId,
        broker_order_id: BrokerOrderId | None,
    ) -> None:
        """Cancel by ``vt_orderid``; PENDING_CANCEL is tracked here (vn.py has none).

        Raises:
            BrokerUnavailable: not logged in.
            BrokerTimeout: ``cancel_order`` did not return in time.
        """
        host = self._require_host()
        loop = asyncio.get_running_loop()
        rec = self.book.by_cid.get(client_order_id)
        if rec is None and broker_order_id:
            rec = self.book.by_vt.get(broker_order_id)
        if rec is None or rec.client_order_id is None:
            loop.call_soon(self._push, OrderCancelRejected(
                account_id=account_id, client_order_id=client_order_id,
                ts_event=self.clock.now(), reason_code="ORDER_NOT_FOUND", message="unknown order",
            ))  # fmt: skip
            return
        inst = rec.instrument_id
        if rec.final is not None or (rec.qty and rec.filled_qty >= rec.qty):
            loop.call_soon(self.book.cancel_rejected, rec, "the order is already done")
            return
        if p.failed_orderid(rec.vt_orderid) or inst is None:
            loop.call_soon(self.book.cancel_rejected, rec, "the order is not known to the venue")
            return
        if rec.cancel_pending:
            return  # one cancel request at a time per order
        rec.cancel_pending = True
        orderid = rec.vt_orderid.rpartition(".")[2]
        exchange = p.MAP_EXCHANGE_GW2VT[inst.exchange]
        try:
            await asyncio.wait_for(
                asyncio.to_thread(host.cancel_order, orderid, inst.code, exchange),
                self.config.query_timeout_s,
            )
        except TimeoutError as e:
            raise BrokerTimeout(f"cancel_order of {client_order_id} hung") from e
        if not self.xtp:
            self._spawn(self._watch_cancel(rec), f"cancel:{client_order_id}")

    async def _watch_cancel(self, rec: OrderRecord) -> None:
        """Generic gateways push no cancel error: an unanswered cancel is reported refused."""
        await asyncio.sleep(self.config.query_timeout_s)
        if rec.cancel_pending and rec.final is None:
            rec.cancel_pending = False
            self.book.cancel_rejected(rec, "no answer to the cancel")

    # ------------------------------------------------------------------ queries
    async def query_order(
        self, account_id: AccountId, client_order_id: ClientOrderId
    ) -> OrderStatusReport | None:
        """One of our orders as the venue confirmed it (``None`` if the venue never did)."""
        self._require_host()
        self._check_account(account_id)
        rec = self.book.by_cid.get(client_order_id)
        return None if rec is None else self.book.status_report(rec)

    async def query_orders(self, account_id: AccountId) -> list[OrderStatusReport]:
        """Every order of the day the gateway has pushed (XTP: replayed at each login)."""
        self._require_host()
        self._check_account(account_id)
        out = [self.book.status_report(r) for r in self.book.confirmed_records()]
        return [r for r in out if r is not None]

    async def query_trades(self, account_id: AccountId) -> list[OrderFilled]:
        """Every fill of our orders today, one per trade id."""
        self._require_host()
        self._check_account(account_id)
        return list(self.book.trades.values())

    async def query_positions(self, account_id: AccountId) -> list[PositionReport]:
        """Ask the gateway for positions (XTP: until its last answer; else a quiet period)."""
        host = self._require_host()
        self._check_account(account_id)
        if self.xtp:
            self._fresh = {}
            try:
                await self._ask(host.query_position)
                self._positions = self._fresh
            finally:
                self._fresh = None
        else:
            await asyncio.to_thread(host.query_position, 0)
            await asyncio.sleep(self.config.query_settle_s)
        now = self.clock.now()
        out = []
        for row in self._positions.values():
            inst = p.instrument_of(row.symbol, row.exchange)
            if inst is None or row.direction not in ("NET", "LONG"):
                continue
            out.append(PositionReport(
                account_id=account_id, instrument_id=inst, total_qty=int(row.volume),
                sellable_qty=int(row.volume - row.frozen),
                avg_cost=p.px(row.price) if row.price else None, ts_event=now,
            ))  # fmt: skip
        return out

    async def query_cash(self, account_id: AccountId) -> CashReport:
        """Ask the gateway for the account's cash."""
        host = self._require_host()
        self._check_account(account_id)
        if self.xtp:
            done = await self._ask(host.query_account)
            row = self._account if done.rows else None
        else:
            fut: asyncio.Future[p.VtAccountRow] = asyncio.get_running_loop().create_future()
            self._account_waiters.append(fut)
            await asyncio.to_thread(host.query_account, 0)
            try:
                row = await asyncio.wait_for(fut, self.config.query_timeout_s)
            except TimeoutError as e:
                raise BrokerTimeout(f"{self.name}: no account answer") from e
        if row is None:
            raise BrokerUnavailable(f"{self.name}: no cash row for {account_id}")
        return CashReport(
            account_id=account_id, available=p.px(row.available), frozen=p.px(row.frozen),
            total_asset=p.px(row.balance), ts_event=self.clock.now(),
        )  # fmt: skip

    async def query_account_status(self, account_id: AccountId) -> AccountStatus:
        """``OK`` while logged in, ``DOWN`` otherwise (vn.py has no account status)."""
        self._check_account(account_id)
        return AccountStatus.OK if self._connected else AccountStatus.DOWN

    def start_day(self, day: date) -> None:
        """Forget the orders of earlier days and key the id store by ``day``: a client id
        of yesterday's may be sent again today, and a restart loads today's mappings.
        (Surrogates keep counting up: one of yesterday's is never taken for today's.)"""
        self.store.start_day(day.isoformat())
        self.book.start_day(day)
        if self.host is not None:
            self.host.forget_finished_orders()


def _settled(rec: OrderRecord) -> bool:
    return rec.confirmed or rec.final is not None


def _ids(rec: OrderRecord) -> VnpyOrderIds:
    assert rec.client_order_id is not None
    return VnpyOrderIds(
        account_id=rec.account_id, client_order_id=rec.client_order_id,
        surrogate=rec.surrogate, vt_orderid=rec.vt_orderid,
    )  # fmt: skip
