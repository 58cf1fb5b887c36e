"""Execution-side protections: order TTL, drift auto-cancel, stop-loss / take-profit."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from risk_helpers import IID, T0, engine, inst, order, quote

from ashare_exec.model import Board, InstrumentId, Quote, Side
from ashare_exec.risk import CancelOrderAction, InMemoryAccount, PositionView, protective_sell_qty

DAY = date(2026, 11, 25)


def test_order_ttl_when_expired_cancels_once() -> None:
    e = engine(order_ttl_s=30)
    e.watch_order(order(), "c1", T0)

    early = e.on_time(T0 + timedelta(seconds=29))
    due = e.on_time(T0 + timedelta(seconds=30))
    again = e.on_time(T0 + timedelta(seconds=60))

    assert early.actions == ()
    assert due.actions == (CancelOrderAction("acc1", "c1", "order_ttl"),)
    assert again.actions == ()


def test_order_ttl_when_order_done_forgets_it() -> None:
    e = engine(order_ttl_s=30)
    e.watch_order(order(), "c1", T0)
    e.order_done("c1")

    assert e.on_time(T0 + timedelta(hours=1)).actions == ()


@pytest.mark.parametrize(
    ("side", "last", "fires"),
    [
        (Side.BUY, "10.20", False),  # exactly 2% away
        (Side.BUY, "10.21", True),
        (Side.BUY, "9.00", False),  # moved toward a buy: fine
        (Side.SELL, "9.80", False),
        (Side.SELL, "9.79", True),
    ],
)
def test_order_drift_when_market_moves_away_cancels(side: Side, last: str, fires: bool) -> None:
    e = engine(max_order_drift="0.02")
    e.watch_order(order(side=side, price="10.00"), "c1", T0)

    out = e.on_quote(quote(last=last), inst(), {}, T0)

    assert out.actions == ((CancelOrderAction("acc1", "c1", "order_drift"),) if fires else ())


def test_order_watch_when_no_ttl_or_drift_configured_watches_nothing() -> None:
    e = engine()
    e.watch_order(order(), "c1", T0)

    assert e.watch.orders == {}


@pytest.mark.parametrize(
    ("board", "position", "expected"),
    [
        (Board.MAIN, PositionView(total_qty=1050, sellable_qty=1050), 1050),  # with odd lot
        (Board.MAIN, PositionView(total_qty=1050, sellable_qty=1050, working_sell_qty=100), 950),
        (Board.MAIN, PositionView(total_qty=1000, sellable_qty=0), 0),  # bought today (T+1)
        (Board.MAIN, PositionView(total_qty=1050, sellable_qty=550), 550),  # odd part whole
        (Board.MAIN, PositionView(total_qty=1000, sellable_qty=550), 500),  # rounds down
        (Board.STAR, PositionView(total_qty=150, sellable_qty=150), 150),  # whole odd holding
        (Board.STAR, PositionView(total_qty=350, sellable_qty=150), 0),  # not the whole holding
        (Board.STAR, PositionView(total_qty=350, sellable_qty=250), 250),
    ],
)
def test_protective_sell_qty_when_position_varies_respects_lot_and_t1(
    board: Board, position: PositionView, expected: int
) -> None:
    assert protective_sell_qty(inst(board=board), position, DAY) == expected


def test_stop_loss_when_last_hits_stop_submits_banded_sell_once(
    account: InMemoryAccount,
) -> None:
    e = engine(stop_slippage_pct="0.01")
    e.stops.set_stop("acc1", "600000.SH", stop_loss=Decimal("9.50"))

    miss = e.on_quote(quote(last="9.51"), inst(), {"acc1": account}, T0)
    hit = e.on_quote(quote(last="9.50", bid="9.49", ask="9.50"), inst(), {"acc1": account}, T0)
    again = e.on_quote(quote(last="9.40"), inst(), {"acc1": account}, T0)

    assert miss.actions == ()
    (act,) = hit.actions
    assert act.reason == "STOP_LOSS"  # type: ignore[union-attr]
    cmd = act.cmd  # type: ignore[union-attr]
    assert (cmd.side, cmd.qty, cmd.price) == (Side.SELL, 1000, Decimal("9.40"))
    assert again.actions == ()


def test_stop_loss_when_near_limit_down_clamps_price_to_band(account: InMemoryAccount) -> None:
    e = engine(stop_slippage_pct="0.05")
    e.stops.set_stop("acc1", "600000.SH", stop_loss=Decimal("9.50"))

    out = e.on_quote(quote(last="9.05", bid="9.04", ask="9.05"), inst(), {"acc1": account}, T0)

    (act,) = out.actions
    assert act.cmd.price == Decimal("9.00")  # type: ignore[union-attr]


def test_take_profit_when_fallback_pct_configured_triggers_from_avg_cost(
    account: InMemoryAccount,
) -> None:
    e = engine(take_profit_pct="0.05")

    out = e.on_quote(quote(last="10.50", bid="10.49", ask="10.50"), inst(), {"acc1": account}, T0)

    (act,) = out.actions
    assert act.reason == "TAKE_PROFIT"  # type: ignore[union-attr]
    assert [a.control for a in out.alerts] == ["stop"]


def test_stop_loss_when_nothing_sellable_stays_armed_until_sellable() -> None:
    acc = InMemoryAccount(marks={IID: Decimal("10.00")})
    acc.set_position(IID, 1000, sellable=0, avg_cost=Decimal("10.00"))
    e = engine()
    e.stops.set_stop("acc1", "600000.SH", stop_loss=Decimal("9.50"))

    blocked = e.on_quote(quote(last="9.40"), inst(), {"acc1": acc}, T0)
    acc.roll_day()
    sold = e.on_quote(quote(last="9.40"), inst(), {"acc1": acc}, T0 + timedelta(days=1))

    assert blocked.actions == ()
    assert len(sold.actions) == 1


def test_fallback_stop_when_avg_cost_changes_moves_and_when_flat_is_dropped() -> None:
    e = engine(stop_loss_pct="0.1")
    acc = InMemoryAccount(marks={IID: Decimal("10.00")})
    acc.set_position(IID, 1000, avg_cost=Decimal("10.00"))
    e.on_quote(quote(last="10.00"), inst(), {"acc1": acc}, T0)
    first = e.stops.stops[("acc1", "600000.SH")].stop_loss

    acc.set_position(IID, 1000, avg_cost=Decimal("10.50"))
    e.on_quote(quote(last="10.00"), inst(), {"acc1": acc}, T0)
    moved = e.stops.stops[("acc1", "600000.SH")].stop_loss
    acc.set_position(IID, 0)
    e.on_quote(quote(last="10.00"), inst(), {"acc1": acc}, T0)

    assert (first, moved) == (Decimal("9.000"), Decimal("9.450"))
    assert ("acc1", "600000.SH") not in e.stops.stops


def test_explicit_stop_when_position_flat_is_kept() -> None:
    e = engine(stop_loss_pct="0.1")
    e.stops.set_stop("acc1", "600000.SH", stop_loss=Decimal("9"))

    e.on_quote(quote(last="10.00"), inst(), {"acc1": InMemoryAccount()}, T0)

    assert e.stops.stops[("acc1", "600000.SH")].stop_loss == Decimal("9")


@pytest.mark.parametrize(
    ("board", "held", "sellable", "last", "bid"),
    [
        (Board.MAIN, 1050, 1050, "9.40", "9.39"),
        (Board.MAIN, 1000, 550, "9.05", "9.04"),  # near limit-down
        (Board.STAR, 350, 350, "9.40", "9.39"),
        (Board.STAR, 150, 150, "9.40", "9.39"),  # whole odd holding below 200
    ],
)
def test_stop_loss_protective_order_when_checked_passes_exchange_rules_and_risk(
    board: Board, held: int, sellable: int, last: str, bid: str
) -> None:
    code = "688001.SH" if board is Board.STAR else "600000.SH"
    iid = InstrumentId.parse(code)
    instrument = inst(board=board, instrument_id=iid)
    acc = InMemoryAccount(marks={iid: Decimal(last)})
    acc.set_position(iid, held, sellable=sellable, avg_cost=Decimal("10.00"))
    e = engine(stop_slippage_pct="0.03")
    e.stops.set_stop("acc1", code, stop_loss=Decimal("9.50"))
    q = Quote(
        instrument_id=iid,
        last=Decimal(last),
        bid_prices=(Decimal(bid),),
        bid_sizes=(100,),
        ask_prices=(Decimal(last),),
        ask_sizes=(100,),
    )

    (act,) = e.on_quote(q, instrument, {"acc1": acc}, T0).actions
    d = e.check_order(act.cmd, instrument, q, acc, T0)  # type: ignore[union-attr]

    assert d.allowed, d.reasons
    assert act.cmd.qty <= sellable  # type: ignore[union-attr]
