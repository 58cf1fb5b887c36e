"""Switches for the rules the fact sheet marks unconfirmed ([U]).

Every default is the *safer* choice: the one that denies an order the exchange might reject
rather than letting it through. ``docs/rules.md`` explains each switch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from ashare_exec.model import Board

__all__ = ["DEFAULT_RULES", "RulesConfig"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RulesConfig:
    """Choices for unconfirmed rules (all defaults are the conservative ones)."""

    star_cage_tick_floor: bool = False
    """STAR cage gets the "or 10 ticks" widening (wangcai says yes, QMTQ says no). [U]"""
    chinext_cage_tick_floor: bool = False
    """ChiNext cage gets the "or 10 ticks" widening since 2023-04-10. [U]"""
    bse_limit_rounding: Literal["INWARD", "HALF_UP"] = "INWARD"
    """BSE limit prices: truncate limit-up down, round limit-down up (narrower band). [U]"""
    sse_main_best_price_orders: bool = False
    """SSE main board accepts COUNTERPARTY_BEST / OWN_BEST market orders. [U]"""
    main_board_after_hours: bool = False
    """Main board takes after-hours fixed-price orders from 2026-07-06. [U]"""
    accept_orders_during_lunch: bool = False
    """Accept new orders and cancels 11:30-13:00 (brokers queue them; exchanges may not). [U]"""
    sse_repo_tick: Decimal = Decimal("0.005")
    """SSE reverse-repo (204xxx) yield tick. [U]"""
    sse_b_share_lot: int = 1000
    """SSE B-share trading unit (the fact sheet says 100; SSE has long used 1,000). [U]"""
    convertible_lot: int = 10
    """Convertible-bond buy lot in bonds (10 bonds = CNY 1,000 face). [U]"""
    protection_required_boards: frozenset[Board] = field(
        default_factory=lambda: frozenset({Board.STAR, Board.BSE})
    )
    """Boards whose market orders must carry a protection price (STAR [S]; BSE [U])."""


DEFAULT_RULES = RulesConfig()
