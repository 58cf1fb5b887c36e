"""Order records and the routing of vn.py rows to our reports (loop-owned; no locking).

vn.py's six statuses are folded into our state machine here: fills come only from trades
(de-duplicated by trade id), terminal states stick, a SUBMITTING push after confirmation is
ignored (vnpy_xtp re-emits it when a push beats ``send_order``), and PENDING_CANCEL is ours.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ashare_exec.clock import Clock
from ashare_exec.model import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    InstrumentId,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderRejected,
    OrderSpec,
    OrderStatus,
    OrderStatusReport,
    PriceType,
    Side,
    TradeId,
)
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.vnpy import parsing as p

__all__ = ["OrderRecord", "VnpyAlert", "VnpyBook"]

_ACTIVE_VT = ("NOTTRADED", "PARTTRADED", "ALLTRADED")


@dataclass(frozen=True, slots=True)
class VnpyAlert:
    """An integrity problem the engine must see (``ORDER_IN_DOUBT``, ``UNMAPPED_FILL``, ...)."""

    kind: str
    account_id: str
    client_order_id: str
    message: str


@dataclass(slots=True)
class OrderRecord:
    """What the adapter knows of one order (``client_order_id`` is ``None`` when external)."""

    account_id: AccountId
    client_order_id: ClientOrderId | None
    surrogate: int = 0
    spec: OrderSpec | None = None
    vt_orderid: str = ""
    instrument_id: InstrumentId | None = None
    side: Side | None = None
    qty: int = 0
    price: Decimal | None = None
    price_type: PriceType = PriceType.LIMIT
    confirmed: bool = False
    """The venue has spoken about the order (a push or a query answer)."""
    seen: int = 0
    vt_status: str = "SUBMITTING"
    xtp_status: int | None = None
    vt_traded: int = 0
    accepted_sent: bool = False
    final: OrderStatus | None = None
    cancel_pending: bool = False
    in_doubt: bool = False
    error_code: str = ""
    error_text: str = ""
    fills: dict[str, OrderFilled] = field(default_factory=dict)
    holding: bool = False
    """While ``submit`` runs, this order's reports wait in :attr:`held`."""
    held: list[VenueReport] = field(default_factory=list)
    day: date | None = None
    """The trading day of the order (sent that day); ``None`` for another program's."""

    @property
    def filled_qty(self) -> int:
        """Shares filled, from de-duplicated trades (external orders: vn.py's ``traded``)."""
        if self.client_order_id is None:
            return self.vt_traded
        return sum(f.last_qty for f in self.fills.values())

    def status(self) -> OrderStatus:
        """Our status, derived from the record (never from vn.py's ``traded``)."""
        if self.client_order_id is None:
            return p.MAP_STATUS_VT2GW.get(self.vt_status, OrderStatus.UNKNOWN)
        if self.final is not None:
            return self.final
        if self.qty and self.filled_qty >= self.qty:
            return OrderStatus.FILLED
        if not self.confirmed:
            return OrderStatus.UNKNOWN if self.in_doubt else OrderStatus.PENDING_NEW
        if self.xtp_status == 7:  # XTP's own "unknown": vn.py calls it SUBMITTING
            return OrderStatus.UNKNOWN
        if self.cancel_pending:
            return OrderStatus.PENDING_CANCEL
        return OrderStatus.PARTIALLY_FILLED if self.filled_qty else OrderStatus.NEW

    def learn(self, row: p.VtOrderRow, xtp: bool) -> None:
        """Take the order's static fields from a vn.py row (for restored and external orders)."""
        if self.instrument_id is None:
            self.instrument_id = p.instrument_of(row.symbol, row.exchange)
            self.side = p.MAP_SIDE_VT2GW.get(row.direction)
            self.qty = int(row.volume)
            self.price = p.px(row.price) if row.price else None
            if row.type != "LIMIT" and self.instrument_id is not None:
                self.price_type = p.price_type_of(xtp, self.instrument_id)


class VnpyBook:
    """Every order of one account, its indexes, and the routing of rows to reports."""

    def __init__(
        self,
        account_id: AccountId,
        clock: Clock,
        emit: Callable[[OrderRecord, VenueReport], None],
        alert: Callable[[VnpyAlert], None],
        xtp: bool,
    ) -> None:
        self.account_id = account_id
        self.clock = clock
        self._emit = emit
        self._alert = alert
        self.xtp = xtp
        self.by_cid: dict[ClientOrderId, OrderRecord] = {}
        self.by_vt: dict[str, OrderRecord] = {}
        self.by_surrogate: dict[int, OrderRecord] = {}
        self.raw_client_ids: dict[str, int] = {}
        self.trades: dict[str, OrderFilled] = {}
        self.orphans: dict[str, list[object]] = {}
        self._seen = itertools.count(1)
        self.last_log = ""

    # ------------------------------------------------------------------ indexes
    def start_day(self, day: date) -> None:
        """Forget the orders of earlier days (and other programs' orders, learnt again from
        today's pushes): their client ids may be used again today."""
        kept = [r for r in self.by_cid.values() if r.day is not None and r.day >= day]
        self.by_cid, self.by_vt, self.by_surrogate = {}, {}, {}
        for rec in kept:
            self.add(rec)
        surrogates = {r.surrogate for r in kept}
        self.raw_client_ids = {k: s for k, s in self.raw_client_ids.items() if s in surrogates}
        ours = {r.client_order_id for r in kept}
        self.trades = {k: f for k, f in self.trades.items() if f.client_order_id in ours}

    def add(self, rec: OrderRecord) -> None:
        """Index a record by its client id, surrogate and vt_orderid."""
        if rec.client_order_id is not None:
            self.by_cid[rec.client_order_id] = rec
        if rec.surrogate:
            self.by_surrogate[rec.surrogate] = rec
        if rec.vt_orderid and not p.failed_orderid(rec.vt_orderid):
            self.by_vt[rec.vt_orderid] = rec

    def resolve(self, vt_orderid: str) -> OrderRecord | None:
        """The record of a ``vt_orderid``, through the XTP surrogate when not known yet."""
        rec = self.by_vt.get(vt_orderid)
        if rec is None:
            rec = self.by_surrogate.get(self.raw_client_ids.get(vt_orderid, 0))
            if rec is not None and not rec.vt_orderid:
                rec.vt_orderid = vt_orderid
                self.by_vt[vt_orderid] = rec
        return rec

    # ------------------------------------------------------------------ rows
    def on_raw(self, raw: p.XtpOrderRaw) -> None:
        """XTP's own push: remember the surrogate and the error, mark the order confirmed."""
        if raw.order_client_id:
            self.raw_client_ids[raw.vt_orderid] = raw.order_client_id
        rec = self.resolve(raw.vt_orderid)
        if rec is None:
            return
        self._confirm(rec)
        rec.xtp_status = raw.order_status
        if raw.error_id:
            rec.error_code = p.reason_from_xtp_error(raw.error_id, raw.error_msg)
            rec.error_text = f"[XTP {raw.error_id}] {raw.error_msg}"

    def on_order(self, row: p.VtOrderRow, sending: bool) -> None:
        """A vn.py order push (``sending``: a submit is between send and its return)."""
        if p.failed_orderid(row.vt_orderid):
            return  # "XTP.0": every failed send shares it; handled by submit
        rec = self.resolve(row.vt_orderid)
        if rec is None:
            if sending:
                self.orphans.setdefault(row.vt_orderid, []).append(row)
                return
            rec = OrderRecord(self.account_id, None, vt_orderid=row.vt_orderid)
            self.add(rec)
        rec.learn(row, self.xtp)
        rec.vt_status, rec.vt_traded = row.status, int(row.traded)
        if row.status != "SUBMITTING":
            self._confirm(rec)
        if rec.client_order_id is None or rec.final is not None:
            return
        if row.status == "REJECTED":
            rec.final = OrderStatus.REJECTED
            code = rec.error_code or p.reason_from_xtp_error(0, self.last_log)
            text = rec.error_text or self.last_log or "rejected by the gateway"
            self._send(rec, OrderRejected(
                account_id=self.account_id, client_order_id=rec.client_order_id,
                ts_event=self.clock.now(), reason_code=code, message=text,
                broker_order_id=BrokerOrderId(rec.vt_orderid),
            ))  # fmt: skip
        elif row.status in _ACTIVE_VT:
            self._accept(rec)
        elif row.status == "CANCELLED":
            self._accept(rec)
            rec.final = OrderStatus.CANCELED
            rec.cancel_pending = False
            self._send(rec, OrderCanceled(
                account_id=self.account_id, client_order_id=rec.client_order_id,
                ts_event=self.clock.now(),
                message=f"canceled after {rec.filled_qty} of {rec.qty} filled",
            ))  # fmt: skip

    def on_trade(self, row: p.VtTradeRow, sending: bool) -> None:
        """A vn.py trade push: one ``OrderFilled`` per trade id."""
        rec = self.resolve(row.vt_orderid)
        if rec is None:
            self.orphans.setdefault(row.vt_orderid, []).append(row)
            return
        if rec.client_order_id is None:
            return
        trade_id = f"{row.vt_tradeid}.{row.exchange}"  # XTP exec_id is unique per market only
        if trade_id in rec.fills:
            return
        inst = rec.instrument_id or p.instrument_of(row.symbol, row.exchange)
        side = rec.side or p.MAP_SIDE_VT2GW.get(row.direction)
        if inst is None or side is None:
            self._alert(VnpyAlert("UNMAPPED_FILL", self.account_id, rec.client_order_id, trade_id))
            return
        self._confirm(rec)
        self._accept(rec)
        fill = OrderFilled(
            account_id=self.account_id, client_order_id=rec.client_order_id,
            ts_event=self.clock.now(), trade_id=TradeId(trade_id), instrument_id=inst,
            side=side, last_qty=int(row.volume), last_px=p.px(row.price),
            broker_order_id=BrokerOrderId(rec.vt_orderid),
        )  # fmt: skip
        rec.fills[trade_id] = fill
        self.trades[trade_id] = fill
        self._send(rec, fill)

    def on_cancel_error(self, row: p.XtpCancelErrorRow) -> None:
        """XTP refused a cancel."""
        rec = self.resolve(row.vt_orderid)
        if rec is None or rec.client_order_id is None:
            return
        rec.cancel_pending = False
        self.cancel_rejected(rec, f"[XTP {row.error_id}] {row.error_msg}")

    def cancel_rejected(self, rec: OrderRecord, message: str) -> None:
        """Report a refused cancel (the order's state does not change)."""
        assert rec.client_order_id is not None
        done = rec.final is not None or (rec.qty > 0 and rec.filled_qty >= rec.qty)
        self._send(rec, OrderCancelRejected(
            account_id=self.account_id, client_order_id=rec.client_order_id,
            ts_event=self.clock.now(),
            reason_code="ORDER_ALREADY_DONE" if done else "BROKER_REJECTED", message=message,
        ))  # fmt: skip

    def flush_orphans(self, vt_orderid: str | None = None) -> None:
        """Route rows that arrived before their order was known (all of them: as external)."""
        keys = [vt_orderid] if vt_orderid is not None else list(self.orphans)
        for key in keys:
            for row in self.orphans.pop(key, []):
                if isinstance(row, p.VtOrderRow):
                    self.on_order(row, sending=False)
                elif isinstance(row, p.VtTradeRow) and key in self.by_vt:
                    self.on_trade(row, sending=False)

    # ------------------------------------------------------------------ reports
    def status_report(self, rec: OrderRecord) -> OrderStatusReport | None:
        """The venue's view of one order (``None`` until the venue has confirmed it)."""
        if not rec.confirmed or rec.instrument_id is None or rec.side is None:
            return None
        fills = rec.fills.values()
        filled = rec.filled_qty
        avg = None
        if fills and filled:
            notional = sum((f.last_px * f.last_qty for f in fills), Decimal(0))
            avg = (notional / filled).quantize(Decimal("0.0001"))
        return OrderStatusReport(
            account_id=self.account_id, client_order_id=rec.client_order_id,
            broker_order_id=BrokerOrderId(rec.vt_orderid) if rec.vt_orderid else None,
            exchange_order_id=None, instrument_id=rec.instrument_id, side=rec.side,
            price_type=rec.price_type, price=rec.price, qty=rec.qty, filled_qty=filled,
            avg_px=avg, status=rec.status(), ts_event=self.clock.now(), message=rec.error_text,
        )  # fmt: skip

    def confirmed_records(self) -> list[OrderRecord]:
        """Confirmed orders in the order the venue first told us about them."""
        recs = {id(r): r for r in (*self.by_cid.values(), *self.by_vt.values()) if r.confirmed}
        return sorted(recs.values(), key=lambda r: r.seen)

    def _confirm(self, rec: OrderRecord) -> None:
        if not rec.confirmed:
            rec.confirmed = True
            rec.in_doubt = False
            rec.seen = next(self._seen)

    def _accept(self, rec: OrderRecord) -> None:
        if rec.accepted_sent or rec.client_order_id is None:
            return
        rec.accepted_sent = True
        self._send(rec, OrderAccepted(
            account_id=self.account_id, client_order_id=rec.client_order_id,
            ts_event=self.clock.now(), broker_order_id=BrokerOrderId(rec.vt_orderid),
        ))  # fmt: skip

    def _send(self, rec: OrderRecord, report: VenueReport) -> None:
        self._emit(rec, report)
