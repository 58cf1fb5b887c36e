"""The public surface of ashare_exec.rules that other packages code against."""

from __future__ import annotations

import ashare_exec.rules as rules

CONTRACT = (
    "classify",
    "tick_size",
    "PriceLimits",
    "price_limits",
    "cage_bounds",
    "LotRule",
    "lot_rule",
    "TradingCalendar",
    "phase_at",
    "cancel_allowed",
    "accepts_orders",
    "allowed_price_types",
    "FeeSchedule",
    "Fees",
    "estimate_fees",
    "sellable_same_day",
    "ST_DAILY_BUY_CAP",
    "ValidationResult",
    "validate_order",
    "RulesConfig",
)


def test_rules_exports_when_imported_contract_names_present() -> None:
    missing = [name for name in CONTRACT if not hasattr(rules, name)]
    assert missing == []
    assert set(CONTRACT) <= set(rules.__all__)


def test_rules_all_when_listed_every_name_resolves() -> None:
    assert [n for n in rules.__all__ if not hasattr(rules, n)] == []


def test_st_daily_buy_cap_when_read_is_half_a_million() -> None:
    assert rules.ST_DAILY_BUY_CAP == 500_000
