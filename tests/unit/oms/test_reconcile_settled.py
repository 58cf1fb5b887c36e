"""A later reconcile of the same day skips the rows of finished orders an earlier one found
settled, unchanged, and finds exactly what a full reconcile finds."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from decimal import Decimal
from typing import Any

import oms_stubs as st
import pytest
from test_reconcile_cold import SCENARIOS, _live, _report, _scenario, _trades

from ashare_exec.model import OrderStatus
from ashare_exec.model.reports import OrderStatusReport
from ashare_exec.oms import Ledger, OrderBook
from ashare_exec.oms.reconcile import ReconcileReport, reconcile


def _reconcile(
    book: OrderBook, reports: list[OrderStatusReport], trades: list[Any], settled: Any = None
) -> ReconcileReport:
    ledger = Ledger(lambda *_a: Decimal(0))
    return reconcile(book, ledger, st.ACC, st.T0, orders=reports, trades=trades, settled=settled)


def _findings(rep: ReconcileReport) -> tuple[Any, ...]:
    memo = ("settled", "skipped")
    return tuple(getattr(rep, f.name) for f in dataclasses.fields(rep) if f.name not in memo)


def _first_pass(live: OrderBook) -> ReconcileReport:
    return _reconcile(live, [_report(o) for o in live.orders(st.ACC)], _trades(live))


def test_reconcile_when_finished_orders_agree_remembers_them_settled() -> None:
    live = _live()

    rep = _first_pass(live)

    assert sorted(rep.settled) == sorted([f"F{i}" for i in range(10)] + ["P1"])  # not W
    assert rep.skipped == 0


def test_reconcile_again_when_nothing_changed_skips_every_settled_row() -> None:
    live = _live()
    first = _first_pass(live)
    # A venue may stamp every row afresh on each listing: the time is not part of the key.
    later = [_report(o, ts_event=st.T0 + timedelta(minutes=1)) for o in live.orders(st.ACC)]

    again = _reconcile(live, later, _trades(live), settled=first.settled)

    assert again.skipped == 11
    assert again.settled == first.settled
    assert again == first  # the same findings (none)


@pytest.mark.parametrize("name", SCENARIOS)
def test_reconcile_with_settled_rows_finds_what_a_full_reconcile_finds(name: str) -> None:
    live = _live()
    first = _first_pass(live)
    reports, trades = _scenario(name, live)

    full = _reconcile(live, reports, trades)
    skipping = _reconcile(live, reports, trades, settled=first.settled)

    assert _findings(skipping) == _findings(full)
    assert skipping.settled == full.settled


def test_reconcile_when_a_settled_order_fills_late_finds_the_fill() -> None:
    live = _live()
    first = _first_pass(live)
    p1 = live.require(st.ACC, st.ClientOrderId("P1"))
    reports = [_report(o) for o in live.orders(st.ACC) if o is not p1]
    reports.append(_report(p1, filled_qty=500))  # canceled, then a fill the push lost
    trades = [*_trades(live), st.filled("P1", trade="TP2", qty=200)]

    rep = _reconcile(live, reports, trades, settled=first.settled)

    assert [(f.client_order_id, f.trade_id) for f in rep.missing_fills] == [("P1", "TP2")]
    assert rep.skipped == 10
    assert "P1" not in rep.settled  # our 300 until the fill is applied: not settled yet


def test_reconcile_when_venue_lists_a_trade_we_lack_does_not_settle_its_order() -> None:
    live = _live()
    f0 = live.require(st.ACC, st.ClientOrderId("F0"))
    reports = [_report(o) for o in live.orders(st.ACC)]
    reports[0] = _report(f0, filled_qty=1000, status=OrderStatus.FILLED)
    trades = [t for t in _trades(live) if t.client_order_id != "F0"]
    trades.append(st.filled("F0", trade="TX", qty=1000))  # not the trade id we hold

    rep = _reconcile(live, reports, trades)

    assert [f.trade_id for f in rep.missing_fills] == ["TX"]
    assert "F0" not in rep.settled
