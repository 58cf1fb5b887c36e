"""Journal appends, projections in the same transaction, group commit, failures."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

import oms_stubs as st
import pytest

from ashare_exec.errors import JournalError
from ashare_exec.journal import Durability, Journal
from ashare_exec.model import CashReport, InstrumentId, OrderEvent, Side
from ashare_exec.oms import Ledger, OmsState, OrderBook


def fee(_i: InstrumentId, _s: Side, qty: int, px: Decimal) -> Decimal:
    return (qty * px * Decimal("0.001")).quantize(Decimal("0.01"))


def new_state() -> OmsState:
    return OmsState(OrderBook(), Ledger(fee))


def test_append_when_bare_event_is_read_back_in_order(journal: Journal) -> None:
    seqs = [journal.append(st.submitted("C1")), journal.append(st.submitted("C2"))]

    events = list(journal.iter_events())

    assert seqs == [1, 2]
    assert [(seq, e.client_order_id) for seq, e in events] == [(1, "C1"), (2, "C2")]  # type: ignore[union-attr]
    assert journal.last_seq == 2


@pytest.mark.parametrize("chunk", [1, 2, 5, 100])
def test_iter_events_when_read_in_chunks_yields_each_event_once(
    journal: Journal, chunk: int
) -> None:
    journal.append_many([st.submitted(f"C{i}", at=i * 86400 // 3) for i in range(5)])

    seqs = [seq for seq, _e in journal.iter_events(chunk=chunk)]
    day_one = [seq for seq, _e in journal.iter_events(day="2026-11-25", chunk=chunk)]

    assert seqs == [1, 2, 3, 4, 5]
    assert day_one == [1, 2]  # at 0 s and 8 h; the third is past midnight CST


def test_append_when_state_change_updates_projections_in_same_transaction(journal: Journal) -> None:
    state = new_state()
    events: list[OrderEvent] = [
        st.submitted(),
        st.accepted(broker="B1", exch="E1"),
        st.filled(trade="T1", qty=400, px="10.00"),
    ]

    journal.append_many([state.apply(e) for e in events])

    [order] = journal.rows("orders")
    [fill] = journal.rows("fills")
    [position] = journal.rows("positions")
    [cash] = journal.rows("cash")
    assert (order["status"], order["filled_qty"], order["broker_order_id"]) == (
        "PARTIALLY_FILLED",
        400,
        "B1",
    )
    assert (fill["trade_id"], fill["qty"], fill["fee"]) == ("T1", 400, "4.00")
    assert (position["total"], position["bought_today"]) == (400, 400)
    assert Decimal(cash["frozen"]) == Decimal("6006.00")
    assert journal.client_order_id_for(st.ACC, exchange_order_id="E1") == "C1"
    assert journal.client_order_id_for(st.ACC, broker_order_id="B1") == "C1"


def test_append_when_duplicate_fill_change_writes_no_second_fill_row(journal: Journal) -> None:
    state = new_state()
    journal.append(state.apply(st.submitted()))
    journal.append(state.apply(st.filled(trade="T1", qty=100)))

    journal.append(state.apply(st.filled(trade="T1", qty=100)))

    assert len(journal.rows("fills")) == 1


@pytest.mark.parametrize(("mode", "level"), [(Durability.DURABLE, 2), (Durability.FAST, 1)])
def test_open_when_durability_given_sets_wal_and_synchronous(
    tmp_path: Path, mode: Durability, level: int
) -> None:
    with Journal.open(tmp_path / "j.db", durability=mode) as j:
        assert j._conn.execute("PRAGMA synchronous").fetchone()[0] == level
        assert j._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_append_async_when_concurrent_shares_commits(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.db", durability="durable")
    writes = 0
    real_commit = journal._commit

    def counting_commit() -> None:
        nonlocal writes
        writes += 1
        real_commit()

    journal._commit = counting_commit  # type: ignore[method-assign]

    seqs = await asyncio.gather(*(journal.append_async(st.submitted(f"C{i}")) for i in range(50)))
    await journal.aclose()

    assert sorted(seqs) == list(range(1, 51))
    assert writes < 50
    with Journal.open(tmp_path / "j.db") as again:
        assert len(list(again.iter_events())) == 50


@pytest.mark.parametrize(("durability", "writer_thread"), [("fast", False), ("durable", True)])
async def test_append_async_when_mode_given_commits_on_the_writer_thread_only_if_durable(
    tmp_path: Path, durability: str, writer_thread: bool
) -> None:
    journal = Journal.open(tmp_path / "j.db", durability=durability)
    staged: list[str] = []
    committed: list[str] = []
    real_stage, real_commit = journal._stage, journal._commit

    def recording_stage(batch: Any) -> None:
        staged.append(threading.current_thread().name)
        real_stage(batch)

    def recording_commit() -> None:
        committed.append(threading.current_thread().name)
        real_commit()

    journal._stage = recording_stage  # type: ignore[method-assign]
    journal._commit = recording_commit  # type: ignore[method-assign]

    seqs = await asyncio.gather(*(journal.append_async(st.submitted(f"C{i}")) for i in range(20)))
    await journal.aclose()

    assert sorted(seqs) == list(range(1, 21))
    # Rows are written on the loop in both modes; only a durable COMMIT (the fsync) is not.
    assert staged
    assert set(staged) == {threading.main_thread().name}
    assert committed
    assert all(name.startswith("journal") for name in committed) is writer_thread
    assert (threading.main_thread().name in committed) is not writer_thread
    with Journal.open(tmp_path / "j.db") as again:
        assert [seq for seq, _e in again.iter_events()] == list(range(1, 21))


async def test_append_async_when_order_moves_on_before_commit_journals_state_at_call(
    tmp_path: Path,
) -> None:
    journal = Journal.open(tmp_path / "j.db", durability="fast", group_window=0.01)
    state = new_state()
    pending = asyncio.ensure_future(journal.append_async(state.apply(st.submitted())))
    await asyncio.sleep(0)
    state.apply(st.accepted())  # mutates the order while its first row waits for the commit

    await pending
    [order] = journal.rows("orders")
    await journal.aclose()

    assert order["status"] == "PENDING_NEW"


def test_open_when_file_is_not_a_database_raises_journal_error(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    path.write_bytes(b"this is not sqlite" * 100)

    with pytest.raises(JournalError, match="cannot be opened"):
        Journal.open(path)


def test_open_when_path_is_a_directory_raises_journal_error(tmp_path: Path) -> None:
    with pytest.raises(JournalError):
        Journal.open(tmp_path)


def test_append_when_write_fails_raises_and_refuses_later_writes(journal: Journal) -> None:
    journal._conn.execute("PRAGMA query_only=ON")

    with pytest.raises(JournalError, match="write failed"):
        journal.append(st.submitted())
    journal._conn.execute("PRAGMA query_only=OFF")

    assert journal.failed is not None
    with pytest.raises(JournalError):
        journal.append(st.submitted("C2"))


async def test_append_async_when_write_fails_raises_journal_error(journal: Journal) -> None:
    journal._conn.execute("PRAGMA query_only=ON")

    with pytest.raises(JournalError):
        await journal.append_async(st.submitted())
    await journal.flush()


class _FailingConnection:
    """The journal's connection, with statements starting with ``fail`` raising."""

    def __init__(self, conn: sqlite3.Connection, fail: str) -> None:
        self._conn, self._fail = conn, fail

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.startswith(self._fail):
            raise sqlite3.OperationalError("disk I/O error")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@pytest.mark.parametrize("failing", ["INSERT INTO events", "COMMIT"])
async def test_append_async_when_durable_write_fails_on_either_thread_stops_the_journal(
    tmp_path: Path, failing: str
) -> None:
    journal = Journal.open(tmp_path / "j.db", durability="durable")
    journal.append(st.submitted("C0"))
    real = journal._conn
    journal._conn = _FailingConnection(real, failing)  # type: ignore[assignment]

    results = await asyncio.gather(
        *(journal.append_async(st.submitted(f"C{i}")) for i in range(1, 6)),
        return_exceptions=True,
    )

    assert all(isinstance(r, JournalError) for r in results)
    assert journal.failed is not None
    assert not journal._lock.locked()  # released by whichever thread failed
    with pytest.raises(JournalError):
        await journal.append_async(st.submitted("C9"))
    journal._conn = real
    journal.close()
    with Journal.open(tmp_path / "j.db") as again:
        assert [e.client_order_id for _s, e in again.iter_events()] == ["C0"]


async def test_append_async_when_writer_thread_is_gone_commits_on_the_loop(
    tmp_path: Path,
) -> None:
    journal = Journal.open(tmp_path / "j.db", durability="durable")
    await journal.append_async(st.submitted("C1"))
    assert journal._executor is not None
    journal._executor.shutdown()  # as while closing

    seq = await journal.append_async(st.submitted("C2"))

    assert seq == 2
    assert not journal._lock.locked()
    journal._executor = None
    journal.close()
    with Journal.open(tmp_path / "j.db") as again:
        assert [e.client_order_id for _s, e in again.iter_events()] == ["C1", "C2"]


def test_iter_events_when_payload_corrupt_raises_journal_error(journal: Journal) -> None:
    journal.append(st.submitted())
    journal._conn.execute("UPDATE events SET payload = '{broken'")

    with pytest.raises(JournalError, match="cannot decode"):
        list(journal.iter_events())


def test_state_when_set_and_deleted_round_trips(journal: Journal) -> None:
    journal.set_state("risk.kill_switch", "HALTED")
    journal.set_state("risk.protect.600000.SH", "{}")
    journal.set_state("other", "x")

    assert journal.get_state("risk.kill_switch") == "HALTED"
    assert set(journal.state_items("risk.")) == {"risk.kill_switch", "risk.protect.600000.SH"}
    journal.delete_state("risk.kill_switch")
    assert journal.get_state("risk.kill_switch", "ACTIVE") == "ACTIVE"


def test_surrogate_when_requested_twice_is_stable_and_unique(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j.db", durability="fast") as j:
        a = j.surrogate_for(st.ACC, "C1")
        b = j.surrogate_for(st.ACC, "C2")
        assert j.surrogate_for(st.ACC, "C1") == a
    with Journal.open(tmp_path / "j.db", durability="fast") as j:
        assert j.surrogate_for(st.ACC, "C2") == b
        assert j.client_order_id_for(st.ACC, surrogate=a) == "C1"
    assert a != b


def test_rows_when_table_not_a_projection_raises(journal: Journal) -> None:
    with pytest.raises(ValueError, match="projection"):
        journal.rows("events; DROP TABLE events")


def test_ledger_snapshot_when_journaled_records_cash_projection(journal: Journal) -> None:
    state = new_state()
    report = CashReport(account_id=st.ACC, available=Decimal("5000"), frozen=Decimal(0))
    changes = state.apply_broker_snapshot(st.ACC, [], report, st.ts())

    journal.append_many(changes)

    [cash] = journal.rows("cash")
    assert Decimal(cash["available"]) == Decimal("5000")
    assert state.ledger.cash(st.ACC).available == Decimal("5000")


async def test_stage_states_when_orders_pending_share_one_commit(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "j.db", durability="durable")
    writes = 0
    real_commit = journal._commit

    def counting_commit() -> None:
        nonlocal writes
        writes += 1
        real_commit()

    journal._commit = counting_commit  # type: ignore[method-assign]

    staged = journal.stage_states({"k/1": "a", "k/2": "b"})
    dropped = journal.stage_states({"k/2": "c"})  # nobody awaits this one: still written
    await asyncio.gather(journal.append_async(st.submitted("C1")), staged)
    await journal.aclose()

    assert dropped.done()
    assert writes == 1
    with Journal.open(tmp_path / "j.db") as again:
        assert (again.get_state("k/1"), again.get_state("k/2")) == ("a", "c")
        assert [seq for seq, _e in again.iter_events()] == [1]


async def test_stage_states_when_journal_failed_raises_and_pending_stage_fails(
    journal: Journal,
) -> None:
    journal._conn.execute("PRAGMA query_only=ON")
    staged = journal.stage_states({"k": "v"})
    with pytest.raises(JournalError):
        await staged
    with pytest.raises(JournalError):
        journal.stage_states({"k": "w"})
