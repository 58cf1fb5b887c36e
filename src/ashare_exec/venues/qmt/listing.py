"""Reusing what the previous listing converted.

Each reconcile lists the day's orders and trades; a busy day has tens of thousands of rows,
most of them finished and unchanged since the previous listing, and turning one into a
report costs ~4 µs on the event loop. A row equal to one of the account's previous listing
on the same connection reuses that report (its time is then the earlier listing's, as
with the simulator's reports). Only rows of ours are kept: a row not ours now may become
ours once an order id is learned (an answer that comes after the row), so it is converted
each time. A new connection starts afresh (MiniQMT may renumber its order ids).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

from ashare_exec.model import AccountId

__all__ = ["LastListing"]

R = TypeVar("R", bound=Hashable)
T = TypeVar("T")


class LastListing(Generic[R, T]):
    """Converts listings with ``convert`` (``None``: skip the row), reusing the reports
    of the account's previous listing that ``keep`` accepts."""

    def __init__(self, convert: Callable[[R], T | None], keep: Callable[[T], bool]) -> None:
        self._convert = convert
        self._keep = keep
        self._last: dict[AccountId, tuple[int, dict[R, T]]] = {}

    def reports(self, account_id: AccountId, generation: int, rows: Iterable[R]) -> list[T]:
        """The reports of ``rows``, in order (rows converted to ``None`` left out)."""
        then, before = self._last.get(account_id, (None, {}))
        if then != generation:
            before = {}
        kept: dict[R, T] = {}
        out: list[T] = []
        for row in rows:
            report = before.get(row)
            if report is None:
                report = self._convert(row)
                if report is None:
                    continue
            if self._keep(report):
                kept[row] = report
            out.append(report)
        self._last[account_id] = (generation, kept)
        return out
