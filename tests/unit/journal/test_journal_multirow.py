"""Multi-row INSERT statements write exactly what one statement per row writes."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from ashare_exec.journal.multirow import MAX_PARAMS, insert_rows, multi_row_sql
from ashare_exec.journal.rows import SQL_DAY, SQL_IDMAP

SCHEMA = [
    "CREATE TABLE ledger_days (account TEXT PRIMARY KEY, day TEXT, roll_seq INT, last_seq INT)",
    "CREATE TABLE id_map (account TEXT, client_order_id TEXT, broker_order_id TEXT, "
    "exchange_order_id TEXT, PRIMARY KEY (account, client_order_id))",
]


def _db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for sql in SCHEMA:
        conn.execute(sql)
    return conn


def _dump(conn: sqlite3.Connection) -> list[list[Any]]:
    return [
        conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
        for t in ("ledger_days", "id_map")
    ]


def test_multi_row_sql_repeats_the_values_group_and_keeps_the_upsert() -> None:
    sql = multi_row_sql(SQL_IDMAP, 3)

    assert sql.count("(?, ?, ?, ?)") == 3
    assert sql.endswith(SQL_IDMAP[SQL_IDMAP.index(" ON CONFLICT") :])


def test_multi_row_sql_refuses_a_statement_without_one_values_group() -> None:
    with pytest.raises(ValueError, match="not a single-row INSERT"):
        multi_row_sql("UPDATE projection_base SET seq = MAX(seq, ?)", 2)


keys = hs.sampled_from(["A", "B", "C"])
ids = hs.none() | hs.sampled_from(["b1", "b2", "b3"])
days = hs.sampled_from(["2026-11-24", "2026-11-25", "2026-11-26"])


@settings(max_examples=60, deadline=None)
@given(
    idmap=hs.lists(hs.tuples(keys, keys, ids, ids), max_size=40),
    rolls=hs.lists(hs.tuples(keys, days, hs.integers(0, 99), hs.integers(0, 99)), max_size=40),
)
def test_insert_rows_when_keys_repeat_equals_one_statement_per_row(
    idmap: list[tuple[Any, ...]], rolls: list[tuple[Any, ...]]
) -> None:
    # Upserts meet their own earlier rows within one statement: SQLite applies them in order.
    one, many = _db(), _db()
    one.executemany(SQL_IDMAP, idmap)
    one.executemany(SQL_DAY, rolls)
    insert_rows(many, SQL_IDMAP, idmap)
    insert_rows(many, SQL_DAY, rolls)

    assert _dump(many) == _dump(one)


def test_insert_rows_splits_at_the_parameter_limit_in_few_statements() -> None:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("CREATE TABLE t (a INT, b INT, c INT, d INT)")
    steps: list[str] = []
    conn.set_trace_callback(steps.append)
    rows = [(i, i, i, i) for i in range(1000)]

    insert_rows(conn, "INSERT INTO t(a, b, c, d) VALUES (?, ?, ?, ?)", rows)

    assert conn.execute("SELECT COUNT(*), SUM(a) FROM t").fetchone() == (1000, sum(range(1000)))
    assert len(steps) <= 12  # 1000 = 128 * 7 + 64 + 32 + 8; not 1000 statements
    assert all(s.count("(") - 1 <= MAX_PARAMS // 4 for s in steps)
