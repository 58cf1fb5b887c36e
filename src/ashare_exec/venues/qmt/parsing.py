"""Pure mapping between xtquant values and the gateway model: two-way ``MAP_*`` tables,
the ``order_remark`` codec, and plain copies of vendor objects.

No I/O, no clock, no xtquant import. The ``copy_*`` functions run on xtquant's callback
thread: they only read attributes into frozen records (the vendor object is not kept).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ashare_exec.model import AccountStatus, Board, Exchange, OrderStatus, PriceType, Side
from ashare_exec.model.numbers import to_decimal
from ashare_exec.venues.qmt import constants as c

# ------------------------------------------------------------------------- statuses
MAP_STATUS_XT2GW: dict[int, OrderStatus] = {
    c.ORDER_UNREPORTED: OrderStatus.PENDING_NEW,
    c.ORDER_WAIT_REPORTING: OrderStatus.PENDING_NEW,
    c.ORDER_REPORTED: OrderStatus.NEW,
    c.ORDER_REPORTED_CANCEL: OrderStatus.PENDING_CANCEL,
    c.ORDER_PARTSUCC_CANCEL: OrderStatus.PENDING_CANCEL,
    c.ORDER_PART_CANCEL: OrderStatus.CANCELED,
    c.ORDER_CANCELED: OrderStatus.CANCELED,
    c.ORDER_PART_SUCC: OrderStatus.PARTIALLY_FILLED,
    c.ORDER_SUCCEEDED: OrderStatus.FILLED,
    c.ORDER_JUNK: OrderStatus.REJECTED,
    # 255 is *not* a rejection (vnpy_qmt maps it to REJECTED; do not copy): query to settle.
    c.ORDER_UNKNOWN: OrderStatus.UNKNOWN,
}
"""xtquant ``order_status`` -> gateway status (``qmt-xtp.md`` §3.1)."""

XT_TERMINAL_STATUSES = frozenset(
    {c.ORDER_PART_CANCEL, c.ORDER_CANCELED, c.ORDER_SUCCEEDED, c.ORDER_JUNK}
)

MAP_SIDE_GW2XT: dict[Side, int] = {Side.BUY: c.STOCK_BUY, Side.SELL: c.STOCK_SELL}
MAP_SIDE_XT2GW: dict[int, Side] = {v: k for k, v in MAP_SIDE_GW2XT.items()}

MAP_ACCOUNT_STATUS_XT2GW: dict[int, AccountStatus] = {
    c.ACCOUNT_STATUS_OK: AccountStatus.OK,
    c.ACCOUNT_STATUS_WAITING_LOGIN: AccountStatus.TRANSIENT,
    c.ACCOUNT_STATUSING: AccountStatus.TRANSIENT,
    c.ACCOUNT_STATUS_INITING: AccountStatus.TRANSIENT,
    c.ACCOUNT_STATUS_CORRECTING: AccountStatus.TRANSIENT,
    c.ACCOUNT_STATUS_INVALID: AccountStatus.DOWN,
    c.ACCOUNT_STATUS_FAIL: AccountStatus.DOWN,
    c.ACCOUNT_STATUS_CLOSED: AccountStatus.DOWN,  # after the close: no new orders
    c.ACCOUNT_STATUS_ASSIS_FAIL: AccountStatus.DOWN,
    c.ACCOUNT_STATUS_DISABLEBYSYS: AccountStatus.DOWN,
    c.ACCOUNT_STATUS_DISABLEBYUSER: AccountStatus.DOWN,
}


def account_status_xt2gw(code: int) -> AccountStatus:
    """Map an ``ACCOUNT_STATUS_*`` code; unknown codes count as down."""
    return MAP_ACCOUNT_STATUS_XT2GW.get(code, AccountStatus.DOWN)


MAP_REJECT_TEXT2CODE: tuple[tuple[str, str], ...] = (
    ("资金不足", "INSUFFICIENT_CASH"),
    ("insufficient cash", "INSUFFICIENT_CASH"),
    ("可用数量不足", "INSUFFICIENT_POSITION"),
    ("股份不足", "INSUFFICIENT_POSITION"),
    ("insufficient position", "INSUFFICIENT_POSITION"),
    ("整数倍", "QTY_NOT_LOT_MULTIPLE"),
    ("not a valid lot", "QTY_NOT_LOT_MULTIPLE"),
    ("价格变动单位", "PRICE_OFF_TICK"),
    ("price off tick", "PRICE_OFF_TICK"),
    ("停牌", "SYMBOL_SUSPENDED"),
    ("非交易时间", "MARKET_CLOSED"),
)
"""Counter rejection text -> reason code (``reason-codes.md``); first match wins.

The texts are the common Chinese counter messages (e.g. ``[251005][可用资金不足]``);
anything else is ``BROKER_REJECTED`` with the broker's text kept in the message.
"""


def reject_reason_code(message: str) -> str:
    """Return the reason code for a counter's rejection text."""
    lowered = message.lower()
    for text, code in MAP_REJECT_TEXT2CODE:
        if text in lowered:
            return code
    return "BROKER_REJECTED"


# ------------------------------------------------------------------------- price types
_SH_TYPES: dict[PriceType, int] = {
    PriceType.LIMIT: c.FIX_PRICE,
    PriceType.BEST5_IOC: c.MARKET_SH_CONVERT_5_CANCEL,
    PriceType.BEST5_TO_LIMIT: c.MARKET_SH_CONVERT_5_LIMIT,
    PriceType.COUNTERPARTY_BEST: c.MARKET_PEER_PRICE_FIRST,
    PriceType.OWN_BEST: c.MARKET_MINE_PRICE_FIRST,
}
_SZ_TYPES: dict[PriceType, int] = {
    PriceType.LIMIT: c.FIX_PRICE,
    PriceType.COUNTERPARTY_BEST: c.MARKET_PEER_PRICE_FIRST,
    PriceType.OWN_BEST: c.MARKET_MINE_PRICE_FIRST,
    PriceType.IOC: c.MARKET_SZ_INSTBUSI_RESTCANCEL,
    PriceType.BEST5_IOC: c.MARKET_SZ_CONVERT_5_CANCEL,
    PriceType.FOK: c.MARKET_SZ_FULL_OR_CANCEL,
}
MAP_PRICE_TYPE_GW2XT: dict[Exchange, dict[PriceType, int]] = {
    Exchange.SH: _SH_TYPES,
    Exchange.BJ: dict(_SH_TYPES),  # xttrader.md: BJ takes the SH codes
    Exchange.SZ: _SZ_TYPES,
}
"""(exchange, price type) -> xtquant ``price_type``. A missing pair is refused before sending."""

MAP_PRICE_TYPE_XT2GW: dict[Exchange, dict[int, PriceType]] = {
    ex: {v: k for k, v in table.items()} for ex, table in MAP_PRICE_TYPE_GW2XT.items()
}

PROTECTION_REQUIRED_BOARDS = frozenset({Board.STAR, Board.BSE})
"""Boards whose market orders need a protection price (``ashare-rules.md`` §5).

ASSUMPTION (to calibrate per broker): QMT takes the protection price in ``price``.
"""

MAP_MARKET_GW2XT: dict[Exchange, str] = {Exchange.SH: "SH", Exchange.SZ: "SZ", Exchange.BJ: "BJ"}
"""Exchange -> market string for ``cancel_order_stock_sysid_async``."""


def board_of(code: str, exchange: Exchange) -> Board:
    """Classify a stock code into the board that decides order types (equities only)."""
    if exchange is Exchange.BJ:
        return Board.BSE
    if exchange is Exchange.SH and code.startswith(("688", "689")):
        return Board.STAR
    if exchange is Exchange.SZ and code.startswith(("300", "301", "302")):
        return Board.CHINEXT
    return Board.MAIN


def price_type_xt(exchange: Exchange, price_type: PriceType) -> int | None:
    """Return the xtquant code for ``price_type`` on ``exchange``, or ``None`` if invalid."""
    return MAP_PRICE_TYPE_GW2XT[exchange].get(price_type)


def price_type_gw(exchange: Exchange, code: int) -> PriceType:
    """Map an xtquant ``price_type`` back (``LATEST_PRICE`` and unknown codes count as limit)."""
    return MAP_PRICE_TYPE_XT2GW[exchange].get(code, PriceType.LIMIT)


# ------------------------------------------------------------------------- remark codec
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
REMARK_SEPARATOR = "."


def _check(client_order_id: str) -> str:
    crc = zlib.crc32(client_order_id.encode("ascii"))
    return _ALPHABET[crc & 31] + _ALPHABET[(crc >> 5) & 31]


def encode_remark(client_order_id: str, max_len: int) -> str:
    """Build the ``order_remark`` carrying ``client_order_id``: ``<id>.<2-char check>``.

    The check lets a truncated echo be told apart from an intact one. When the check does
    not fit in ``max_len`` the bare id is used.

    Raises:
        ValueError: the id is not ASCII or does not fit in ``max_len`` at all.
    """
    if not client_order_id.isascii() or not client_order_id:
        raise ValueError(f"client order id must be non-empty ASCII, was {client_order_id!r}")
    full = f"{client_order_id}{REMARK_SEPARATOR}{_check(client_order_id)}"
    if len(full) <= max_len:
        return full
    if len(client_order_id) <= max_len:
        return client_order_id
    raise ValueError(f"client order id {client_order_id!r} does not fit a {max_len}-char remark")


def decode_remark(remark: str) -> str | None:
    """Return the client order id in an intact checked remark, else ``None``."""
    head, sep, check = remark.rpartition(REMARK_SEPARATOR)
    if not sep or len(check) != 2 or not head:
        return None
    return head if _check(head) == check else None


def is_truncation(echo: str, sent: str) -> bool:
    """Whether ``echo`` is ``sent`` cut short (an integrity problem, not another order)."""
    return len(echo) < len(sent) and sent.startswith(echo)


# ------------------------------------------------------------------------- vendor copies
@dataclass(frozen=True, slots=True)
class XtOrderRow:
    """Copy of an ``XtOrder`` push or query row."""

    account_id: str
    stock_code: str
    order_id: int
    order_sysid: str
    order_type: int
    order_volume: int
    price_type: int
    price: float
    traded_volume: int
    traded_price: float
    order_status: int
    status_msg: str
    order_remark: str


@dataclass(frozen=True, slots=True)
class XtTradeRow:
    """Copy of an ``XtTrade`` push or query row."""

    account_id: str
    stock_code: str
    order_type: int
    traded_id: str
    traded_price: float
    traded_volume: int
    order_id: int
    order_sysid: str
    order_remark: str
    commission: float


@dataclass(frozen=True, slots=True)
class XtOrderAnswer:
    """Copy of ``XtOrderResponse`` (``on_order_stock_async_response``)."""

    account_id: str
    order_id: int
    order_remark: str
    error_msg: str
    seq: int


@dataclass(frozen=True, slots=True)
class XtCancelAnswer:
    """Copy of ``XtCancelOrderResponse``."""

    account_id: str
    cancel_result: int
    order_id: int
    order_sysid: str
    error_msg: str
    seq: int


@dataclass(frozen=True, slots=True)
class XtOrderFailure:
    """Copy of ``XtOrderError``."""

    account_id: str
    order_id: int
    error_id: int
    error_msg: str
    order_remark: str
    seq: int


@dataclass(frozen=True, slots=True)
class XtCancelFailure:
    """Copy of ``XtCancelError``."""

    account_id: str
    order_id: int
    order_sysid: str
    error_id: int
    error_msg: str


@dataclass(frozen=True, slots=True)
class XtAccountState:
    """Copy of ``XtAccountStatus`` (push or query row)."""

    account_id: str
    status: int


@dataclass(frozen=True, slots=True)
class XtPositionRow:
    """Copy of ``XtPosition``."""

    account_id: str
    stock_code: str
    volume: int
    can_use_volume: int
    avg_price: float


@dataclass(frozen=True, slots=True)
class XtAssetRow:
    """Copy of ``XtAsset``."""

    account_id: str
    cash: float
    frozen_cash: float
    market_value: float
    total_asset: float


def _str(obj: Any, name: str) -> str:
    value = getattr(obj, name, "")
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _int(obj: Any, name: str, default: int = 0) -> int:
    value = getattr(obj, name, default)
    return int(value) if isinstance(value, int | float) else default


def _float(obj: Any, name: str) -> float:
    value = getattr(obj, name, 0.0)
    return float(value) if isinstance(value, int | float) else 0.0


def copy_order(o: Any) -> XtOrderRow:
    """Copy an ``XtOrder``-shaped object."""
    return XtOrderRow(
        _str(o, "account_id"), _str(o, "stock_code"), _int(o, "order_id"),
        _str(o, "order_sysid"), _int(o, "order_type"), _int(o, "order_volume"),
        _int(o, "price_type"), _float(o, "price"), _int(o, "traded_volume"),
        _float(o, "traded_price"), _int(o, "order_status", c.ORDER_UNKNOWN),
        _str(o, "status_msg"), _str(o, "order_remark"),
    )  # fmt: skip


def copy_trade(t: Any) -> XtTradeRow:
    """Copy an ``XtTrade``-shaped object."""
    return XtTradeRow(
        _str(t, "account_id"), _str(t, "stock_code"), _int(t, "order_type"),
        _str(t, "traded_id"), _float(t, "traded_price"), _int(t, "traded_volume"),
        _int(t, "order_id"), _str(t, "order_sysid"), _str(t, "order_remark"),
        _float(t, "commission"),
    )  # fmt: skip


def copy_order_answer(r: Any) -> XtOrderAnswer:
    """Copy an ``XtOrderResponse``."""
    return XtOrderAnswer(
        _str(r, "account_id"), _int(r, "order_id", -1), _str(r, "order_remark"),
        _str(r, "error_msg"), _int(r, "seq", -1),
    )  # fmt: skip


def copy_cancel_answer(r: Any) -> XtCancelAnswer:
    """Copy an ``XtCancelOrderResponse``."""
    return XtCancelAnswer(
        _str(r, "account_id"), _int(r, "cancel_result", -1), _int(r, "order_id", -1),
        _str(r, "order_sysid"), _str(r, "error_msg"), _int(r, "seq", -1),
    )  # fmt: skip


def copy_order_failure(e: Any) -> XtOrderFailure:
    """Copy an ``XtOrderError``."""
    return XtOrderFailure(
        _str(e, "account_id"), _int(e, "order_id", -1), _int(e, "error_id"),
        _str(e, "error_msg"), _str(e, "order_remark"), _int(e, "seq", -1),
    )  # fmt: skip


def copy_cancel_failure(e: Any) -> XtCancelFailure:
    """Copy an ``XtCancelError``."""
    return XtCancelFailure(
        _str(e, "account_id"), _int(e, "order_id", -1), _str(e, "order_sysid"),
        _int(e, "error_id"), _str(e, "error_msg"),
    )  # fmt: skip


def copy_account_state(s: Any) -> XtAccountState:
    """Copy an ``XtAccountStatus``."""
    return XtAccountState(_str(s, "account_id"), _int(s, "status", c.ACCOUNT_STATUS_INVALID))


def copy_position(p: Any) -> XtPositionRow:
    """Copy an ``XtPosition``."""
    return XtPositionRow(
        _str(p, "account_id"), _str(p, "stock_code"), _int(p, "volume"),
        _int(p, "can_use_volume"), _float(p, "avg_price"),
    )  # fmt: skip


def copy_asset(a: Any) -> XtAssetRow:
    """Copy an ``XtAsset``."""
    return XtAssetRow(
        _str(a, "account_id"), _float(a, "cash"), _float(a, "frozen_cash"),
        _float(a, "market_value"), _float(a, "total_asset"),
    )  # fmt: skip


def px(value: float) -> Decimal:
    """A vendor float price/amount as an exact ``Decimal`` (4 decimals at most)."""
    d = to_decimal(value).quantize(Decimal("0.0001"))
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()
