"""One query per key at a time: callers that come while it runs share its answer.

For looking single orders up in a venue's whole-day listing (QMT has no query by our id):
after a stall, every order that got no answer is looked up at about the same moment, and
each listing of a busy day is tens of thousands of rows to fetch, copy and convert. Shared,
a burst costs one listing. Only for lookups that tolerate an answer a few milliseconds
older than the call: the reconciler's listings are taken afresh, as its re-query compares
lists taken at known moments.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["SharedQuery"]

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class SharedQuery(Generic[K, T]):
    """Run ``query(key)``, or join the run for ``key`` already under way.

    A caller that is cancelled leaves the query running for the others; an error reaches
    every caller of that run; the next call after a run ends starts a new one.
    """

    def __init__(self, query: Callable[[K], Awaitable[T]]) -> None:
        self._query = query
        self._running: dict[K, asyncio.Future[T]] = {}

    async def __call__(self, key: K) -> T:
        run = self._running.get(key)
        if run is None:
            run = asyncio.ensure_future(self._query(key))
            self._running[key] = run
            run.add_done_callback(lambda done: self._ended(key, done))
        return await asyncio.shield(run)

    def _ended(self, key: K, run: asyncio.Future[T]) -> None:
        if self._running.get(key) is run:
            del self._running[key]
        if not run.cancelled():
            run.exception()  # retrieved: a failure every caller left is not "never retrieved"
