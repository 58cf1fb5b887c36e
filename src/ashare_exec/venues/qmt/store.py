"""Persistence of the id mapping ``client_order_id <-> order_remark <-> order_id <-> order_sysid``.

The adapter saves a :class:`QmtOrderIds` at each step (before sending, on the first
``order_id``, on the first ``order_sysid``) so that a crash in between can be reconciled.
The engine implements :class:`QmtIdStore` on its journal; :class:`InMemoryIdStore` is the
default for tests and the emulator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Protocol

from ashare_exec.model import AccountId, ClientOrderId
from ashare_exec.venues.idstore import DayRecords, Stage

__all__ = ["InMemoryIdStore", "KeyValueIdStore", "QmtIdStore", "QmtOrderIds"]


@dataclass(frozen=True, slots=True, kw_only=True)
class QmtOrderIds:
    """Everything that identifies one of our orders at QMT.

    ``order_id`` is a per-connection handle (learned in ``session_id``); ``order_sysid``
    (the counter's contract number) and the remark are the durable keys.
    """

    account_id: AccountId
    client_order_id: ClientOrderId
    remark: str
    stock_code: str
    order_id: int | None = None
    session_id: int | None = None
    order_sysid: str = ""


class QmtIdStore(Protocol):
    """Where the adapter persists :class:`QmtOrderIds` (the engine's journal in production)."""

    def save(self, ids: QmtOrderIds) -> None:
        """Insert or replace the mapping of ``(ids.account_id, ids.client_order_id)``; it
        may become durable a little later (with the journal's next commit)."""
        ...

    async def persist(self, ids: QmtOrderIds) -> None:
        """Like :meth:`save`, returning once the mapping is durable (before an order leaves)."""
        ...

    def load(self, account_id: AccountId) -> list[QmtOrderIds]:
        """Return every mapping of the trading day for ``account_id``."""
        ...

    def start_day(self, trading_day: str) -> None:
        """From now on, save and load the mappings of ``trading_day`` (ISO date): the
        service runs on into a new trading day."""
        ...


class InMemoryIdStore:
    """A :class:`QmtIdStore` in a dict (lost on restart; for tests and demos)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], QmtOrderIds] = {}

    def save(self, ids: QmtOrderIds) -> None:
        """Insert or replace a mapping."""
        self._rows[(ids.account_id, ids.client_order_id)] = ids

    async def persist(self, ids: QmtOrderIds) -> None:
        """Insert or replace a mapping."""
        self.save(ids)

    def load(self, account_id: AccountId) -> list[QmtOrderIds]:
        """Return the mappings of one account."""
        return [v for (acc, _), v in self._rows.items() if acc == account_id]

    def start_day(self, trading_day: str) -> None:
        """Forget the earlier day's mappings."""
        self._rows.clear()


class KeyValueIdStore:
    """A :class:`QmtIdStore` over the journal's key/value table:
    ``KeyValueIdStore(j.get_state, j.set_state, "2026-11-25", stage=j.stage_states)``.

    Layout and write path: :class:`~ashare_exec.venues.idstore.DayRecords` (one row per
    order plus an index in buckets; keys scoped by trading day, so yesterday's mappings are
    never loaded; with ``stage``, writes share the journal's group commits).
    """

    BUCKET = DayRecords.BUCKET

    def __init__(
        self,
        get: Callable[[str], str | None],
        put: Callable[[str, str], None],
        trading_day: str,
        *,
        stage: Stage | None = None,
    ) -> None:
        self._args = (get, put, stage)
        self._records = DayRecords(get, put, f"qmt.ids/{trading_day}", stage)

    def start_day(self, trading_day: str) -> None:
        """Save and load under ``trading_day`` from now on (a restart loads that day's)."""
        get, put, stage = self._args
        self._records = DayRecords(get, put, f"qmt.ids/{trading_day}", stage)

    def _rows(self, ids: QmtOrderIds) -> dict[str, str]:
        record = json.dumps(asdict(ids), sort_keys=True)
        return self._records.rows(ids.account_id, ids.client_order_id, record)

    def save(self, ids: QmtOrderIds) -> None:
        """Write the mapping (and index a new client id); durable with the next commit."""
        self._records.write(self._rows(ids))

    async def persist(self, ids: QmtOrderIds) -> None:
        """Write the mapping and return once it is durable."""
        await self._records.write_durably(self._rows(ids))

    def load(self, account_id: AccountId) -> list[QmtOrderIds]:
        """Read every mapping of the day for ``account_id``."""
        out = []
        for raw in self._records.records(account_id):
            data = json.loads(raw)
            data["account_id"] = AccountId(data["account_id"])
            data["client_order_id"] = ClientOrderId(data["client_order_id"])
            out.append(QmtOrderIds(**data))
        return out
