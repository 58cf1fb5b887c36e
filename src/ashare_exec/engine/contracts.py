"""What the execution core depends on, and its per-account runtime state."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from ashare_exec.model import (
    AccountId,
    AccountStatus,
    ClientOrderId,
    Instrument,
    Quote,
    SubmitOrder,
)
from ashare_exec.model.order import Order
from ashare_exec.oms.idempotency import ClientOrderIdMinter
from ashare_exec.oms.state import StateChange
from ashare_exec.venues.base import VenueAdapter

__all__ = ["AccountRuntime", "Journal", "PreTrade", "PreTradeDecision"]


class Journal(Protocol):
    """What the core needs from the journal: durable append of applied changes."""

    async def append_many_async(self, items: Sequence[Any]) -> list[int]:
        """Persist the changes (group commit); raise JournalError on failure.

        The rows are built when called, so the order of calls is the journal order.
        """
        ...

    def recover(self) -> int:
        """After a failure: write what was refused since, and take writes again; return
        how many events that was. Raise JournalError if it still cannot write."""
        ...

    @property
    def held_events(self) -> int:
        """Events refused since a failure, held for :meth:`recover`."""
        ...

    @property
    def recoverable(self) -> bool:
        """Whether :meth:`recover` can lift the failure (too much refused: restart)."""
        ...


@dataclass(frozen=True, slots=True)
class PreTradeDecision:
    """The outcome of exchange rules + risk for one order."""

    allowed: bool
    reasons: tuple[str, ...]
    messages: tuple[str, ...]
    order: SubmitOrder | None
    """The normalised command (price on the tick grid), when the rules could normalise it."""


class PreTrade(Protocol):
    """Exchange rules + risk checks (see :mod:`ashare_exec.engine.pretrade`)."""

    def check(
        self, cmd: SubmitOrder, inst: Instrument, quote: Quote | None, now: datetime
    ) -> PreTradeDecision:
        """Decide on one order; never raises for business input."""
        ...

    def on_cancel(self, order: Order, now: datetime) -> None:
        """Count a cancel request (cancels are never blocked by risk)."""
        ...

    def observe(self, change: StateChange) -> None:
        """See a change the moment it is applied (before it is journaled)."""
        ...

    def on_change(self, change: StateChange, now: datetime) -> None:
        """Observe an applied change (rejection streaks, fills, P&L)."""
        ...


@dataclass
class AccountRuntime:
    """Per-account live state owned by the loop."""

    account_id: AccountId
    venue: VenueAdapter
    minter: ClientOrderIdMinter
    status: AccountStatus = AccountStatus.OK
    reconciled: bool = False
    inflight: dict[ClientOrderId, asyncio.TimerHandle] = field(default_factory=dict)
    cancel_retries: dict[ClientOrderId, int] = field(default_factory=dict)
