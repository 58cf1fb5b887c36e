"""Persistence of the id mapping ``client_order_id <-> vt_orderid <-> XTP surrogate``.

vn.py rebuilds orders from server pushes after a restart without our reference, so the
adapter persists the mapping itself: once before sending (with the surrogate) and again when
``send_order`` returns the ``vt_orderid``. The engine implements :class:`VnpyIdStore` on its
journal; :class:`InMemoryVnpyIdStore` is the default for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ashare_exec.model import AccountId, ClientOrderId

__all__ = ["InMemoryVnpyIdStore", "VnpyIdStore", "VnpyOrderIds"]


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
        """Insert or replace the mapping of ``(ids.account_id, ids.client_order_id)``."""
        ...

    def load(self, account_id: AccountId) -> list[VnpyOrderIds]:
        """Return every mapping of the trading day for ``account_id``, in save order."""
        ...


class InMemoryVnpyIdStore:
    """A :class:`VnpyIdStore` in a dict (lost on restart; for tests and demos)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], VnpyOrderIds] = {}

    def save(self, ids: VnpyOrderIds) -> None:
        """Insert or replace a mapping."""
        self._rows[(ids.account_id, ids.client_order_id)] = ids

    def load(self, account_id: AccountId) -> list[VnpyOrderIds]:
        """Return the mappings of one account."""
        return [v for (acc, _), v in self._rows.items() if acc == account_id]
