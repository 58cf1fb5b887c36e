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


class KeyValueVnpyIdStore:
    """A :class:`VnpyIdStore` over string key/value callables, e.g. the journal's
    ``get_state`` / ``set_state``: ``KeyValueVnpyIdStore(j.get_state, j.set_state, "2026-11-25")``.

    One key per order, plus an index of client ids in buckets of :attr:`BUCKET` so each save
    writes O(1) data. Keys are scoped by trading day, so yesterday's mappings (and surrogate
    numbers) are never loaded.
    """

    BUCKET = 256

    def __init__(
        self, get: Callable[[str], str | None], put: Callable[[str, str], None], trading_day: str
    ) -> None:
        self._get = get
        self._put = put
        self._prefix = f"vnpy.ids/{trading_day}"
        self._known: dict[str, list[str]] = {}

    def _index(self, account_id: str) -> list[str]:
        known = self._known.get(account_id)
        if known is None:
            base = f"{self._prefix}/{account_id}"
            count = int(self._get(f"{base}/#count") or 0)
            known = []
            for bucket in range((count + self.BUCKET - 1) // self.BUCKET):
                known += [c for c in (self._get(f"{base}/#{bucket}") or "").split("\n") if c]
            self._known[account_id] = known
        return known

    def save(self, ids: VnpyOrderIds) -> None:
        """Write the mapping (and index a new client id)."""
        base = f"{self._prefix}/{ids.account_id}"
        self._put(f"{base}/{ids.client_order_id}", json.dumps(asdict(ids), sort_keys=True))
        known = self._index(ids.account_id)
        if ids.client_order_id in known:
            return
        known.append(ids.client_order_id)
        first = (len(known) - 1) // self.BUCKET * self.BUCKET
        self._put(f"{base}/#{first // self.BUCKET}", "\n".join(known[first:]))
        self._put(f"{base}/#count", str(len(known)))

    def load(self, account_id: AccountId) -> list[VnpyOrderIds]:
        """Read every mapping of the day for ``account_id``, in first-save order."""
        out = []
        for cid in self._index(account_id):
            raw = self._get(f"{self._prefix}/{account_id}/{cid}")
            if raw:
                data = json.loads(raw)
                out.append(VnpyOrderIds(
                    account_id=AccountId(data["account_id"]),
                    client_order_id=ClientOrderId(data["client_order_id"]),
                    surrogate=int(data["surrogate"]), vt_orderid=str(data["vt_orderid"]),
                ))  # fmt: skip
        return out
