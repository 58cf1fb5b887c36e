"""Plain copies of xtquant vendor objects (pure; built on xtquant's callback thread).

Each ``copy_*`` reads attributes into a frozen record; the vendor object is not kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ashare_exec.venues.qmt import constants as c


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
    if isinstance(value, int):
        return int(value)  # bool -> 0/1
    # NaN/inf from a broken push must not raise on the vendor's callback thread.
    return int(value) if isinstance(value, float) and math.isfinite(value) else default


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
