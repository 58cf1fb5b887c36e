"""Session phases, order acceptance and order types by exchange, board and phase (§5, §7)."""

from __future__ import annotations

from datetime import date, datetime, time

from ashare_exec.clock import CST
from ashare_exec.model import (
    Board,
    Exchange,
    Instrument,
    PriceType,
    ProductType,
    TradingPhase,
)
from ashare_exec.rules.calendar import TradingCalendar
from ashare_exec.rules.config import DEFAULT_RULES, RulesConfig
from ashare_exec.rules.dated import since

__all__ = [
    "MARKET_PRICE_TYPES",
    "accepts_orders",
    "allowed_price_types",
    "cancel_allowed",
    "phase_at",
]

# SSE had no closing call auction for stocks before 2018-08-20 and none for funds before
# 2026-07-06 (continuous trading ran to 15:00) [V] MR:cn.session.*.
SSE_STOCK_CLOSING_AUCTION_SINCE = date(2018, 8, 20)
SSE_FUND_CLOSING_AUCTION_SINCE = date(2026, 7, 6)
STAR_SINCE = date(2019, 7, 22)
CHINEXT_AFTER_HOURS_SINCE = date(2020, 8, 24)
MAIN_AFTER_HOURS_SINCE = date(2026, 7, 6)  # [U] scope of the 2026 reform
CONVERTIBLE_MARKET_ORDERS_SINCE = date(2022, 8, 1)  # bonds got a band (market orders need one)

_FUNDS = frozenset({ProductType.ETF, ProductType.LOF, ProductType.FUND, ProductType.REIT})

MARKET_PRICE_TYPES = frozenset(p for p in PriceType if p.is_market)

_T = time
# (start, end, phase), half-open, for a trading day.
_STOCK_DAY: tuple[tuple[time, time, TradingPhase], ...] = (
    (_T(0, 0), _T(9, 15), TradingPhase.PRE_OPEN),
    (_T(9, 15), _T(9, 20), TradingPhase.OPENING_AUCTION),
    (_T(9, 20), _T(9, 25), TradingPhase.OPENING_AUCTION_NO_CANCEL),
    (_T(9, 25), _T(9, 30), TradingPhase.PRE_CONTINUOUS),
    (_T(9, 30), _T(11, 30), TradingPhase.CONTINUOUS),
    (_T(11, 30), _T(13, 0), TradingPhase.LUNCH_BREAK),
    (_T(13, 0), _T(14, 57), TradingPhase.CONTINUOUS),
    (_T(14, 57), _T(15, 0), TradingPhase.CLOSING_AUCTION),
    (_T(15, 0), _T(15, 30), TradingPhase.AFTER_HOURS),
)


def _has_closing_auction(exchange: Exchange, product: ProductType | None, day: date) -> bool:
    if exchange is not Exchange.SH:
        return True
    if product in _FUNDS:
        return since(SSE_FUND_CLOSING_AUCTION_SINCE, day)
    return since(SSE_STOCK_CLOSING_AUCTION_SINCE, day)


def phase_at(
    exchange: Exchange,
    ts: datetime,
    calendar: TradingCalendar,
    product: ProductType | None = None,
) -> TradingPhase:
    """The session phase of ``exchange`` at ``ts`` (aware; converted to CST).

    Without a closing auction (SSE stocks before 2018-08-20, SSE funds before 2026-07-06)
    14:57-15:00 is continuous trading. Reverse repo trades continuously until 15:30.
    Non-trading days are CLOSED all day. A naive ``ts`` is taken as CST.
    """
    local = ts.replace(tzinfo=CST) if ts.tzinfo is None else ts.astimezone(CST)
    day, clock = local.date(), local.time()
    if not calendar.is_trading_day(day):
        return TradingPhase.CLOSED
    phase = TradingPhase.POST_CLOSE
    for start, end, p in _STOCK_DAY:
        if start <= clock < end:
            phase = p
            break
    if phase is TradingPhase.CLOSING_AUCTION and not _has_closing_auction(exchange, product, day):
        return TradingPhase.CONTINUOUS
    if product is ProductType.REPO and phase in (
        TradingPhase.CLOSING_AUCTION,
        TradingPhase.AFTER_HOURS,
    ):
        return TradingPhase.CONTINUOUS
    return phase


_LIMIT_PHASES = frozenset(
    {
        TradingPhase.OPENING_AUCTION,
        TradingPhase.OPENING_AUCTION_NO_CANCEL,
        TradingPhase.PRE_CONTINUOUS,
        TradingPhase.CONTINUOUS,
        TradingPhase.CLOSING_AUCTION,
    }
)
_CANCEL_PHASES = frozenset(
    {
        TradingPhase.OPENING_AUCTION,
        TradingPhase.PRE_CONTINUOUS,
        TradingPhase.CONTINUOUS,
        TradingPhase.AFTER_HOURS,
    }
)


def cancel_allowed(phase: TradingPhase, *, config: RulesConfig = DEFAULT_RULES) -> bool:
    """Whether a cancel may be sent in ``phase``.

    Never 9:20-9:25 and 14:57-15:00 (the no-cancel auction windows); at lunch only when
    ``config.accept_orders_during_lunch``.
    """
    if phase is TradingPhase.LUNCH_BREAK:
        return config.accept_orders_during_lunch
    return phase in _CANCEL_PHASES


def accepts_orders(
    phase: TradingPhase,
    price_type: PriceType,
    *,
    exchange: Exchange | None = None,
    config: RulesConfig = DEFAULT_RULES,
) -> bool:
    """Whether a new order of ``price_type`` may be sent in ``phase``.

    Limit orders: the auctions, the 9:25-9:30 queue and continuous trading. Market orders:
    continuous trading only. After-hours fixed-price orders: SSE 9:30-11:30 / 13:00-15:30,
    SZSE (and, by assumption, BSE) from 9:15; without ``exchange`` the narrower SSE windows.
    """
    if phase is TradingPhase.LUNCH_BREAK:
        return config.accept_orders_during_lunch and price_type is not PriceType.AFTER_HOURS_FIXED
    if price_type is PriceType.LIMIT:
        return phase in _LIMIT_PHASES
    if price_type is PriceType.AFTER_HOURS_FIXED:
        if phase in (
            TradingPhase.CONTINUOUS,
            TradingPhase.CLOSING_AUCTION,
            TradingPhase.AFTER_HOURS,
        ):
            return True
        early = (TradingPhase.OPENING_AUCTION, TradingPhase.OPENING_AUCTION_NO_CANCEL,
                 TradingPhase.PRE_CONTINUOUS)  # fmt: skip
        return exchange in (Exchange.SZ, Exchange.BJ) and phase in early
    return phase is TradingPhase.CONTINUOUS


_SSE_MARKET = frozenset({PriceType.BEST5_IOC, PriceType.BEST5_TO_LIMIT})
_BEST_PRICE = frozenset({PriceType.COUNTERPARTY_BEST, PriceType.OWN_BEST})
_SZSE_MARKET = frozenset(
    {
        PriceType.COUNTERPARTY_BEST,
        PriceType.OWN_BEST,
        PriceType.IOC,
        PriceType.BEST5_IOC,
        PriceType.FOK,
    }
)
_BSE_MARKET = _SSE_MARKET | _BEST_PRICE


def allowed_price_types(
    inst: Instrument, day: date, *, config: RulesConfig = DEFAULT_RULES
) -> frozenset[PriceType]:
    """The order price types the exchange offers for ``inst`` on ``day`` (any phase).

    Indices: none. B shares and repo: limit only (safer; market orders unconfirmed).
    Whether a market order is usable *now* also depends on the phase and on the day having
    a band; :func:`ashare_exec.rules.validate_order` checks both.
    """
    board, product, ex = inst.board, inst.product, inst.instrument_id.exchange
    if product is ProductType.INDEX:
        return frozenset()
    types = {PriceType.LIMIT}
    if product in (ProductType.B_SHARE, ProductType.REPO, ProductType.EXCHANGEABLE):
        return frozenset(types)
    if product is ProductType.CONVERTIBLE and not since(CONVERTIBLE_MARKET_ORDERS_SINCE, day):
        return frozenset(types)
    if ex is Exchange.SZ:
        types |= _SZSE_MARKET
    elif ex is Exchange.BJ:
        types |= _BSE_MARKET | {PriceType.AFTER_HOURS_FIXED}
    else:
        types |= _SSE_MARKET
        if board is Board.STAR or config.sse_main_best_price_orders:
            types |= _BEST_PRICE
    if board is Board.STAR and since(STAR_SINCE, day):
        types.add(PriceType.AFTER_HOURS_FIXED)
    if board is Board.CHINEXT and since(CHINEXT_AFTER_HOURS_SINCE, day):
        types.add(PriceType.AFTER_HOURS_FIXED)
    if board is Board.MAIN and config.main_board_after_hours and since(MAIN_AFTER_HOURS_SINCE, day):
        types.add(PriceType.AFTER_HOURS_FIXED)
    return frozenset(types)
