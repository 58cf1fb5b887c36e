"""What the journal refuses after a failure is held, and written once it can write again.

After a write fails the journal refuses every later write (the engine halts new orders),
but the rows it refuses are built as usual and held here with their sequence numbers; the
batch that failed, and any queued with it, may reach the hold after writes refused later
(its failure surfaces on the loop a moment after the stop), so the hold is put back in
sequence order before it is written. :meth:`HoldMixin.recover` writes them all in one
transaction when the disk takes writes again (an operator resumes trading), so the journal
then holds exactly what it would have without the failure and the halt lifts without a
restart. Past :data:`HOLD_LIMIT` events nothing more is kept and only a restart, which
reconciles with the venue, can lift the halt.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from ashare_exec.errors import JournalError
from ashare_exec.journal.queries import JournalQueries
from ashare_exec.journal.rows import Batch

__all__ = ["HOLD_LIMIT", "RECOVERED_KEY", "HoldMixin"]

HOLD_LIMIT = 200_000
"""Events held after a failure, at most (a halt takes cancels and venue reports only)."""
RECOVERED_KEY = "journal.last_recovery_batches"
"""A ``state`` row every recovery writes (the number of batches it wrote)."""


class HoldMixin(JournalQueries):
    """The hold-and-recover part of :class:`~ashare_exec.journal.sqlite.Journal`."""

    path: Path
    _lock: threading.Lock
    _failed: JournalError | None
    _pending: list[tuple[Batch, asyncio.Future[list[int]], int, int]]
    _held: list[tuple[int, Batch]]
    _held_events: int
    _held_over: bool
    _seq: int
    _queued_since: float | None

    def _stage(self, batch: Batch) -> None:  # pragma: no cover - see sqlite
        raise NotImplementedError

    def _commit(self) -> None:  # pragma: no cover - see sqlite
        raise NotImplementedError

    def _refuse(self, batch: Batch, first: int) -> None:
        """Hold a batch refused after the failure (``first``: its first sequence number),
        and the batches still queued, whose appends fail as they would have."""
        pending, self._pending = self._pending, []
        self._queued_since = None  # nothing waits for a commit now: all of it is held
        for queued, future, queued_first, _last in pending:
            self._hold(queued, queued_first)
            if not future.done():
                future.set_exception(self._failed or JournalError("journal stopped"))
        self._hold(batch, first)

    def _hold(self, batch: Batch, first: int) -> None:
        if self._held_over:
            return
        self._held.append((first, batch))
        self._held_events += len(batch.events)
        if self._held_events > HOLD_LIMIT:
            self._held_over = True
            self._held.clear()

    def set_state(self, key: str, value: str) -> None:
        """Store ``value`` under ``key`` (committed at once; held if the journal failed)."""
        try:
            super().set_state(key, value)
        except JournalError:
            if self._failed is not None:
                self._refuse(Batch(state={key: value}), self._seq + 1)
            raise

    @property
    def held_events(self) -> int:
        """Events refused since the failure and held for :meth:`recover` (0 if none)."""
        return 0 if self._held_over else self._held_events

    @property
    def recoverable(self) -> bool:
        """Whether :meth:`recover` can lift a failure (not past :data:`HOLD_LIMIT`)."""
        return not self._held_over

    def recover(self) -> int:
        """Write what was held since the failure, in order, in one transaction, and take
        writes again; return the number of events written (0 when nothing failed).

        Raises:
            JournalError: the journal still cannot write (it stays stopped, still holding),
                or more than :data:`HOLD_LIMIT` events were refused (only a restart helps).
        """
        if self._failed is None:
            return 0
        if self._held_over:
            raise JournalError(
                f"journal {self.path}: more than {HOLD_LIMIT} events were refused since it "
                "failed; they were not kept: restart the service (it reconciles with the venue)",
                context={"path": str(self.path)},
            )
        with self._lock:
            failed, self._failed = self._failed, None
            # In sequence order, which is the order the rows were built in (a stable sort:
            # a state row keeps its place among those held at the same sequence number).
            in_order = [b for _first, b in sorted(self._held, key=lambda held: held[0])]
            batch = Batch.merge(in_order) if in_order else Batch()
            # Always a row to write: an empty transaction would pass on a disk still full.
            batch.state[RECOVERED_KEY] = str(len(self._held))
            try:
                self._stage(batch)
                self._commit()
            except BaseException:
                if self._failed is None:  # (a failed write stopped it again, with its error)
                    self._failed = failed
                raise
            written = self._held_events
            self._held, self._held_events = [], 0
            return written
