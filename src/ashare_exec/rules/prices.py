"""Ticks, daily price limits and the continuous-trading price cage (fact sheet §2, §3, §6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from ashare_exec.model import Board, Exchange, Instrument, ProductType, Quote, Side
from ashare_exec.model.numbers import round_half_up
from ashare_exec.rules.calendar import WEEKDAYS_ONLY, TradingCalendar
from ashare_exec.rules.config import DEFAULT_RULES, RulesConfig
from ashare_exec.rules.dated import in_force, since

__all__ = [
    "PriceLimits",
    "cage_base_price",
    "cage_bounds",
    "delisting_day_index",
    "listing_day_index",
    "price_limits",
    "tick_size",
]

_CENT = Decimal("0.01")
_MILLI = Decimal("0.001")
_ONE = Decimal(1)

# --- Dated rule data -------------------------------------------------------------------

# One-tick floor on the limit computation: SZSE since 2011-02-28, SSE since 2023-04-10 [V];
# BSE assumed from its opening [U].
ONE_TICK_FLOOR_SINCE: dict[Exchange, date] = {
    Exchange.SZ: date(2011, 2, 28),
    Exchange.SH: date(2023, 4, 10),
    Exchange.BJ: date(2021, 11, 15),
}

# Band (fraction of the reference price) per board, dated. [V] MR:cn.limit.*
MAIN_BAND = ((date(1996, 12, 16), Decimal("0.10")),)
MAIN_ST_BAND = ((date(1998, 4, 22), Decimal("0.05")), (date(2026, 7, 6), Decimal("0.10")))
B_SHARE_BAND = MAIN_BAND
B_SHARE_ST_BAND = MAIN_ST_BAND
STAR_BAND = ((date(2019, 7, 22), Decimal("0.20")),)
CHINEXT_BAND = ((date(2009, 10, 30), Decimal("0.10")), (date(2020, 8, 24), Decimal("0.20")))
CHINEXT_ST_BAND = ((date(2009, 10, 30), Decimal("0.05")), (date(2020, 8, 24), Decimal("0.20")))
BSE_BAND = ((date(2021, 11, 15), Decimal("0.30")),)
FUND_BAND = ((date(1996, 12, 16), Decimal("0.10")),)
FUND_20PCT_BAND = Decimal("0.20")
FUND_20PCT_SINCE = {Exchange.SH: date(2020, 8, 21), Exchange.SZ: date(2020, 8, 24)}
REIT_DAY1_BAND = Decimal("0.30")
CONVERTIBLE_RULES_SINCE = date(2022, 8, 1)
CONVERTIBLE_BAND = Decimal("0.20")
CONVERTIBLE_DAY1_UP = Decimal("0.573")
CONVERTIBLE_DAY1_DOWN = Decimal("0.433")
CONVERTIBLE_PAR = Decimal(100)

# IPO days without a price limit (registration regime) [V].
IPO_NO_LIMIT_SINCE = {
    Board.STAR: date(2019, 7, 22),
    Board.CHINEXT: date(2020, 8, 24),
    Board.MAIN: date(2023, 4, 10),
}
IPO_NO_LIMIT_DAYS = 5
BSE_IPO_NO_LIMIT_DAYS = 1
# Main board before registration: day-1 valid range 64%-144% of the issue price [V].
MAIN_IPO_DAY1_RANGE = (Decimal("0.64"), Decimal("1.44"))
DELISTING_DAY1_NO_LIMIT_SINCE = date(2020, 12, 31)

# Price cage (continuous trading) [S]: (since, pct, ten-tick floor)
CAGE_TICKS = 10
MAIN_CAGE_SINCE = date(2023, 4, 10)
STAR_CAGE_SINCE = date(2019, 7, 22)
CHINEXT_CAGE_REJECT_SINCE = date(2023, 4, 10)  # held (not rejected) 2020-08-24..2023-04-09
BSE_CAGE_SINCE = date(2021, 11, 15)
CAGE_PCT = {Board.MAIN: Decimal("0.02"), Board.STAR: Decimal("0.02"),
            Board.CHINEXT: Decimal("0.02"), Board.BSE: Decimal("0.05")}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PriceLimits:
    """The day's limit-up and limit-down prices; ``None`` means no band that day."""

    up: Decimal | None
    down: Decimal | None

    @property
    def unlimited(self) -> bool:
        """True when neither side has a band (IPO days, repo, ...)."""
        return self.up is None and self.down is None

    def contains(self, price: Decimal) -> bool:
        """Return whether ``price`` is inside the band (inclusive)."""
        if self.up is not None and price > self.up:
            return False
        return not (self.down is not None and price < self.down)


NO_LIMITS = PriceLimits(None, None)


def tick_size(inst: Instrument, *, config: RulesConfig = DEFAULT_RULES) -> Decimal:
    """The minimum price increment (申报价格最小变动单位) of ``inst``."""
    ex = inst.instrument_id.exchange
    product = inst.product
    if product is ProductType.B_SHARE:
        return _MILLI if ex is Exchange.SH else _CENT
    if product is ProductType.REPO:
        return config.sse_repo_tick if ex is Exchange.SH else _MILLI
    if product in (
        ProductType.ETF, ProductType.LOF, ProductType.FUND, ProductType.REIT,
        ProductType.CONVERTIBLE, ProductType.EXCHANGEABLE,
    ):  # fmt: skip
        return _MILLI
    return _CENT


def _day_index(start: date | None, day: date, calendar: TradingCalendar | None) -> int | None:
    if start is None:
        return None
    cal = calendar if calendar is not None else WEEKDAYS_ONLY
    return cal.trading_days_between(start, day) + 1


def listing_day_index(
    inst: Instrument, day: date, calendar: TradingCalendar | None = None
) -> int | None:
    """1 on the listing day, 2 the next trading day, ...; None when unknown.

    ``inst.listing_day_index`` (from the master) wins; otherwise it is computed from
    ``list_date`` with ``calendar`` (weekdays only when no calendar is given).
    """
    if inst.listing_day_index is not None:
        return inst.listing_day_index
    return _day_index(inst.list_date, day, calendar)


def delisting_day_index(
    inst: Instrument, day: date, calendar: TradingCalendar | None = None
) -> int | None:
    """1 on the first day of the delisting arrangement period, ...; None when not in it."""
    return _day_index(inst.delisting_start, day, calendar)


def _ratio_band(board: Board, is_st: bool, day: date) -> Decimal | None:
    """The board's band on an ordinary day (no IPO, no delisting special case)."""
    if board is Board.MAIN:
        return in_force(MAIN_ST_BAND if is_st else MAIN_BAND, day)
    if board is Board.STAR:
        return in_force(STAR_BAND, day)
    if board is Board.CHINEXT:
        return in_force(CHINEXT_ST_BAND if is_st else CHINEXT_BAND, day)
    if board is Board.BSE:
        return in_force(BSE_BAND, day)
    if board is Board.B_SHARE:
        return in_force(B_SHARE_ST_BAND if is_st else B_SHARE_BAND, day)
    return None


def _compute(
    inst: Instrument,
    base: Decimal,
    up_pct: Decimal,
    down_pct: Decimal,
    day: date,
    config: RulesConfig,
) -> PriceLimits:
    tick = tick_size(inst, config=config)
    ex = inst.instrument_id.exchange
    raw_up = base * (_ONE + up_pct)
    raw_down = base * (_ONE - down_pct)
    if ex is Exchange.BJ and config.bse_limit_rounding == "INWARD":
        up = (raw_up / tick).quantize(_ONE, rounding=ROUND_DOWN) * tick
        down = (raw_down / tick).quantize(_ONE, rounding=ROUND_UP) * tick
    else:
        up = round_half_up(raw_up, tick)
        down = round_half_up(raw_down, tick)
    if since(ONE_TICK_FLOOR_SINCE[ex], day):
        if up - base < tick:
            up = base + tick
        if base - down < tick:
            down = base - tick
    down = max(down, tick)
    return PriceLimits(up.quantize(tick), down.quantize(tick))


def _computed_limits(
    inst: Instrument, day: date, calendar: TradingCalendar | None, config: RulesConfig
) -> PriceLimits:
    board, product = inst.board, inst.product
    pc = inst.prev_close
    if product in (ProductType.REPO, ProductType.INDEX):
        return NO_LIMITS
    listing = listing_day_index(inst, day, calendar)
    delisting = delisting_day_index(inst, day, calendar)

    if product is ProductType.CONVERTIBLE:
        if not since(CONVERTIBLE_RULES_SINCE, day):
            return NO_LIMITS
        if listing == 1:
            issue = inst.issue_price if inst.issue_price is not None else CONVERTIBLE_PAR
            return _compute(inst, issue, CONVERTIBLE_DAY1_UP, CONVERTIBLE_DAY1_DOWN, day, config)
        return _compute(inst, pc, CONVERTIBLE_BAND, CONVERTIBLE_BAND, day, config)
    if product is ProductType.EXCHANGEABLE:
        return NO_LIMITS  # [U] the 2022 bond rules name convertibles only
    if board is Board.FUND:
        if product is ProductType.REIT and listing == 1:
            return _compute(inst, pc, REIT_DAY1_BAND, REIT_DAY1_BAND, day, config)
        fund_pct = in_force(FUND_BAND, day)
        since_20 = FUND_20PCT_SINCE.get(inst.instrument_id.exchange)
        if inst.band_20pct and since_20 is not None and since(since_20, day):
            fund_pct = FUND_20PCT_BAND
        return _compute(inst, pc, fund_pct, fund_pct, day, config)

    # Stocks, CDRs, B shares.
    if delisting is not None and delisting >= 1:
        if delisting == 1 and since(DELISTING_DAY1_NO_LIMIT_SINCE, day):
            return NO_LIMITS
        # The delisting-period band is the board's ordinary one, even for *ST stocks.
        pct = _ratio_band(board, False, day)
        return NO_LIMITS if pct is None else _compute(inst, pc, pct, pct, day, config)
    if listing is not None and listing >= 1:
        if board is Board.BSE and listing <= BSE_IPO_NO_LIMIT_DAYS:
            return NO_LIMITS
        no_limit_since = IPO_NO_LIMIT_SINCE.get(board)
        if no_limit_since is not None and since(no_limit_since, day):
            if listing <= IPO_NO_LIMIT_DAYS:
                return NO_LIMITS
        elif board is Board.MAIN and listing == 1:
            issue = inst.issue_price if inst.issue_price is not None else pc
            lo, hi = MAIN_IPO_DAY1_RANGE
            return _compute(inst, issue, hi - _ONE, _ONE - lo, day, config)
    pct = _ratio_band(board, inst.is_st, day)
    return NO_LIMITS if pct is None else _compute(inst, pc, pct, pct, day, config)


# The limits of one instrument on one day are asked for by every order (our checks and the
# simulator's); they depend only on these immutable arguments. Keyed by identity, and the
# entry keeps the objects so an id is never reused while cached.
_LIMITS_CACHE: dict[tuple[int, date, int, int], tuple[object, object, object, PriceLimits]] = {}
_LIMITS_CACHE_MAX = 20_000


def price_limits(
    inst: Instrument,
    day: date,
    calendar: TradingCalendar | None = None,
    *,
    config: RulesConfig = DEFAULT_RULES,
) -> PriceLimits:
    """The limit-up / limit-down prices of ``inst`` on ``day`` (rules in force that day).

    Exchange-published limits in the master (``limit_up`` / ``limit_down``) override the
    computation, each side independently. Otherwise ``prev_close × (1 ± band)`` rounded
    half-up to the tick, with the one-tick floor where it is in force.
    """
    key = (id(inst), day, id(calendar), id(config))
    hit = _LIMITS_CACHE.get(key)
    if hit is not None and hit[0] is inst and hit[1] is calendar and hit[2] is config:
        computed = hit[3]
    else:
        computed = _computed_limits(inst, day, calendar, config)
        if len(_LIMITS_CACHE) >= _LIMITS_CACHE_MAX:
            _LIMITS_CACHE.clear()
        _LIMITS_CACHE[key] = (inst, calendar, config, computed)
    if inst.limit_up is None and inst.limit_down is None:
        return computed
    up = inst.limit_up if inst.limit_up is not None else computed.up
    down = inst.limit_down if inst.limit_down is not None else computed.down
    return PriceLimits(up, down)


def cage_base_price(side: Side, quote: Quote | None, prev_close: Decimal) -> Decimal:
    """The cage base price: buy ask→bid→last→prev close; sell bid→ask→last→prev close."""
    if quote is not None:
        first, second = (
            (quote.best_ask, quote.best_bid)
            if side is Side.BUY
            else (quote.best_bid, quote.best_ask)
        )
        for candidate in (first, second, quote.last):
            if candidate is not None and candidate > 0:
                return candidate
    return prev_close


def _cage_rule(inst: Instrument, day: date, config: RulesConfig) -> tuple[Decimal, bool] | None:
    """(pct, ten-tick floor) of the board's cage on ``day``, or None when no cage applies."""
    board = inst.board
    if inst.product not in (ProductType.STOCK, ProductType.CDR):
        return None
    if board is Board.MAIN and since(MAIN_CAGE_SINCE, day):
        return CAGE_PCT[board], True
    if board is Board.STAR and since(STAR_CAGE_SINCE, day):
        return CAGE_PCT[board], config.star_cage_tick_floor
    if board is Board.CHINEXT and since(CHINEXT_CAGE_REJECT_SINCE, day):
        return CAGE_PCT[board], config.chinext_cage_tick_floor
    if board is Board.BSE and since(BSE_CAGE_SINCE, day):
        return CAGE_PCT[board], True
    return None


def cage_bounds(
    inst: Instrument,
    side: Side,
    quote: Quote | None,
    limits: PriceLimits,
    day: date,
    *,
    config: RulesConfig = DEFAULT_RULES,
) -> Decimal | None:
    """The continuous-trading price cage bound for one side.

    A buy may not be priced above the returned value, a sell not below it. ``None`` when the
    instrument's board has no cage on ``day``. The caller applies it in continuous trading
    only: there is no cage in call auctions. Bounds round half-up to the tick, keep at least
    one tick from the base, and are clipped to the daily band.
    """
    rule = _cage_rule(inst, day, config)
    if rule is None:
        return None
    pct, tick_floor = rule
    tick = tick_size(inst, config=config)
    base = cage_base_price(side, quote, inst.prev_close)
    if side is Side.BUY:
        bound = round_half_up(base * (_ONE + pct), tick)
        if tick_floor:
            bound = max(bound, base + CAGE_TICKS * tick)
        bound = max(bound, base + tick)
        if limits.up is not None:
            bound = min(bound, limits.up)
    else:
        bound = round_half_up(base * (_ONE - pct), tick)
        if tick_floor:
            bound = min(bound, base - CAGE_TICKS * tick)
        bound = min(bound, base - tick)
        if limits.down is not None:
            bound = max(bound, limits.down)
    return bound.quantize(tick)
