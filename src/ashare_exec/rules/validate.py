"""The pure pre-trade order validator: every exchange rule that concerns a single order.

:func:`validate_order` never raises on bad business input: it returns every reason code
that applies (``reason-codes.md``) or the normalised order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal

from ashare_exec.clock import CST
from ashare_exec.model import (
    Instrument,
    PriceType,
    ProductType,
    Quote,
    Side,
    SubmitOrder,
    TradingPhase,
)
from ashare_exec.model.numbers import is_on_tick
from ashare_exec.rules.calendar import TradingCalendar
from ashare_exec.rules.config import DEFAULT_RULES, RulesConfig
from ashare_exec.rules.lots import lot_rule, odd_lot_sell_ok
from ashare_exec.rules.prices import PriceLimits, cage_bounds, price_limits, tick_size
from ashare_exec.rules.sessions import accepts_orders, allowed_price_types, phase_at

__all__ = ["MESSAGES", "ValidationResult", "validate_order"]

MESSAGES: dict[str, str] = {
    "INVALID_REQUEST": "malformed order (wrong instrument or field type)",
    "SYMBOL_NOT_TRADABLE": "the instrument is not tradable (index or unsupported product)",
    "SYMBOL_SUSPENDED": "the instrument is suspended today",
    "PRICE_TYPE_NOT_SUPPORTED": "this order type is not offered for this exchange/board",
    "MARKET_CLOSED": "the market does not accept this order now",
    "MARKET_ORDER_NOT_ALLOWED": "market orders only in continuous trading on banded days",
    "QTY_NOT_POSITIVE": "quantity must be a positive integer",
    "QTY_BELOW_MIN": "quantity below the board minimum",
    "QTY_NOT_LOT_MULTIPLE": "quantity not a valid lot multiple for the board",
    "QTY_ABOVE_MAX": "quantity above the per-order maximum",
    "ODD_LOT_SELL_NOT_WHOLE": "an odd-lot sell must sell the whole odd remainder in one order",
    "INSUFFICIENT_POSITION": "sell quantity exceeds the sellable position",
    "PRICE_REQUIRED": "a limit order needs a price",
    "PRICE_NOT_POSITIVE": "price must be positive",
    "PRICE_OFF_TICK": "price is not a multiple of the tick",
    "PRICE_ABOVE_LIMIT_UP": "price above today's limit-up",
    "PRICE_BELOW_LIMIT_DOWN": "price below today's limit-down",
    "PRICE_OUTSIDE_CAGE": "price outside the continuous-trading price cage",
    "PROTECTION_PRICE_REQUIRED": "market orders on this board need a protection price",
}

_AUCTION_OR_CONTINUOUS = frozenset(
    {
        TradingPhase.OPENING_AUCTION,
        TradingPhase.OPENING_AUCTION_NO_CANCEL,
        TradingPhase.PRE_CONTINUOUS,
        TradingPhase.CONTINUOUS,
        TradingPhase.CLOSING_AUCTION,
    }
)


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Outcome of :func:`validate_order`.

    ``order`` is the normalised order (prices quantized to the tick's exponent) when ``ok``,
    else None. ``cage`` is ``(sell_min, buy_max)`` in continuous trading on a board with a
    cage when asked for (``explain``), else None. ``messages`` has one text per reason,
    then warnings (e.g. the calendar is past its coverage) that the caller must log even
    when ``ok``.
    """

    ok: bool
    reasons: tuple[str, ...]
    order: SubmitOrder | None
    limits: PriceLimits
    cage: tuple[Decimal | None, Decimal | None] | None
    phase: TradingPhase
    messages: tuple[str, ...] = ()


class _Collector:
    def __init__(self) -> None:
        self.reasons: list[str] = []
        self.messages: list[str] = []

    def add(self, code: str, detail: str = "") -> None:
        if code in self.reasons:
            return
        self.reasons.append(code)
        text = MESSAGES.get(code, code)
        self.messages.append(f"{code}: {text}{' (' + detail + ')' if detail else ''}")


def _check_qty(
    out: _Collector,
    cmd: SubmitOrder,
    inst: Instrument,
    day: date,
    sellable_qty: int | None,
    position_qty: int | None,
    config: RulesConfig,
) -> None:
    qty = cmd.qty
    if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
        out.add("QTY_NOT_POSITIVE", f"qty={qty!r}")
        return
    rule = lot_rule(inst, cmd.side, cmd.price_type, day, config=config)
    if qty > rule.max_qty:
        out.add("QTY_ABOVE_MAX", f"max {rule.max_qty}")
    is_repo = inst.product is ProductType.REPO
    if cmd.side is Side.SELL and not is_repo:
        if sellable_qty is not None and qty > sellable_qty:
            out.add("INSUFFICIENT_POSITION", f"sellable {sellable_qty}")
        if not rule.is_round(qty):
            holding = position_qty if position_qty is not None else sellable_qty
            if not odd_lot_sell_ok(rule, qty, holding):
                detail = "holding unknown" if holding is None else f"holding {holding}"
                out.add("ODD_LOT_SELL_NOT_WHOLE", f"lot {rule.lot}, {detail}")
        return
    if qty < rule.min_qty:
        out.add("QTY_BELOW_MIN", f"min {rule.min_qty}")
    if rule.step > 1 and qty % rule.step != 0:
        out.add("QTY_NOT_LOT_MULTIPLE", f"step {rule.step}")


def _on_tick(price: Decimal, tick: Decimal) -> Decimal:
    """``price`` written with the tick's exponent (the same object when it already is)."""
    # Keeping the object lets validate_order return the order itself instead of a copy.
    return price if price.same_quantum(tick) else price.quantize(tick)


def _check_price(
    out: _Collector,
    name: str,
    price: Decimal,
    tick: Decimal,
    limits: PriceLimits,
) -> bool:
    """Positive, on the tick, inside the band. Returns whether it is on the tick and > 0."""
    if not price.is_finite() or price <= 0:
        out.add("PRICE_NOT_POSITIVE", f"{name}={price}")
        return False
    on_tick = is_on_tick(price, tick)
    if not on_tick:
        out.add("PRICE_OFF_TICK", f"{name}={price}, tick {tick}")
    if limits.up is not None and price > limits.up:
        out.add("PRICE_ABOVE_LIMIT_UP", f"{name}={price} > {limits.up}")
    if limits.down is not None and price < limits.down:
        out.add("PRICE_BELOW_LIMIT_DOWN", f"{name}={price} < {limits.down}")
    return on_tick


def validate_order(
    cmd: SubmitOrder,
    inst: Instrument,
    quote: Quote | None,
    ts: datetime,
    calendar: TradingCalendar,
    *,
    sellable_qty: int | None = None,
    position_qty: int | None = None,
    config: RulesConfig = DEFAULT_RULES,
    explain: bool = False,
) -> ValidationResult:
    """Check ``cmd`` against every single-order exchange rule at ``ts``.

    Args:
        cmd: the order.
        inst: its instrument master record for the day.
        quote: the latest quote (cage base price); None falls back to the previous close.
        ts: the instant (aware; taken as CST when naive).
        calendar: the trading calendar.
        sellable_qty: sellable shares (T+1 and open sells counted); checked for sells.
        position_qty: the whole holding, for the odd-lot sell rule (sellable when None).
        config: choices for unconfirmed rules.
        explain: also compute ``cage`` (both sides) for display; the order path checks
            only its own side (one bound fewer per order, twice per order: risk and venue).

    Returns:
        A :class:`ValidationResult` with every reason code that applies.
    """
    local = ts.replace(tzinfo=CST) if ts.tzinfo is None else ts.astimezone(CST)
    day = local.date()
    phase = phase_at(inst.instrument_id.exchange, local, calendar, inst.product)
    limits = price_limits(inst, day, calendar, config=config)
    out = _Collector()
    pt = cmd.price_type

    if cmd.instrument_id != inst.instrument_id:
        out.add("INVALID_REQUEST", f"order for {cmd.instrument_id}, instrument {inst.symbol}")
    if inst.product is ProductType.INDEX:
        out.add("SYMBOL_NOT_TRADABLE", inst.symbol)
    if inst.suspended:
        out.add("SYMBOL_SUSPENDED", inst.symbol)

    allowed = allowed_price_types(inst, day, config=config)
    if pt not in allowed:
        out.add("PRICE_TYPE_NOT_SUPPORTED", f"{pt} on {inst.board}/{inst.instrument_id.exchange}")
    if not accepts_orders(phase, pt, exchange=inst.instrument_id.exchange, config=config):
        if pt.is_market and phase in _AUCTION_OR_CONTINUOUS:
            out.add("MARKET_ORDER_NOT_ALLOWED", f"phase {phase}")
        else:
            out.add("MARKET_CLOSED", f"phase {phase}")
    if pt.is_market and (limits.up is None or limits.down is None):
        out.add("MARKET_ORDER_NOT_ALLOWED", "no price band today")

    _check_qty(out, cmd, inst, day, sellable_qty, position_qty, config)

    tick = tick_size(inst, config=config)
    price = cmd.price
    protection = cmd.protection_price
    cage: tuple[Decimal | None, Decimal | None] | None = None
    wrong_types = [
        name
        for name, value in (("price", price), ("protection_price", protection))
        if value is not None and not isinstance(value, Decimal)
    ]
    if wrong_types:
        out.add("INVALID_REQUEST", f"{', '.join(wrong_types)} must be Decimal")
    elif pt is PriceType.LIMIT or pt is PriceType.AFTER_HOURS_FIXED:
        if price is None:
            if pt is PriceType.LIMIT:
                out.add("PRICE_REQUIRED")
        elif _check_price(out, "price", price, tick, limits) and pt is PriceType.LIMIT:
            price = _on_tick(price, tick)
            if phase is TradingPhase.CONTINUOUS:
                bound = cage_bounds(inst, cmd.side, quote, limits, day, config=config)
                if explain:
                    other = Side.SELL if cmd.side is Side.BUY else Side.BUY
                    far = cage_bounds(inst, other, quote, limits, day, config=config)
                    buy_max, sell_min = (bound, far) if cmd.side is Side.BUY else (far, bound)
                    if buy_max is not None or sell_min is not None:
                        cage = (sell_min, buy_max)
                if bound is not None and (
                    (cmd.side is Side.BUY and price > bound)
                    or (cmd.side is Side.SELL and price < bound)
                ):
                    out.add("PRICE_OUTSIDE_CAGE", f"{cmd.side} bound {bound}")
        elif price.is_finite() and price > 0 and is_on_tick(price, tick):
            price = _on_tick(price, tick)
    else:
        if protection is None:
            if inst.board in config.protection_required_boards:
                out.add("PROTECTION_PRICE_REQUIRED", str(inst.board))
        elif protection.is_finite() and protection > 0 and is_on_tick(protection, tick):
            # A buy protection below limit-down / sell protection above limit-up is rejected;
            # the other side of the band only caps the fill, so it is not checked.
            if cmd.side is Side.BUY and limits.down is not None and protection < limits.down:
                out.add("PRICE_BELOW_LIMIT_DOWN", f"protection {protection} < {limits.down}")
            if cmd.side is Side.SELL and limits.up is not None and protection > limits.up:
                out.add("PRICE_ABOVE_LIMIT_UP", f"protection {protection} > {limits.up}")
            protection = _on_tick(protection, tick)
        elif not protection.is_finite() or protection <= 0:
            out.add("PRICE_NOT_POSITIVE", f"protection={protection}")
        else:
            out.add("PRICE_OFF_TICK", f"protection={protection}, tick {tick}")

    warning = calendar.coverage_warning(day)
    messages = [*out.messages, *([warning] if warning else [])]
    reasons = tuple(out.reasons)
    ok = not reasons
    order: SubmitOrder | None = None
    if ok:
        unchanged = price is cmd.price and protection is cmd.protection_price
        order = cmd if unchanged else replace(cmd, price=price, protection_price=protection)
    return ValidationResult(ok, reasons, order, limits, cage, phase, tuple(messages))
