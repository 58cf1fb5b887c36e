"""The SQLite (WAL) journal: an append-only event table plus projections, one transaction.

Durability modes:

* ``durable`` (default): ``synchronous=FULL``, every commit reaches the disk. Concurrent
  :meth:`Journal.append_async` calls share one commit (group commit): while one batch is
  being committed, new appends queue up and go together in the next transaction. The
  batch's rows are written on the event loop and only its ``COMMIT`` (the fsync) runs on
  the journal's writer thread, so the loop never waits for the disk.
* ``fast``: ``synchronous=NORMAL`` (WAL): no disk flush per commit; a process crash loses
  nothing, a power loss may lose the last commits but never corrupts the file. With no
  fsync to wait for, group commits are written on the event loop itself (no thread hop).

Any SQLite failure becomes a :class:`~ashare_exec.errors.JournalError` and the journal
refuses every later write: the engine must halt trading rather than trade blind. What it
refuses is not lost: the rows are built and held, in order (up to :data:`HOLD_LIMIT`
events), and :meth:`Journal.recover` writes them in one transaction once the disk takes
writes again, so the halt can lift without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ashare_exec.errors import JournalError
from ashare_exec.journal.checkpoint import WalCheckpointer
from ashare_exec.journal.hold import HOLD_LIMIT, HoldMixin
from ashare_exec.journal.integrity import mark_clean_close, take_clean_close_mark, wal_has_content
from ashare_exec.journal.multirow import insert_rows
from ashare_exec.journal.pace import PaceMixin
from ashare_exec.journal.queries import JournalQueries
from ashare_exec.journal.rows import (
    SQL_BARE,
    SQL_CASH,
    SQL_DAY,
    SQL_EVENT,
    SQL_FILL,
    SQL_IDMAP,
    SQL_ORDER,
    SQL_POSITION,
    SQL_STATE,
    Batch,
    JournalItem,
    prepare,
    skip_written_ids,
)
from ashare_exec.journal.schema import MIGRATIONS, Durability, Migration, migrate

__all__ = ["HOLD_LIMIT", "Durability", "Journal"]


class Journal(HoldMixin, PaceMixin, JournalQueries):
    """An open journal file. Create it with :meth:`open`.

    Writes happen on one connection guarded by a lock; in durable mode, async appends are
    committed by a single writer thread so the event loop never waits for the disk.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        durability: Durability,
        group_window: float,
        backup: Path | None,
        checked: bool = True,
    ) -> None:
        self._conn = conn
        self.path = path
        self.durability = durability
        self.backup_path = backup
        """The copy made before the last migration, if one was made on open."""
        self.integrity_checked = checked
        """Whether open ran ``PRAGMA quick_check`` (skipped after a verified clean close)."""
        self._group_window = group_window
        self._lock = threading.Lock()
        self._failed: JournalError | None = None
        self._held: list[tuple[int, Batch]] = []
        """What could not be written since the failure: ``(first seq, sealed rows)``."""
        self._held_events = 0
        self._held_over = False
        row = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
        self._seq = int(row[0])
        self._ids_written: dict[tuple[str, str], tuple[Any, ...]] = {}
        self._pending: list[tuple[Batch, asyncio.Future[list[int]], int, int]] = []
        self._flusher: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._checkpointer = WalCheckpointer(path)
        self._closed = False

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        durability: Durability | str = Durability.DURABLE,
        group_window: float = 0.0,
        migrations: tuple[Migration, ...] = MIGRATIONS,
        always_check: bool = False,
    ) -> Journal:
        """Open (creating or migrating) the journal at ``path``.

        ``PRAGMA quick_check`` runs unless the previous session closed the file cleanly
        and nothing touched it since (:mod:`ashare_exec.journal.integrity`).

        Args:
            durability: ``durable`` or ``fast``.
            group_window: seconds an async batch waits for more appends before its
                commit (0: only what queued during the previous commit).
            always_check: run the integrity check even after a clean close.

        Raises:
            JournalError: the file is not a journal, is corrupt, unwritable, or newer.
        """
        path = Path(path)
        mode = Durability(durability)
        conn: sqlite3.Connection | None = None
        try:
            wal_before = wal_has_content(path)
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "PRAGMA synchronous=FULL"
                if mode is Durability.DURABLE
                else "PRAGMA synchronous=NORMAL"
            )
            clean = take_clean_close_mark(conn, path, wal_before=wal_before)
            if always_check or not clean:
                status = conn.execute("PRAGMA quick_check").fetchone()
                if status is None or status[0] != "ok":
                    raise JournalError(f"journal {path} failed its integrity check: {status}")
            _version, backup = migrate(conn, path, migrations)
            # Checkpoints run on a thread of their own (journal/checkpoint.py), not
            # inside whichever commit crosses the threshold.
            conn.execute("PRAGMA wal_autocheckpoint=0")
            return cls(conn, path, mode, group_window, backup, always_check or not clean)
        except sqlite3.Error as e:
            if conn is not None:
                conn.close()
            raise JournalError(
                f"journal {path} cannot be opened: {e}", context={"path": str(path)}
            ) from e
        except JournalError:
            if conn is not None:
                conn.close()
            raise

    # --- lifecycle ------------------------------------------------------------------

    @property
    def failed(self) -> JournalError | None:
        """The error that stopped the journal, if any (trading must halt)."""
        return self._failed

    @property
    def last_seq(self) -> int:
        """The sequence number of the last event handed to the journal."""
        return self._seq

    def close(self) -> None:
        """Close the file (call :meth:`flush` first if async appends may be pending).

        Unless a write failed, the close is recorded as clean: the next open may then
        skip the integrity check (:mod:`ashare_exec.journal.integrity`).
        """
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self._checkpointer.stop()
        with self._lock:
            if self._closed:
                return
            if self._failed is None and not self._pending:
                mark_clean_close(self._conn)
            self._conn.close()
            self._closed = True

    async def flush(self) -> None:
        """Wait until every async append so far is committed."""
        while self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)

    async def aclose(self) -> None:
        """Flush, then close."""
        await self.flush()
        self.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- appending ------------------------------------------------------------------

    def _prepare(self, items: Iterable[JournalItem]) -> tuple[Batch, int, int]:
        failed = self._failed
        first = self._seq + 1
        batch = Batch()
        for item in items:
            self._seq += 1
            prepare(batch, item, self._seq)
        finished = list(batch.done)  # (sealing clears it)
        batch.seal()
        skip_written_ids(batch, self._ids_written, finished)
        if failed is not None:
            self._refuse(batch, first)
            raise failed
        return batch, first, self._seq

    def _write(self, batch: Batch) -> None:
        with self._lock:
            self._stage(batch)
            self._commit()

    def _write_now(self, batch: Batch, first: int) -> None:
        """A synchronous append's write: refused and held, as every write, if it fails."""
        try:
            self._write(batch)
        except JournalError:
            self._refuse(batch, first)
            raise

    def _begin(self, batch: Batch) -> None:
        """Open a transaction holding ``batch``, on the caller's thread; :meth:`_end` (on
        any thread) commits it. The lock is held from here until ``_end`` returns."""
        self._lock.acquire()
        try:
            self._stage(batch)
        except BaseException:
            self._lock.release()
            raise

    def _end(self) -> None:
        """Commit the transaction :meth:`_begin` opened, then release the lock."""
        try:
            self._commit()
        finally:
            self._lock.release()

    def _stage(self, batch: Batch) -> None:
        if self._failed is not None:
            raise self._failed
        conn = self._conn
        try:
            conn.execute("BEGIN")
            # Multi-row statements: one SQLite step (and GIL release) per statement, not per row.
            insert_rows(conn, SQL_EVENT, batch.events)
            insert_rows(conn, SQL_ORDER, list(batch.orders.values()))
            insert_rows(conn, SQL_FILL, batch.fills)
            insert_rows(conn, SQL_POSITION, list(batch.positions.values()))
            insert_rows(conn, SQL_CASH, list(batch.cash.values()))
            insert_rows(conn, SQL_IDMAP, list(batch.ids.values()))
            insert_rows(conn, SQL_DAY, batch.days)
            insert_rows(conn, SQL_STATE, list(batch.state.items()))
            if batch.bare:
                conn.execute(SQL_BARE, (batch.bare,))
        except sqlite3.Error as e:
            raise self._stop(e) from e

    def _commit(self) -> None:
        conn = self._conn
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            raise self._stop(e) from e
        if self._checkpointer.committed():
            # The background checkpointer made no progress for a long while.
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def _stop(self, e: sqlite3.Error) -> JournalError:
        """Roll back and refuse every later write; return the error to raise."""
        with contextlib.suppress(sqlite3.Error):
            self._conn.execute("ROLLBACK")
        self._failed = JournalError(
            f"journal {self.path} write failed: {e}", context={"path": str(self.path)}
        )
        return self._failed

    def append(self, item: JournalItem) -> int:
        """Journal one event (or a state change with its projections); return its seq.

        Raises:
            JournalError: the write failed; the journal is now stopped.
        """
        batch, first, _last = self._prepare((item,))
        self._write_now(batch, first)
        return first

    def append_many(self, items: Sequence[JournalItem]) -> list[int]:
        """Journal several items in one transaction; return their seqs."""
        if not items:
            return []
        batch, first, last = self._prepare(items)
        self._write_now(batch, first)
        return list(range(first, last + 1))

    async def append_async(self, item: JournalItem) -> int:
        """Journal one item with group commit; return once it is committed."""
        seqs = await self.append_many_async((item,))
        return seqs[0]

    async def append_many_async(self, items: Sequence[JournalItem]) -> list[int]:
        """Journal items with group commit; return their seqs once committed.

        The rows are built at call time (orders are mutable), so the state journaled is
        the state at the call, whatever happens while the commit is pending.
        """
        batch, first, last = self._prepare(items)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[int]] = loop.create_future()
        self._pending.append((batch, future, first, last))
        self._note_queued()
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush_loop(), name="journal-group-commit")
        return await future

    def stage_states(self, items: dict[str, str]) -> asyncio.Future[list[int]]:
        """Write key/values to the state table with the next group commit.

        Unlike :meth:`set_state` (a commit of its own — an fsync in durable mode, on the
        caller's thread), the rows share the commit of whatever else is pending. Await the
        returned future to know they are durable; a caller that does not need to know may
        drop it (a failure stops the journal, which halts trading, like any failed commit).

        Raises:
            JournalError: the journal has failed.
        """
        batch = Batch()
        batch.state.update(items)
        if self._failed is not None:
            self._refuse(batch, self._seq + 1)
            raise self._failed
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[int]] = loop.create_future()
        # Read the outcome even when nobody awaits it (no "never retrieved" warnings).
        future.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._pending.append((batch, future, self._seq + 1, self._seq))
        self._note_queued()
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush_loop(), name="journal-group-commit")
        return future

    async def _flush_loop(self) -> None:
        loop = asyncio.get_running_loop()
        inline = self.durability is Durability.FAST
        if self._executor is None and not inline:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="journal")
        while self._pending:
            await asyncio.sleep(self._group_window)
            pending, self._pending = self._pending, []
            merged = Batch.merge([p[0] for p in pending])
            started = self._note_taken()
            try:
                if inline:
                    # No disk flush to wait for: a commit costs less than the two thread
                    # hops (loop → writer → loop) it would take to do it elsewhere.
                    self._write(merged)
                else:
                    # The rows are written here, only COMMIT (the fsync) on the writer
                    # thread: each SQLite call there gives up the GIL and has to win it
                    # back from the busy loop, up to a switch interval each (one per
                    # statement made a commit wait several of them; now it is one).
                    self._begin(merged)
                    try:
                        done = loop.run_in_executor(self._executor, self._end)
                    except RuntimeError:  # the executor was shut down (closing)
                        self._end()
                    else:
                        await done
            except Exception as e:
                self._note_done(started, committed=False)
                error = e if isinstance(e, JournalError) else JournalError(str(e))
                if self._failed is not None:
                    self._hold(merged, min(first for _b, _fut, first, _l in pending))
                for _b, fut, _f, _l in pending:
                    if not fut.done():
                        fut.set_exception(error)
                continue
            self._note_done(started, committed=True)
            for _b, fut, first, last in pending:
                if not fut.done():
                    fut.set_result(list(range(first, last + 1)))
