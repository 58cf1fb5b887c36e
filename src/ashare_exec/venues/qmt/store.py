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


class KeyValueIdStore:
    """A :class:`QmtIdStore` over string key/value callables, e.g. the journal's
    ``get_state`` / ``set_state``: ``KeyValueIdStore(j.get_state, j.set_state, "2026-11-25")``.

    One key per order, plus an index of client ids in buckets of :attr:`BUCKET` so each save
    writes O(1) data. Keys are scoped by trading day: yesterday's mappings are never loaded.
    """

    BUCKET = 256

    def __init__(
        self,
        get: Callable[[str], str | None],
        put: Callable[[str, str], None],
        trading_day: str,
    ) -> None:
        self._get = get
        self._put = put
        self._prefix = f"qmt.ids/{trading_day}"
        self._known: dict[str, set[str]] = {}

    def _index(self, account_id: str) -> set[str]:
        known = self._known.get(account_id)
        if known is None:
            known = self._known[account_id] = set(self._cids(account_id))
        return known

    def _cids(self, account_id: str) -> list[str]:
        count = int(self._get(f"{self._prefix}/{account_id}/#count") or 0)
        out: list[str] = []
        for bucket in range((count + self.BUCKET - 1) // self.BUCKET):
            raw = self._get(f"{self._prefix}/{account_id}/#{bucket}") or ""
            out += [c for c in raw.split("\n") if c]
        return out

    def save(self, ids: QmtOrderIds) -> None:
        """Write the mapping (and index a new client id)."""
        base = f"{self._prefix}/{ids.account_id}"
        self._put(f"{base}/{ids.client_order_id}", json.dumps(asdict(ids), sort_keys=True))
        known = self._index(ids.account_id)
        if ids.client_order_id in known:
            return
        count = len(known)
        bucket = f"{base}/#{count // self.BUCKET}"
        head = self._get(bucket) or "" if count % self.BUCKET else ""
        self._put(bucket, f"{head}{ids.client_order_id}\n")
        self._put(f"{base}/#count", str(count + 1))
        known.add(ids.client_order_id)

    def load(self, account_id: AccountId) -> list[QmtOrderIds]:
        """Read every mapping of the day for ``account_id``."""
        out = []
        for cid in self._cids(account_id):
            raw = self._get(f"{self._prefix}/{account_id}/{cid}")
            if raw:
                data = json.loads(raw)
                data["account_id"] = AccountId(data["account_id"])
                data["client_order_id"] = ClientOrderId(data["client_order_id"])
                out.append(QmtOrderIds(**data))
        return out
