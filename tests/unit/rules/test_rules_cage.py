"""The continuous-trading price cage and its base-price fallback chain (fact sheet §6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rules_helpers import CAL, inst

from ashare_exec.model import InstrumentId, Quote, Side
from ashare_exec.rules import RulesConfig, cage_base_price, cage_bounds, price_limits

D = Decimal
DAY = date(2026, 11, 25)


def quote(
    symbol: str, bid: str | None = None, ask: str | None = None, last: str | None = None
) -> Quote:
    return Quote(
        instrument_id=InstrumentId.parse(symbol),
        bid_prices=() if bid is None else (D(bid),),
        ask_prices=() if ask is None else (D(ask),),
        last=None if last is None else D(last),
    )


# (symbol, prev_close, side, bid, ask, last, expected bound)
CAGES: list[tuple[str, str, Side, str | None, str | None, str | None, str | None]] = [
    # main board: max(2%, 10 ticks)
    ("600000.SH", "10.00", Side.BUY, "9.99", "10.00", None, "10.20"),
    ("600000.SH", "10.00", Side.SELL, "10.00", "10.01", None, "9.80"),
    ("600000.SH", "2.00", Side.BUY, "1.99", "2.00", None, "2.10"),  # 10-tick floor wins
    ("000001.SZ", "2.00", Side.SELL, "2.00", "2.01", None, "1.90"),
    ("600000.SH", "10.01", Side.BUY, None, "10.01", None, "10.21"),  # 10.2102 -> 10.21
    ("600000.SH", "10.00", Side.BUY, None, "10.95", None, "11.00"),  # clipped to limit-up
    ("600000.SH", "10.00", Side.SELL, "9.05", None, None, "9.00"),  # clipped to limit-down
    # STAR / ChiNext: pure 2% (the safer reading)
    ("688981.SH", "2.00", Side.BUY, None, "2.00", None, "2.04"),
    ("688981.SH", "2.00", Side.SELL, "2.00", None, None, "1.96"),
    ("300750.SZ", "2.00", Side.BUY, None, "2.00", None, "2.04"),
    ("300750.SZ", "100.00", Side.SELL, "100.00", None, None, "98.00"),
    ("688981.SH", "0.30", Side.BUY, None, "0.30", None, "0.31"),  # one tick at least
    # BSE: max(5%, 10 ticks)
    ("920163.BJ", "10.00", Side.BUY, None, "10.00", None, "10.50"),
    ("920163.BJ", "1.00", Side.BUY, None, "1.00", None, "1.10"),
    ("920163.BJ", "1.00", Side.SELL, "1.00", None, None, "0.90"),
    # no stock cage for funds, bonds, B shares, repo
    ("510300.SH", "4.650", Side.BUY, None, "4.650", None, None),
    ("113052.SH", "120.000", Side.BUY, None, "120.000", None, None),
    ("900901.SH", "0.402", Side.BUY, None, "0.402", None, None),
    ("204001.SH", "1.500", Side.SELL, "1.500", None, None, None),
]


@pytest.mark.parametrize(("symbol", "pc", "side", "bid", "ask", "last", "bound"), CAGES)
def test_cage_bounds_when_board_and_quote_given_returns_board_bound(
    symbol: str,
    pc: str,
    side: Side,
    bid: str | None,
    ask: str | None,
    last: str | None,
    bound: str | None,
) -> None:
    i = inst(symbol, pc)
    limits = price_limits(i, DAY, CAL)
    got = cage_bounds(i, side, quote(symbol, bid, ask, last), limits, DAY)
    assert got == (None if bound is None else D(bound))


@pytest.mark.parametrize(
    ("symbol", "cfg", "bound"),
    [
        ("688981.SH", RulesConfig(star_cage_tick_floor=True), "2.10"),
        ("300750.SZ", RulesConfig(chinext_cage_tick_floor=True), "2.10"),
        ("688981.SH", RulesConfig(), "2.04"),
    ],
)
def test_cage_bounds_when_tick_floor_configured_for_star_chinext_widens(
    symbol: str, cfg: RulesConfig, bound: str
) -> None:
    i = inst(symbol, "2.00")
    got = cage_bounds(
        i, Side.BUY, quote(symbol, ask="2.00"), price_limits(i, DAY, CAL), DAY, config=cfg
    )
    assert got == D(bound)


@pytest.mark.parametrize(
    ("symbol", "day", "has_cage"),
    [
        ("600000.SH", date(2023, 4, 7), False),
        ("600000.SH", date(2023, 4, 10), True),
        ("000001.SZ", date(2023, 4, 7), False),
        ("300750.SZ", date(2023, 4, 7), False),  # held, not rejected, before 2023-04-10
        ("300750.SZ", date(2023, 4, 10), True),
        ("688981.SH", date(2019, 7, 22), True),
        ("920163.BJ", date(2021, 11, 15), True),
    ],
)
def test_cage_bounds_when_date_before_cage_introduced_returns_none(
    symbol: str, day: date, has_cage: bool
) -> None:
    i = inst(symbol, "10.00")
    got = cage_bounds(i, Side.BUY, None, price_limits(i, day, CAL), day)
    assert (got is not None) == has_cage


@pytest.mark.parametrize(
    ("side", "bid", "ask", "last", "base"),
    [
        (Side.BUY, "9.98", "10.02", "10.00", "10.02"),  # ask first
        (Side.BUY, "9.98", None, "10.00", "9.98"),  # then bid
        (Side.BUY, None, None, "10.05", "10.05"),  # then last
        (Side.BUY, None, None, None, "9.50"),  # then prev close
        (Side.SELL, "9.98", "10.02", "10.00", "9.98"),  # bid first
        (Side.SELL, None, "10.02", "10.00", "10.02"),  # then ask
        (Side.SELL, None, None, "10.05", "10.05"),
        (Side.SELL, None, None, None, "9.50"),
    ],
)
def test_cage_base_price_when_levels_missing_falls_back_in_order(
    side: Side, bid: str | None, ask: str | None, last: str | None, base: str
) -> None:
    assert cage_base_price(side, quote("600000.SH", bid, ask, last), D("9.50")) == D(base)


def test_cage_base_price_when_no_quote_uses_prev_close() -> None:
    assert cage_base_price(Side.BUY, None, D("9.50")) == D("9.50")
