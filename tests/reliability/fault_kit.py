"""The test account, a plain order, and journal faults injected on the journal's own SQLite
connection.

The suite may run as root, for whom file permissions do not apply, so the faults are
SQLite's: ``PRAGMA max_page_count`` for a full disk, ``PRAGMA query_only`` for a read-only
journal, and a second connection holding ``BEGIN EXCLUSIVE`` for a locked database. Each
injector returns how to lift its fault from the running service (the disk has room again,
is writable again, the other process let go); the first two are local to the service's
connection, so a new service on the same folder can write again anyway.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable
from decimal import Decimal

from ashare_exec.api.schemas import OrderIn
from ashare_exec.engine.service import ExecutionService
from ashare_exec.model import AccountId

__all__ = ["ACC", "FAULTS", "order_in"]

ACC = AccountId("paper")
"""The one account of the DST and resource-fault services."""


def order_in(n: int, *, marketable: bool) -> OrderIn:
    """A buy of 100 600000.SH with id ``r<n>``: filled at once, or resting below the market."""
    price = Decimal("10.20") if marketable else Decimal("9.80")
    return OrderIn(
        account_id=ACC, symbol="600000.SH", side="BUY", qty=100, price=price,
        client_order_id=f"r{n}",
    )  # fmt: skip


def _journal_conn(svc: ExecutionService) -> sqlite3.Connection:
    conn: sqlite3.Connection = svc.core.journal._conn  # type: ignore[attr-defined]
    return conn


def _on(conn: sqlite3.Connection, sql: str) -> Callable[[], None]:
    """Run ``sql`` on the connection, unless the service closed it (the fault went with it)."""

    def release() -> None:
        with contextlib.suppress(sqlite3.ProgrammingError):
            conn.execute(sql)

    return release


def _fill_disk(svc: ExecutionService) -> Callable[[], None]:
    conn = _journal_conn(svc)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    return _on(conn, "PRAGMA max_page_count = 1073741823")


def _read_only(svc: ExecutionService) -> Callable[[], None]:
    conn = _journal_conn(svc)
    conn.execute("PRAGMA query_only = ON")
    return _on(conn, "PRAGMA query_only = OFF")


def _locked(svc: ExecutionService) -> Callable[[], None]:
    _journal_conn(svc).execute("PRAGMA busy_timeout = 50")  # fail fast instead of after 5 s
    path = svc.core.journal.path  # type: ignore[attr-defined]
    other = sqlite3.connect(str(path), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")

    def release() -> None:
        other.execute("ROLLBACK")
        other.close()

    return release


FAULTS: dict[str, Callable[[ExecutionService], Callable[[], None]]] = {
    "disk-full": _fill_disk,
    "read-only": _read_only,
    "locked": _locked,
}
