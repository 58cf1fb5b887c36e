"""Native structs of ``xtquant.xtpythonclient``, copied with pybind11-like strictness.

Each field exists under its C++ name (``m_nOrderID``) and its snake_case alias (``order_id``),
both views of one slot, as in the shipped ``.pyd``. Like pybind11:

* assigning an unknown attribute raises :class:`AttributeError`;
* an ``int`` field rejects ``float``, ``str`` and ``None``; a ``float`` field accepts ``int``;
* a ``str`` field rejects ``None`` (``strategy_name=None`` raises :class:`TypeError`).
"""

from __future__ import annotations

from typing import Any, ClassVar


def _kind_of(cpp_name: str) -> str:
    for prefix in ("str", "n", "d", "b"):
        if cpp_name.startswith("m_" + prefix):
            return prefix
    raise ValueError(f"cannot infer the type of {cpp_name}")


def _check(cls_name: str, name: str, kind: str, value: object) -> object:
    if kind == "n":
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{cls_name}.{name}: incompatible type {type(value).__name__} for int")
        if not -(2**63) <= value < 2**63:
            raise TypeError(f"{cls_name}.{name}: int out of 64-bit range")
        return value
    if kind == "d":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(
                f"{cls_name}.{name}: incompatible type {type(value).__name__} for float"
            )
        return float(value)
    if kind == "b":
        if not isinstance(value, bool):
            raise TypeError(f"{cls_name}.{name}: incompatible type {type(value).__name__} for bool")
        return value
    if not isinstance(value, str):
        raise TypeError(f"{cls_name}.{name}: incompatible type {type(value).__name__} for str")
    return value


_DEFAULTS: dict[str, object] = {"n": 0, "d": 0.0, "str": "", "b": False}


class NativeStruct:
    """Base of the emulated pybind11 structs. Subclasses declare ``FIELDS`` as (cpp, alias)."""

    FIELDS: ClassVar[tuple[tuple[str, str], ...]] = ()
    _index: ClassVar[dict[str, tuple[str, str]]] = {}

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        index: dict[str, tuple[str, str]] = {}
        for cpp, alias in cls.FIELDS:
            kind = _kind_of(cpp)
            index[cpp] = (cpp, kind)
            index[alias] = (cpp, kind)
        cls._index = index

    def __init__(self, **values: Any) -> None:
        store: dict[str, object] = {cpp: _DEFAULTS[_kind_of(cpp)] for cpp, _ in self.FIELDS}
        object.__setattr__(self, "_values", store)
        for name, value in values.items():
            setattr(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        slot = self._index.get(name)
        if slot is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        cpp, kind = slot
        self._values[cpp] = _check(type(self).__name__, name, kind, value)

    def __getattr__(self, name: str) -> Any:
        slot = type(self)._index.get(name)
        if slot is None:
            raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")
        return self.__dict__["_values"][slot[0]]

    def copy(self) -> Any:
        """Return an independent copy (the native side hands out fresh objects)."""
        twin = type(self)()
        twin.__dict__["_values"].update(self.__dict__["_values"])
        return twin

    def __repr__(self) -> str:
        body = ", ".join(f"{alias}={self._values[cpp]!r}" for cpp, alias in self.FIELDS)
        return f"{type(self).__name__}({body})"


_ACC = (("m_nAccountType", "account_type"), ("m_strAccountID", "account_id"))


class SubscribeReq(NativeStruct):
    """Subscribe the pushes of one account."""

    FIELDS = _ACC


class UnsubscribeReq(NativeStruct):
    """Unsubscribe one account."""

    FIELDS = _ACC


class QueryStockAssetReq(NativeStruct):
    """Query cash."""

    FIELDS = _ACC


class QueryStockTradesReq(NativeStruct):
    """Query today's trades."""

    FIELDS = _ACC


class QueryAccountStatusReq(NativeStruct):
    """Query the status of every account."""


class QueryAccountInfosReq(NativeStruct):
    """Query the account list."""


class QueryStockOrdersReq(NativeStruct):
    """Query today's orders (all, cancelable only, or one by ``m_nOrderID``)."""

    FIELDS = (*_ACC, ("m_nOrderID", "order_id"), ("m_bCanCancel", "cancelable_only"))


class QueryStockPositionsReq(NativeStruct):
    """Query positions (all, or one code)."""

    FIELDS = (*_ACC, ("m_strStockCode", "stock_code"), ("m_strStockCode1", "stock_code1"))


class OrderStockReq(NativeStruct):
    """Place a stock order."""

    FIELDS = (
        *_ACC,
        ("m_strStockCode", "stock_code"),
        ("m_nOrderType", "order_type"),
        ("m_nOrderVolume", "order_volume"),
        ("m_nPriceType", "price_type"),
        ("m_dPrice", "price"),
        ("m_strStrategyName", "strategy_name"),
        ("m_strOrderRemark", "order_remark"),
        ("m_strOrderRemarkNew", "order_remark_new"),
        ("m_dOrderAmount", "order_amount"),
        ("m_strStockCode1", "stock_code1"),
        ("m_strAccountID1", "account_id1"),
    )


class CancelOrderStockReq(NativeStruct):
    """Cancel by ``m_nOrderID`` or by ``m_nMarket``/``m_strMarket`` + ``m_strOrderSysID``."""

    FIELDS = (
        *_ACC,
        ("m_nOrderID", "order_id"),
        ("m_nMarket", "market"),
        ("m_strMarket", "market_str"),
        ("m_strOrderSysID", "order_sysid"),
    )


class OrderStockResp(NativeStruct):
    """Answer to ``orderStockWithSeq``."""

    FIELDS = (
        ("m_strAccountID", "account_id"),
        ("m_nOrderID", "order_id"),
        ("m_strStrategyName", "strategy_name"),
        ("m_strOrderRemark", "order_remark"),
        ("m_strErrorMsg", "error_msg"),
    )


class CancelOrderStockResp(NativeStruct):
    """Answer to ``cancelOrderStockWithSeq``."""

    FIELDS = (
        ("m_strAccountID", "account_id"),
        ("m_nCancelResult", "cancel_result"),
        ("m_nOrderID", "order_id"),
        ("m_strOrderSysID", "order_sysid"),
        ("m_strErrorMsg", "error_msg"),
    )


class XtOrder(NativeStruct):
    """An order push or query row."""

    FIELDS = (
        *_ACC,
        ("m_strStockCode", "stock_code"),
        ("m_nOrderID", "order_id"),
        ("m_strOrderSysID", "order_sysid"),
        ("m_nOrderTime", "order_time"),
        ("m_nOrderType", "order_type"),
        ("m_nOrderVolume", "order_volume"),
        ("m_nPriceType", "price_type"),
        ("m_dPrice", "price"),
        ("m_nTradedVolume", "traded_volume"),
        ("m_dTradedPrice", "traded_price"),
        ("m_nOrderStatus", "order_status"),
        ("m_strStatusMsg", "status_msg"),
        ("m_strStrategyName", "strategy_name"),
        ("m_strOrderRemark", "order_remark"),
        ("m_nDirection", "direction"),
        ("m_nOffsetFlag", "offset_flag"),
        ("m_strSecuAccount", "secu_account"),
        ("m_strInstrumentName", "instrument_name"),
    )


class XtTrade(NativeStruct):
    """A trade push or query row."""

    FIELDS = (
        *_ACC,
        ("m_strStockCode", "stock_code"),
        ("m_nOrderType", "order_type"),
        ("m_strTradedID", "traded_id"),
        ("m_nTradedTime", "traded_time"),
        ("m_dTradedPrice", "traded_price"),
        ("m_nTradedVolume", "traded_volume"),
        ("m_dTradedAmount", "traded_amount"),
        ("m_nOrderID", "order_id"),
        ("m_strOrderSysID", "order_sysid"),
        ("m_strStrategyName", "strategy_name"),
        ("m_strOrderRemark", "order_remark"),
        ("m_nDirection", "direction"),
        ("m_nOffsetFlag", "offset_flag"),
        ("m_dCommission", "commission"),
        ("m_strSecuAccount", "secu_account"),
        ("m_strInstrumentName", "instrument_name"),
    )


class XtAsset(NativeStruct):
    """Cash of one account."""

    FIELDS = (
        *_ACC,
        ("m_dCash", "cash"),
        ("m_dFrozenCash", "frozen_cash"),
        ("m_dMarketValue", "market_value"),
        ("m_dTotalAsset", "total_asset"),
        ("m_dFetchBalance", "fetch_balance"),
    )


class XtPosition(NativeStruct):
    """A position of one account."""

    FIELDS = (
        *_ACC,
        ("m_strStockCode", "stock_code"),
        ("m_nVolume", "volume"),
        ("m_nCanUseVolume", "can_use_volume"),
        ("m_dOpenPrice", "open_price"),
        ("m_dMarketValue", "market_value"),
        ("m_nFrozenVolume", "frozen_volume"),
        ("m_nOnRoadVolume", "on_road_volume"),
        ("m_nYesterdayVolume", "yesterday_volume"),
        ("m_dAvgPrice", "avg_price"),
        ("m_nDirection", "direction"),
        ("m_dLastPrice", "last_price"),
    )


class XtOrderError(NativeStruct):
    """An order-error push; ``seq`` is the request's sequence number."""

    FIELDS = (
        *_ACC,
        ("m_nOrderID", "order_id"),
        ("m_nErrorID", "error_id"),
        ("m_strErrorMsg", "error_msg"),
        ("m_strStrategyName", "strategy_name"),
        ("m_strOrderRemark", "order_remark"),
        ("m_nSeq", "seq"),
    )


class XtCancelError(NativeStruct):
    """A cancel-error push (no seq)."""

    FIELDS = (
        *_ACC,
        ("m_nOrderID", "order_id"),
        ("m_nMarket", "market"),
        ("m_strOrderSysID", "order_sysid"),
        ("m_nErrorID", "error_id"),
        ("m_strErrorMsg", "error_msg"),
    )


class XtAccountStatus(NativeStruct):
    """An account-status push (``QuantAccStatusNotify``) or query row."""

    FIELDS = (*_ACC, ("m_nStatus", "status"))


class XtAccountInfo(NativeStruct):
    """An account-info query row."""

    FIELDS = (
        *_ACC,
        ("m_nBrokerType", "broker_type"),
        ("m_nPlatformID", "platform_id"),
        ("m_nAccountClassification", "account_classification"),
        ("m_nLoginStatus", "login_status"),
    )


REQUEST_TYPES: tuple[type[NativeStruct], ...] = (
    SubscribeReq,
    UnsubscribeReq,
    QueryStockAssetReq,
    QueryStockTradesReq,
    QueryAccountStatusReq,
    QueryAccountInfosReq,
    QueryStockOrdersReq,
    QueryStockPositionsReq,
    OrderStockReq,
    CancelOrderStockReq,
)
"""The request classes exported by the fake module (what xttrader instantiates)."""
