"""Turns copied xtquant data into venue reports, once each, on the engine loop.

The rules (``qmt-xtp.md`` §3.1): terminal states absorb; fills come from trades only,
de-duplicated by ``traded_id`` per account (a counter may replay the whole day); ``OrderAccepted``
is sent once, before the first fill or cancel; 57 and ``on_order_error`` make one
``OrderRejected`` together; 255 is *not* a rejection (the adapter queries to settle it).
"""

from __future__ import annotations

from collections.abc import Callable

from ashare_exec.clock import Clock, cst_date
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    ExchangeOrderId,
    InstrumentId,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderRejected,
    OrderStatus,
    OrderStatusReport,
    TradeId,
)
from ashare_exec.model.identifiers import BrokerOrderId
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.qmt import constants as c
from ashare_exec.venues.qmt import parsing as p
from ashare_exec.venues.qmt.book import AccountBook, OrderRecord, QmtAlert
from ashare_exec.venues.qmt.listing import LastListing
from ashare_exec.venues.qmt.store import QmtIdStore

__all__ = ["ReportRouter"]


class ReportRouter:
    """Applies vendor rows to the per-account books and emits reports."""

    def __init__(
        self,
        books: dict[AccountId, AccountBook],
        clock: Clock,
        emit: Callable[[VenueReport], None],
        alert: Callable[[QmtAlert], None],
        store: QmtIdStore,
        session: Callable[[], tuple[int, int | None]],
        settle: Callable[[OrderRecord], None],
    ) -> None:
        self.books = books
        self.clock = clock
        self.emit = emit
        self.alert = alert
        self.store = store
        self.session = session
        """Returns (generation, session id) of the live connection."""
        self.settle = settle
        """Schedules a query that settles an order in doubt (status 255)."""
        self.send_deferred_cancel: Callable[[OrderRecord], None] = lambda _rec: None
        """Sends the cancel asked before an order's ack, once an id to cancel by is known."""
        self._orders_listed = LastListing(self.status_report, _ours)
        self._trades_listed = LastListing(self.fill_report, lambda _fill: True)

    # ------------------------------------------------------------------ identity
    def resolve(
        self,
        account_id: str,
        order_id: int,
        sysid: str,
        remark: str,
        stock_code: str = "",
        *,
        trade: bool = False,
    ) -> OrderRecord | None:
        """Find (or adopt, by checked remark) our record and learn ids it lacks.

        ``trade``: the ids come from a trade row, which never replaces an ``order_id`` the
        record already has in this session (an order's own rows and answers say which id it
        holds now; a trade may carry the one it had when it traded)."""
        book = self.books.get(AccountId(account_id))
        if book is None:
            return None
        rec, truncated = book.find(order_id, sysid, remark)
        if rec is None:
            cid = p.decode_remark(remark)
            if cid is None:
                return None  # not ours (manual order or another program)
            rec = OrderRecord(
                book.account_id, ClientOrderId(cid), remark, instrument_of(stock_code), None,
                day=cst_date(self.clock),
            )  # fmt: skip
            book.add(rec)
        self._check_remark(rec, remark, truncated)
        if trade and rec.order_id is not None and rec.order_id_generation == self.session()[0]:
            order_id = 0
        self._learn(book, rec, order_id, sysid, stock_code)
        return rec

    def _check_remark(self, rec: OrderRecord, echo: str, truncated: bool) -> None:
        if rec.remark_checked or not echo:
            return
        rec.remark_checked = True
        if echo == rec.remark:
            return
        kind = (
            "REMARK_TRUNCATED"
            if truncated or p.is_truncation(echo, rec.remark)
            else ("REMARK_MISMATCH")
        )
        self.alert(
            QmtAlert(kind, rec.account_id, rec.client_order_id,
                     f"sent remark {rec.remark!r}, broker echoed {echo!r}")
        )  # fmt: skip

    def _learn(
        self, book: AccountBook, rec: OrderRecord, order_id: int, sysid: str, code: str
    ) -> None:
        generation, session_id = self.session()
        changed = False
        if order_id > 0 and (rec.order_id != order_id or rec.order_id_generation != generation):
            if rec.order_id is not None:
                book.by_order_id.pop(rec.order_id, None)
            rec.order_id, rec.order_id_generation = order_id, generation
            book.by_order_id[order_id] = rec
            changed = True
        if sysid and rec.order_sysid != sysid:
            rec.order_sysid = sysid
            book.by_sysid[sysid] = rec
            changed = True
        if rec.instrument_id is None and code:
            rec.instrument_id = instrument_of(code)
        if changed:
            self.store.save(rec.ids(rec.stock_code, session_id))
            if rec.cancel_deferred:
                rec.cancel_deferred = False
                self.send_deferred_cancel(rec)

    def dispatch(self, record: object) -> bool:
        """Apply a pushed order, trade or error record; ``False`` if it is none of them."""
        if isinstance(record, p.XtOrderRow):
            self.on_order_row(record)
        elif isinstance(record, p.XtTradeRow):
            self.on_trade_row(record)
        elif isinstance(record, p.XtOrderFailure):
            self.on_order_failure(record)
        elif isinstance(record, p.XtCancelFailure):
            self.on_cancel_failure(record)
        else:
            return False
        return True

    def on_any_order_answer(self, ans: p.XtOrderAnswer) -> bool:
        """Match an order response by seq (this session) or remark; ``False`` if unmatched."""
        for book in self.books.values():
            rec = book.by_seq.get(ans.seq)
            if rec is None and ans.account_id == book.account_id:
                rec, _ = book.find(ans.order_id, "", ans.order_remark)
            if rec is not None:
                self.on_order_answer(book.account_id, rec, ans)
                return True
        return False

    # ------------------------------------------------------------------ order answer
    def on_order_answer(self, account_id: str, rec: OrderRecord, ans: p.XtOrderAnswer) -> None:
        """Apply the response of ``order_stock_async`` to a known record."""
        if ans.order_id > 0:
            self.resolve(account_id, ans.order_id, "", ans.order_remark)
        else:
            self._check_remark(rec, ans.order_remark, False)
            self.reject(rec, ans.error_msg or "order refused by MiniQMT", None)
        if rec.answer is not None and not rec.answer.done():
            rec.answer.set_result(ans)

    def on_order_failure(self, err: p.XtOrderFailure) -> None:
        """``on_order_error``: correlate by order id, seq (this session) or remark."""
        book = self.books.get(AccountId(err.account_id))
        if book is None:
            return
        rec = self.resolve(err.account_id, err.order_id, "", err.order_remark)
        if rec is None and err.seq in book.by_seq:
            rec = book.by_seq[err.seq]
        if rec is not None:
            self.reject(rec, err.error_msg, err.order_id if err.order_id > 0 else None)

    def reject(self, rec: OrderRecord, message: str, order_id: int | None) -> None:
        """Emit the one ``OrderRejected`` of an order."""
        if rec.final_sent:
            return
        rec.final_sent = True
        rec.in_doubt = False
        self.emit(
            OrderRejected(
                account_id=rec.account_id,
                client_order_id=rec.client_order_id,
                ts_event=self.clock.now(),
                reason_code=p.reject_reason_code(message),
                message=message,
                broker_order_id=BrokerOrderId(str(order_id)) if order_id else None,
            )
        )

    # ------------------------------------------------------------------ order rows
    def on_order_row(self, row: p.XtOrderRow, *, from_query: bool = False) -> OrderRecord | None:
        """Apply an order push (or a query row during reconciliation)."""
        rec = self.resolve(
            row.account_id, row.order_id, row.order_sysid, row.order_remark, row.stock_code
        )
        if rec is None:
            return None
        if rec.side is None:
            rec.side = p.MAP_SIDE_XT2GW.get(row.order_type)
        status = row.order_status
        if status == c.ORDER_UNKNOWN:
            if not from_query:
                self.settle(rec)
            return rec
        if rec.final_sent:
            return rec  # terminal states absorb late and replayed pushes
        rec.xt_status = status
        if status in (c.ORDER_UNREPORTED, c.ORDER_WAIT_REPORTING):
            return rec
        if status == c.ORDER_JUNK:
            self.reject(rec, row.status_msg or "order rejected (57)", row.order_id or None)
            return rec
        self.accept(rec)
        rec.in_doubt = False
        if status in (c.ORDER_PART_CANCEL, c.ORDER_CANCELED):
            rec.final_sent = True
            rec.cancel_pending = False
            self.emit(
                OrderCanceled(
                    account_id=rec.account_id,
                    client_order_id=rec.client_order_id,
                    ts_event=self.clock.now(),
                    message=row.status_msg,
                )
            )
        elif status == c.ORDER_SUCCEEDED:
            # A cancel still pending is answered by its cancel error (after the last trade).
            rec.final_sent = True
        return rec

    def accept(self, rec: OrderRecord) -> None:
        """Emit ``OrderAccepted`` once (before any fill or cancel of the order)."""
        if rec.accepted_sent or rec.final_sent:
            return
        rec.accepted_sent = True
        self.emit(
            OrderAccepted(
                account_id=rec.account_id,
                client_order_id=rec.client_order_id,
                ts_event=self.clock.now(),
                broker_order_id=BrokerOrderId(str(rec.order_id)) if rec.order_id else None,
                exchange_order_id=ExchangeOrderId(rec.order_sysid) if rec.order_sysid else None,
            )
        )

    def cancel_rejected(self, rec: OrderRecord, message: str) -> None:
        """Emit one ``OrderCancelRejected`` for the outstanding cancel."""
        if not rec.cancel_pending:
            return
        rec.cancel_pending = False
        rec.cancel_failures.clear()
        done = rec.final_sent or rec.xt_status in p.XT_TERMINAL_STATUSES
        self.emit(
            OrderCancelRejected(
                account_id=rec.account_id,
                client_order_id=rec.client_order_id,
                ts_event=self.clock.now(),
                reason_code="ORDER_ALREADY_DONE" if done else "BROKER_REJECTED",
                message=message,
            )
        )

    def on_cancel_failure(self, err: p.XtCancelFailure) -> None:
        """``on_cancel_error``: the order state from pushes stays the truth."""
        rec = self.resolve(err.account_id, err.order_id, err.order_sysid, "")
        if rec is None or not rec.cancel_pending:
            return
        if rec.cancel_waiting:  # the cancel coroutine decides once its answer is in
            rec.cancel_failures.append(err.error_msg)
        else:
            self.cancel_rejected(rec, err.error_msg or "cancel failed")

    # ------------------------------------------------------------------ trades
    def on_trade_row(self, row: p.XtTradeRow) -> OrderFilled | None:
        """Apply a trade (push or query row); returns the fill if it is new."""
        book = self.books.get(AccountId(row.account_id))
        if book is None or not row.traded_id or row.traded_id in book.seen_trades:
            return None
        fill, rec = self._fill(row)
        if fill is None or rec is None:
            return None  # external order; reconciliation adopts it from the queries
        book.seen_trades.add(row.traded_id)
        self.accept(rec)
        self.emit(fill)
        return fill

    def _fill(self, row: p.XtTradeRow) -> tuple[OrderFilled | None, OrderRecord | None]:
        """The trade as a fill of ours (``None`` if it is not), and our record of its order."""
        rec = self.resolve(
            row.account_id,
            row.order_id,
            row.order_sysid,
            row.order_remark,
            row.stock_code,
            trade=True,
        )
        side = p.MAP_SIDE_XT2GW.get(row.order_type)
        if rec is None or side is None or rec.instrument_id is None:
            return None, rec
        order_id = rec.order_id or row.order_id  # the id the order holds now
        fill = OrderFilled(
            account_id=rec.account_id,
            client_order_id=rec.client_order_id,
            ts_event=self.clock.now(),
            trade_id=TradeId(row.traded_id),
            instrument_id=rec.instrument_id,
            side=side,
            last_qty=row.traded_volume,
            last_px=p.px(row.traded_price),
            fee=p.px(row.commission) if row.commission else None,
            broker_order_id=BrokerOrderId(str(order_id)) if order_id > 0 else None,
        )
        return fill, rec

    # ------------------------------------------------------------------ snapshots
    def status_reports(
        self, account_id: AccountId, rows: list[p.XtOrderRow]
    ) -> list[OrderStatusReport]:
        """:meth:`status_report` of each row of a listing, reusing unchanged rows' reports
        (``venues/qmt/listing.py``); rows that are no order of a known instrument left out."""
        return self._orders_listed.reports(account_id, self.session()[0], rows)

    def fill_reports(self, account_id: AccountId, rows: list[p.XtTradeRow]) -> list[OrderFilled]:
        """The fills of our orders in a trade listing (external ones are left to adoption)."""
        return self._trades_listed.reports(account_id, self.session()[0], rows)

    def fill_report(self, row: p.XtTradeRow) -> OrderFilled | None:
        """One trade row as a fill of ours, or ``None``."""
        return self._fill(row)[0]

    def status_report(self, row: p.XtOrderRow) -> OrderStatusReport | None:
        """The venue's view of one order row (``client_order_id`` ``None`` if not ours)."""
        inst = instrument_of(row.stock_code)
        side = p.MAP_SIDE_XT2GW.get(row.order_type)
        if inst is None or side is None:
            return None
        rec = self.resolve(
            row.account_id, row.order_id, row.order_sysid, row.order_remark, row.stock_code
        )
        return OrderStatusReport(
            account_id=AccountId(row.account_id),
            client_order_id=rec.client_order_id if rec else None,
            broker_order_id=BrokerOrderId(str(row.order_id)) if row.order_id > 0 else None,
            exchange_order_id=ExchangeOrderId(row.order_sysid) if row.order_sysid else None,
            instrument_id=inst,
            side=side,
            price_type=p.price_type_gw(inst.exchange, row.price_type),
            price=p.px(row.price) if row.price else None,
            qty=row.order_volume,
            filled_qty=row.traded_volume,
            avg_px=p.px(row.traded_price) if row.traded_volume else None,
            status=p.MAP_STATUS_XT2GW.get(row.order_status, OrderStatus.UNKNOWN),
            ts_event=self.clock.now(),
            message=row.status_msg,
        )


def _ours(report: OrderStatusReport) -> bool:
    return report.client_order_id is not None


def instrument_of(code: str) -> InstrumentId | None:
    """Parse ``600000.SH``; ``None`` when it is not a valid instrument id."""
    try:
        return InstrumentId.parse(code)
    except ValueError:
        return None
