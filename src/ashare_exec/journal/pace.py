"""How far behind the journal is, and how long its commits take (for the metrics).

:meth:`PaceMixin.lag_seconds` is the age of the oldest write handed to the journal and not
yet committed (``journal_lag_seconds``, and the ``JOURNAL_LAG`` alert rule);
:attr:`PaceMixin.on_commit` hears each group commit's duration
(``journal_commit_duration_seconds``). Both are on the monotonic clock: they measure the
disk, not the trading day.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ashare_exec.errors import JournalError

__all__ = ["PaceMixin"]


class PaceMixin:
    """The pace part of :class:`~ashare_exec.journal.sqlite.Journal`."""

    _failed: JournalError | None
    _queued_since: float | None = None
    """When the oldest write still queued was handed over."""
    _committing_since: float | None = None
    """When the oldest write of the group being committed was handed over."""
    on_commit: Callable[[float], None] | None = None
    """Called with each group commit's duration in seconds (rows written and committed)."""

    def lag_seconds(self) -> float:
        """Age of the oldest write not yet committed (0 when none waits; 0 once the journal
        has failed: its halt has an alert of its own)."""
        if self._failed is not None:
            return 0.0
        oldest = min(
            (t for t in (self._queued_since, self._committing_since) if t is not None),
            default=None,
        )
        return 0.0 if oldest is None else time.monotonic() - oldest

    def _note_queued(self) -> None:
        if self._queued_since is None:
            self._queued_since = time.monotonic()

    def _note_taken(self) -> float:
        """The queued writes are taken for a commit; returns when it starts."""
        self._committing_since, self._queued_since = self._queued_since, None
        return time.monotonic()

    def _note_done(self, started: float, *, committed: bool) -> None:
        self._committing_since = None
        if committed and self.on_commit is not None:
            self.on_commit(time.monotonic() - started)
