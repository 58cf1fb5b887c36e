"""Recovery keeps terminal orders cold: built from the journal when first needed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import oms_stubs as st
import pytest
from test_journal_recovery import assert_same_state, fee, is_t0, new_state

from ashare_exec.journal import Journal, projections, replay
from ashare_exec.model import ClientOrderId
from ashare_exec.oms import OmsState


def _journal_of(path: Path, done: int) -> OmsState:
    """``done`` filled orders (D0..), and working ones (W0, W<done/2>) among them."""
    live = new_state()
    with Journal.open(path, durability="fast") as journal:
        for k in range(done):
            if k in (0, done // 2):
                w = f"W{k}"
                journal.append(live.apply(st.submitted(w)))
                journal.append(live.apply(st.accepted(w, broker=f"B{w}")))
            coid = f"D{k}"
            journal.append_many(
                [
                    live.apply(st.submitted(coid, qty=100)),
                    live.apply(st.accepted(coid, broker=f"B{coid}", exch=f"E{coid}")),
                    live.apply(st.filled(coid, f"T{k}", qty=100)),
                ]
            )
    return live


@pytest.mark.parametrize(
    ("done", "scan_from"),
    [(3, 20_000), (200, 20_000), (200, 100)],  # a query per order / by keys / one scan
)
def test_replay_when_orders_terminal_keeps_them_cold_until_listed(
    tmp_path: Path, done: int, scan_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(projections, "_SCAN_THAW", scan_from)
    live = _journal_of(tmp_path / "j.db", done)

    with Journal.open(tmp_path / "j.db") as journal:
        recovered = replay(journal, fee, is_t0=is_t0)
        cold_after_recovery = recovered.book.cold_count
        assert_same_state(recovered.state, live)  # lists every order: builds them all

    assert recovered.method == "projections"
    assert cold_after_recovery == done
    assert recovered.book.cold_count == 0


def test_get_when_journal_closed_builds_cold_order_from_the_file(tmp_path: Path) -> None:
    live = _journal_of(tmp_path / "j.db", 5)
    with Journal.open(tmp_path / "j.db") as journal:
        recovered = replay(journal, fee, is_t0=is_t0)

    order = recovered.book.by_exchange_id(st.ACC, "ED3")  # type: ignore[arg-type]

    assert order == live.book.get(st.ACC, ClientOrderId("D3"))
    assert order is not None
    assert [e.event.client_order_id for e in order.log] == ["D3"] * 3
    assert recovered.book.cold_count == 4


def test_replay_when_fill_row_of_terminal_order_missing_replays_every_event(
    tmp_path: Path,
) -> None:
    path = tmp_path / "j.db"
    live = _journal_of(path, 4)
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM fills WHERE trade_id = 'T2'")
    conn.commit()
    conn.close()

    with Journal.open(path) as journal:
        recovered = replay(journal, fee, is_t0=is_t0)

        assert recovered.method == "replay"
        assert_same_state(recovered.state, live)


def test_newest_orders_listed_after_restart_are_read_by_key_and_equal_the_live_ones(
    tmp_path: Path,
) -> None:
    live = _journal_of(tmp_path / "j.db", 600)
    with Journal.open(tmp_path / "j.db") as journal:
        recovered = replay(journal, fee, is_t0=is_t0)
        reads: list[str] = []
        journal._conn.set_trace_callback(reads.append)

        newest = recovered.book.page(st.ACC, limit=300).orders

    assert newest == live.book.orders(st.ACC)[-300:]
    assert 0 < recovered.book.cold_count < 600  # the oldest stay cold
    assert not any("status IN" in sql for sql in reads)  # no scan of every terminal order


def test_replay_when_orders_terminal_gives_each_cold_order_its_summary(tmp_path: Path) -> None:
    live = _journal_of(tmp_path / "j.db", 4)
    with Journal.open(tmp_path / "j.db") as journal:
        recovered = replay(journal, fee, is_t0=is_t0)

        summaries = {
            str(o.client_order_id): recovered.book.cold(st.ACC, o.client_order_id)
            for o in live.book.orders(st.ACC)
        }

    assert summaries["W0"] is None  # working: built at recovery
    d1 = summaries["D1"]
    assert d1 is not None
    assert (d1.instrument, d1.side, d1.qty, d1.filled_qty) == (str(st.INST), "BUY", 100, 100)
    assert (d1.broker_order_id, d1.exchange_order_id) == ("BD1", "ED1")
