"""Pure mapping between xtquant values and the gateway model: two-way ``MAP_*`` tables,
the ``order_remark`` codec, and plain copies of vendor objects.

No I/O, no clock, no xtquant import. The ``copy_*`` functions run on xtquant's callback
thread: they only read attributes into frozen records (the vendor object is not kept).
"""

from __future__ import annotations

import functools
import re
import zlib
from decimal import Decimal

from ashare_exec.errors import BrokerError
from ashare_exec.model import AccountStatus, Board, Exchange, OrderStatus, PriceType, Side
from ashare_exec.model.numbers import to_decimal
from ashare_exec.venues.qmt import constants as c
from ashare_exec.venues.qmt.records import (
    XtAccountState as XtAccountState,
)
from ashare_exec.venues.qmt.records import (
    XtAssetRow as XtAssetRow,
)
from ashare_exec.venues.qmt.records import (
    XtCancelAnswer as XtCancelAnswer,
)
from ashare_exec.venues.qmt.records import (
    XtCancelFailure as XtCancelFailure,
)
from ashare_exec.venues.qmt.records import (
    XtOrderAnswer as XtOrderAnswer,
)
from ashare_exec.venues.qmt.records import (
    XtOrderFailure as XtOrderFailure,
)
from ashare_exec.venues.qmt.records import (
    XtOrderRow as XtOrderRow,
)
from ashare_exec.venues.qmt.records import (
    XtPositionRow as XtPositionRow,
)
from ashare_exec.venues.qmt.records import (
    XtTradeRow as XtTradeRow,
)
from ashare_exec.venues.qmt.records import (
    copy_account_state as copy_account_state,
)
from ashare_exec.venues.qmt.records import (
    copy_asset as copy_asset,
)
from ashare_exec.venues.qmt.records import (
    copy_cancel_answer as copy_cancel_answer,
)
from ashare_exec.venues.qmt.records import (
    copy_cancel_failure as copy_cancel_failure,
)
from ashare_exec.venues.qmt.records import (
    copy_order as copy_order,
)
from ashare_exec.venues.qmt.records import (
    copy_order_answer as copy_order_answer,
)
from ashare_exec.venues.qmt.records import (
    copy_order_failure as copy_order_failure,
)
from ashare_exec.venues.qmt.records import (
    copy_position as copy_position,
)
from ashare_exec.venues.qmt.records import (
    copy_trade as copy_trade,
)

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
    ("可卖数量不足", "INSUFFICIENT_POSITION"),
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


_CODE_TAG = re.compile(r"\[([A-Z][A-Z_]{3,})\]")
KNOWN_REASON_CODES = frozenset(
    {
        "ACCOUNT_NOT_READY",
        "BLACKLISTED",
        "BROKER_REJECTED",
        "CANCEL_NOT_ALLOWED_NOW",
        "CANCEL_RATIO_LIMIT",
        "DAILY_COUNT_LIMIT",
        "DAILY_LOSS_LIMIT",
        "DUPLICATE_CLIENT_ORDER_ID",
        "DUPLICATE_ORDER",
        "EXPOSURE_LIMIT",
        "INSUFFICIENT_CASH",
        "INSUFFICIENT_POSITION",
        "INVALID_REQUEST",
        "MARKET_CLOSED",
        "MARKET_ORDER_NOT_ALLOWED",
        "NOT_PERMITTED",
        "NOT_WHITELISTED",
        "ODD_LOT_SELL_NOT_WHOLE",
        "OPEN_ORDERS_LIMIT",
        "ORDER_ALREADY_DONE",
        "ORDER_NOTIONAL_LIMIT",
        "ORDER_NOT_FOUND",
        "ORDER_QTY_LIMIT",
        "POSITION_LIMIT",
        "PRICE_ABOVE_LIMIT_UP",
        "PRICE_BELOW_LIMIT_DOWN",
        "PRICE_DEVIATION",
        "PRICE_NOT_POSITIVE",
        "PRICE_OFF_TICK",
        "PRICE_OUTSIDE_CAGE",
        "PRICE_REQUIRED",
        "PRICE_TYPE_NOT_SUPPORTED",
        "PROTECTION_PRICE_REQUIRED",
        "QTY_ABOVE_MAX",
        "QTY_BELOW_MIN",
        "QTY_NOT_LOT_MULTIPLE",
        "QTY_NOT_POSITIVE",
        "RATE_LIMITED",
        "REDUCE_ONLY",
        "SELF_TRADE",
        "SHUTTING_DOWN",
        "ST_DAILY_BUY_CAP",
        "SUBMIT_TIMEOUT",
        "SYMBOL_NOT_TRADABLE",
        "SYMBOL_SUSPENDED",
        "TRADING_HALTED",
        "UNKNOWN_ACCOUNT",
        "UNKNOWN_SYMBOL",
        "VENUE_DISCONNECTED",
    }
)
"""The stable codes of ``reason-codes.md`` (a bracketed tag is trusted only if listed)."""


def reject_reason_code(message: str) -> str:
    """Return the reason code for a counter's rejection text.

    A text that carries one of our codes in brackets (``[PRICE_OFF_TICK] ...``, as the
    built-in simulator writes) keeps it; otherwise the Chinese keywords decide.
    """
    lowered = message.lower()
    for text, code in MAP_REJECT_TEXT2CODE:
        if text in lowered:
            return code
    for tag in _CODE_TAG.findall(message):
        if tag in KNOWN_REASON_CODES:
            return str(tag)
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
    if not sep or len(check) != 2 or not head or not head.isascii():
        return None
    return head if _check(head) == check else None


def is_truncation(echo: str, sent: str) -> bool:
    """Whether ``echo`` is ``sent`` cut short (an integrity problem, not another order)."""
    return len(echo) < len(sent) and sent.startswith(echo)


MAX_AMOUNT = Decimal("1e12")


def px(value: float) -> Decimal:
    """A vendor float price/amount as an exact ``Decimal`` (4 decimals at most).

    Raises:
        BrokerError: not a finite amount below 10^12 (a malformed report; code
            ``MALFORMED_REPORT``), so the caller can quarantine it instead of crashing.
    """
    if type(value) is float and value > 0:
        # The same few prices come back on every row of a listing and every push.
        return _px_float(value)
    return _px(value)


@functools.lru_cache(maxsize=4096)
def _px_float(value: float) -> Decimal:
    return _px(value)


def _px(value: float) -> Decimal:
    try:
        d = to_decimal(value)
    except ValueError as e:
        raise BrokerError(f"malformed amount {value!r}", code="MALFORMED_REPORT") from e
    if abs(d) >= MAX_AMOUNT:
        raise BrokerError(f"malformed amount {value!r}", code="MALFORMED_REPORT")
    d = d.quantize(Decimal("0.0001"))
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d.normalize()
