"""Recovery: rebuild the OMS state by replaying the journal.

Restart sequence (driven by the engine): ``replay`` → reconcile with the venue
(:func:`ashare_exec.oms.reconcile`) → only then accept commands. Replay uses the same
:meth:`OmsState.apply` as live processing, so it rebuilds exactly the state before the
crash. (This module is the one place where ``journal`` imports ``oms``; ``oms`` never
imports ``journal``.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from ashare_exec.errors import InvalidTransition, OrderNotFound
from ashare_exec.journal.sqlite import Journal
from ashare_exec.model.events import OrderSpec
from ashare_exec.model.identifiers import InstrumentId
from ashare_exec.oms.book import OrderBook
from ashare_exec.oms.ledger import FeeFunction, Ledger
from ashare_exec.oms.state import OmsState

__all__ = ["RecoveredState", "replay"]


@dataclass(slots=True)
class RecoveredState:
    """The rebuilt state and what replay could not apply (should be empty)."""

    state: OmsState
    last_seq: int
    events: int
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def book(self) -> OrderBook:
        """The rebuilt order book."""
        return self.state.book

    @property
    def ledger(self) -> Ledger:
        """The rebuilt ledger."""
        return self.state.ledger


def replay(
    journal: Journal,
    fee_fn: FeeFunction,
    *,
    is_t0: Callable[[InstrumentId], bool] | None = None,
    freeze_price: Callable[[OrderSpec], Decimal | None] | None = None,
    state: OmsState | None = None,
    from_seq: int = 0,
) -> RecoveredState:
    """Apply every journaled event after ``from_seq`` to ``state`` (default: a new one).

    Use the same ``fee_fn`` / ``is_t0`` / ``freeze_price`` as the live ledger.

    Raises:
        JournalError: an event cannot be decoded (corrupt journal): trading must halt.
    """
    if state is None:
        state = OmsState(OrderBook(), Ledger(fee_fn, is_t0=is_t0, freeze_price=freeze_price))
    recovered = RecoveredState(state, from_seq, 0)
    for seq, event in journal.iter_events(from_seq):
        try:
            state.apply(event)
        except (InvalidTransition, OrderNotFound) as e:
            recovered.errors.append((seq, str(e)))
        recovered.last_seq = seq
        recovered.events += 1
    return recovered
