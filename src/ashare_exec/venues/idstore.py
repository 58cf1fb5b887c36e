"""A day-scoped record store over the journal's key/value ``state`` table, shared by the
QMT and vn.py adapters for their id mappings.

Layout (unchanged since the adapters first wrote it): one JSON record per order under
``<prefix>/<account>/<client order id>``, and the client ids in first-save order in buckets
``<prefix>/<account>/#<n>`` of :attr:`DayRecords.BUCKET`, counted by ``#count``. Each save
writes O(1) rows.

Writes go through ``stage`` when given (the journal's :meth:`~ashare_exec.journal.sqlite.
Journal.stage_states`): they ride on the next group commit instead of committing — and, in
durable mode, fsyncing — on their own on the event loop, which cost five fsyncs per QMT
order. :meth:`DayRecords.write_durably` waits for that commit (the mapping an adapter needs
before an order leaves); :meth:`DayRecords.write` does not wait. Without ``stage`` every
row is written at once with ``put``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

__all__ = ["DayRecords", "Stage"]

Stage = Callable[[dict[str, str]], "asyncio.Future[Any]"]
"""Start writing key/values with the next group commit; the future completes once they are
committed (a plain function that returns a future, not a coroutine function: a write that
nobody awaits must still happen)."""


class DayRecords:
    """JSON records keyed by (account, client order id), indexed in first-save order.

    Args:
        get: read one key (``None`` when absent).
        put: write one key at once.
        prefix: key prefix including the trading day, e.g. ``"qmt.ids/2026-11-25"``.
        stage: write several keys with the next group commit (see the module doc).
    """

    BUCKET = 256

    def __init__(
        self,
        get: Callable[[str], str | None],
        put: Callable[[str, str], None],
        prefix: str,
        stage: Stage | None = None,
    ) -> None:
        self._get = get
        self._put = put
        self._stage = stage
        self.prefix = prefix
        # The index lives in memory once read: staged rows are not readable before their
        # commit, and a membership test must not scan a day's worth of ids.
        self._order: dict[str, list[str]] = {}
        self._known: dict[str, set[str]] = {}

    def client_ids(self, account_id: str) -> list[str]:
        """Client ids of the day for ``account_id``, in first-save order."""
        order = self._order.get(account_id)
        if order is None:
            base = f"{self.prefix}/{account_id}"
            count = int(self._get(f"{base}/#count") or 0)
            order = []
            for bucket in range((count + self.BUCKET - 1) // self.BUCKET):
                order += [c for c in (self._get(f"{base}/#{bucket}") or "").split("\n") if c]
            self._order[account_id] = order
            self._known[account_id] = set(order)
        return order

    def rows(self, account_id: str, client_order_id: str, record: str) -> dict[str, str]:
        """The rows that save ``record`` (and index a new client id); updates the index."""
        base = f"{self.prefix}/{account_id}"
        out = {f"{base}/{client_order_id}": record}
        order = self.client_ids(account_id)
        known = self._known[account_id]
        if client_order_id not in known:
            known.add(client_order_id)
            order.append(client_order_id)
            first = (len(order) - 1) // self.BUCKET * self.BUCKET
            out[f"{base}/#{first // self.BUCKET}"] = "\n".join(order[first:]) + "\n"
            out[f"{base}/#count"] = str(len(order))
        return out

    def write(self, rows: dict[str, str]) -> None:
        """Write ``rows``: staged with the next commit (not awaited), or at once."""
        if self._stage is not None:
            self._stage(rows)
            return
        for key, value in rows.items():
            self._put(key, value)

    async def write_durably(self, rows: dict[str, str]) -> None:
        """Write ``rows`` and return once they are committed."""
        if self._stage is not None:
            await self._stage(rows)
            return
        for key, value in rows.items():
            self._put(key, value)

    def records(self, account_id: str) -> list[str]:
        """The stored records of ``account_id``, in first-save order."""
        out = []
        for cid in self.client_ids(account_id):
            raw = self._get(f"{self.prefix}/{account_id}/{cid}")
            if raw:
                out.append(raw)
        return out
