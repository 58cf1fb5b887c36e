"""QMT: the id mapping is durable before an order leaves, without a commit of its own."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from ashare_exec.errors import BrokerUnavailable
from ashare_exec.model import ClientOrderId, OrderAccepted
from ashare_exec.testing.miniqmt import MiniQmt
from ashare_exec.venues.qmt import QmtAdapter
from ashare_exec.venues.qmt.book import AccountBook, OrderRecord
from ashare_exec.venues.qmt.store import KeyValueIdStore, QmtOrderIds
from tests.venues.qmt.conftest import A1, Harness, eventually, make_config, spec
from tests.venues.test_idstore import DelayedCommits


async def test_submit_when_ids_staged_sends_only_after_their_commit(
    terminal: MiniQmt, clock: object
) -> None:
    kv = DelayedCommits()
    store = KeyValueIdStore(kv.table.get, kv.put, "2026-11-25", stage=kv.stage)
    adapter = QmtAdapter(make_config(), clock, store=store)  # type: ignore[arg-type]
    h = Harness(terminal, adapter)
    await adapter.connect()
    try:
        sending = asyncio.create_task(adapter.submit(spec("st1")))
        await asyncio.sleep(0.05)
        assert not sending.done()
        assert terminal.orders["A1"] == []  # nothing left before the ids are durable
        kv.commit()
        await asyncio.wait_for(sending, 2)
        await eventually(lambda: bool(h.of(OrderAccepted, "st1")))
        kv.commit()  # the order id and contract number learned meanwhile
        assert kv.puts == 0  # every write rode on a (here simulated) group commit
        saved = KeyValueIdStore(kv.table.get, kv.put, "2026-11-25").load(A1)
        assert [(i.client_order_id, bool(i.order_sysid)) for i in saved] == [("st1", True)]
    finally:
        await adapter.close()


async def test_submit_when_link_drops_while_ids_are_written_sends_nothing(
    terminal: MiniQmt, clock: object
) -> None:
    kv = DelayedCommits()
    store = KeyValueIdStore(kv.table.get, kv.put, "2026-11-25", stage=kv.stage)
    adapter = QmtAdapter(make_config(), clock, store=store)  # type: ignore[arg-type]
    await adapter.connect()
    try:
        sending = asyncio.create_task(adapter.submit(spec("st2")))
        await asyncio.sleep(0.05)
        await adapter.close()
        kv.commit()
        with pytest.raises(BrokerUnavailable):
            await asyncio.wait_for(sending, 2)
        assert terminal.orders["A1"] == []
        assert "st2" not in adapter._books[A1].by_cid
    finally:
        await adapter.close()


def test_account_book_start_day_forgets_earlier_days_and_keeps_orders_of_the_new_one() -> None:
    # An order sent just after midnight, before the engine started the day, stays.
    book = AccountBook(A1)
    old = OrderRecord(A1, ClientOrderId("o1"), "o1.XY", None, None, day=date(2026, 11, 25))
    new = OrderRecord(A1, ClientOrderId("n1"), "n1.XY", None, None, day=date(2026, 11, 26))
    old.order_sysid, new.order_sysid = "S1", "S2"
    for rec, order_id in ((old, 1001), (new, 1002)):
        book.add(rec)
        book.by_order_id[order_id] = rec
    book.seen_trades.add("T1")

    book.start_day(date(2026, 11, 26))

    assert (set(book.by_cid), set(book.by_sysid), book.by_order_id) == ({"n1"}, {"S2"}, {1002: new})
    assert book.find(0, "", "o1.XY") == (None, False)  # the old remark names nothing now
    assert book.seen_trades == {"T1"}  # trade ids are kept while an order of the day is
    book.start_day(date(2026, 11, 27))
    assert (book.by_cid, book.seen_trades) == ({}, set())


def test_key_value_store_start_day_saves_and_loads_under_the_new_day() -> None:
    table: dict[str, str] = {}
    store = KeyValueIdStore(table.get, table.__setitem__, "2026-11-25")
    store.save(
        QmtOrderIds(
            account_id=A1,
            client_order_id=ClientOrderId("o1"),
            remark="o1.XY",
            stock_code="600000.SH",
        )
    )

    store.start_day("2026-11-26")
    store.save(
        QmtOrderIds(
            account_id=A1,
            client_order_id=ClientOrderId("n1"),
            remark="n1.XY",
            stock_code="600000.SH",
        )
    )

    assert [i.client_order_id for i in store.load(A1)] == ["n1"]
    day1 = KeyValueIdStore(table.get, table.__setitem__, "2026-11-25")
    assert [i.client_order_id for i in day1.load(A1)] == ["o1"]
