"""Recovery from the projection tables: exact state, lazy order logs, and the fallbacks."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import oms_stubs as st
import pytest
from test_journal_recovery import assert_same_state, fee, is_t0, new_state

from ashare_exec.journal import MIGRATIONS, Journal, replay
from ashare_exec.journal.codec import encode_parts
from ashare_exec.journal.projections import LazyLog
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    OrderAccepted,
    OrderSpec,
    OrderStatus,
    OrderSubmitted,
    PriceType,
    Side,
    StrategyId,
    TimeInForce,
)
from ashare_exec.model.order import OrderLogEntry
from ashare_exec.oms import Ledger, OmsState, OrderBook

ACC2 = AccountId("ACC2")


def freeze_price(spec: OrderSpec) -> Decimal | None:
    return spec.protection_price or Decimal("11.00")


def market_buy(coid: str, *, protection: str | None) -> OrderSubmitted:
    spec = OrderSpec(
        account_id=ACC2,
        client_order_id=ClientOrderId(coid),
        instrument_id=st.INST,
        side=Side.BUY,
        qty=500,
        price_type=PriceType.BEST5_IOC,
        price=None,
        protection_price=None if protection is None else Decimal(protection),
        time_in_force=TimeInForce.IOC,
        strategy_id=StrategyId("alpha"),
        external=True,
    )
    return OrderSubmitted(
        account_id=ACC2, client_order_id=spec.client_order_id, ts_event=st.ts(), spec=spec
    )


def both_ways(path: Path) -> tuple[OmsState, OmsState, str]:
    with Journal.open(path, durability="fast") as journal:
        full = replay(journal, fee, is_t0=is_t0, freeze_price=freeze_price, use_projections=False)
        fast = replay(journal, fee, is_t0=is_t0, freeze_price=freeze_price)
        for order in fast.book:  # read every lazy log while the file is there
            list(order.log)
    return full.state, fast.state, fast.method


def live_state() -> OmsState:
    return OmsState(OrderBook(), Ledger(fee, is_t0=is_t0, freeze_price=freeze_price))


def test_replay_when_specs_vary_restores_every_field_and_freeze(tmp_path: Path) -> None:
    live = live_state()
    events = [
        market_buy("M1", protection="10.50"),
        market_buy("M2", protection=None),
        OrderAccepted(account_id=ACC2, client_order_id=ClientOrderId("M1"), ts_event=st.ts(1)),
        st.submitted("S1", side=Side.SELL, qty=300),
        st.pending_cancel("S1"),
        st.restated("S1", OrderStatus.PENDING_CANCEL, venue_filled=100),
        st.cancel_rejected("S1"),
        st.submitted("D1"),
    ]
    with Journal.open(tmp_path / "j.db", durability="fast") as journal:
        journal.append_many([live.apply(e) for e in events])  # type: ignore[arg-type]

    full, fast, method = both_ways(tmp_path / "j.db")

    assert method == "projections"
    assert_same_state(fast, live)
    assert_same_state(full, live)
    assert fast.ledger.order_freeze(ACC2, ClientOrderId("M1")) == Decimal("5250.00") + fee(
        st.INST, Side.BUY, 500, Decimal("10.50")
    )
    assert fast.ledger.cash(ACC2) == live.ledger.cash(ACC2)


def test_replay_when_client_id_reused_after_day_roll_restores_the_new_order(
    tmp_path: Path,
) -> None:
    live = new_state()
    with Journal.open(tmp_path / "j.db", durability="fast") as journal:
        journal.append(live.apply(st.submitted("C1", qty=100)))
        journal.append(live.apply(st.filled("C1", "T1", qty=100)))
        journal.append(live.apply(st.submitted("C2", qty=100)))  # stays open over the roll
        change = live.roll_day(st.ACC, date(2026, 11, 26), st.ts(10))
        assert change is not None
        journal.append(change)
        journal.append(live.apply(st.submitted("C1", at=20, qty=700, price="9.99")))
        journal.append(live.apply(st.filled("C1", "T2", qty=200, px="9.99", at=21)))

    full, fast, method = both_ways(tmp_path / "j.db")

    assert method == "projections"
    assert_same_state(fast, live)
    assert_same_state(full, live)
    c1 = fast.book.require(st.ACC, ClientOrderId("C1"))
    assert (c1.qty, list(c1.fills)) == (700, ["T2"])
    assert [e.event.ts_event for e in c1.log] == [st.ts(20), st.ts(21)]


def test_replay_when_group_commit_merges_batches_keeps_creation_seqs(tmp_path: Path) -> None:
    live = new_state()

    async def run() -> None:
        journal = Journal.open(tmp_path / "j.db", durability="durable")
        changes = [
            live.apply(e)  # type: ignore[arg-type]
            for e in (st.submitted("C1"), st.accepted("C1"), st.filled("C1", "T1", qty=1000))
        ]
        await asyncio.gather(*(journal.append_async(c) for c in changes))
        await journal.aclose()

    asyncio.run(run())
    full, fast, method = both_ways(tmp_path / "j.db")

    assert method == "projections"
    assert_same_state(fast, live)
    assert_same_state(full, live)


def test_replay_when_journal_predates_complete_projections_replays_every_event(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.db"
    live = new_state()
    Journal.open(path, migrations=MIGRATIONS[:1]).close()
    conn = sqlite3.connect(path)
    for seq, e in enumerate((st.submitted("C1"), st.accepted("C1"), st.filled("C1")), 1):
        live.apply(e)  # type: ignore[arg-type]
        payload, ts_iso = encode_parts(e)
        conn.execute(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, ts_iso, ts_iso[:10], e.account_id, e.client_order_id, type(e).__name__, payload),
        )
    conn.commit()
    conn.close()

    with Journal.open(path) as journal:
        recovered = replay(journal, fee, is_t0=is_t0)

        assert recovered.method == "replay"
        assert recovered.events == 3
        assert_same_state(recovered.state, live)


def test_replay_when_a_fill_row_is_missing_replays_every_event(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    live = new_state()
    with Journal.open(path) as journal:
        for e in (st.submitted("C1"), st.filled("C1", "T1"), st.filled("C1", "T2", at=3)):
            journal.append(live.apply(e))  # type: ignore[arg-type]
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM fills WHERE trade_id = 'T2'")
    conn.commit()
    conn.close()

    with Journal.open(path) as journal:
        recovered = replay(journal, fee, is_t0=is_t0)

        assert recovered.method == "replay"
        assert_same_state(recovered.state, live)


def test_lazy_log_when_appended_before_read_puts_past_entries_first() -> None:
    past = [OrderLogEntry(st.submitted(), None, OrderStatus.PENDING_NEW)]
    now = OrderLogEntry(st.accepted(), OrderStatus.PENDING_NEW, OrderStatus.NEW)
    log = LazyLog(load=lambda: list(past))

    log.append(now)

    assert log.loaded
    assert log == [*past, now]
    assert [e.status_after for e in log] == [OrderStatus.PENDING_NEW, OrderStatus.NEW]


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        (len, 1),
        (list, ["x"]),
        (lambda log: log[0], "x"),
        (lambda log: "x" in log, True),
        (bool, True),
        (lambda log: dataclasses.replace(Holder(log)).log == ["x"], True),
    ],
)
def test_lazy_log_when_read_loads_once(read: object, expected: object) -> None:
    calls: list[int] = []

    def load() -> list[str]:
        calls.append(1)
        return ["x"]

    log = LazyLog(load=load)  # type: ignore[arg-type]

    assert read(log) == expected  # type: ignore[operator]
    assert read(log) == expected  # type: ignore[operator]
    assert calls == [1]


@dataclasses.dataclass
class Holder:
    log: list[str]


def test_replay_when_a_bare_order_event_was_journaled_replays_every_event(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.db"
    live = new_state()
    with Journal.open(path) as journal:
        journal.append(live.apply(st.submitted("C1")))
        event = st.accepted("C1")
        live.apply(event)
        journal.append(event)  # no projections written for it

    with Journal.open(path) as journal:
        recovered = replay(journal, fee, is_t0=is_t0)

        assert recovered.method == "replay"
        assert_same_state(recovered.state, live)
