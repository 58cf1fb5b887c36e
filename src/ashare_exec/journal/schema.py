"""The journal's schema, its version, and forward-only migrations.

Before migrating an existing journal, a consistent copy is written next to it
(``<name>.v<old>.bak``). A journal whose version is newer than this release knows is
refused with a clear message, so rolling back a release never corrupts it.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Final

from ashare_exec.errors import JournalError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Durability", "Migration", "migrate"]


class Durability(StrEnum):
    """How hard a commit tries to reach the disk (see :mod:`ashare_exec.journal.sqlite`)."""

    DURABLE = "durable"
    FAST = "fast"


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: the version it produces and the statements that produce it."""

    version: int
    description: str
    statements: tuple[str, ...]


_V1: Final = (
    """CREATE TABLE events (
        seq INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,
        day TEXT NOT NULL,
        account TEXT NOT NULL,
        client_order_id TEXT,
        type TEXT NOT NULL,
        payload TEXT NOT NULL
    )""",
    "CREATE INDEX events_day ON events(day, seq)",
    "CREATE INDEX events_order ON events(account, client_order_id, seq)",
    """CREATE TABLE orders (
        account TEXT NOT NULL,
        client_order_id TEXT NOT NULL,
        day TEXT NOT NULL,
        instrument TEXT NOT NULL,
        side TEXT NOT NULL,
        qty INTEGER NOT NULL,
        price_type TEXT NOT NULL,
        price TEXT,
        status TEXT NOT NULL,
        filled_qty INTEGER NOT NULL,
        avg_px TEXT,
        broker_order_id TEXT,
        exchange_order_id TEXT,
        strategy_id TEXT,
        external INTEGER NOT NULL,
        reasons TEXT NOT NULL,
        ts_created TEXT NOT NULL,
        ts_updated TEXT NOT NULL,
        last_seq INTEGER NOT NULL,
        PRIMARY KEY (account, client_order_id)
    )""",
    "CREATE INDEX orders_day ON orders(day)",
    """CREATE TABLE fills (
        account TEXT NOT NULL,
        client_order_id TEXT NOT NULL,
        trade_id TEXT NOT NULL,
        day TEXT NOT NULL,
        instrument TEXT NOT NULL,
        side TEXT NOT NULL,
        qty INTEGER NOT NULL,
        px TEXT NOT NULL,
        fee TEXT,
        ts TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (account, client_order_id, trade_id)
    )""",
    "CREATE INDEX fills_day ON fills(day)",
    """CREATE TABLE positions (
        account TEXT NOT NULL,
        instrument TEXT NOT NULL,
        total INTEGER NOT NULL,
        sellable INTEGER NOT NULL,
        frozen INTEGER NOT NULL,
        bought_today INTEGER NOT NULL,
        avg_cost TEXT NOT NULL,
        realised_pnl TEXT NOT NULL,
        fees TEXT NOT NULL,
        last_seq INTEGER NOT NULL,
        PRIMARY KEY (account, instrument)
    )""",
    """CREATE TABLE cash (
        account TEXT PRIMARY KEY,
        available TEXT NOT NULL,
        frozen TEXT NOT NULL,
        fees_paid TEXT NOT NULL,
        last_seq INTEGER NOT NULL
    )""",
    """CREATE TABLE state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE id_map (
        account TEXT NOT NULL,
        client_order_id TEXT NOT NULL,
        surrogate INTEGER UNIQUE,
        broker_order_id TEXT,
        exchange_order_id TEXT,
        PRIMARY KEY (account, client_order_id)
    )""",
    "CREATE INDEX id_map_broker ON id_map(account, broker_order_id)",
)

_V2: Final = (
    # Everything needed to rebuild an order exactly from its row (fast recovery).
    "ALTER TABLE orders ADD COLUMN protection_price TEXT",
    "ALTER TABLE orders ADD COLUMN time_in_force TEXT",
    "ALTER TABLE orders ADD COLUMN previous_status TEXT",
    "ALTER TABLE orders ADD COLUMN message TEXT",
    "ALTER TABLE orders ADD COLUMN venue_filled_qty INTEGER",
    "ALTER TABLE orders ADD COLUMN created_seq INTEGER",
    "ALTER TABLE orders ADD COLUMN done_seq INTEGER",
    "CREATE INDEX orders_done ON orders(done_seq)",
    # One row per journaled fill, keyed by its event: a client id reused on a later day
    # may meet a trade id seen before (venues number trades per day).
    """CREATE TABLE fills_v2 (
        seq INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        client_order_id TEXT NOT NULL,
        trade_id TEXT NOT NULL,
        day TEXT NOT NULL,
        instrument TEXT NOT NULL,
        side TEXT NOT NULL,
        qty INTEGER NOT NULL,
        px TEXT NOT NULL,
        fee TEXT,
        ts TEXT NOT NULL,
        venue_fee TEXT
    )""",
    "INSERT INTO fills_v2(seq, account, client_order_id, trade_id, day, instrument, side, qty, "
    "px, fee, ts) SELECT seq, account, client_order_id, trade_id, day, instrument, side, qty, "
    "px, fee, ts FROM fills",
    "DROP TABLE fills",
    "ALTER TABLE fills_v2 RENAME TO fills",
    "CREATE INDEX fills_day ON fills(day)",
    "CREATE INDEX fills_order ON fills(account, client_order_id)",
    """CREATE TABLE ledger_days (
        account TEXT PRIMARY KEY,
        day TEXT NOT NULL,
        roll_seq INTEGER NOT NULL,
        last_seq INTEGER NOT NULL
    )""",
    # Rows written before this version lack the new columns: recovery replays the whole
    # journal while any event predates the complete projections.
    "CREATE TABLE projection_base (seq INTEGER NOT NULL)",
    "INSERT INTO projection_base SELECT COALESCE(MAX(seq), 0) FROM events",
)

MIGRATIONS: Final[tuple[Migration, ...]] = (
    Migration(1, "events, projections, state, id map", _V1),
    Migration(2, "complete order projections, ledger days (fast recovery)", _V2),
)
SCHEMA_VERSION: Final = MIGRATIONS[-1].version
"""The schema version this release writes."""


def _current_version(conn: sqlite3.Connection) -> int:
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _backup(conn: sqlite3.Connection, path: Path, version: int) -> Path:
    dest = path.with_name(f"{path.name}.v{version}.bak")
    n = 1
    while dest.exists():
        n += 1
        dest = path.with_name(f"{path.name}.v{version}.{n}.bak")
    target = sqlite3.connect(dest)
    try:
        conn.backup(target)
    finally:
        target.close()
    return dest


def migrate(
    conn: sqlite3.Connection, path: Path, migrations: tuple[Migration, ...] = MIGRATIONS
) -> tuple[int, Path | None]:
    """Bring the journal at ``path`` to the latest version of ``migrations``.

    Returns:
        ``(version, backup path or None)``.

    Raises:
        JournalError: the journal is newer than ``migrations`` know, or a step failed.
    """
    latest = migrations[-1].version
    current = _current_version(conn)
    if current > latest:
        raise JournalError(
            f"journal {path} has schema version {current}, newer than this release supports "
            f"({latest}); run the newer ashare-exec release or restore the backup made before "
            "the upgrade",
            context={"path": str(path), "version": current, "supported": latest},
        )
    if current == latest:
        return current, None
    backup = _backup(conn, path, current) if current > 0 else None
    for step in migrations:
        if step.version <= current:
            continue
        try:
            conn.execute("BEGIN IMMEDIATE")
            for statement in step.statements:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version(version) VALUES (?)", (step.version,))
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            conn.execute("ROLLBACK")
            raise JournalError(
                f"journal migration to version {step.version} failed: {e}; "
                f"the journal is unchanged at version {current}"
                + (f", backup at {backup}" if backup else ""),
                context={"path": str(path)},
            ) from e
        current = step.version
    return current, backup
