"""Reconciling a restored book: finished orders restored cold are judged by their summary,
and the report is the one the fully built book gives."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import oms_stubs as st
import pytest
from test_book_cold import _many, _restored

from ashare_exec.model import OrderFilled, TradeId
from ashare_exec.model.order import Order
from ashare_exec.model.reports import OrderStatusReport
from ashare_exec.oms import Ledger, OrderBook
from ashare_exec.oms.reconcile import ReconcileReport, reconcile
from ashare_exec.oms.reports import plan_status_report


def _live() -> OrderBook:
    """F0..F9 filled (1,000 each), P1 canceled after 300 of 1,000, W working."""
    book = OrderBook()
    for i in range(10):
        book.apply(st.submitted(f"F{i}"))
        book.apply(st.accepted(f"F{i}", broker=f"BF{i}", exch=f"EF{i}"))
        book.apply(st.filled(f"F{i}", trade=f"TF{i}", qty=1000))
    for e in (
        st.submitted("P1"),
        st.accepted("P1", broker="BP1"),
        st.filled("P1", trade="TP1", qty=300),
        st.pending_cancel("P1", at=4),
        st.canceled("P1"),
        st.submitted("W"),
        st.accepted("W", broker="BW"),
    ):
        book.apply(e)
    return book


def _report(o: Order, **changes: Any) -> OrderStatusReport:
    fields: dict[str, Any] = {
        "account_id": o.spec.account_id,
        "client_order_id": o.client_order_id,
        "broker_order_id": o.broker_order_id,
        "exchange_order_id": o.exchange_order_id,
        "instrument_id": o.spec.instrument_id,
        "side": o.spec.side,
        "price_type": o.spec.price_type,
        "price": o.spec.price,
        "qty": o.spec.qty,
        "filled_qty": o.filled_qty,
        "avg_px": None,
        "status": o.status,
        "ts_event": st.T0,
    }
    return OrderStatusReport(**(fields | changes))


def _trades(book: OrderBook) -> list[OrderFilled]:
    return [f for o in book.orders(st.ACC) for f in _fills(o)]


def _fills(o: Order) -> list[OrderFilled]:
    return [
        st.filled(o.client_order_id, trade=str(t), qty=f.qty, px=str(f.px))
        for t, f in o.fills.items()
    ]


def _run(book: OrderBook, reports: list[OrderStatusReport], trades: list[OrderFilled]) -> Any:
    rep = reconcile(
        book, Ledger(lambda *_a: Decimal(0)), st.ACC, st.T0, orders=reports, trades=trades
    )
    return dataclasses.astuple(rep)


def _scenario(name: str, live: OrderBook) -> tuple[list[OrderStatusReport], list[OrderFilled]]:
    reports = [_report(o) for o in live.orders(st.ACC)]
    trades = _trades(live)
    by_id = {r.client_order_id: i for i, r in enumerate(reports)}
    p1 = live.require(st.ACC, st.ClientOrderId("P1"))
    if name == "venue has a fill we missed":
        reports[by_id["P1"]] = _report(p1, filled_qty=500)
        trades.append(st.filled("P1", trade="TP2", qty=200))
    elif name == "venue counts more than its trades explain":
        reports[by_id["P1"]] = _report(p1, filled_qty=400)
    elif name == "stale report":
        f3 = live.require(st.ACC, st.ClientOrderId("F3"))
        reports[by_id["F3"]] = _report(f3, filled_qty=0)
    elif name == "report content differs":
        f4 = live.require(st.ACC, st.ClientOrderId("F4"))
        reports[by_id["F4"]] = _report(f4, qty=900)
    elif name == "known by broker id only":
        f5 = live.require(st.ACC, st.ClientOrderId("F5"))
        reports[by_id["F5"]] = _report(f5, client_order_id=None, exchange_order_id=None)
        trades = [dataclasses.replace(t, client_order_id="") for t in trades]
        trades = [
            dataclasses.replace(t, broker_order_id=st.BrokerOrderId(f"B{t.trade_id[1:]}"))
            for t in trades
        ]
    elif name == "trades without status reports":
        reports = []
    return reports, trades


SCENARIOS = [
    "every order agrees",
    "venue has a fill we missed",
    "venue counts more than its trades explain",
    "stale report",
    "report content differs",
    "known by broker id only",
    "trades without status reports",
]


@pytest.mark.parametrize("name", SCENARIOS)
def test_reconcile_of_cold_orders_reports_what_the_built_book_reports(name: str) -> None:
    live = _live()
    reports, trades = _scenario(name, live)
    book, _loader = _restored(live, summaries=True)

    assert _run(book, reports, trades) == _run(live, reports, trades)
    fresh, _loader = _restored(live, summaries=True)
    assert [plan_status_report(fresh, r) for r in reports] == [
        plan_status_report(live, r) for r in reports
    ]


def test_reconcile_when_restored_without_summaries_builds_what_it_needs_in_one_load() -> None:
    live = _many(200)
    book, loader = _restored(live)  # cold orders without a summary: built to be judged
    reports = [_report(o) for o in live.orders(st.ACC)]

    rep = reconcile(book, Ledger(lambda *_a: Decimal(0)), st.ACC, st.T0, orders=reports)

    assert loader.calls == [200]
    assert (rep.status_events, rep.quarantined, rep.fills_gaps) == ([], [], {})


def test_reconcile_when_every_finished_order_agrees_builds_none_of_them() -> None:
    live = _live()
    book, loader = _restored(live, summaries=True)
    reports, trades = _scenario("every order agrees", live)

    rep = reconcile(book, Ledger(lambda *_a: Decimal(0)), st.ACC, st.T0, orders=reports)
    with_trades = reconcile(
        book, Ledger(lambda *_a: Decimal(0)), st.ACC, st.T0, orders=reports, trades=trades
    )

    assert loader.asked == []
    assert book.cold_count == 11
    assert rep == ReconcileReport(st.ACC, st.T0) == with_trades


def test_reconcile_when_a_finished_order_disagrees_builds_only_that_one() -> None:
    live = _live()
    book, loader = _restored(live, summaries=True)
    reports, trades = _scenario("venue has a fill we missed", live)

    rep = reconcile(
        book, Ledger(lambda *_a: Decimal(0)), st.ACC, st.T0, orders=reports, trades=trades
    )

    assert loader.asked == [(st.ACC, "P1")]
    assert [(f.client_order_id, f.trade_id) for f in rep.missing_fills] == [("P1", TradeId("TP2"))]


def test_reconcile_when_venue_total_agrees_takes_its_trades_of_a_cold_order_as_known() -> None:
    # The venue's own total for the order equals ours: a trade id we do not have is the
    # venue renaming a trade, not a new one (a built order would be compared trade by trade).
    live = _live()
    book, loader = _restored(live, summaries=True)
    reports = [_report(o) for o in live.orders(st.ACC)]
    renamed = st.filled("F1", trade="OTHER-ID", qty=1000)

    rep = reconcile(
        book, Ledger(lambda *_a: Decimal(0)), st.ACC, st.T0, orders=reports, trades=[renamed]
    )

    assert (rep.missing_fills, loader.asked) == ([], [])
