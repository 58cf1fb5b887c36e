"""A journal holding orders submitted at given times, for tests that read the journal's
times (the start-up checks, the choice of clock)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

from ashare_exec.journal import Journal
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    InstrumentId,
    OrderSpec,
    OrderSubmitted,
    PriceType,
    Side,
)
from ashare_exec.oms import Ledger, OmsState, OrderBook


def journal_orders_at(path: Path, *times: datetime) -> None:
    """Create the journal at ``path`` with one submitted limit buy per time, in order."""
    state = OmsState(OrderBook(), Ledger(lambda *_a: Decimal(0)))
    journal = Journal.open(path, durability="fast")
    for i, at in enumerate(times):
        spec = OrderSpec(
            account_id=AccountId("paper"),
            client_order_id=ClientOrderId(f"c{i}"),
            instrument_id=InstrumentId.parse("600000.SH"),
            side=Side.BUY,
            qty=100,
            price_type=PriceType.LIMIT,
            price=Decimal("10.00"),
        )
        event = OrderSubmitted(
            account_id=spec.account_id, client_order_id=spec.client_order_id, ts_event=at,
            spec=spec,
        )  # fmt: skip
        journal.append_many([state.apply(event)])
    journal.close()
