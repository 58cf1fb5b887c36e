"""Pre-trade checks: each a small pure function ``(CheckContext) -> CheckResult``.

The engine builds one :class:`CheckContext` per order (account view, limits, the exchange
verdict, counters of the in-trade controls) and runs every enabled check in
:data:`CHECKS`; a denial lists every reason that applies. Checks read the context only:
no clock, no I/O, no mutation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from ashare_exec.model import Instrument, Quote, Side, SubmitOrder, TradingState
from ashare_exec.risk import codes
from ashare_exec.risk.config import RiskLimits
from ashare_exec.risk.view import AccountView, PositionView

__all__ = ["CHECKS", "PASS", "Check", "CheckContext", "CheckResult"]

_ZERO = Decimal(0)
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of one check: ``ok``, or the reason code(s) and a message."""

    ok: bool
    reason_code: str | None = None
    message: str = ""
    extra_codes: tuple[str, ...] = ()
    """Further codes of the same check (the exchange validator may return several)."""

    @property
    def codes(self) -> tuple[str, ...]:
        """Every reason code of this result (empty when ok)."""
        if self.reason_code is None:
            return self.extra_codes
        return (self.reason_code, *self.extra_codes)

    @classmethod
    def deny(cls, code: str, message: str, *extra: str) -> CheckResult:
        """A denial with ``code`` (and optional further codes)."""
        return cls(False, code, message, extra)


PASS = CheckResult(True)
"""The shared allow result."""


@dataclass(slots=True, kw_only=True)
class CheckContext:
    """Everything a check may look at for one order. Built by the engine."""

    cmd: SubmitOrder
    instrument: Instrument
    symbol: str
    quote: Quote | None
    view: AccountView
    now: datetime
    now_ts: float
    limits: RiskLimits
    position: PositionView
    price: Decimal | None
    """Price used for notional and cash: the limit price, else the protection price, else
    the band limit on the order's side, else the opposite best quote."""
    notional: Decimal | None
    fees: Decimal = _ZERO
    limit_up: Decimal | None = None
    limit_down: Decimal | None = None
    exchange_reasons: tuple[str, ...] = ()
    exchange_message: str = ""
    state: TradingState = TradingState.ACTIVE
    state_reason: str | None = None
    """Why the state is not ACTIVE (e.g. ``DAILY_LOSS_LIMIT``)."""
    msgs_last_second: int = 0
    global_msgs_last_second: int = 0
    global_max_msgs_per_second: int = 50
    orders_today: int = 0
    cancels_today: int = 0
    cooldown_until: float | None = None
    duplicate_times: Sequence[float] = ()
    """Times (epoch s) of our earlier identical orders (symbol, side, price, qty)."""
    chase_times: Sequence[float] = field(default_factory=tuple)
    """Times (epoch s) of our cancels on this symbol and side."""


Check = Callable[[CheckContext], CheckResult]


def check_trading_state(ctx: CheckContext) -> CheckResult:
    """Kill switch: HALTED refuses all; REDUCE_ONLY only sells that reduce a long position."""
    state = ctx.state
    if state is TradingState.ACTIVE:
        return PASS
    if state is TradingState.HALTED:
        return CheckResult.deny(codes.TRADING_HALTED, f"trading halted ({ctx.state_reason})")
    extra = (codes.DAILY_LOSS_LIMIT,) if ctx.state_reason == codes.DAILY_LOSS_LIMIT else ()
    if ctx.cmd.side is Side.SELL and ctx.cmd.qty <= ctx.position.total_qty:
        return PASS
    return CheckResult.deny(
        codes.REDUCE_ONLY, "account is reduce-only: only sells of held shares", *extra
    )


def check_exchange_rules(ctx: CheckContext) -> CheckResult:
    """Every exchange rule of :func:`ashare_exec.rules.validate_order` (codes pass through)."""
    if not ctx.exchange_reasons:
        return PASS
    first, *rest = ctx.exchange_reasons
    return CheckResult(False, first, ctx.exchange_message, tuple(rest))


def check_symbol_lists(ctx: CheckContext) -> CheckResult:
    """Black/white lists; optionally no buys of ST or delisting-period stocks."""
    lim = ctx.limits
    if ctx.symbol in lim.blacklist:
        return CheckResult.deny(codes.BLACKLISTED, f"{ctx.symbol} is blacklisted")
    if lim.whitelist is not None and ctx.symbol not in lim.whitelist:
        return CheckResult.deny(codes.NOT_WHITELISTED, f"{ctx.symbol} is not whitelisted")
    if ctx.cmd.side is Side.BUY:
        inst = ctx.instrument
        if lim.block_st_buys and inst.is_st:
            return CheckResult.deny(codes.BLACKLISTED, f"buys of ST stock {ctx.symbol} blocked")
        start = inst.delisting_start
        if lim.block_delisting_buys and start is not None and start <= ctx.now.date():
            return CheckResult.deny(
                codes.BLACKLISTED, f"{ctx.symbol} is in its delisting period; buys blocked"
            )
    return PASS


def check_order_qty(ctx: CheckContext) -> CheckResult:
    """Per-order quantity cap."""
    cap = ctx.limits.max_order_qty
    if cap is not None and ctx.cmd.qty > cap:
        return CheckResult.deny(codes.ORDER_QTY_LIMIT, f"qty {ctx.cmd.qty} > cap {cap}")
    return PASS


def check_order_notional(ctx: CheckContext) -> CheckResult:
    """Per-order notional cap (price × qty)."""
    cap = ctx.limits.max_order_notional
    if cap is not None and ctx.notional is not None and ctx.notional > cap:
        return CheckResult.deny(codes.ORDER_NOTIONAL_LIMIT, f"notional {ctx.notional} > cap {cap}")
    return PASS


def check_price_deviation(ctx: CheckContext) -> CheckResult:
    """Fat finger: the order's price against the last price (else the previous close)."""
    max_dev = ctx.limits.max_price_deviation
    price = ctx.cmd.price if ctx.cmd.price is not None else ctx.cmd.protection_price
    if max_dev is None or price is None:
        return PASS
    ref = ctx.quote.last if ctx.quote is not None and ctx.quote.last else None
    if ref is None:
        ref = ctx.instrument.prev_close
    if ref <= 0:
        return PASS
    if abs(price - ref) > ref * max_dev:
        return CheckResult.deny(
            codes.PRICE_DEVIATION, f"price {price} is more than {max_dev:%} from reference {ref}"
        )
    return PASS


def check_cash(ctx: CheckContext) -> CheckResult:
    """Buys need notional + estimated fees + the reserve within the available cash."""
    if ctx.cmd.side is not Side.BUY:
        return PASS
    if ctx.notional is None:
        return CheckResult.deny(codes.INSUFFICIENT_CASH, "cannot price the order to check cash")
    need = ctx.notional + ctx.fees + ctx.limits.min_cash_reserve
    have = ctx.view.available_cash()
    if need > have:
        return CheckResult.deny(codes.INSUFFICIENT_CASH, f"needs {need}, available {have}")
    return PASS


def check_sellable(ctx: CheckContext) -> CheckResult:
    """Sells within T+1 sellable shares not already committed to working sells."""
    if ctx.cmd.side is not Side.SELL:
        return PASS
    free = ctx.position.free_to_sell
    if ctx.cmd.qty > free:
        return CheckResult.deny(
            codes.INSUFFICIENT_POSITION, f"sell {ctx.cmd.qty} > free sellable {free}"
        )
    return PASS


def check_position_limit(ctx: CheckContext) -> CheckResult:
    """Per-symbol cap on held + working buys + this buy (shares, value, % of equity)."""
    lim = ctx.limits
    if ctx.cmd.side is not Side.BUY or (
        lim.max_position_qty is None
        and lim.max_position_value is None
        and lim.max_position_pct is None
    ):
        return PASS
    pos = ctx.position
    projected = pos.total_qty + pos.working_buy_qty + ctx.cmd.qty
    if lim.max_position_qty is not None and projected > lim.max_position_qty:
        return CheckResult.deny(
            codes.POSITION_LIMIT, f"position would be {projected} > cap {lim.max_position_qty}"
        )
    mark = ctx.quote.last if ctx.quote is not None and ctx.quote.last else ctx.price
    if mark is None:
        return CheckResult.deny(codes.POSITION_LIMIT, "cannot value the position")
    value = mark * projected
    if lim.max_position_value is not None and value > lim.max_position_value:
        return CheckResult.deny(
            codes.POSITION_LIMIT, f"position value {value} > cap {lim.max_position_value}"
        )
    if lim.max_position_pct is not None:
        cap = ctx.view.equity() * lim.max_position_pct
        if value > cap:
            return CheckResult.deny(
                codes.POSITION_LIMIT, f"position value {value} > {lim.max_position_pct} of equity"
            )
    return PASS


def check_gross_exposure(ctx: CheckContext) -> CheckResult:
    """Market value + working buys (frozen cash) + this buy within the exposure cap."""
    lim = ctx.limits
    if ctx.cmd.side is not Side.BUY or (
        lim.max_gross_exposure is None and lim.max_gross_exposure_pct is None
    ):
        return PASS
    if ctx.notional is None:
        return CheckResult.deny(codes.EXPOSURE_LIMIT, "cannot price the order")
    exposure = ctx.view.market_value() + ctx.view.frozen_cash() + ctx.notional
    cap = lim.max_gross_exposure
    if lim.max_gross_exposure_pct is not None:
        pct_cap = ctx.view.equity() * lim.max_gross_exposure_pct
        cap = pct_cap if cap is None else min(cap, pct_cap)
    if cap is not None and exposure > cap:
        return CheckResult.deny(codes.EXPOSURE_LIMIT, f"exposure {exposure} > cap {cap}")
    return PASS


def check_st_buy_cap(ctx: CheckContext) -> CheckResult:
    """Risk-warning stocks: bought today + working buys + this buy ≤ 500,000 shares."""
    if ctx.cmd.side is not Side.BUY or not ctx.instrument.is_st:
        return PASS
    pos = ctx.position
    total = pos.bought_today + pos.working_buy_qty + ctx.cmd.qty
    cap = ctx.limits.st_daily_buy_cap
    if total > cap:
        return CheckResult.deny(codes.ST_DAILY_BUY_CAP, f"ST buys today would be {total} > {cap}")
    return PASS


def check_open_orders(ctx: CheckContext) -> CheckResult:
    """Cap on the number of working orders."""
    cap = ctx.limits.max_open_orders
    if cap is not None and ctx.view.open_order_count() >= cap:
        return CheckResult.deny(codes.OPEN_ORDERS_LIMIT, f"{cap} orders already working")
    return PASS


def check_duplicate(ctx: CheckContext) -> CheckResult:
    """The same symbol/side/price/qty at most ``duplicate_max`` times per window."""
    lim = ctx.limits
    since = ctx.now_ts - lim.duplicate_window_s
    times = ctx.duplicate_times
    n = len(times)
    if n and times[0] <= since:  # the engine passes pruned windows; others are filtered
        n = sum(1 for t in times if t > since)
    if n >= lim.duplicate_max:
        return CheckResult.deny(
            codes.DUPLICATE_ORDER, f"same order sent {n} times in {lim.duplicate_window_s}s"
        )
    return PASS


def check_self_trade(ctx: CheckContext) -> CheckResult:
    """Refuse an order that would cross one of our working orders on the other side."""
    cmd = ctx.cmd
    opposite = cmd.side.opposite
    price = cmd.price if not cmd.price_type.is_market else None
    for o in ctx.view.working_orders(cmd.instrument_id, opposite):
        if o.side is not opposite or o.leaves_qty <= 0:
            continue
        if price is None or o.price is None:
            crosses = True
        elif cmd.side is Side.BUY:
            crosses = price >= o.price
        else:
            crosses = price <= o.price
        if crosses:
            return CheckResult.deny(
                codes.SELF_TRADE, f"would cross our working {o.side} {o.client_order_id}"
            )
    return PASS


def check_rate_limit(ctx: CheckContext) -> CheckResult:
    """Orders + cancels per second, per account and over all accounts."""
    if ctx.msgs_last_second + 1 > ctx.limits.max_msgs_per_second:
        return CheckResult.deny(
            codes.RATE_LIMITED, f"account over {ctx.limits.max_msgs_per_second} msgs/s"
        )
    if ctx.global_msgs_last_second + 1 > ctx.global_max_msgs_per_second:
        return CheckResult.deny(
            codes.RATE_LIMITED, f"gateway over {ctx.global_max_msgs_per_second} msgs/s"
        )
    return PASS


def check_daily_count(ctx: CheckContext) -> CheckResult:
    """Daily orders, and orders + cancels, under their limits (HFT line 20,000/day)."""
    lim = ctx.limits
    if ctx.orders_today + 1 > lim.max_daily_orders:
        return CheckResult.deny(codes.DAILY_COUNT_LIMIT, f"{lim.max_daily_orders} orders today")
    if ctx.orders_today + ctx.cancels_today + 1 > lim.max_daily_messages:
        return CheckResult.deny(
            codes.DAILY_COUNT_LIMIT, f"{lim.max_daily_messages} orders + cancels today"
        )
    return PASS


def check_cancel_ratio(ctx: CheckContext) -> CheckResult:
    """Refuse new orders during a cancel-ratio cool-down."""
    until = ctx.cooldown_until
    if until is not None and ctx.now_ts < until:
        return CheckResult.deny(
            codes.CANCEL_RATIO_LIMIT, f"cancel-ratio cool-down for {until - ctx.now_ts:.1f}s"
        )
    return PASS


def check_chase_guard(ctx: CheckContext) -> CheckResult:
    """Refuse the N+1st cancel-and-resubmit on one symbol+side in the window near the limit."""
    lim = ctx.limits
    n_max = lim.chase_max_resubmits
    if n_max is None or not ctx.chase_times:
        return PASS
    since = ctx.now_ts - lim.chase_window_s
    times = ctx.chase_times
    n = len(times)
    if times[0] <= since:
        n = sum(1 for t in times if t > since)
    if n < n_max:
        return PASS
    pct = lim.chase_near_limit_pct
    price = ctx.cmd.price if not ctx.cmd.price_type.is_market else None
    if pct is not None and price is not None:
        if ctx.cmd.side is Side.BUY:
            near = ctx.limit_up is not None and price >= ctx.limit_up * (_ONE - pct)
        else:
            near = ctx.limit_down is not None and price <= ctx.limit_down * (_ONE + pct)
        if not near:
            return PASS
    return CheckResult.deny(
        codes.CHASE_GUARD,
        f"{n} cancel-and-resubmits on {ctx.symbol} {ctx.cmd.side} in {lim.chase_window_s}s",
    )


CHECKS: tuple[tuple[str, Check], ...] = (
    ("trading_state", check_trading_state),
    ("exchange_rules", check_exchange_rules),
    ("symbol_lists", check_symbol_lists),
    ("order_qty", check_order_qty),
    ("order_notional", check_order_notional),
    ("price_deviation", check_price_deviation),
    ("cash", check_cash),
    ("sellable", check_sellable),
    ("position_limit", check_position_limit),
    ("gross_exposure", check_gross_exposure),
    ("st_buy_cap", check_st_buy_cap),
    ("open_orders", check_open_orders),
    ("duplicate", check_duplicate),
    ("self_trade", check_self_trade),
    ("rate_limit", check_rate_limit),
    ("daily_count", check_daily_count),
    ("cancel_ratio", check_cancel_ratio),
    ("chase_guard", check_chase_guard),
)
"""Every check by name, in evaluation order (the same order as ``CHECK_NAMES``)."""
