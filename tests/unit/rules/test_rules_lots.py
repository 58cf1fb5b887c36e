"""Lot, minimum, step and maximum per board and order type; odd-lot sells (fact sheet §4)."""

from __future__ import annotations

from datetime import date

import pytest
from rules_helpers import inst

from ashare_exec.model import PriceType, Side
from ashare_exec.rules import LotRule, RulesConfig, lot_rule, odd_lot_sell_ok, st_buy_cap_applies

DAY = date(2026, 11, 25)
L, M, AH = PriceType.LIMIT, PriceType.BEST5_IOC, PriceType.AFTER_HOURS_FIXED

RULES: list[tuple[str, PriceType, LotRule]] = [
    ("600000.SH", L, LotRule(100, 100, 100, 1_000_000)),
    ("600000.SH", M, LotRule(100, 100, 100, 1_000_000)),
    ("000001.SZ", L, LotRule(100, 100, 100, 1_000_000)),
    ("688981.SH", L, LotRule(200, 200, 1, 100_000)),
    ("688981.SH", M, LotRule(200, 200, 1, 50_000)),
    ("688981.SH", AH, LotRule(200, 200, 1, 1_000_000)),
    ("689009.SH", L, LotRule(200, 200, 1, 100_000)),
    ("300750.SZ", L, LotRule(100, 100, 100, 300_000)),
    ("300750.SZ", PriceType.COUNTERPARTY_BEST, LotRule(100, 100, 100, 150_000)),
    ("300750.SZ", AH, LotRule(100, 100, 100, 1_000_000)),
    ("920163.BJ", L, LotRule(100, 100, 1, 1_000_000)),
    ("900901.SH", L, LotRule(1000, 1000, 1000, 1_000_000)),
    ("200596.SZ", L, LotRule(100, 100, 100, 1_000_000)),
    ("510300.SH", L, LotRule(100, 100, 100, 1_000_000)),
    ("159915.SZ", L, LotRule(100, 100, 100, 1_000_000)),
    ("113052.SH", L, LotRule(10, 10, 10, 100_000)),
    ("127045.SZ", L, LotRule(10, 10, 10, 100_000)),
    ("204001.SH", L, LotRule(10, 10, 10, 1_000_000)),
]


@pytest.mark.parametrize(("symbol", "price_type", "expected"), RULES)
def test_lot_rule_when_board_and_type_given_returns_board_rule(
    symbol: str, price_type: PriceType, expected: LotRule
) -> None:
    assert lot_rule(inst(symbol), Side.BUY, price_type, DAY) == expected


def test_lot_rule_when_sse_b_lot_configured_uses_config() -> None:
    rule = lot_rule(inst("900901.SH"), Side.BUY, L, DAY, config=RulesConfig(sse_b_share_lot=100))
    assert (rule.lot, rule.min_qty, rule.step) == (100, 100, 100)


@pytest.mark.parametrize(
    ("symbol", "qty", "round_"),
    [
        ("600000.SH", 100, True),
        ("600000.SH", 150, False),
        ("600000.SH", 99, False),
        ("688981.SH", 200, True),
        ("688981.SH", 201, True),  # STAR: >= 200 then step 1
        ("688981.SH", 199, False),
        ("688981.SH", 100, False),
        ("920163.BJ", 100, True),
        ("920163.BJ", 101, True),  # BSE: >= 100 then step 1
        ("920163.BJ", 99, False),
        ("113052.SH", 15, False),
    ],
)
def test_lot_rule_is_round_when_qty_given_follows_min_and_step(
    symbol: str, qty: int, round_: bool
) -> None:
    assert lot_rule(inst(symbol), Side.BUY, L, DAY).is_round(qty) is round_


@pytest.mark.parametrize(
    ("symbol", "qty", "holding", "ok"),
    [
        ("600000.SH", 50, 250, True),  # the whole odd remainder
        ("600000.SH", 150, 250, True),  # a lot plus the whole odd remainder
        ("600000.SH", 30, 250, False),  # part of the odd remainder
        ("600000.SH", 130, 250, False),
        ("600000.SH", 50, None, False),  # unknown holding: refuse
        ("600000.SH", 50, 30, False),  # more than held
        ("688981.SH", 150, 150, True),  # STAR: below 200 only as the whole holding
        ("688981.SH", 100, 250, False),
        ("688981.SH", 150, 160, False),
        ("920163.BJ", 60, 60, True),
        ("920163.BJ", 60, 160, False),
    ],
)
def test_odd_lot_sell_ok_when_remainder_checked_requires_whole_odd_part(
    symbol: str, qty: int, holding: int | None, ok: bool
) -> None:
    rule = lot_rule(inst(symbol), Side.SELL, L, DAY)
    assert odd_lot_sell_ok(rule, qty, holding) is ok


@pytest.mark.parametrize(("st", "applies"), [(True, True), (False, False)])
def test_st_buy_cap_applies_when_risk_warning_flag_set(st: bool, applies: bool) -> None:
    assert st_buy_cap_applies(inst("600777.SH", is_st=st)) is applies
