"""The simulator's mutable records (orders, fills) and their JSON form for the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ashare_exec.model import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    ExchangeOrderId,
    InstrumentId,
    OrderFilled,
    OrderStatus,
    OrderStatusReport,
    PriceType,
    Side,
    TradeId,
)
from ashare_exec.model.numbers import ZERO
from ashare_exec.venues.sim.accounts import Account, Holding

__all__ = ["SimFill", "SimOrder", "Stage", "account_from_json", "account_to_json"]


class Stage(StrEnum):
    """Where a working order sits at the exchange."""

    AUCTION = "auction"  # collected for the next call-auction uncross
    QUEUED = "queued"  # accepted 9:25-9:30 (or at lunch), enters the book at the next open
    BOOK = "book"  # resting in continuous trading
    DONE = "done"


@dataclass(slots=True, kw_only=True)
class SimOrder:
    """One order at the simulated broker and exchange."""

    account_id: AccountId
    client_order_id: ClientOrderId
    broker_order_id: BrokerOrderId
    exchange_order_id: ExchangeOrderId
    instrument_id: InstrumentId
    side: Side
    price_type: PriceType
    price: Decimal | None
    protection_price: Decimal | None
    qty: int
    day: date
    seq: int
    ts_created: datetime
    ts_updated: datetime
    status: OrderStatus = OrderStatus.NEW
    stage: Stage = Stage.BOOK
    filled_qty: int = 0
    amount: Decimal = ZERO
    fees: Decimal = ZERO
    frozen_cash: Decimal = ZERO
    freeze_px: Decimal | None = None
    """The price a buy's frozen cash is reckoned at (limit, protection, or limit-up)."""
    rest_price: Decimal | None = None
    queue_ahead: int = 0
    reason_code: str = ""
    message: str = ""
    _report: tuple[tuple[object, ...], OrderStatusReport] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def leaves(self) -> int:
        """Open quantity (zero once the order is done)."""
        return 0 if self.status.is_terminal else self.qty - self.filled_qty

    @property
    def avg_px(self) -> Decimal | None:
        """Average fill price."""
        return self.amount / self.filled_qty if self.filled_qty else None

    def report(self) -> OrderStatusReport:
        """The order as a status report (the same object while the order is unchanged: a
        listing of the day's orders for a reconcile rebuilt every one of them)."""
        key = (self.status, self.filled_qty, self.amount, self.ts_updated, self.message)
        cached = self._report
        if cached is not None and cached[0] == key:
            return cached[1]
        report = OrderStatusReport(
            account_id=self.account_id,
            client_order_id=self.client_order_id,
            broker_order_id=self.broker_order_id,
            exchange_order_id=self.exchange_order_id,
            instrument_id=self.instrument_id,
            side=self.side,
            price_type=self.price_type,
            price=self.price,
            qty=self.qty,
            filled_qty=self.filled_qty,
            avg_px=self.avg_px,
            status=self.status,
            ts_event=self.ts_updated,
            message=self.message,
        )
        self._report = (key, report)
        return report

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "account_id": self.account_id,
            "client_order_id": self.client_order_id,
            "broker_order_id": self.broker_order_id,
            "exchange_order_id": self.exchange_order_id,
            "instrument_id": str(self.instrument_id),
            "side": self.side.value,
            "price_type": self.price_type.value,
            "price": _s(self.price),
            "protection_price": _s(self.protection_price),
            "qty": self.qty,
            "day": self.day.isoformat(),
            "seq": self.seq,
            "ts_created": self.ts_created.isoformat(),
            "ts_updated": self.ts_updated.isoformat(),
            "status": self.status.value,
            "stage": self.stage.value,
            "filled_qty": self.filled_qty,
            "amount": str(self.amount),
            "fees": str(self.fees),
            "frozen_cash": str(self.frozen_cash),
            "freeze_px": _s(self.freeze_px),
            "rest_price": _s(self.rest_price),
            "queue_ahead": self.queue_ahead,
            "reason_code": self.reason_code,
            "message": self.message,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SimOrder:
        """Rebuild from :meth:`to_json`."""
        return cls(
            account_id=AccountId(d["account_id"]),
            client_order_id=ClientOrderId(d["client_order_id"]),
            broker_order_id=BrokerOrderId(d["broker_order_id"]),
            exchange_order_id=ExchangeOrderId(d["exchange_order_id"]),
            instrument_id=InstrumentId.parse(d["instrument_id"]),
            side=Side(d["side"]),
            price_type=PriceType(d["price_type"]),
            price=_d(d["price"]),
            protection_price=_d(d["protection_price"]),
            qty=d["qty"],
            day=date.fromisoformat(d["day"]),
            seq=d["seq"],
            ts_created=datetime.fromisoformat(d["ts_created"]),
            ts_updated=datetime.fromisoformat(d["ts_updated"]),
            status=OrderStatus(d["status"]),
            stage=Stage(d["stage"]),
            filled_qty=d["filled_qty"],
            amount=Decimal(d["amount"]),
            fees=Decimal(d["fees"]),
            frozen_cash=Decimal(d["frozen_cash"]),
            freeze_px=_d(d.get("freeze_px")),
            rest_price=_d(d["rest_price"]),
            queue_ahead=d["queue_ahead"],
            reason_code=d["reason_code"],
            message=d["message"],
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SimFill:
    """One execution."""

    trade_id: TradeId
    account_id: AccountId
    client_order_id: ClientOrderId
    broker_order_id: BrokerOrderId
    instrument_id: InstrumentId
    side: Side
    qty: int
    px: Decimal
    fee: Decimal
    ts: datetime
    day: date
    _report: list[OrderFilled] = field(default_factory=list, init=False, repr=False, compare=False)

    def report(self) -> OrderFilled:
        """The fill as a report (built once: a fill never changes)."""
        if self._report:
            return self._report[0]
        report = OrderFilled(
            account_id=self.account_id,
            client_order_id=self.client_order_id,
            ts_event=self.ts,
            trade_id=self.trade_id,
            instrument_id=self.instrument_id,
            side=self.side,
            last_qty=self.qty,
            last_px=self.px,
            fee=self.fee,
            broker_order_id=self.broker_order_id,
        )
        self._report.append(report)
        return report

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "trade_id": self.trade_id,
            "account_id": self.account_id,
            "client_order_id": self.client_order_id,
            "broker_order_id": self.broker_order_id,
            "instrument_id": str(self.instrument_id),
            "side": self.side.value,
            "qty": self.qty,
            "px": str(self.px),
            "fee": str(self.fee),
            "ts": self.ts.isoformat(),
            "day": self.day.isoformat(),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SimFill:
        """Rebuild from :meth:`to_json`."""
        return cls(
            trade_id=TradeId(d["trade_id"]),
            account_id=AccountId(d["account_id"]),
            client_order_id=ClientOrderId(d["client_order_id"]),
            broker_order_id=BrokerOrderId(d["broker_order_id"]),
            instrument_id=InstrumentId.parse(d["instrument_id"]),
            side=Side(d["side"]),
            qty=d["qty"],
            px=Decimal(d["px"]),
            fee=Decimal(d["fee"]),
            ts=datetime.fromisoformat(d["ts"]),
            day=date.fromisoformat(d["day"]),
        )


def account_to_json(a: Account) -> dict[str, Any]:
    """A JSON-ready dict of an account."""
    return {
        "account_id": a.account_id,
        "available": str(a.available),
        "frozen": str(a.frozen),
        "holdings": {
            str(iid): [h.total, h.settled, h.frozen, str(h.cost)] for iid, h in a.holdings.items()
        },
    }


def account_from_json(d: dict[str, Any]) -> Account:
    """Rebuild an account from :func:`account_to_json`."""
    holdings = {
        InstrumentId.parse(k): Holding(v[0], v[1], v[2], Decimal(v[3]))
        for k, v in d["holdings"].items()
    }
    return Account(
        AccountId(d["account_id"]), Decimal(d["available"]), Decimal(d["frozen"]), holdings
    )


def _s(v: Decimal | None) -> str | None:
    return None if v is None else str(v)


def _d(v: str | None) -> Decimal | None:
    return None if v is None else Decimal(v)
