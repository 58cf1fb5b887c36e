"""The order state machine as a literal transition table.

:data:`TRANSITIONS` maps ``(status, trigger)`` to the next status. A missing key is a
forbidden edge (:class:`~ashare_exec.errors.InvalidTransition`). The value ``None`` means
"return to the status remembered before the pending state" (a rejected cancel).

Triggers are finer than FIX ``ExecType``: a fill is :attr:`Trigger.TRADE` or
:attr:`Trigger.TRADE_COMPLETE` depending on whether it completes the order, and a
restatement names the venue's status (``VENUE_*``), because the venue's status alone
cannot create fills.

Terminal states absorb late venue reports (the status stays, the event is recorded).
Fills are facts: a late fill on a canceled/expired/rejected order is still applied; it
moves the order to ``FILLED`` only when it completes it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from ashare_exec.errors import InvalidTransition
from ashare_exec.model.enums import OrderStatus

__all__ = [
    "RESTATE_TRIGGERS",
    "TRANSITIONS",
    "Trigger",
    "next_status",
]


class Trigger(StrEnum):
    """What happened to an order, as the state machine sees it."""

    SUBMIT = "SUBMIT"  # creation only (OrderSubmitted); never a transition
    DENY = "DENY"  # creation only (OrderDenied); never a transition
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    TRADE = "TRADE"  # a fill that leaves quantity open
    TRADE_COMPLETE = "TRADE_COMPLETE"  # a fill that reaches the order quantity (or beyond)
    PENDING_CANCEL = "PENDING_CANCEL"
    CANCEL = "CANCEL"
    CANCEL_REJECT = "CANCEL_REJECT"
    EXPIRE = "EXPIRE"
    UNKNOWN = "UNKNOWN"
    VENUE_PENDING_NEW = "VENUE_PENDING_NEW"  # restated: venue has not reported it yet
    VENUE_PARTIALLY_FILLED = "VENUE_PARTIALLY_FILLED"  # restated without the fills
    VENUE_FILLED = "VENUE_FILLED"  # restated without the fills


_S = OrderStatus
_T = Trigger
PREVIOUS: Final = None

TRANSITIONS: Final[dict[tuple[OrderStatus, Trigger], OrderStatus | None]] = {
    # --- PENDING_NEW: sent, no acknowledgement yet
    (_S.PENDING_NEW, _T.ACCEPT): _S.NEW,
    (_S.PENDING_NEW, _T.REJECT): _S.REJECTED,
    (_S.PENDING_NEW, _T.TRADE): _S.PARTIALLY_FILLED,  # real world: fill overtakes the ack
    (_S.PENDING_NEW, _T.TRADE_COMPLETE): _S.FILLED,  # real world: filled before the ack
    (_S.PENDING_NEW, _T.PENDING_CANCEL): _S.PENDING_CANCEL,  # cancel before the ack
    (_S.PENDING_NEW, _T.CANCEL): _S.CANCELED,  # e.g. IOC remainder canceled, ack lost
    (_S.PENDING_NEW, _T.CANCEL_REJECT): _S.PENDING_NEW,  # stale answer to an old cancel
    (_S.PENDING_NEW, _T.EXPIRE): _S.EXPIRED,
    (_S.PENDING_NEW, _T.UNKNOWN): _S.UNKNOWN,  # ack timeout
    (_S.PENDING_NEW, _T.VENUE_PENDING_NEW): _S.PENDING_NEW,
    (_S.PENDING_NEW, _T.VENUE_PARTIALLY_FILLED): _S.PARTIALLY_FILLED,
    (_S.PENDING_NEW, _T.VENUE_FILLED): _S.FILLED,
    # --- NEW: working at the venue
    (_S.NEW, _T.ACCEPT): _S.NEW,  # duplicate ack
    (_S.NEW, _T.REJECT): _S.REJECTED,  # broker acked, exchange rejected (废单)
    (_S.NEW, _T.TRADE): _S.PARTIALLY_FILLED,
    (_S.NEW, _T.TRADE_COMPLETE): _S.FILLED,
    (_S.NEW, _T.PENDING_CANCEL): _S.PENDING_CANCEL,
    (_S.NEW, _T.CANCEL): _S.CANCELED,  # unsolicited cancel (IOC remainder, exchange)
    (_S.NEW, _T.CANCEL_REJECT): _S.NEW,  # stale answer to an old cancel
    (_S.NEW, _T.EXPIRE): _S.EXPIRED,
    (_S.NEW, _T.UNKNOWN): _S.UNKNOWN,
    (_S.NEW, _T.VENUE_PENDING_NEW): _S.NEW,  # stale venue view
    (_S.NEW, _T.VENUE_PARTIALLY_FILLED): _S.PARTIALLY_FILLED,
    (_S.NEW, _T.VENUE_FILLED): _S.FILLED,
    # --- PARTIALLY_FILLED
    (_S.PARTIALLY_FILLED, _T.ACCEPT): _S.PARTIALLY_FILLED,  # late ack after a fill
    (_S.PARTIALLY_FILLED, _T.TRADE): _S.PARTIALLY_FILLED,
    (_S.PARTIALLY_FILLED, _T.TRADE_COMPLETE): _S.FILLED,
    (_S.PARTIALLY_FILLED, _T.PENDING_CANCEL): _S.PENDING_CANCEL,
    (_S.PARTIALLY_FILLED, _T.CANCEL): _S.CANCELED,
    (_S.PARTIALLY_FILLED, _T.CANCEL_REJECT): _S.PARTIALLY_FILLED,
    (_S.PARTIALLY_FILLED, _T.EXPIRE): _S.EXPIRED,
    (_S.PARTIALLY_FILLED, _T.UNKNOWN): _S.UNKNOWN,
    (_S.PARTIALLY_FILLED, _T.VENUE_PENDING_NEW): _S.PARTIALLY_FILLED,
    (_S.PARTIALLY_FILLED, _T.VENUE_PARTIALLY_FILLED): _S.PARTIALLY_FILLED,
    (_S.PARTIALLY_FILLED, _T.VENUE_FILLED): _S.FILLED,
    # --- PENDING_CANCEL: we asked to cancel; the order may still trade
    (_S.PENDING_CANCEL, _T.ACCEPT): _S.PENDING_CANCEL,  # late ack
    (_S.PENDING_CANCEL, _T.REJECT): _S.REJECTED,  # canceled before the ack, then rejected
    (_S.PENDING_CANCEL, _T.TRADE): _S.PENDING_CANCEL,  # real world: fill races the cancel
    (_S.PENDING_CANCEL, _T.TRADE_COMPLETE): _S.FILLED,  # the fill won the race
    (_S.PENDING_CANCEL, _T.PENDING_CANCEL): _S.PENDING_CANCEL,  # cancel requested again
    (_S.PENDING_CANCEL, _T.CANCEL): _S.CANCELED,
    (_S.PENDING_CANCEL, _T.CANCEL_REJECT): PREVIOUS,  # back to where the cancel started
    (_S.PENDING_CANCEL, _T.EXPIRE): _S.EXPIRED,
    (_S.PENDING_CANCEL, _T.UNKNOWN): _S.UNKNOWN,  # cancel timeout
    (_S.PENDING_CANCEL, _T.VENUE_PENDING_NEW): _S.PENDING_CANCEL,
    (_S.PENDING_CANCEL, _T.VENUE_PARTIALLY_FILLED): _S.PENDING_CANCEL,
    (_S.PENDING_CANCEL, _T.VENUE_FILLED): _S.FILLED,
    # --- UNKNOWN: in doubt; any venue report or restatement settles it
    (_S.UNKNOWN, _T.ACCEPT): _S.NEW,
    (_S.UNKNOWN, _T.REJECT): _S.REJECTED,
    (_S.UNKNOWN, _T.TRADE): _S.PARTIALLY_FILLED,
    (_S.UNKNOWN, _T.TRADE_COMPLETE): _S.FILLED,
    (_S.UNKNOWN, _T.PENDING_CANCEL): _S.PENDING_CANCEL,  # cancel whatever is out there
    (_S.UNKNOWN, _T.CANCEL): _S.CANCELED,
    (_S.UNKNOWN, _T.CANCEL_REJECT): _S.UNKNOWN,  # says it exists, not in which state
    (_S.UNKNOWN, _T.EXPIRE): _S.EXPIRED,
    (_S.UNKNOWN, _T.UNKNOWN): _S.UNKNOWN,
    (_S.UNKNOWN, _T.VENUE_PENDING_NEW): _S.PENDING_NEW,
    (_S.UNKNOWN, _T.VENUE_PARTIALLY_FILLED): _S.PARTIALLY_FILLED,
    (_S.UNKNOWN, _T.VENUE_FILLED): _S.FILLED,
    # --- FILLED: terminal; absorbs late reports; extra fills are over-fills (flagged)
    (_S.FILLED, _T.ACCEPT): _S.FILLED,
    (_S.FILLED, _T.REJECT): _S.FILLED,
    (_S.FILLED, _T.TRADE): _S.FILLED,  # a fill missing from a restated FILLED arrives
    (_S.FILLED, _T.TRADE_COMPLETE): _S.FILLED,
    (_S.FILLED, _T.CANCEL): _S.FILLED,  # cancel confirmation lost the race
    (_S.FILLED, _T.CANCEL_REJECT): _S.FILLED,  # "too late to cancel"
    (_S.FILLED, _T.EXPIRE): _S.FILLED,
    (_S.FILLED, _T.VENUE_PENDING_NEW): _S.FILLED,
    (_S.FILLED, _T.VENUE_PARTIALLY_FILLED): _S.FILLED,
    (_S.FILLED, _T.VENUE_FILLED): _S.FILLED,
    # --- CANCELED: terminal; late fills (executed before the cancel) still count
    (_S.CANCELED, _T.ACCEPT): _S.CANCELED,
    (_S.CANCELED, _T.REJECT): _S.CANCELED,
    (_S.CANCELED, _T.TRADE): _S.CANCELED,
    (_S.CANCELED, _T.TRADE_COMPLETE): _S.FILLED,
    (_S.CANCELED, _T.CANCEL): _S.CANCELED,
    (_S.CANCELED, _T.CANCEL_REJECT): _S.CANCELED,
    (_S.CANCELED, _T.EXPIRE): _S.CANCELED,
    (_S.CANCELED, _T.VENUE_PENDING_NEW): _S.CANCELED,
    (_S.CANCELED, _T.VENUE_PARTIALLY_FILLED): _S.CANCELED,
    (_S.CANCELED, _T.VENUE_FILLED): _S.CANCELED,  # the fills themselves will complete it
    # --- EXPIRED: terminal, like CANCELED
    (_S.EXPIRED, _T.ACCEPT): _S.EXPIRED,
    (_S.EXPIRED, _T.REJECT): _S.EXPIRED,
    (_S.EXPIRED, _T.TRADE): _S.EXPIRED,
    (_S.EXPIRED, _T.TRADE_COMPLETE): _S.FILLED,
    (_S.EXPIRED, _T.CANCEL): _S.EXPIRED,
    (_S.EXPIRED, _T.CANCEL_REJECT): _S.EXPIRED,
    (_S.EXPIRED, _T.EXPIRE): _S.EXPIRED,
    (_S.EXPIRED, _T.VENUE_PENDING_NEW): _S.EXPIRED,
    (_S.EXPIRED, _T.VENUE_PARTIALLY_FILLED): _S.EXPIRED,
    (_S.EXPIRED, _T.VENUE_FILLED): _S.EXPIRED,
    # --- REJECTED: terminal; a fill contradicts the reject but money moved, so keep it
    (_S.REJECTED, _T.ACCEPT): _S.REJECTED,
    (_S.REJECTED, _T.REJECT): _S.REJECTED,
    (_S.REJECTED, _T.TRADE): _S.REJECTED,
    (_S.REJECTED, _T.TRADE_COMPLETE): _S.FILLED,
    (_S.REJECTED, _T.CANCEL): _S.REJECTED,
    (_S.REJECTED, _T.CANCEL_REJECT): _S.REJECTED,
    (_S.REJECTED, _T.EXPIRE): _S.REJECTED,
    (_S.REJECTED, _T.VENUE_PENDING_NEW): _S.REJECTED,
    (_S.REJECTED, _T.VENUE_PARTIALLY_FILLED): _S.REJECTED,
    (_S.REJECTED, _T.VENUE_FILLED): _S.REJECTED,
    # --- DENIED: never sent, so nothing from the venue can concern it: no edges at all.
    # Forbidden on purpose (absent): PARTIALLY_FILLED + REJECT (a venue cannot reject an
    # order it already traded), any terminal + PENDING_CANCEL / UNKNOWN (the engine must
    # answer ORDER_ALREADY_DONE instead), and SUBMIT / DENY everywhere (creation only).
}

RESTATE_TRIGGERS: Final[dict[OrderStatus, Trigger]] = {
    _S.PENDING_NEW: _T.VENUE_PENDING_NEW,
    _S.NEW: _T.ACCEPT,
    _S.PARTIALLY_FILLED: _T.VENUE_PARTIALLY_FILLED,
    _S.FILLED: _T.VENUE_FILLED,
    _S.PENDING_CANCEL: _T.PENDING_CANCEL,
    _S.CANCELED: _T.CANCEL,
    _S.REJECTED: _T.REJECT,
    _S.EXPIRED: _T.EXPIRE,
    _S.UNKNOWN: _T.UNKNOWN,
}
"""The trigger equivalent to a restatement to each venue status (``DENIED`` has none)."""


def next_status(
    status: OrderStatus, trigger: Trigger, previous: OrderStatus | None = None
) -> OrderStatus:
    """Return the status after ``trigger`` in ``status``.

    Args:
        status: the current status.
        trigger: what happened.
        previous: the status remembered when the order entered ``PENDING_CANCEL``.

    Raises:
        InvalidTransition: the edge is not in :data:`TRANSITIONS`.
    """
    try:
        target = TRANSITIONS[(status, trigger)]
    except KeyError:
        raise InvalidTransition(
            f"{status.value} -> {trigger.value} is not allowed",
            context={"status": status.value, "trigger": trigger.value},
        ) from None
    if target is None:
        return previous if previous is not None else OrderStatus.NEW
    return target
