"""The dicts the XTP emulator hands to vnpy_xtp, shaped like the pybind wrapper's
(``vnxtptd.cpp``), and its error table (ASSUMPTION: XTP ships no error catalogue)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ashare_exec.model import CashReport, Exchange, OrderFilled, PositionReport, PriceType

__all__ = [
    "MARKET",
    "NO_DATA",
    "OK",
    "PRICE_TYPE",
    "TRADER_REQUESTS",
    "XTP_ERRORS",
    "answer_rows",
    "asset_dict",
    "order_dict",
    "position_dict",
    "push_call",
    "stamp",
    "stub_quote_api",
    "trade_dict",
]

OK: dict[str, Any] = {"error_id": 0, "error_msg": ""}
NO_DATA: dict[str, Any] = {"error_id": 11000350, "error_msg": "没有查询到数据"}
XTP_ERRORS: dict[str, tuple[int, str]] = {
    "INSUFFICIENT_CASH": (11010120, "资金不足"),
    "INSUFFICIENT_POSITION": (11010121, "可卖持仓不足"),
    "PRICE_OFF_TICK": (11010130, "委托价格不符合最小变动价位"),
    "ORDER_NOT_FOUND": (11000343, "订单不存在"),
    "ORDER_ALREADY_DONE": (11000344, "订单已成交或已撤销，不能撤单"),
}
"""Our reason code -> (XTP error_id, error_msg) for the emulator's rejections."""
MARKET = {Exchange.SZ: 1, Exchange.SH: 2}
PRICE_TYPE = {1: PriceType.LIMIT, 4: PriceType.BEST5_IOC, 7: PriceType.COUNTERPARTY_BEST}


def stamp(ts: datetime) -> int:
    """XTP's ``YYYYmmddHHMMSSsss`` integer time."""
    return int(ts.strftime("%Y%m%d%H%M%S") + f"{ts.microsecond // 1000:03d}")


def order_dict(xtp_id: int, req: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A new ``XTPOrderInfo`` for an ``insertOrder`` request (status 0, INIT)."""
    return {
        "order_xtp_id": xtp_id, "order_client_id": int(req.get("order_client_id", 0)),
        "order_cancel_client_id": 0, "order_cancel_xtp_id": 0,
        "ticker": req["ticker"], "market": req["market"], "price": req["price"],
        "quantity": req["quantity"], "price_type": req["price_type"], "u32": 0,
        "side": req["side"], "position_effect": 0, "reserved1": 0, "reserved2": 0,
        "business_type": req.get("business_type", 0), "qty_traded": 0,
        "qty_left": req["quantity"], "insert_time": stamp(now), "update_time": 0,
        "cancel_time": 0, "trade_amount": 0.0, "order_local_id": "",
        "order_status": 0, "order_submit_status": 1, "order_type": "0",
    }  # fmt: skip


def trade_dict(o: dict[str, Any], r: OrderFilled, index: int) -> dict[str, Any]:
    """An ``XTPTradeReport`` for one simulator fill of order ``o``."""
    return {
        "order_xtp_id": o["order_xtp_id"], "order_client_id": o["order_client_id"],
        "ticker": o["ticker"], "market": o["market"], "local_order_id": "",
        "exec_id": str(r.trade_id), "price": float(r.last_px), "quantity": r.last_qty,
        "trade_time": stamp(r.ts_event), "trade_amount": float(r.last_px * r.last_qty),
        "report_index": index, "order_exch_id": "", "trade_type": "0", "u32": 0,
        "side": o["side"], "position_effect": 0, "reserved1": 0, "reserved2": 0,
        "business_type": 0, "branch_pbu": "",
    }  # fmt: skip


def asset_dict(cash: CashReport) -> dict[str, Any]:
    """An ``XTPQueryAssetRsp`` (the fields vnpy_xtp reads)."""
    return {
        "total_asset": float(cash.total_asset or cash.available + cash.frozen),
        "buying_power": float(cash.available), "security_asset": float(cash.market_value or 0),
        "withholding_amount": float(cash.frozen), "account_type": 0,
    }  # fmt: skip


def position_dict(p: PositionReport) -> dict[str, Any]:
    """An ``XTPQueryStkPositionRsp`` (the fields vnpy_xtp reads)."""
    return {
        "ticker": p.instrument_id.code, "ticker_name": "",
        "market": MARKET[p.instrument_id.exchange], "total_qty": p.total_qty,
        "sellable_qty": p.sellable_qty, "avg_price": float(p.avg_cost or 0),
        "unrealized_pnl": 0.0, "yesterday_position": p.sellable_qty,
        "purchase_redeemable_qty": 0, "position_direction": 0,
    }  # fmt: skip


TRADER_REQUESTS = (
    "createTraderApi", "setSoftwareKey", "subscribePublicTopic", "login", "getApiLastError",
    "init", "exit", "logout", "insertOrder", "cancelOrder", "queryAsset", "queryPosition",
    "queryOrdersEx", "queryOrderByXTPIDEx", "queryTrades", "queryOptionAuctionInfo",
)  # fmt: skip
"""The native request methods of vnpy_xtp's ``XtpTdApi`` the emulator answers."""


def stub_quote_api(md: Any) -> None:
    """Replace the native request methods of vnpy_xtp's ``XtpMdApi`` with no-ops: the
    emulator serves no quotes (risk's reference prices come from the service's own feed)."""
    md.createQuoteApi = lambda client_id, path, log_level: None
    md.login = lambda ip, port, user, password, protocol, local_ip: 0
    md.queryAllTickers = lambda exchange_id: 0
    md.init = lambda: None
    md.exit = lambda: 0
    md.subscribeMarketData = lambda symbol, count, exchange: 0


def push_call(
    td: Any, sid: int, kind: str, data: dict[str, Any], error: dict[str, Any]
) -> Callable[[], None]:
    """The call that delivers one push (``order``, ``trade`` or ``cancel`` error) to ``td``."""
    data, error = dict(data), dict(error)
    if kind == "order":
        return lambda: td.onOrderEvent(data, error, sid)
    if kind == "trade":
        return lambda: td.onTradeEvent(data, sid)
    return lambda: td.onCancelOrderError(data, error, sid)


def answer_rows(
    callback: Callable[..., None], datas: list[dict[str, Any]], rid: int, sid: int
) -> None:
    """Answer a query with ``datas``, one callback per row, the last flagged."""
    if not datas:  # XTP answers "no data" with a zeroed row and an error
        callback({"market": 0}, dict(NO_DATA), rid, True, sid)
    for i, data in enumerate(datas):
        callback(data, dict(OK), rid, i == len(datas) - 1, sid)
