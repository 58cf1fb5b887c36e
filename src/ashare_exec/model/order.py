"""The :class:`Order` entity. :meth:`Order.apply` is the only way an order changes.

Fills are the only source of the filled quantity: each is applied once per ``trade_id``;
``filled_qty``, ``leaves_qty`` and ``avg_px`` are derived from them, so any permutation or
duplication of the same fills gives the same order. An over-fill is kept and flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from ashare_exec.errors import InvalidTransition
from ashare_exec.model.enums import OrderStatus
from ashare_exec.model.events import (
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderDenied,
    OrderEvent,
    OrderExpired,
    OrderFilled,
    OrderPendingCancel,
    OrderRejected,
    OrderRestated,
    OrderSpec,
    OrderSubmitted,
    OrderUnknown,
)
from ashare_exec.model.fsm import RESTATE_TRIGGERS, TRANSITIONS, Trigger, next_status
from ashare_exec.model.identifiers import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    ExchangeOrderId,
    TradeId,
)

__all__ = ["ApplyOutcome", "ApplyResult", "Fill", "Order", "OrderLogEntry"]

_ZERO = Decimal(0)
_PC = OrderStatus.PENDING_CANCEL
_REMEMBERED = frozenset(
    {OrderStatus.PENDING_NEW, OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.UNKNOWN}
)
_UNFILLED = frozenset({OrderStatus.PENDING_NEW, OrderStatus.NEW})
_SIMPLE_TRIGGERS: dict[type[OrderEvent], Trigger] = {
    OrderAccepted: Trigger.ACCEPT,
    OrderRejected: Trigger.REJECT,
    OrderPendingCancel: Trigger.PENDING_CANCEL,
    OrderCanceled: Trigger.CANCEL,
    OrderCancelRejected: Trigger.CANCEL_REJECT,
    OrderExpired: Trigger.EXPIRE,
    OrderUnknown: Trigger.UNKNOWN,
}
VENUE_FILLED_QTY = "venue_filled_qty"
"""Key in :attr:`OrderRestated.extra` carrying the venue's cumulative filled quantity."""


class ApplyOutcome(StrEnum):
    """How :meth:`Order.apply` treated an event."""

    APPLIED = "APPLIED"  # the order changed (or a non-terminal status was confirmed)
    DUPLICATE = "DUPLICATE"  # a fill whose trade id was already applied; nothing changed
    ABSORBED = "ABSORBED"  # a late report on a terminal order; recorded, status unchanged


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What :meth:`Order.apply` did, so the engine can journal, publish and alert."""

    outcome: ApplyOutcome
    status_before: OrderStatus
    status_after: OrderStatus
    overfill: bool = False
    note: str = ""

    @property
    def applied(self) -> bool:
        """The event changed the order (journal it, update the ledger)."""
        return self.outcome is ApplyOutcome.APPLIED

    @property
    def duplicate(self) -> bool:
        """The event was a duplicate fill and was ignored."""
        return self.outcome is ApplyOutcome.DUPLICATE

    @property
    def absorbed(self) -> bool:
        """The event was a late report on a terminal order."""
        return self.outcome is ApplyOutcome.ABSORBED


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of an order."""

    trade_id: TradeId
    qty: int
    px: Decimal
    fee: Decimal | None
    ts_event: datetime


@dataclass(frozen=True, slots=True)
class OrderLogEntry:
    """One line of an order's own history: the event, the status change and why."""

    event: OrderEvent
    status_before: OrderStatus | None
    status_after: OrderStatus
    note: str = ""


@dataclass(slots=True, eq=True)
class Order:
    """One order, from creation to a terminal state.

    Build it with :meth:`create`; change it only with :meth:`apply`.
    """

    spec: OrderSpec
    status: OrderStatus
    ts_created: datetime
    ts_updated: datetime
    previous_status: OrderStatus | None = None
    broker_order_id: BrokerOrderId | None = None
    exchange_order_id: ExchangeOrderId | None = None
    filled_qty: int = 0
    notional: Decimal = _ZERO
    """Sum of ``qty * px`` over the fills."""
    fills: dict[TradeId, Fill] = field(default_factory=dict)
    overfilled: bool = False
    venue_filled_qty: int | None = None
    """The venue's cumulative filled quantity from the last restatement, if any."""
    reasons: tuple[str, ...] = ()
    message: str = ""
    log: list[OrderLogEntry] = field(default_factory=list)

    @classmethod
    def create(cls, event: OrderSubmitted | OrderDenied) -> Order:
        """Create an order from its first event (``PENDING_NEW`` or ``DENIED``).

        Raises:
            InvalidTransition: the event is not a creation event.
        """
        if isinstance(event, OrderSubmitted):
            status = OrderStatus.PENDING_NEW
            reasons: tuple[str, ...] = ()
            message = ""
        elif isinstance(event, OrderDenied):
            status = OrderStatus.DENIED
            reasons = event.reasons
            message = event.message
        else:
            raise InvalidTransition(f"cannot create an order from {type(event).__name__}")
        order = cls(
            spec=event.spec,
            status=status,
            ts_created=event.ts_event,
            ts_updated=event.ts_event,
            reasons=reasons,
            message=message,
        )
        order.log.append(OrderLogEntry(event, None, status))
        return order

    # --- derived values -------------------------------------------------------------

    @property
    def account_id(self) -> AccountId:
        """The account the order belongs to."""
        return self.spec.account_id

    @property
    def client_order_id(self) -> ClientOrderId:
        """The idempotency key."""
        return self.spec.client_order_id

    @property
    def qty(self) -> int:
        """Ordered quantity (shares)."""
        return self.spec.qty

    @property
    def leaves_qty(self) -> int:
        """Quantity still working: zero once the order is terminal."""
        if self.status.is_terminal:
            return 0
        return max(self.spec.qty - self.filled_qty, 0)

    @property
    def avg_px(self) -> Decimal | None:
        """Volume-weighted fill price, or ``None`` without fills."""
        if self.filled_qty == 0:
            return None
        return self.notional / self.filled_qty

    @property
    def fills_gap(self) -> int:
        """Shares the venue says are filled that we have no fill for (query its trades)."""
        if self.venue_filled_qty is None:
            return 0
        return max(self.venue_filled_qty - self.filled_qty, 0)

    @property
    def is_open(self) -> bool:
        """The order may still trade."""
        return self.status.is_open

    @property
    def is_terminal(self) -> bool:
        """The order is done."""
        return self.status.is_terminal

    # --- the only mutator ---------------------------------------------------------

    def apply(self, event: OrderEvent) -> ApplyResult:
        """Apply one event through the transition table.

        Returns:
            what happened: applied, duplicate fill (ignored), or absorbed late report;
            with ``overfill`` set when fills now exceed the order quantity.

        Raises:
            InvalidTransition: the event is forbidden in the current status, belongs to
                another order or instrument, or carries an impossible quantity.
        """
        if event.client_order_id != self.spec.client_order_id:
            raise self._invalid(f"event for {event.client_order_id!r} applied to this order")
        if type(event) is OrderFilled:
            return self._apply_fill(event)
        if type(event) is OrderRestated:
            trigger = RESTATE_TRIGGERS.get(event.status)
            if trigger is None:
                raise self._invalid(f"cannot restate to {event.status.value}")
        else:
            found = _SIMPLE_TRIGGERS.get(type(event))
            if found is None:
                raise self._invalid(f"{type(event).__name__} cannot change an existing order")
            trigger = found
        before = self.status
        after = self._transition(before, trigger)
        if before.is_terminal and after is before:
            self.log.append(OrderLogEntry(event, before, after, "absorbed late report"))
            self.ts_updated = max(self.ts_updated, event.ts_event)
            return ApplyResult(ApplyOutcome.ABSORBED, before, after, note="absorbed late report")
        self._record_details(event)
        self._move(before, after, trigger)
        self.ts_updated = max(self.ts_updated, event.ts_event)
        self.log.append(OrderLogEntry(event, before, after))
        return ApplyResult(ApplyOutcome.APPLIED, before, after)

    # --- internals ----------------------------------------------------------------

    def _apply_fill(self, event: OrderFilled) -> ApplyResult:
        before = self.status
        if event.trade_id in self.fills:
            return ApplyResult(ApplyOutcome.DUPLICATE, before, before, note="duplicate trade id")
        if event.last_qty <= 0 or event.last_px < 0:
            raise self._invalid(f"fill {event.trade_id} has qty {event.last_qty}")
        inst = event.instrument_id
        if (
            inst is not self.spec.instrument_id and inst != self.spec.instrument_id
        ) or event.side is not self.spec.side:
            raise self._invalid(f"fill {event.trade_id} is for another instrument or side")
        filled = self.filled_qty + event.last_qty
        trigger = Trigger.TRADE_COMPLETE if filled >= self.spec.qty else Trigger.TRADE
        after = self._transition(before, trigger)
        self.fills[event.trade_id] = Fill(
            event.trade_id, event.last_qty, event.last_px, event.fee, event.ts_event
        )
        self.filled_qty = filled
        self.notional += event.last_qty * event.last_px
        if event.broker_order_id is not None and self.broker_order_id is None:
            self.broker_order_id = event.broker_order_id
        overfill = filled > self.spec.qty
        notes = []
        if overfill:
            self.overfilled = True
            notes.append(f"overfill: filled {filled} of {self.spec.qty}")
        if before.is_terminal:
            notes.append(f"late fill on {before.value} order")
        note = "; ".join(notes)
        self._move(before, after, trigger)
        self.ts_updated = max(self.ts_updated, event.ts_event)
        self.log.append(OrderLogEntry(event, before, after, note))
        return ApplyResult(ApplyOutcome.APPLIED, before, after, overfill, note)

    def _transition(self, before: OrderStatus, trigger: Trigger) -> OrderStatus:
        try:
            return self._with_fills(next_status(before, trigger, self.previous_status))
        except InvalidTransition as e:
            e.context["client_order_id"] = self.spec.client_order_id
            raise

    def _with_fills(self, status: OrderStatus) -> OrderStatus:
        # A working status never hides fills: UNKNOWN or a stale venue view may lead to
        # NEW / PENDING_NEW after the order has traded; it is PARTIALLY_FILLED then.
        if self.filled_qty and status in _UNFILLED:
            return OrderStatus.PARTIALLY_FILLED
        return status

    def _move(self, before: OrderStatus, after: OrderStatus, trigger: Trigger) -> None:
        if after is _PC:
            if before is not _PC:
                self.previous_status = before
            elif self.previous_status is not None:
                # Keep the remembered status current, so a rejected cancel returns to
                # where the order is now (e.g. PARTIALLY_FILLED after a racing fill).
                shadow = TRANSITIONS.get((self.previous_status, trigger), None)
                if shadow in _REMEMBERED:
                    self.previous_status = self._with_fills(shadow)
        else:
            self.previous_status = None
        self.status = after

    def _record_details(self, event: OrderEvent) -> None:
        if isinstance(event, OrderAccepted | OrderRestated):
            if event.broker_order_id is not None:
                self.broker_order_id = event.broker_order_id
            if event.exchange_order_id is not None:
                self.exchange_order_id = event.exchange_order_id
            if isinstance(event, OrderRestated):
                if event.message:
                    self.message = event.message
                venue_filled = event.extra.get(VENUE_FILLED_QTY)
                if venue_filled is not None and venue_filled.isdigit():
                    self.venue_filled_qty = int(venue_filled)
        elif isinstance(event, OrderRejected):
            self.reasons = (event.reason_code,)
            self.message = event.message
            if event.broker_order_id is not None and self.broker_order_id is None:
                self.broker_order_id = event.broker_order_id
        elif (
            isinstance(event, OrderCanceled | OrderCancelRejected | OrderUnknown) and event.message
        ):
            self.message = event.message

    def _invalid(self, text: str) -> InvalidTransition:
        return InvalidTransition(
            f"{self.spec.client_order_id}: {text} (status {self.status.value})",
            context={"client_order_id": self.spec.client_order_id},
        )
