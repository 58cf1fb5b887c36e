"""The simulator's own durable state, kept apart from the gateway's journal.

Like a real broker counter, the simulated venue remembers accounts, orders, fills and its id
counters across restarts of the process. Every change is committed **before** the reports
describing it are emitted, so a gateway killed at any point finds on restart what a real
broker would show. :class:`MemoryStore` keeps nothing (fast tests).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ashare_exec.venues.sim.accounts import Account
from ashare_exec.venues.sim.state import (
    SimFill,
    SimOrder,
    account_from_json,
    account_to_json,
)

__all__ = ["Loaded", "MemoryStore", "SimStore", "SqliteStore", "open_store"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (account_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    account_id TEXT NOT NULL, client_order_id TEXT NOT NULL, day TEXT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (account_id, client_order_id, day));
CREATE TABLE IF NOT EXISTS fills (trade_id TEXT PRIMARY KEY, day TEXT NOT NULL, data TEXT NOT NULL);
"""


@dataclass(slots=True)
class Loaded:
    """What a store held at start-up."""

    meta: dict[str, str] = field(default_factory=dict)
    accounts: list[Account] = field(default_factory=list)
    orders: list[SimOrder] = field(default_factory=list)
    fills: list[SimFill] = field(default_factory=list)


class SimStore(Protocol):
    """Durable state of the simulator."""

    def load(self) -> Loaded:
        """Everything stored (empty for a new store)."""
        ...

    def commit(
        self,
        meta: dict[str, str],
        accounts: Iterable[Account],
        orders: Iterable[SimOrder],
        fills: Iterable[SimFill],
    ) -> None:
        """Write the changed records in one transaction."""
        ...

    def close(self) -> None:
        """Release the file."""
        ...


class MemoryStore:
    """Keeps nothing: the state lives only in the simulator's memory."""

    def load(self) -> Loaded:
        """Return an empty state."""
        return Loaded()

    def commit(
        self,
        meta: dict[str, str],
        accounts: Iterable[Account],
        orders: Iterable[SimOrder],
        fills: Iterable[SimFill],
    ) -> None:
        """Do nothing."""

    def close(self) -> None:
        """Do nothing."""


class SqliteStore:
    """SQLite (WAL, synchronous=FULL) file holding the venue's state."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def load(self) -> Loaded:
        """Read every record."""
        db = self._db
        out = Loaded()
        out.meta = dict(db.execute("SELECT key, value FROM meta"))
        out.accounts = [
            account_from_json(_j(r[0])) for r in db.execute("SELECT data FROM accounts")
        ]
        out.orders = [SimOrder.from_json(_j(r[0])) for r in db.execute("SELECT data FROM orders")]
        out.fills = [
            SimFill.from_json(_j(r[0])) for r in db.execute("SELECT data FROM fills ORDER BY rowid")
        ]
        return out

    def commit(
        self,
        meta: dict[str, str],
        accounts: Iterable[Account],
        orders: Iterable[SimOrder],
        fills: Iterable[SimFill],
    ) -> None:
        """Upsert the changed records in one transaction."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
            db.executemany(
                "INSERT OR REPLACE INTO accounts VALUES (?, ?)",
                [(a.account_id, json.dumps(account_to_json(a))) for a in accounts],
            )
            db.executemany(
                "INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?)",
                [
                    (o.account_id, o.client_order_id, o.day.isoformat(), json.dumps(o.to_json()))
                    for o in orders
                ],
            )
            db.executemany(
                "INSERT OR REPLACE INTO fills VALUES (?, ?, ?)",
                [(f.trade_id, f.day.isoformat(), json.dumps(f.to_json())) for f in fills],
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()


def open_store(path: Path | None) -> SimStore:
    """A :class:`SqliteStore` at ``path``, or a :class:`MemoryStore` when ``path`` is None."""
    return MemoryStore() if path is None else SqliteStore(path)


def _j(text: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(text)
    return data
