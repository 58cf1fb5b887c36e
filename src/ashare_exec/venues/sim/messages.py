"""Rejection texts in the style of a Chinese broker counter, keyed by reason code."""

from __future__ import annotations

__all__ = ["reject_text"]

_TEXT = {
    "UNKNOWN_SYMBOL": "证券代码不存在",
    "SYMBOL_NOT_TRADABLE": "该证券不允许交易",
    "SYMBOL_SUSPENDED": "证券停牌, 不允许交易",
    "PRICE_TYPE_NOT_SUPPORTED": "该市场不支持此委托类型",
    "MARKET_CLOSED": "非交易时间, 不允许委托",
    "MARKET_ORDER_NOT_ALLOWED": "当前时段或该证券不允许市价委托",
    "QTY_NOT_POSITIVE": "委托数量必须大于0",
    "QTY_BELOW_MIN": "委托数量低于最小申报数量",
    "QTY_NOT_LOT_MULTIPLE": "委托数量不是交易单位的整数倍",
    "QTY_ABOVE_MAX": "委托数量超过单笔申报上限",
    "ODD_LOT_SELL_NOT_WHOLE": "零股必须一次性卖出",
    "INSUFFICIENT_POSITION": "可卖数量不足",
    "INSUFFICIENT_CASH": "可用资金不足",
    "PRICE_REQUIRED": "限价委托必须填写价格",
    "PRICE_NOT_POSITIVE": "委托价格必须大于0",
    "PRICE_OFF_TICK": "委托价格不符合最小价格变动单位",
    "PRICE_ABOVE_LIMIT_UP": "委托价格超过涨停价格",
    "PRICE_BELOW_LIMIT_DOWN": "委托价格低于跌停价格",
    "PRICE_OUTSIDE_CAGE": "委托价格超出有效申报价格范围(价格笼子)",
    "PROTECTION_PRICE_REQUIRED": "市价委托必须填写保护限价",
    "BROKER_REJECTED": "柜台繁忙, 委托失败",
    "ORDER_NOT_FOUND": "委托不存在, 撤单失败",
    "ORDER_ALREADY_DONE": "委托已成交或已撤销, 撤单失败",
    "CANCEL_NOT_ALLOWED_NOW": "当前时段不允许撤单(9:20-9:25, 14:57-15:00)",
    "INVALID_REQUEST": "委托要素不合法",
}


def reject_text(code: str, detail: str = "") -> str:
    """``[CODE] 中文说明: detail`` for a reason code."""
    text = f"[{code}] {_TEXT.get(code, '委托失败')}"
    return f"{text}: {detail}" if detail else text
