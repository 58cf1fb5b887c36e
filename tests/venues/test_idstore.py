"""The adapters' day-scoped id records over the journal's key/value table."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from ashare_exec.model import AccountId, ClientOrderId
from ashare_exec.venues.idstore import DayRecords
from ashare_exec.venues.qmt.store import KeyValueIdStore, QmtOrderIds
from ashare_exec.venues.vnpy.store import KeyValueVnpyIdStore, VnpyOrderIds


class DelayedCommits:
    """A key/value table whose staged writes land only when :meth:`commit` runs, as with
    the journal's group commit: staged rows are not readable before."""

    def __init__(self) -> None:
        self.table: dict[str, str] = {}
        self.pending: list[tuple[dict[str, str], asyncio.Future[Any]]] = []
        self.puts = 0

    def put(self, key: str, value: str) -> None:
        self.puts += 1
        self.table[key] = value

    def stage(self, rows: dict[str, str]) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.pending.append((dict(rows), future))
        return future

    def commit(self) -> None:
        for rows, future in self.pending:
            self.table.update(rows)
            future.set_result([])
        self.pending.clear()


async def test_records_when_staged_across_buckets_reload_in_first_save_order() -> None:
    kv = DelayedCommits()
    store = KeyValueIdStore(kv.table.get, kv.put, "2026-11-25", stage=kv.stage)
    cids = [f"c{i}" for i in range(600)]
    for n, cid in enumerate(cids):
        ids = QmtOrderIds(
            account_id=AccountId("A1"), client_order_id=ClientOrderId(cid), remark=cid,
            stock_code="600000.SH",
        )  # fmt: skip
        store.save(ids)
        if n % 7 == 0:  # learned later: the same record again, updated
            store.save(dataclasses.replace(ids, order_sysid=f"S{n}"))
        if n % 50 == 0:
            kv.commit()  # some rows land while later ones are still staged
    kv.commit()

    assert kv.puts == 0
    fresh = KeyValueIdStore(kv.table.get, kv.put, "2026-11-25")
    loaded = fresh.load(AccountId("A1"))
    assert [i.client_order_id for i in loaded] == cids
    assert [i.order_sysid for i in loaded[:8]] == ["S0", "", "", "", "", "", "", "S7"]
    buckets = [kv.table[f"qmt.ids/2026-11-25/A1/#{b}"] for b in range(3)]
    assert [len([c for c in b.split("\n") if c]) for b in buckets] == [256, 256, 88]
    assert kv.table["qmt.ids/2026-11-25/A1/#count"] == "600"


async def test_persist_when_staged_returns_only_after_the_commit() -> None:
    kv = DelayedCommits()
    store = KeyValueVnpyIdStore(kv.table.get, kv.put, "d", stage=kv.stage)
    ids = VnpyOrderIds(account_id=AccountId("A"), client_order_id=ClientOrderId("x"), surrogate=7)
    task = asyncio.create_task(store.persist(ids))
    await asyncio.sleep(0.01)
    assert not task.done()
    assert "vnpy.ids/d/A/x" not in kv.table
    kv.commit()
    await asyncio.wait_for(task, 1)
    assert store.load(AccountId("A")) == [ids]


@pytest.mark.parametrize(
    "bucket",
    ["a\nb\nc\n", "a\nb\nc"],  # QMT wrote a newline after each id, vn.py joined them
)
def test_records_when_written_by_either_earlier_layout_load_and_extend(bucket: str) -> None:
    table = {"p/A/#0": bucket, "p/A/#count": "3", **{f"p/A/{c}": c for c in "abc"}}
    records = DayRecords(table.get, table.__setitem__, "p")
    assert records.records("A") == ["a", "b", "c"]
    records.write(records.rows("A", "d", "d"))
    assert DayRecords(table.get, table.__setitem__, "p").records("A") == ["a", "b", "c", "d"]
