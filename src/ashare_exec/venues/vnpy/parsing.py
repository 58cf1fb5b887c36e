"""Pure mapping between vn.py / XTP values and ours: two-way ``MAP_*`` tables and row copies.

No vendor import: vn.py enums are handled by their member *names* (``"NOTTRADED"``,
``"SSE"``), which :mod:`.shim` reads off the vendor objects. Rows are the plain copies the
shim makes on the EventEngine thread before handing them to the loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ashare_exec.model import Exchange, InstrumentId, OrderStatus, PriceType, Side
from ashare_exec.model.numbers import to_decimal
from ashare_exec.venues.vnpy.constants import SURROGATE_BITS, XTP_FAILED_ORDERID

__all__ = [
    "MAP_EXCHANGE_GW2VT",
    "MAP_EXCHANGE_VT2GW",
    "MAP_SIDE_GW2VT",
    "MAP_SIDE_VT2GW",
    "MAP_STATUS_VT2GW",
    "MAP_STATUS_XTP2GW",
    "XTP_ERROR_KEYWORDS",
    "HostQueryDone",
    "LinkDown",
    "VtAccountRow",
    "VtLogRow",
    "VtOrderRow",
    "VtPositionRow",
    "VtTradeRow",
    "XtpCancelErrorRow",
    "XtpOrderRaw",
    "XtpTradeRaw",
    "copy_account",
    "copy_log",
    "copy_order",
    "copy_position",
    "copy_trade",
    "failed_orderid",
    "instrument_of",
    "price_type_of",
    "px",
    "reason_from_xtp_error",
    "surrogate",
    "vt_order_type",
]

MAP_STATUS_VT2GW: dict[str, OrderStatus] = {
    "SUBMITTING": OrderStatus.PENDING_NEW,
    "NOTTRADED": OrderStatus.NEW,
    "PARTTRADED": OrderStatus.PARTIALLY_FILLED,
    "ALLTRADED": OrderStatus.FILLED,
    "CANCELLED": OrderStatus.CANCELED,  # may carry fills; there is no pending cancel in vn.py
    "REJECTED": OrderStatus.REJECTED,
}
"""vn.py ``Status`` member name -> our status (PENDING_CANCEL is tracked by the adapter)."""

MAP_STATUS_XTP2GW: dict[int, OrderStatus] = {
    0: OrderStatus.PENDING_NEW,  # XTP_ORDER_STATUS_INIT
    1: OrderStatus.FILLED,  # ALLTRADED
    2: OrderStatus.PARTIALLY_FILLED,  # PARTTRADEDQUEUEING
    3: OrderStatus.CANCELED,  # PARTTRADEDNOTQUEUEING: partly filled, rest canceled
    4: OrderStatus.NEW,  # NOTRADEQUEUEING
    5: OrderStatus.CANCELED,  # CANCELED
    6: OrderStatus.REJECTED,  # REJECTED
    7: OrderStatus.UNKNOWN,  # vnpy_xtp maps it to SUBMITTING
}
"""XTP ``order_status`` -> our status (the raw code, before vnpy_xtp's ``STATUS_XTP2VT``)."""

MAP_EXCHANGE_GW2VT: dict[Exchange, str] = {
    Exchange.SH: "SSE",
    Exchange.SZ: "SZSE",
    Exchange.BJ: "BSE",
}
MAP_EXCHANGE_VT2GW: dict[str, Exchange] = {v: k for k, v in MAP_EXCHANGE_GW2VT.items()}

MAP_SIDE_GW2VT: dict[Side, str] = {Side.BUY: "LONG", Side.SELL: "SHORT"}
MAP_SIDE_VT2GW: dict[str, Side] = {v: k for k, v in MAP_SIDE_GW2VT.items()}

XTP_ERROR_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("资金不足", "INSUFFICIENT_CASH"),
    ("可用资金", "INSUFFICIENT_CASH"),
    ("持仓不足", "INSUFFICIENT_POSITION"),
    ("可卖", "INSUFFICIENT_POSITION"),
    ("股份不足", "INSUFFICIENT_POSITION"),
    ("最小变动", "PRICE_OFF_TICK"),
    ("价格档位", "PRICE_OFF_TICK"),
    ("涨跌", "PRICE_ABOVE_LIMIT_UP"),
    ("整数倍", "QTY_NOT_LOT_MULTIPLE"),
    ("非交易时间", "MARKET_CLOSED"),
    ("停牌", "SYMBOL_SUSPENDED"),
    ("证券代码", "UNKNOWN_SYMBOL"),
)
"""Keywords of XTP ``error_msg`` -> reason code, first match wins (XTP publishes no stable
error-code catalogue with the SDK; the text is what the counter sends)."""


@dataclass(frozen=True, slots=True)
class VtOrderRow:
    """A copy of a vn.py ``OrderData``."""

    vt_orderid: str
    orderid: str
    symbol: str
    exchange: str
    direction: str
    type: str
    price: float
    volume: float
    traded: float
    status: str
    reference: str


@dataclass(frozen=True, slots=True)
class VtTradeRow:
    """A copy of a vn.py ``TradeData``."""

    vt_orderid: str
    vt_tradeid: str
    symbol: str
    exchange: str
    direction: str
    price: float
    volume: float


@dataclass(frozen=True, slots=True)
class VtPositionRow:
    """A copy of a vn.py ``PositionData`` (``frozen`` = shares not sellable today)."""

    symbol: str
    exchange: str
    direction: str
    volume: float
    frozen: float
    price: float


@dataclass(frozen=True, slots=True)
class VtAccountRow:
    """A copy of a vn.py ``AccountData``."""

    accountid: str
    balance: float
    frozen: float
    available: float


@dataclass(frozen=True, slots=True)
class VtLogRow:
    """A vn.py ``LogData`` message."""

    msg: str


@dataclass(frozen=True, slots=True)
class XtpOrderRaw:
    """What vnpy_xtp drops from an ``OnOrderEvent``: our surrogate and the error."""

    vt_orderid: str
    order_client_id: int
    order_status: int
    error_id: int
    error_msg: str


@dataclass(frozen=True, slots=True)
class XtpTradeRaw:
    """What vnpy_xtp drops from an ``OnTradeEvent``: our surrogate."""

    vt_orderid: str
    order_client_id: int


@dataclass(frozen=True, slots=True)
class XtpCancelErrorRow:
    """``OnCancelOrderError``: the cancel of ``vt_orderid`` failed (vnpy_xtp only logs it)."""

    vt_orderid: str
    error_id: int
    error_msg: str


@dataclass(frozen=True, slots=True)
class HostQueryDone:
    """The last answer of one of our queries has been delivered (``rows`` answers)."""

    kind: str
    request_id: int
    rows: int


@dataclass(frozen=True, slots=True)
class LinkDown:
    """The trading link dropped (``onDisconnected``)."""

    reason: str


def px(value: float) -> Decimal:
    """A vendor float price/amount as an exact ``Decimal`` (4 decimals at most)."""
    d = to_decimal(value).quantize(Decimal("0.0001"))
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()


def instrument_of(symbol: str, exchange: str) -> InstrumentId | None:
    """``("600000", "SSE")`` -> ``600000.SH``; ``None`` for other exchanges or codes."""
    ex = MAP_EXCHANGE_VT2GW.get(exchange)
    if ex is None or len(symbol) != 6 or not (symbol.isascii() and symbol.isdigit()):
        return None
    return InstrumentId.parse(f"{symbol}.{ex}")


def vt_order_type(profile_xtp: bool, instrument: InstrumentId, price_type: PriceType) -> str | None:
    """The vn.py ``OrderType`` name for one of our price types, or ``None`` if unreachable.

    vn.py has one ``MARKET``; vnpy_xtp sends it as XTP 4 (best five, rest canceled) on the
    SSE/SZSE main boards and ChiNext, and as 7 (counterparty best, rest to limit) on STAR.
    Other gateways: limit orders only (their market mapping differs per counter).
    """
    if price_type is PriceType.LIMIT:
        return "LIMIT"
    if not profile_xtp or instrument.exchange is Exchange.BJ:
        return None
    star = instrument.code.startswith(("688", "689"))
    if price_type is PriceType.COUNTERPARTY_BEST and star:
        return "MARKET"
    if price_type is PriceType.BEST5_IOC and not star:
        return "MARKET"
    return None


def failed_orderid(vt_orderid: str) -> bool:
    """Whether ``send_order``'s answer means nothing was sent (``""`` or ``"XTP.0"``)."""
    _, _, orderid = vt_orderid.rpartition(".")
    return not vt_orderid or not orderid or orderid == XTP_FAILED_ORDERID


def surrogate(instance_no: int, seq: int) -> int:
    """The 32-bit XTP ``order_client_id`` of our ``seq``-th order of the day.

    Raises:
        ValueError: ``seq`` does not fit in :data:`SURROGATE_BITS` bits.
    """
    if not 0 < seq < 1 << SURROGATE_BITS:
        raise ValueError(f"order sequence {seq} out of range for the XTP surrogate")
    return (instance_no << SURROGATE_BITS) | seq


def reason_from_xtp_error(error_id: int, error_msg: str) -> str:
    """A reason code for an XTP order error (``BROKER_REJECTED`` when nothing matches)."""
    for keyword, code in XTP_ERROR_KEYWORDS:
        if keyword in error_msg:
            return code
    return "BROKER_REJECTED"


def copy_order(o: Any) -> VtOrderRow:
    """Copy a vn.py ``OrderData`` (duck-typed: enums are read by member name)."""
    return VtOrderRow(
        vt_orderid=o.vt_orderid, orderid=o.orderid, symbol=o.symbol, exchange=o.exchange.name,
        direction=o.direction.name if o.direction else "", type=o.type.name, price=o.price,
        volume=o.volume, traded=o.traded, status=o.status.name, reference=o.reference,
    )  # fmt: skip


def copy_trade(t: Any) -> VtTradeRow:
    """Copy a vn.py ``TradeData``."""
    return VtTradeRow(
        vt_orderid=t.vt_orderid, vt_tradeid=t.vt_tradeid, symbol=t.symbol,
        exchange=t.exchange.name, direction=t.direction.name if t.direction else "",
        price=t.price, volume=t.volume,
    )  # fmt: skip


def copy_position(x: Any) -> VtPositionRow:
    """Copy a vn.py ``PositionData``."""
    return VtPositionRow(
        symbol=x.symbol, exchange=x.exchange.name, direction=x.direction.name,
        volume=x.volume, frozen=x.frozen, price=x.price,
    )  # fmt: skip


def copy_account(a: Any) -> VtAccountRow:
    """Copy a vn.py ``AccountData``."""
    return VtAccountRow(
        accountid=a.accountid, balance=a.balance, frozen=a.frozen, available=a.available
    )


def copy_log(log: Any) -> VtLogRow:
    """Copy a vn.py ``LogData``."""
    return VtLogRow(msg=str(log.msg))


def price_type_of(profile_xtp: bool, instrument: InstrumentId) -> PriceType:
    """Our price type for a vn.py ``MARKET`` order (the inverse of :func:`vt_order_type`)."""
    star = instrument.code.startswith(("688", "689"))
    if profile_xtp and star:
        return PriceType.COUNTERPARTY_BEST
    return PriceType.BEST5_IOC
