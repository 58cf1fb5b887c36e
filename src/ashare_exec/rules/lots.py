"""Order quantity rules: lot, minimum, step and maximum per board and order type (§4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from ashare_exec.model import Board, Exchange, Instrument, PriceType, ProductType, Side
from ashare_exec.rules.config import DEFAULT_RULES, RulesConfig

__all__ = ["ST_DAILY_BUY_CAP", "LotRule", "lot_rule", "odd_lot_sell_ok", "st_buy_cap_applies"]

ST_DAILY_BUY_CAP = 500_000
"""Risk-warning stocks: cumulative buys per investor, per stock, per day (shares) [S]."""

_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class LotRule:
    """Quantity rule for one order.

    A valid round quantity is ``min_qty + k × step`` up to ``max_qty``. ``lot`` is the board
    lot: a sell of fewer than ``lot`` shares is legal only as the whole odd remainder.
    """

    lot: int
    min_qty: int
    step: int
    max_qty: int

    def is_round(self, qty: int) -> bool:
        """Return whether ``qty`` is a valid round quantity (ignores the maximum)."""
        return qty >= self.min_qty and (qty - self.min_qty) % self.step == 0


def _max_qty(inst: Instrument, price_type: PriceType) -> int:
    board = inst.board
    if price_type is PriceType.AFTER_HOURS_FIXED:
        return _MILLION
    market = price_type.is_market
    if board is Board.STAR:
        return 50_000 if market else 100_000
    if board is Board.CHINEXT:
        return 150_000 if market else 300_000
    if inst.product is ProductType.CONVERTIBLE or inst.product is ProductType.EXCHANGEABLE:
        # [U] SSE about 10,000 lots (100,000 bonds), SZSE 1,000,000 bonds: take the smaller.
        return 100_000
    # Main board, BSE [U], B shares, funds [U], repo [U].
    return _MILLION


@lru_cache(maxsize=256)
def _rule(*, lot: int, min_qty: int, step: int, max_qty: int) -> LotRule:
    # One shared object per distinct rule: every order asks twice (our checks, the venue's).
    return LotRule(lot=lot, min_qty=min_qty, step=step, max_qty=max_qty)


def lot_rule(
    inst: Instrument,
    side: Side,
    price_type: PriceType,
    day: date,
    *,
    config: RulesConfig = DEFAULT_RULES,
) -> LotRule:
    """The quantity rule for an order of ``price_type`` on ``side`` in ``inst`` on ``day``.

    Sells use the same rule; a sell that is not round is checked with :func:`odd_lot_sell_ok`.
    ``side`` and ``day`` are part of the signature so dated or side-specific rules can be
    added without breaking callers.
    """
    del side, day  # no side- or date-dependent quantity rule is modelled yet
    max_qty = _max_qty(inst, price_type)
    board, product = inst.board, inst.product
    if board is Board.STAR:
        return _rule(lot=200, min_qty=200, step=1, max_qty=max_qty)
    if board is Board.BSE:
        return _rule(lot=100, min_qty=100, step=1, max_qty=max_qty)
    if product is ProductType.B_SHARE and inst.instrument_id.exchange is Exchange.SH:
        n = config.sse_b_share_lot
        return _rule(lot=n, min_qty=n, step=n, max_qty=max_qty)
    if product in (ProductType.CONVERTIBLE, ProductType.EXCHANGEABLE):
        n = config.convertible_lot
        return _rule(lot=n, min_qty=n, step=n, max_qty=max_qty)
    if product is ProductType.REPO:
        # [U] quantity in 张 (CNY 100 face), minimum CNY 1,000.
        return _rule(lot=10, min_qty=10, step=10, max_qty=max_qty)
    return _rule(lot=100, min_qty=100, step=100, max_qty=max_qty)


def odd_lot_sell_ok(rule: LotRule, qty: int, holding: int | None) -> bool:
    """Return whether a sell of ``qty`` that is not round is a legal odd-lot sell.

    The part under the board lot must be the whole odd remainder of ``holding`` and sold in
    one order. On step-1 boards (STAR, BSE) a sell below the minimum must sell the whole
    holding. Unknown holding → False (the safe answer).
    """
    if holding is None or qty <= 0 or qty > holding:
        return False
    if rule.step == 1:
        return qty == holding and holding < rule.min_qty
    return qty % rule.lot == holding % rule.lot


def st_buy_cap_applies(inst: Instrument) -> bool:
    """Whether the 500,000-share daily buy cap (:data:`ST_DAILY_BUY_CAP`) applies."""
    return inst.is_st
