"""Persistence of the id mapping ``client_order_id <-> order_remark <-> order_id <-> order_sysid``.

The adapter saves a :class:`QmtOrderIds` at each step (before sending, on the first
``order_id``, on the first ``order_sysid``) so that a crash in between can be reconciled.
The engine implements :class:`QmtIdStore` on its journal; :class:`InMemoryIdStore` is the
default for tests and the emulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ashare_exec.model import AccountId, ClientOrderId

__all__ = ["InMemoryIdStore", "QmtIdStore", "QmtOrderIds"]


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
        """Insert or replace the mapping of ``(ids.account_id, ids.client_order_id)``."""
        ...

    def load(self, account_id: AccountId) -> list[QmtOrderIds]:
        """Return every mapping of the trading day for ``account_id``."""
        ...


class InMemoryIdStore:
    """A :class:`QmtIdStore` in a dict (lost on restart; for tests and demos)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], QmtOrderIds] = {}

    def save(self, ids: QmtOrderIds) -> None:
        """Insert or replace a mapping."""
        self._rows[(ids.account_id, ids.client_order_id)] = ids

    def load(self, account_id: AccountId) -> list[QmtOrderIds]:
        """Return the mappings of one account."""
        return [v for (acc, _), v in self._rows.items() if acc == account_id]
