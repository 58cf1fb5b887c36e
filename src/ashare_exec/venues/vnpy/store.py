"""Persistence of the id mapping ``client_order_id <-> vt_orderid <-> XTP surrogate``.

vn.py rebuilds orders from server pushes after a restart without our reference, so the
adapter persists the mapping itself: once before sending (with the surrogate) and again when
``send_order`` returns the ``vt_orderid``. The engine implements :class:`VnpyIdStore` on its
journal; :class:`InMemoryVnpyIdStore` is the default for tests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Protocol

from ashare_exec.model import AccountId, ClientOrderId
from ashare_exec.venues.idstore import DayRecords, Stage

__all__ = ["InMemoryVnpyIdStore", "KeyValueVnpyIdStore", "VnpyIdStore", "VnpyOrderIds"]


@dataclass(frozen=True, slots=True, kw_only=True)
class VnpyOrderIds:
    """Everything that identifies one of our orders at a vn.py gateway.

    ``surrogate`` is XTP's 32-bit ``order_client_id`` (0 for other gateways); ``vt_orderid``
    is empty until ``send_order`` returned.
    """

    account_id: AccountId
    client_order_id: ClientOrderId
    surrogate: int
    vt_orderid: str = ""


class VnpyIdStore(Protocol):
    """Where the adapter persists :class:`VnpyOrderIds` (the engine's journal in production)."""

    def save(self, ids: VnpyOrderIds) -> None:
        """Insert or replace the mapping of ``(ids.account_id, ids.client_order_id)``; it
        may become durable a little later (with the journal's next commit)."""
        ...

    async def persist(self, ids: VnpyOrderIds) -> None:
        """Like :meth:`save`, returning once the mapping is durable (before an order leaves)."""
        ...

    def load(self, account_id: AccountId) -> list[VnpyOrderIds]:
        """Return every mapping of the trading day for ``account_id``, in save order."""
        ...

    def start_day(self, trading_day: str) -> None:
        """From now on, save and load the mappings of ``trading_day`` (ISO date): the
        service runs on into a new trading day."""
        ...


class InMemoryVnpyIdStore:
    """A :class:`VnpyIdStore` in a dict (lost on restart; for tests and demos)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], VnpyOrderIds] = {}

    def save(self, ids: VnpyOrderIds) -> None:
        """Insert or replace a mapping."""
        self._rows[(ids.account_id, ids.client_order_id)] = ids

    async def persist(self, ids: VnpyOrderIds) -> None:
        """Insert or replace a mapping."""
        self.save(ids)

    def load(self, account_id: AccountId) -> list[VnpyOrderIds]:
        """Return the mappings of one account."""
        return [v for (acc, _), v in self._rows.items() if acc == account_id]

    def start_day(self, trading_day: str) -> None:
        """Forget the earlier day's mappings."""
        self._rows.clear()


class KeyValueVnpyIdStore:
    """A :class:`VnpyIdStore` over the journal's key/value table:
    ``KeyValueVnpyIdStore(j.get_state, j.set_state, "2026-11-25", stage=j.stage_states)``.

    Layout and write path: :class:`~ashare_exec.venues.idstore.DayRecords` (keys scoped by
    trading day, so yesterday's mappings and surrogate numbers are never loaded).
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
        self._records = DayRecords(get, put, f"vnpy.ids/{trading_day}", stage)

    def start_day(self, trading_day: str) -> None:
        """Save and load under ``trading_day`` from now on (a restart loads that day's)."""
        get, put, stage = self._args
        self._records = DayRecords(get, put, f"vnpy.ids/{trading_day}", stage)

    def _rows(self, ids: VnpyOrderIds) -> dict[str, str]:
        record = json.dumps(asdict(ids), sort_keys=True)
        return self._records.rows(ids.account_id, ids.client_order_id, record)

    def save(self, ids: VnpyOrderIds) -> None:
        """Write the mapping (and index a new client id); durable with the next commit."""
        self._records.write(self._rows(ids))

    async def persist(self, ids: VnpyOrderIds) -> None:
        """Write the mapping and return once it is durable."""
        await self._records.write_durably(self._rows(ids))

    def load(self, account_id: AccountId) -> list[VnpyOrderIds]:
        """Read every mapping of the day for ``account_id``, in first-save order."""
        out = []
        for raw in self._records.records(account_id):
            data = json.loads(raw)
            out.append(VnpyOrderIds(
                account_id=AccountId(data["account_id"]),
                client_order_id=ClientOrderId(data["client_order_id"]),
                surrogate=int(data["surrogate"]), vt_orderid=str(data["vt_orderid"]),
            ))  # fmt: skip
        return out
