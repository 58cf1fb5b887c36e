"""``oms.snapshot.moved_instruments``: whose orders changed between two listings."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from ashare_exec.clock import CST
from ashare_exec.model import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    InstrumentId,
    OrderStatus,
    OrderStatusReport,
    PriceType,
    Side,
)
from ashare_exec.oms.snapshot import moved_instruments

A, B = InstrumentId.parse("600000.SH"), InstrumentId.parse("000001.SZ")


def _row(coid: str, inst: InstrumentId, status: OrderStatus = OrderStatus.NEW) -> OrderStatusReport:
    return OrderStatusReport(
        account_id=AccountId("a"),
        client_order_id=ClientOrderId(coid),
        broker_order_id=BrokerOrderId(f"B{coid}"),
        exchange_order_id=None,
        instrument_id=inst,
        side=Side.BUY,
        price_type=PriceType.LIMIT,
        price=Decimal("10"),
        qty=100,
        filled_qty=0,
        avg_px=None,
        status=status,
        ts_event=datetime(2026, 11, 25, 10, tzinfo=CST),
        message="",
    )


def test_moved_instruments_when_nothing_changed_is_empty() -> None:
    rows = [_row("1", A), _row("2", B)]
    later = [replace(r, ts_event=datetime(2026, 11, 25, 11, tzinfo=CST)) for r in rows]
    assert moved_instruments(rows, later) == frozenset()  # a new time alone is no move


def test_moved_instruments_names_the_instrument_of_a_new_changed_or_gone_order() -> None:
    rows = [_row("1", A), _row("2", B)]
    assert moved_instruments(rows, [*rows, _row("3", A)]) == {A}
    assert moved_instruments(rows, [rows[0], replace(rows[1], filled_qty=100)]) == {B}
    assert moved_instruments(rows, [rows[0]]) == {B}
    canceled = replace(rows[0], status=OrderStatus.CANCELED)
    assert moved_instruments(rows, [canceled, replace(rows[1], qty=200)]) == {A, B}
