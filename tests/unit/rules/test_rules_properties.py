"""Property-based invariants of the rules (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from rules_helpers import CAL, inst, order

from ashare_exec.clock import CST
from ashare_exec.model import PriceType, Side
from ashare_exec.model.numbers import is_on_tick
from ashare_exec.rules import cage_bounds, price_limits, tick_size, validate_order

SYMBOLS = [
    "600000.SH", "000001.SZ", "688981.SH", "300750.SZ", "920163.BJ", "900901.SH",
    "200596.SZ", "510300.SH", "159915.SZ", "508000.SH", "113052.SH", "127045.SZ",
]  # fmt: skip

symbols = st.sampled_from(SYMBOLS)
days = st.dates(min_value=date(2015, 1, 1), max_value=date(2027, 12, 31))
ticks_count = st.integers(min_value=1, max_value=300_000)  # prev close in ticks


@settings(max_examples=300, deadline=None)
@given(symbols, ticks_count, days, st.booleans(), st.booleans())
def test_price_limits_when_any_board_and_date_lie_on_tick_grid_around_prev_close(
    symbol: str, n: int, day: date, is_st: bool, band20: bool
) -> None:
    tick = tick_size(inst(symbol))
    pc = tick * n
    i = inst(symbol, str(pc), is_st=is_st, band_20pct=band20)
    limits = price_limits(i, day, CAL)
    for bound in (limits.up, limits.down):
        if bound is not None:
            assert is_on_tick(bound, tick)
            assert bound >= tick
    if limits.up is not None and limits.down is not None:
        assert limits.down <= pc <= limits.up
        assert limits.down <= limits.up  # equal only without the one-tick floor
        if day >= date(2023, 4, 10) and pc > tick:
            assert limits.down < pc < limits.up  # the one-tick floor keeps a band


@settings(max_examples=200, deadline=None)
@given(symbols, ticks_count, st.sampled_from([Side.BUY, Side.SELL]), st.integers(-50, 50))
def test_cage_bounds_when_any_base_lie_on_tick_inside_band(
    symbol: str, n: int, side: Side, offset: int
) -> None:
    day = date(2026, 11, 25)
    tick = tick_size(inst(symbol))
    i = inst(symbol, str(tick * n))
    limits = price_limits(i, day, CAL)
    bound = cage_bounds(i, side, None, limits, day)
    if bound is None:
        return
    assert is_on_tick(bound, tick)
    assert limits.contains(bound)


prices = st.decimals(min_value=Decimal("0.001"), max_value=Decimal("3000"), places=3)
near_ticks = st.integers(min_value=-100, max_value=100)  # offsets from the prev close
instants = st.builds(
    lambda d, minutes: datetime.combine(d, time(9, 0), CST) + timedelta(minutes=minutes),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    st.one_of(st.integers(min_value=0, max_value=400), st.integers(min_value=31, max_value=150)),
)
quantities = st.one_of(
    st.integers(min_value=-10, max_value=400_000), st.integers(1, 50).map(lambda k: k * 100)
)
price_types = st.one_of(st.just(PriceType.LIMIT), st.sampled_from(list(PriceType)))


@settings(max_examples=400, deadline=None)
@given(
    symbols,
    st.one_of(prices, near_ticks),
    quantities,
    st.sampled_from([Side.BUY, Side.SELL]),
    price_types,
    instants,
    st.integers(min_value=0, max_value=400_000),
)
def test_validate_order_when_ok_normalised_order_revalidates_unchanged(
    symbol: str,
    price_or_offset: Decimal | int,
    qty: int,
    side: Side,
    price_type: PriceType,
    ts: datetime,
    sellable: int,
) -> None:
    tick = tick_size(inst(symbol))
    i = inst(symbol, "10.00" if tick == Decimal("0.01") else "1.000")
    if isinstance(price_or_offset, int):
        # near the prev close, written with trailing zeros stripped ("10.1" for 10.10)
        price = (i.prev_close + tick * price_or_offset).normalize()
    else:
        price = price_or_offset
    cmd = order(symbol, side, qty, str(price), price_type, protection=str(price))
    first = validate_order(cmd, i, None, ts, CAL, sellable_qty=sellable)
    assert first.ok is (not first.reasons)
    if not first.ok:
        assert first.order is None
        return
    assert first.order is not None
    again = validate_order(first.order, i, None, ts, CAL, sellable_qty=sellable)
    assert again.ok
    assert again.order == first.order  # normalisation is idempotent
    if first.order.price is not None and price_type is PriceType.LIMIT:
        assert first.order.price == price  # never rounded, only re-expressed
        exponent = tick.as_tuple().exponent
        assert first.order.price.as_tuple().exponent == exponent
