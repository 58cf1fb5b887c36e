"""The order validator: every reason that applies, the normalised order otherwise."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from rules_helpers import CAL, at, inst, order

from ashare_exec.model import InstrumentId, PriceType, Quote, Side, SubmitOrder, TradingPhase
from ashare_exec.rules import validate_order

D = Decimal
CONT = "2026-11-25 10:00"
B5, CB, AH = PriceType.BEST5_IOC, PriceType.COUNTERPARTY_BEST, PriceType.AFTER_HOURS_FIXED

# (symbol, prev close, instrument extras, order, time, sellable, expected reasons)
CASES: list[tuple[str, str, dict[str, Any], SubmitOrder, str, int | None, tuple[str, ...]]] = [
    ("600000.SH", "10.00", {}, order("600000.SH", price="10.05"), CONT, None, ()),
    ("600000.SH", "10.00", {}, order("600000.SH", price="10.001"), CONT, None, ("PRICE_OFF_TICK",)),
    ("600000.SH", "10.00", {}, order("600000.SH", price=None), CONT, None, ("PRICE_REQUIRED",)),
    ("600000.SH", "10.00", {}, order("600000.SH", price="0"), CONT, None, ("PRICE_NOT_POSITIVE",)),
    ("600000.SH", "10.00", {}, order("600000.SH", price="-1"), CONT, None, ("PRICE_NOT_POSITIVE",)),
    (
        "600000.SH", "10.00", {}, order("600000.SH", price="11.01"), CONT, None,
        ("PRICE_ABOVE_LIMIT_UP", "PRICE_OUTSIDE_CAGE"),
    ),
    ("600000.SH", "10.00", {}, order("600000.SH", price="11.01"), "2026-11-25 09:16", None,
     ("PRICE_ABOVE_LIMIT_UP",)),
    ("600000.SH", "10.00", {}, order("600000.SH", price="8.99"), "2026-11-25 09:16", None,
     ("PRICE_BELOW_LIMIT_DOWN",)),
    ("600000.SH", "10.00", {}, order("600000.SH", price="10.25"), CONT, None,
     ("PRICE_OUTSIDE_CAGE",)),
    # the cage does not apply in call auctions: buying at limit-up is legal at 9:16 and 14:58
    ("600000.SH", "10.00", {}, order("600000.SH", price="11.00"), "2026-11-25 09:16", None, ()),
    ("600000.SH", "10.00", {}, order("600000.SH", price="11.00"), "2026-11-25 14:58", None, ()),
    ("600000.SH", "10.00", {}, order("600000.SH", price="10.00"), "2026-11-25 09:27", None, ()),
    # quantity
    ("600000.SH", "10.00", {}, order("600000.SH", qty=0), CONT, None, ("QTY_NOT_POSITIVE",)),
    ("600000.SH", "10.00", {}, order("600000.SH", qty=-100), CONT, None, ("QTY_NOT_POSITIVE",)),
    ("600000.SH", "10.00", {}, order("600000.SH", qty=150), CONT, None, ("QTY_NOT_LOT_MULTIPLE",)),
    ("600000.SH", "10.00", {}, order("600000.SH", qty=50), CONT, None,
     ("QTY_BELOW_MIN", "QTY_NOT_LOT_MULTIPLE")),
    ("600000.SH", "10.00", {}, order("600000.SH", qty=1_000_100), CONT, None, ("QTY_ABOVE_MAX",)),
    ("688981.SH", "10.00", {}, order("688981.SH", qty=100), CONT, None, ("QTY_BELOW_MIN",)),
    ("688981.SH", "10.00", {}, order("688981.SH", qty=201), CONT, None, ()),
    ("688981.SH", "10.00", {}, order("688981.SH", qty=100_001), CONT, None, ("QTY_ABOVE_MAX",)),
    ("920163.BJ", "10.00", {}, order("920163.BJ", qty=101), CONT, None, ()),
    ("920163.BJ", "10.00", {}, order("920163.BJ", qty=99), CONT, None, ("QTY_BELOW_MIN",)),
    # sells: odd lots and the sellable position
    ("600000.SH", "10.00", {}, order("600000.SH", Side.SELL, 50), CONT, 250, ()),
    ("600000.SH", "10.00", {}, order("600000.SH", Side.SELL, 150), CONT, 250, ()),
    ("600000.SH", "10.00", {}, order("600000.SH", Side.SELL, 30), CONT, 250,
     ("ODD_LOT_SELL_NOT_WHOLE",)),
    ("600000.SH", "10.00", {}, order("600000.SH", Side.SELL, 50), CONT, None,
     ("ODD_LOT_SELL_NOT_WHOLE",)),
    ("600000.SH", "10.00", {}, order("600000.SH", Side.SELL, 300), CONT, 250,
     ("INSUFFICIENT_POSITION",)),
    ("688981.SH", "10.00", {}, order("688981.SH", Side.SELL, 150), CONT, 150, ()),
    ("688981.SH", "10.00", {}, order("688981.SH", Side.SELL, 100), CONT, 250,
     ("ODD_LOT_SELL_NOT_WHOLE",)),
    # market orders
    ("600000.SH", "10.00", {}, order("600000.SH", price=None, price_type=B5), CONT, None, ()),
    ("600000.SH", "10.00", {}, order("600000.SH", price=None, price_type=B5), "2026-11-25 09:16",
     None, ("MARKET_ORDER_NOT_ALLOWED",)),
    ("600000.SH", "10.00", {}, order("600000.SH", price=None, price_type=B5), "2026-11-25 14:58",
     None, ("MARKET_ORDER_NOT_ALLOWED",)),
    ("600000.SH", "10.00", {}, order("600000.SH", price=None, price_type=CB), CONT, None,
     ("PRICE_TYPE_NOT_SUPPORTED",)),
    ("000001.SZ", "10.00", {}, order("000001.SZ", price=None, price_type=CB), CONT, None, ()),
    ("688981.SH", "10.00", {}, order("688981.SH", qty=200, price=None, price_type=CB), CONT, None,
     ("PROTECTION_PRICE_REQUIRED",)),
    ("688981.SH", "10.00", {},
     order("688981.SH", qty=200, price=None, price_type=CB, protection="10.10"), CONT, None, ()),
    ("688981.SH", "10.00", {},
     order("688981.SH", qty=200, price=None, price_type=CB, protection="7.99"), CONT, None,
     ("PRICE_BELOW_LIMIT_DOWN",)),
    ("688981.SH", "10.00", {},
     order("688981.SH", Side.SELL, 200, None, CB, protection="12.01"), CONT, 200,
     ("PRICE_ABOVE_LIMIT_UP",)),
    ("688981.SH", "10.00", {},
     order("688981.SH", qty=200, price=None, price_type=CB, protection="10.001"), CONT, None,
     ("PRICE_OFF_TICK",)),
    ("688981.SH", "10.00", {"list_date": date(2026, 11, 23)},
     order("688981.SH", qty=200, price=None, price_type=CB, protection="10.10"), CONT, None,
     ("MARKET_ORDER_NOT_ALLOWED",)),
    # sessions and status
    ("600000.SH", "10.00", {}, order("600000.SH"), "2026-11-28 10:00", None, ("MARKET_CLOSED",)),
    ("600000.SH", "10.00", {}, order("600000.SH"), "2026-01-04 10:00", None, ("MARKET_CLOSED",)),
    ("600000.SH", "10.00", {}, order("600000.SH"), "2026-11-25 12:00", None, ("MARKET_CLOSED",)),
    ("600000.SH", "10.00", {}, order("600000.SH"), "2026-11-25 15:10", None, ("MARKET_CLOSED",)),
    ("600000.SH", "10.00", {"suspended": True}, order("600000.SH"), CONT, None,
     ("SYMBOL_SUSPENDED",)),
    ("000001.SH", "3900.00", {}, order("000001.SH", price="3900.00"), CONT, None,
     ("SYMBOL_NOT_TRADABLE", "PRICE_TYPE_NOT_SUPPORTED")),
    # ST band before / after 2026-07-06 (opening auction: no cage)
    ("600777.SH", "10.00", {"is_st": True}, order("600777.SH", price="10.60"), "2026-07-03 09:16",
     None, ("PRICE_ABOVE_LIMIT_UP",)),
    ("600777.SH", "10.00", {"is_st": True}, order("600777.SH", price="10.60"), "2026-07-06 09:16",
     None, ()),
    # after-hours fixed price
    ("688981.SH", "10.00", {}, order("688981.SH", qty=200, price=None, price_type=AH),
     "2026-11-25 15:10", None, ()),
    ("600000.SH", "10.00", {}, order("600000.SH", price=None, price_type=AH),
     "2026-11-25 15:10", None, ("PRICE_TYPE_NOT_SUPPORTED",)),
    # other products
    ("204001.SH", "1.500", {}, order("204001.SH", Side.SELL, 10, "1.505"), CONT, None, ()),
    ("204001.SH", "1.500", {}, order("204001.SH", Side.SELL, 10, "1.502"), CONT, None,
     ("PRICE_OFF_TICK",)),
    ("510300.SH", "4.650", {}, order("510300.SH", price="4.651"), CONT, None, ()),
    ("113052.SH", "120.000", {}, order("113052.SH", qty=10, price="120.001"), CONT, None, ()),
    ("113052.SH", "120.000", {}, order("113052.SH", qty=15, price="120.001"), CONT, None,
     ("QTY_NOT_LOT_MULTIPLE",)),
    # every reason at once
    ("600000.SH", "10.00", {}, order("600000.SH", qty=50, price="11.005", price_type=B5),
     "2026-11-25 09:21", None,
     ("MARKET_ORDER_NOT_ALLOWED", "QTY_BELOW_MIN", "QTY_NOT_LOT_MULTIPLE")),
    ("600000.SH", "10.00", {}, order("600000.SH", qty=50, price="11.005"), "2026-11-25 09:21", None,
     ("QTY_BELOW_MIN", "QTY_NOT_LOT_MULTIPLE", "PRICE_OFF_TICK", "PRICE_ABOVE_LIMIT_UP")),
]  # fmt: skip


@pytest.mark.parametrize(("symbol", "pc", "extra", "cmd", "ts", "sellable", "reasons"), CASES)
def test_validate_order_when_order_checked_returns_every_applicable_reason(
    symbol: str,
    pc: str,
    extra: dict[str, Any],
    cmd: SubmitOrder,
    ts: str,
    sellable: int | None,
    reasons: tuple[str, ...],
) -> None:
    result = validate_order(
        cmd, inst(symbol, pc, **extra), None, at(ts), CAL, sellable_qty=sellable
    )
    assert sorted(result.reasons) == sorted(reasons)
    assert result.ok is (not reasons)
    assert (result.order is not None) is result.ok
    assert len(result.messages) >= len(reasons)


def test_validate_order_when_price_has_fewer_decimals_normalises_to_tick_exponent() -> None:
    result = validate_order(order("600000.SH", price="10"), inst("600000.SH"), None, at(CONT), CAL)
    assert result.order is not None
    assert str(result.order.price) == "10.00"
    fund = validate_order(
        order("510300.SH", price="4.6"), inst("510300.SH", "4.650"), None, at(CONT), CAL
    )
    assert fund.order is not None
    assert str(fund.order.price) == "4.600"


def test_validate_order_when_price_already_on_tick_exponent_returns_the_order_itself() -> None:
    cmd = order("600000.SH", price="10.01")
    result = validate_order(cmd, inst("600000.SH"), None, at(CONT), CAL)
    assert result.order is cmd
    more_decimals = order("600000.SH", price="10.010")
    normalised = validate_order(more_decimals, inst("600000.SH"), None, at(CONT), CAL).order
    assert normalised is not None
    assert normalised is not more_decimals
    assert str(normalised.price) == "10.01"


def test_validate_order_when_quote_given_uses_it_as_cage_base() -> None:
    q = Quote(instrument_id=InstrumentId.parse("600000.SH"), ask_prices=(D("10.50"),))
    cmd = order("600000.SH", price="10.70")
    without = validate_order(cmd, inst("600000.SH"), None, at(CONT), CAL)
    with_quote = validate_order(cmd, inst("600000.SH"), q, at(CONT), CAL)
    assert without.reasons == ("PRICE_OUTSIDE_CAGE",)
    assert with_quote.ok
    assert with_quote.cage is None  # the order path checks its own side only


@pytest.mark.parametrize(("side", "price"), [("BUY", "10.70"), ("SELL", "10.30")])
def test_validate_order_when_explaining_reports_both_sides_of_the_cage(
    side: str, price: str
) -> None:
    q = Quote(instrument_id=InstrumentId.parse("600000.SH"), ask_prices=(D("10.50"),))
    cmd = replace(order("600000.SH", price=price), side=Side(side))

    result = validate_order(cmd, inst("600000.SH"), q, at(CONT), CAL, explain=True)

    assert result.ok
    assert result.cage == (D("10.29"), D("10.71"))  # (sell_min, buy_max), either side


def test_validate_order_when_auction_reports_no_cage_and_phase() -> None:
    result = validate_order(
        order("600000.SH"), inst("600000.SH"), None, at("2026-11-25 09:21"), CAL
    )
    assert result.cage is None
    assert result.phase is TradingPhase.OPENING_AUCTION_NO_CANCEL
    assert (result.limits.up, result.limits.down) == (D("11.00"), D("9.00"))


def test_validate_order_when_instrument_differs_reports_invalid_request() -> None:
    result = validate_order(order("600001.SH"), inst("600000.SH"), None, at(CONT), CAL)
    assert "INVALID_REQUEST" in result.reasons


def test_validate_order_when_date_past_calendar_coverage_warns_but_validates() -> None:
    result = validate_order(
        order("600000.SH"), inst("600000.SH"), None, at("2027-01-05 10:00"), CAL
    )
    assert result.ok
    assert any(m.startswith("CALENDAR_NOT_COVERED") for m in result.messages)


def test_validate_order_when_position_given_uses_it_for_odd_lot_rule() -> None:
    cmd = order("600000.SH", Side.SELL, 50)
    res = validate_order(
        cmd, inst("600000.SH"), None, at(CONT), CAL, sellable_qty=150, position_qty=250
    )
    assert res.ok
    bad = validate_order(
        cmd, inst("600000.SH"), None, at(CONT), CAL, sellable_qty=150, position_qty=270
    )
    assert bad.reasons == ("ODD_LOT_SELL_NOT_WHOLE",)


def test_validate_order_when_qty_not_int_reports_qty_not_positive() -> None:
    cmd = replace(order("600000.SH"), qty=100.0)  # type: ignore[arg-type]
    assert validate_order(cmd, inst("600000.SH"), None, at(CONT), CAL).reasons == (
        "QTY_NOT_POSITIVE",
    )


def test_validate_order_when_price_not_finite_reports_not_positive() -> None:
    cmd = replace(order("600000.SH"), price=D("NaN"))
    assert validate_order(cmd, inst("600000.SH"), None, at(CONT), CAL).reasons == (
        "PRICE_NOT_POSITIVE",
    )


@pytest.mark.parametrize("field", ["price", "protection_price"])
def test_validate_order_when_price_is_float_reports_invalid_request(field: str) -> None:
    kwargs: dict[str, Any] = {field: 10.0}
    cmd = replace(order("600000.SH"), **kwargs)
    result = validate_order(cmd, inst("600000.SH"), None, at(CONT), CAL)
    assert result.reasons == ("INVALID_REQUEST",)
    assert field in result.messages[0]
