"""The OMS state: the order book and the ledger moved together by one event at a time.

The engine applies an event here, then journals it (with the returned change, for the
projections); recovery replays the journal through the same :meth:`OmsState.apply`, so
the live and the replayed state cannot diverge.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ashare_exec.model.events import OrderEvent
from ashare_exec.model.identifiers import AccountId
from ashare_exec.model.order import ApplyResult, Order
from ashare_exec.model.portfolio import DayRolled, LedgerEvent
from ashare_exec.model.reports import CashReport, PositionReport
from ashare_exec.oms.book import OrderBook
from ashare_exec.oms.ledger import FeeFunction, Ledger, LedgerUpdate

__all__ = ["OmsState", "StateChange"]


@dataclass(frozen=True, slots=True)
class StateChange:
    """What one event did: the order and its apply result, and the ledger update."""

    event: OrderEvent | LedgerEvent
    order: Order | None
    result: ApplyResult | None
    ledger: LedgerUpdate

    @property
    def journal_worthy(self) -> bool:
        """Whether to journal the event (everything but an ignored duplicate fill)."""
        return self.result is None or not self.result.duplicate


class OmsState:
    """An :class:`OrderBook` and a :class:`Ledger` kept consistent."""

    __slots__ = ("book", "ledger")

    def __init__(self, book: OrderBook, ledger: Ledger) -> None:
        self.book = book
        self.ledger = ledger

    @classmethod
    def new(cls, fee_fn: FeeFunction, **ledger_options: object) -> OmsState:
        """An empty state with a fresh book and ledger."""
        return cls(OrderBook(), Ledger(fee_fn, **ledger_options))  # type: ignore[arg-type]

    def apply(self, event: OrderEvent | LedgerEvent) -> StateChange:
        """Apply an order or ledger event.

        Raises:
            OrderNotFound: an order event for an order the book does not have.
            InvalidTransition: the order refuses the event (nothing changed).
        """
        if isinstance(event, LedgerEvent):
            update = self.ledger.apply_ledger_event(event)
            if isinstance(event, DayRolled):
                self.book.evict_done(event.account_id)
            return StateChange(event, None, None, update)
        order, result = self.book.apply(event)
        update = self.ledger.on_order_event(order, event, result)
        return StateChange(event, order, result, update)

    def apply_broker_snapshot(
        self,
        account_id: AccountId,
        positions: Iterable[PositionReport],
        cash: CashReport | None,
        ts_event: datetime,
        **options: Any,
    ) -> list[StateChange]:
        """Correct the ledger to the broker's figures; one change per correction to journal.

        ``options`` are those of :meth:`Ledger.apply_broker_snapshot`.
        """
        corrections = self.ledger.apply_broker_snapshot(
            account_id, positions, cash, ts_event, **options
        )
        # Corrections set absolute values, so applying them again only yields the rows.
        return [self.apply(c) for c in corrections]

    def roll_day(self, account_id: AccountId, day: date, ts_event: datetime) -> StateChange | None:
        """Start the trading day ``day`` for the account (``None`` if already there).

        Shares bought before it become sellable, and terminal orders leave the book (client
        order ids are unique per trading day). Journal the returned change.
        """
        event = self.ledger.roll_day(account_id, day, ts_event)
        if event is None:
            return None
        self.book.evict_done(account_id)
        return StateChange(event, None, None, LedgerUpdate())
