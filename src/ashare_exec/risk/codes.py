"""Reason codes the risk layer emits (see ``reason-codes.md``; codes never change).

Exchange-rule codes (``PRICE_OFF_TICK``, ``QTY_NOT_LOT_MULTIPLE``, ...) come from
:func:`ashare_exec.rules.validate_order` and pass through unchanged.
"""

from __future__ import annotations

from typing import Final

INSUFFICIENT_CASH: Final = "INSUFFICIENT_CASH"
INSUFFICIENT_POSITION: Final = "INSUFFICIENT_POSITION"
ORDER_NOTIONAL_LIMIT: Final = "ORDER_NOTIONAL_LIMIT"
ORDER_QTY_LIMIT: Final = "ORDER_QTY_LIMIT"
POSITION_LIMIT: Final = "POSITION_LIMIT"
EXPOSURE_LIMIT: Final = "EXPOSURE_LIMIT"
DAILY_LOSS_LIMIT: Final = "DAILY_LOSS_LIMIT"
PRICE_DEVIATION: Final = "PRICE_DEVIATION"
NOT_WHITELISTED: Final = "NOT_WHITELISTED"
BLACKLISTED: Final = "BLACKLISTED"
ST_DAILY_BUY_CAP: Final = "ST_DAILY_BUY_CAP"
RATE_LIMITED: Final = "RATE_LIMITED"
DAILY_COUNT_LIMIT: Final = "DAILY_COUNT_LIMIT"
CANCEL_RATIO_LIMIT: Final = "CANCEL_RATIO_LIMIT"
OPEN_ORDERS_LIMIT: Final = "OPEN_ORDERS_LIMIT"
DUPLICATE_ORDER: Final = "DUPLICATE_ORDER"
SELF_TRADE: Final = "SELF_TRADE"
TRADING_HALTED: Final = "TRADING_HALTED"
REDUCE_ONLY: Final = "REDUCE_ONLY"
CHASE_GUARD: Final = "CHASE_GUARD"
"""New (risk): repeated cancel-and-resubmit on one symbol and side near the daily limit."""
RISK_CHECK_ERROR: Final = "RISK_CHECK_ERROR"
"""New (risk): a check failed internally (bad data from a view); the order is denied."""

# Names of controls as they appear in the evidence pack and alerts (not reason codes).
CONTROL_RATE_LIMIT: Final = "rate_limit"
CONTROL_DAILY_COUNT: Final = "daily_count"
CONTROL_CANCEL_RATIO: Final = "cancel_ratio"
CONTROL_REJECTION_BREAKER: Final = "rejection_breaker"
CONTROL_DAILY_LOSS: Final = "daily_loss"
CONTROL_KILL_SWITCH: Final = "kill_switch"
CONTROL_CHASE_GUARD: Final = "chase_guard"
CONTROL_ORDER_TTL: Final = "order_ttl"
CONTROL_ORDER_DRIFT: Final = "order_drift"
CONTROL_STOP: Final = "stop"
CONTROL_PRE_TRADE: Final = "pre_trade"
