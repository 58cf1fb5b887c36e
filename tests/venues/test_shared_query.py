"""``venues/shared_query.py``: one query per key at a time, shared by the callers meanwhile."""

from __future__ import annotations

import asyncio

import pytest

from ashare_exec.errors import BrokerTimeout
from ashare_exec.venues.shared_query import SharedQuery


class Venue:
    """Counts the queries; each waits for :attr:`gate` and answers with its number."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.gate = asyncio.Event()
        self.fail = False

    async def query(self, key: str) -> tuple[str, int]:
        self.calls.append(key)
        n = len(self.calls)
        await self.gate.wait()
        if self.fail:
            raise BrokerTimeout("no answer")
        return key, n


async def test_shared_query_when_callers_overlap_one_query_answers_them_all() -> None:
    venue = Venue()
    shared = SharedQuery(venue.query)
    callers = [asyncio.ensure_future(shared("A")) for _ in range(50)]
    other = asyncio.ensure_future(shared("B"))
    await asyncio.sleep(0)
    venue.gate.set()
    assert {await c for c in callers} == {("A", 1)}
    assert await other == ("B", 2)
    assert venue.calls == ["A", "B"]


async def test_shared_query_when_the_run_ended_the_next_call_asks_afresh() -> None:
    venue = Venue()
    venue.gate.set()
    shared = SharedQuery(venue.query)
    assert await shared("A") == ("A", 1)
    assert await shared("A") == ("A", 2)


async def test_shared_query_when_it_fails_every_caller_gets_the_error_then_retries() -> None:
    venue = Venue()
    venue.fail = True
    shared = SharedQuery(venue.query)
    callers = [asyncio.ensure_future(shared("A")) for _ in range(3)]
    await asyncio.sleep(0)
    venue.gate.set()
    results = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(r, BrokerTimeout) for r in results)
    venue.fail = False
    assert await shared("A") == ("A", 2)


async def test_shared_query_when_a_caller_is_cancelled_the_others_still_get_the_answer() -> None:
    venue = Venue()
    shared = SharedQuery(venue.query)
    first = asyncio.ensure_future(shared("A"))
    second = asyncio.ensure_future(shared("A"))
    await asyncio.sleep(0)
    first.cancel()
    await asyncio.sleep(0)
    venue.gate.set()
    assert await second == ("A", 1)
    with pytest.raises(asyncio.CancelledError):
        await first
