"""The journal's memo of id-map rows already written: it skips rewriting an unchanged
row, and forgets an order once it is finished (a service that runs for weeks kept one
entry per order before, ≈ 300 bytes each)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from ashare_exec.clock import CST
from ashare_exec.journal import Journal
from ashare_exec.model import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    InstrumentId,
    OrderAccepted,
    OrderFilled,
    OrderSpec,
    OrderSubmitted,
    PriceType,
    Side,
    TradeId,
)
from ashare_exec.oms import Ledger, OmsState, OrderBook

ACC = AccountId("paper")
PF = InstrumentId.parse("600000.SH")
T = datetime(2026, 11, 25, 10, 0, tzinfo=CST)


def _events(i: int) -> tuple[OrderSubmitted, OrderAccepted, OrderFilled]:
    coid = ClientOrderId(f"c{i}")
    spec = OrderSpec(
        account_id=ACC, client_order_id=coid, instrument_id=PF, side=Side.BUY, qty=100,
        price_type=PriceType.LIMIT, price=Decimal("10.00"),
    )  # fmt: skip
    broker = BrokerOrderId(f"b{i}")
    return (
        OrderSubmitted(account_id=ACC, client_order_id=coid, ts_event=T, spec=spec),
        OrderAccepted(account_id=ACC, client_order_id=coid, ts_event=T, broker_order_id=broker),
        OrderFilled(
            account_id=ACC, client_order_id=coid, ts_event=T, trade_id=TradeId(f"t{i}"),
            instrument_id=PF, side=Side.BUY, last_qty=100, last_px=Decimal("10.00"),
            broker_order_id=broker,
        ),
    )  # fmt: skip


def test_finished_orders_leave_the_memo_and_their_id_rows_stay_written(tmp_path: Path) -> None:
    state = OmsState(OrderBook(), Ledger(lambda *_a: Decimal(0)))
    journal = Journal.open(tmp_path / "j.sqlite3", durability="fast")
    try:
        for i in range(20):
            submitted, accepted, filled = _events(i)
            journal.append_many([state.apply(submitted)])
            journal.append_many([state.apply(accepted)])
            working = dict(journal._ids_written)
            journal.append_many([state.apply(filled)])

        assert set(working) == {(ACC, "c19")}  # a working order is remembered
        assert journal._ids_written == {}  # finished ones are not
        assert [journal.client_order_id_for(ACC, broker_order_id=f"b{i}") for i in (0, 19)] == [
            "c0",
            "c19",
        ]
    finally:
        journal.close()
