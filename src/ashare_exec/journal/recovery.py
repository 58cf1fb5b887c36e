"""Recovery: rebuild the OMS state from the journal.

Restart sequence (driven by the engine): ``replay`` → reconcile with the venue
(:func:`ashare_exec.oms.reconcile`) → only then accept commands.

``replay`` first loads the state from the journal's projection tables
(:mod:`ashare_exec.journal.projections`: cost proportional to the orders in the book, not
to the journal); when those cannot be trusted (a journal written by an older schema, rows
that do not add up) it applies every event through the same :meth:`OmsState.apply` as live
processing. Both rebuild exactly the state before the crash (property-tested). (The
``journal`` package is the one place that imports ``oms``; ``oms`` never imports it.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from ashare_exec.errors import InvalidTransition, OrderNotFound
from ashare_exec.journal.projections import recover_from_projections
from ashare_exec.journal.sqlite import Journal
from ashare_exec.model.events import OrderSpec
from ashare_exec.model.identifiers import InstrumentId
from ashare_exec.oms.book import OrderBook
from ashare_exec.oms.ledger import FeeFunction, Ledger
from ashare_exec.oms.state import OmsState

__all__ = ["RecoveredState", "replay"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class RecoveredState:
    """The rebuilt state and what replay could not apply (should be empty)."""

    state: OmsState
    last_seq: int
    events: int
    errors: list[tuple[int, str]] = field(default_factory=list)
    method: str = "replay"
    """``projections`` (loaded from the projection tables) or ``replay`` (every event)."""

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
    use_projections: bool = True,
) -> RecoveredState:
    """Rebuild the state from the journal (or apply the events after ``from_seq`` to ``state``).

    Use the same ``fee_fn`` / ``is_t0`` / ``freeze_price`` as the live ledger. Without
    ``state`` and ``from_seq`` the projections are loaded when they can be trusted
    (``method == "projections"``, ``events`` is then the number of events journaled);
    otherwise, or with ``use_projections=False``, every event is applied.

    Raises:
        JournalError: an event cannot be decoded (corrupt journal): trading must halt.
    """
    if state is None and from_seq == 0 and use_projections:
        ledger = Ledger(fee_fn, is_t0=is_t0, freeze_price=freeze_price)
        try:
            fast = recover_from_projections(journal, ledger)
        except Exception as e:  # the full replay is the authority: fall back to it
            log.warning("journal projections unusable (%s); replaying every event", e)
            fast = None
        if fast is not None:
            count = journal.read("SELECT COUNT(*) FROM events")[0][0]
            return RecoveredState(fast, journal.last_seq, int(count), method="projections")
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
