"""After a failure the journal holds what it refuses, and writes it all once it can again."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import oms_stubs as st
import pytest

from ashare_exec.errors import JournalError
from ashare_exec.journal import Journal
from ashare_exec.journal import hold as hold_module
from ashare_exec.model import InstrumentId, Side
from ashare_exec.oms import Ledger, OmsState, OrderBook


def fee(_i: InstrumentId, _s: Side, qty: int, px: Decimal) -> Decimal:
    return (qty * px * Decimal("0.001")).quantize(Decimal("0.01"))


def new_state() -> OmsState:
    return OmsState(OrderBook(), Ledger(fee))


def read_only(journal: Journal, on: bool) -> None:
    journal._conn.execute(f"PRAGMA query_only={'ON' if on else 'OFF'}")


def test_recover_when_the_disk_takes_writes_again_writes_what_was_refused_in_order(
    tmp_path: Path,
) -> None:
    journal = Journal.open(tmp_path / "j.db", durability="fast")
    state = new_state()
    journal.append(state.apply(st.submitted("C1")))
    read_only(journal, True)
    with pytest.raises(JournalError):
        journal.append(state.apply(st.accepted("C1", broker="B1")))
    with pytest.raises(JournalError):
        journal.append_many(
            [state.apply(st.filled("C1", trade="T1", qty=400)), state.apply(st.submitted("C2"))]
        )
    with pytest.raises(JournalError):
        journal.set_state("risk", "ACTIVE")
    assert (journal.held_events, journal.recoverable) == (3, True)
    read_only(journal, False)

    written = journal.recover()

    assert written == 3
    assert journal.failed is None
    assert journal.append(state.apply(st.rejected("C2"))) == 5  # takes writes again, in order
    journal.close()
    with Journal.open(tmp_path / "j.db") as again:
        events = [(seq, type(e).__name__, e.client_order_id) for seq, e in again.iter_events()]
        assert events == [
            (1, "OrderSubmitted", "C1"),
            (2, "OrderAccepted", "C1"),
            (3, "OrderFilled", "C1"),
            (4, "OrderSubmitted", "C2"),
            (5, "OrderRejected", "C2"),
        ]
        orders = {row["client_order_id"]: row for row in again.rows("orders")}
        assert (orders["C1"]["status"], orders["C1"]["filled_qty"]) == ("PARTIALLY_FILLED", 400)
        assert orders["C2"]["status"] == "REJECTED"
        assert [f["trade_id"] for f in again.rows("fills")] == ["T1"]
        assert again.client_order_id_for(st.ACC, broker_order_id="B1") == "C1"
        assert again.get_state("risk") == "ACTIVE"


def test_recover_when_the_disk_still_refuses_raises_and_keeps_holding(journal: Journal) -> None:
    state = new_state()
    read_only(journal, True)
    with pytest.raises(JournalError):
        journal.append(state.apply(st.submitted("C1")))

    with pytest.raises(JournalError):
        journal.recover()

    assert journal.failed is not None
    assert journal.held_events == 1
    with pytest.raises(JournalError):
        journal.append(state.apply(st.accepted("C1")))
    read_only(journal, False)
    assert journal.recover() == 2
    assert [type(e).__name__ for _s, e in journal.iter_events()] == [
        "OrderSubmitted",
        "OrderAccepted",
    ]


def test_recover_when_nothing_failed_writes_nothing(journal: Journal) -> None:
    journal.append(st.submitted("C1"))

    assert journal.recover() == 0
    assert journal.last_seq == 1


async def test_recover_when_an_append_was_queued_at_the_failure_keeps_it_before_later_ones(
    tmp_path: Path,
) -> None:
    # The order's submit is queued for the next group commit when the journal fails; its
    # ack, refused after, must not be overwritten by the older row at the recovery.
    journal = Journal.open(tmp_path / "j.db", durability="durable")
    state = new_state()
    queued = asyncio.ensure_future(journal.append_many_async([state.apply(st.submitted("C1"))]))
    await asyncio.sleep(0)  # prepared and queued; its commit has not run yet
    read_only(journal, True)
    with pytest.raises(JournalError):
        journal.set_state("k", "v")  # the failure, on another write
    with pytest.raises(JournalError):
        await journal.append_many_async([state.apply(st.accepted("C1", broker="B1"))])
    with pytest.raises(JournalError):
        await queued
    read_only(journal, False)

    assert journal.recover() == 2

    [order] = journal.rows("orders")
    assert order["status"] == "NEW"
    assert [seq for seq, _e in journal.iter_events()] == [1, 2]
    await journal.aclose()


class _CommitAtTheGate:
    """The journal's connection, with ``COMMIT`` waiting for ``gate`` and then failing."""

    def __init__(self, conn: sqlite3.Connection, gate: threading.Event) -> None:
        self._conn, self._gate = conn, gate

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT":
            self._gate.wait()
            raise sqlite3.OperationalError("disk I/O error")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


async def test_recover_when_the_failed_commit_reaches_the_hold_after_a_later_write_keeps_order(
    tmp_path: Path,
) -> None:
    # Durable: the commit fails on the writer thread, and the loop learns of it a moment
    # later. A write refused in that moment is held before the failed batch; written in
    # the order held, the older row of the order would overwrite its newer one.
    journal = Journal.open(tmp_path / "j.db", durability="durable")
    state = new_state()
    real, gate = journal._conn, threading.Event()
    journal._conn = _CommitAtTheGate(real, gate)  # type: ignore[assignment]
    queued = asyncio.ensure_future(journal.append_many_async([state.apply(st.submitted("C1"))]))
    await asyncio.sleep(0.05)  # its commit waits at the gate, on the writer thread
    gate.set()
    deadline = time.monotonic() + 5
    while journal.failed is None and time.monotonic() < deadline:
        gate.wait(0.001)  # it fails there; the loop, held here on purpose, has not heard yet
    with pytest.raises(JournalError):
        journal.append_many([state.apply(st.accepted("C1", broker="B1"))])
    with pytest.raises(JournalError):
        await queued
    journal._conn = real

    assert journal.recover() == 2

    [order] = journal.rows("orders")
    assert (order["status"], order["broker_order_id"]) == ("NEW", "B1")
    assert [type(e).__name__ for _s, e in journal.iter_events()] == [
        "OrderSubmitted",
        "OrderAccepted",
    ]
    await journal.aclose()


def test_recover_when_more_than_the_limit_was_refused_asks_for_a_restart(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hold_module, "HOLD_LIMIT", 2)
    read_only(journal, True)
    for n in range(3):
        with pytest.raises(JournalError):
            journal.append(st.submitted(f"C{n}"))
    read_only(journal, False)

    assert not journal.recoverable
    with pytest.raises(JournalError, match="restart"):
        journal.recover()
    assert journal.failed is not None
