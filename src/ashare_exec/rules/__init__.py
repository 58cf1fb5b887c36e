"""A-share market rules as pure, dated data and functions (no I/O, no clock).

Each rule carries its effective date so a historical date evaluates under the rules then
in force. See ``docs/rules.md`` for every rule, its source tag and the choices made where
the fact sheet marks a rule unconfirmed (:class:`RulesConfig`).
"""

from ashare_exec.rules.calendar import WEEKDAYS_ONLY, TradingCalendar
from ashare_exec.rules.classify import Classification, UnknownCodeError, classify
from ashare_exec.rules.config import DEFAULT_RULES, RulesConfig
from ashare_exec.rules.dated import in_force
from ashare_exec.rules.fees import Fees, FeeSchedule, estimate_fees, statutory_rates
from ashare_exec.rules.lots import (
    ST_DAILY_BUY_CAP,
    LotRule,
    lot_rule,
    odd_lot_sell_ok,
    st_buy_cap_applies,
)
from ashare_exec.rules.prices import (
    NO_LIMITS,
    PriceLimits,
    cage_base_price,
    cage_bounds,
    delisting_day_index,
    listing_day_index,
    price_limits,
    tick_size,
)
from ashare_exec.rules.sessions import (
    MARKET_PRICE_TYPES,
    accepts_orders,
    allowed_price_types,
    cancel_allowed,
    phase_at,
)
from ashare_exec.rules.settlement import sellable_same_day
from ashare_exec.rules.validate import MESSAGES, ValidationResult, validate_order

__all__ = [
    "DEFAULT_RULES",
    "MARKET_PRICE_TYPES",
    "MESSAGES",
    "NO_LIMITS",
    "ST_DAILY_BUY_CAP",
    "WEEKDAYS_ONLY",
    "Classification",
    "FeeSchedule",
    "Fees",
    "LotRule",
    "PriceLimits",
    "RulesConfig",
    "TradingCalendar",
    "UnknownCodeError",
    "ValidationResult",
    "accepts_orders",
    "allowed_price_types",
    "cage_base_price",
    "cage_bounds",
    "cancel_allowed",
    "classify",
    "delisting_day_index",
    "estimate_fees",
    "in_force",
    "listing_day_index",
    "lot_rule",
    "odd_lot_sell_ok",
    "phase_at",
    "price_limits",
    "sellable_same_day",
    "st_buy_cap_applies",
    "statutory_rates",
    "tick_size",
    "validate_order",
]
