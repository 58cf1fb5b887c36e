"""Per-account order records and their indexes (owned by the engine loop; no locking).

Each account has its own :class:`AccountBook`: orders, id indexes, seen trade ids, login
status and pending-submit count never mix between accounts on one MiniQMT.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date

from ashare_exec.model import AccountId, ClientOrderId, InstrumentId, OrderSpec, Side
from ashare_exec.venues.qmt import parsing as p
from ashare_exec.venues.qmt.store import QmtOrderIds

__all__ = ["AccountBook", "OrderRecord", "QmtAlert"]


@dataclass(frozen=True, slots=True)
class QmtAlert:
    """An integrity problem the engine must see (e.g. a truncated remark echo)."""

    kind: str
    """``REMARK_TRUNCATED``, ``REMARK_MISMATCH``, ``ORDER_IN_DOUBT``, ..."""
    account_id: str
    client_order_id: str
    message: str


@dataclass(slots=True)
class OrderRecord:
    """What the adapter knows of one of our orders."""

    account_id: AccountId
    client_order_id: ClientOrderId
    remark: str
    instrument_id: InstrumentId | None
    side: Side | None
    spec: OrderSpec | None = None
    order_id: int | None = None
    order_id_generation: int | None = None
    order_sysid: str = ""
    xt_status: int | None = None
    accepted_sent: bool = False
    final_sent: bool = False
    """A terminal report (rejected / canceled) was emitted, or the venue said filled."""
    remark_checked: bool = False
    in_doubt: bool = False
    answer: asyncio.Future[p.XtOrderAnswer] | None = None
    cancel_pending: bool = False
    cancel_deferred: bool = False
    """A cancel asked before the ack brought an id to cancel by: sent once one is known."""
    cancel_waiting: bool = False
    cancel_failures: list[str] = field(default_factory=list)
    holding: bool = False
    """While ``submit`` runs, reports of this order wait in :attr:`held` (never inside submit)."""
    held: list[object] = field(default_factory=list)
    day: date | None = None
    """The trading day the order belongs to (sent, or found listed, that day)."""

    def ids(self, stock_code: str, session_id: int | None) -> QmtOrderIds:
        """The persistable id mapping."""
        return QmtOrderIds(
            account_id=self.account_id,
            client_order_id=self.client_order_id,
            remark=self.remark,
            stock_code=stock_code,
            order_id=self.order_id,
            session_id=session_id,
            order_sysid=self.order_sysid,
        )

    @property
    def stock_code(self) -> str:
        """``600000.SH`` or empty when unknown."""
        return str(self.instrument_id) if self.instrument_id else ""


class AccountBook:
    """The orders and state of one account."""

    def __init__(self, account_id: AccountId) -> None:
        self.account_id = account_id
        self.by_cid: dict[str, OrderRecord] = {}
        self.by_remark: dict[str, OrderRecord] = {}
        self.by_order_id: dict[int, OrderRecord] = {}
        self.by_sysid: dict[str, OrderRecord] = {}
        self.by_seq: dict[int, OrderRecord] = {}
        self.early_answers: dict[int, p.XtOrderAnswer] = {}
        self.seen_trades: set[str] = set()
        self.xt_status: int | None = None
        self.pending_submits = 0

    def add(self, record: OrderRecord) -> None:
        """Index a new record."""
        self.by_cid[record.client_order_id] = record
        self.by_remark[record.remark] = record
        if record.order_sysid:
            self.by_sysid[record.order_sysid] = record

    def start_day(self, day: date) -> None:
        """Forget the orders of earlier days: the terminal lists only today's, their ids
        may be numbered again, and their client ids may be used again today."""
        kept = [r for r in self.by_cid.values() if r.day is not None and r.day >= day]
        keep = {id(r) for r in kept}
        self.by_cid, self.by_remark, self.by_sysid = {}, {}, {}
        for rec in kept:
            self.add(rec)
        self.by_order_id = {k: r for k, r in self.by_order_id.items() if id(r) in keep}
        self.by_seq = {k: r for k, r in self.by_seq.items() if id(r) in keep}
        if not kept:
            self.seen_trades.clear()  # trade ids are the day's (kept: a rare moment's orders)

    def forget_session(self) -> None:
        """Drop per-connection handles (order ids, seqs) after a reconnect."""
        self.by_order_id.clear()
        self.by_seq.clear()
        self.early_answers.clear()

    def rows_of(self, rec: OrderRecord, rows: list[p.XtOrderRow]) -> list[p.XtOrderRow]:
        """The rows :meth:`find` takes for ``rec``."""
        return [r for r in rows if self.find(r.order_id, r.order_sysid, r.order_remark)[0] is rec]

    def find(self, order_id: int, sysid: str, remark: str) -> tuple[OrderRecord | None, bool]:
        """Find our record for a vendor row; the flag says the remark was truncated.

        Order: an intact checked remark naming one of our orders, then ``order_id`` of this
        session, then ``order_sysid``, then the remark as echoed (exact, then a unique record
        whose remark the echo is a prefix of). The remark comes first because it is the one
        id that is ours: a terminal's ``order_id`` is its own numbering, which a restart may
        change, and a row that carries an old one (a trade reported under the id its order
        had before) must not be taken for the order that holds that id now.
        """
        cid = p.decode_remark(remark) if remark else None
        if cid is not None and cid in self.by_cid:
            return self.by_cid[cid], False
        if order_id > 0 and order_id in self.by_order_id:
            return self.by_order_id[order_id], False
        if sysid and sysid in self.by_sysid:
            return self.by_sysid[sysid], False
        if remark:
            if remark in self.by_remark:
                return self.by_remark[remark], False
            cut = [r for r in self.by_remark.values() if p.is_truncation(remark, r.remark)]
            if len(cut) == 1:
                return cut[0], True
        return None, False
