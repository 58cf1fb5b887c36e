"""QMT: the id mapping is durable before an order leaves, without a commit of its own."""

from __future__ import annotations

import asyncio

import pytest

from ashare_exec.errors import BrokerUnavailable
from ashare_exec.model import OrderAccepted
from ashare_exec.testing.miniqmt import MiniQmt
from ashare_exec.venues.qmt import QmtAdapter
from ashare_exec.venues.qmt.store import KeyValueIdStore
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
