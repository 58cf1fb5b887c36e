"""The transition table: every allowed edge and every forbidden one, through Order.apply."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ashare_exec.errors import InvalidTransition
from ashare_exec.model import OrderEvent, OrderStatus
from ashare_exec.model.fsm import RESTATE_TRIGGERS, TRANSITIONS, Trigger, next_status
from ashare_exec.model.order import Order

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oms"))
import oms_stubs as st

S = OrderStatus

_PATHS: dict[OrderStatus, list[OrderEvent]] = {
    S.PENDING_NEW: [],
    S.NEW: [st.accepted()],
    S.PARTIALLY_FILLED: [st.accepted(), st.filled(trade="T0", qty=100)],
    # FILLED by restatement (no fills yet), so that both TRADE and TRADE_COMPLETE can occur.
    S.FILLED: [st.accepted(), st.restated(status=S.FILLED)],
    S.PENDING_CANCEL: [st.accepted(), st.pending_cancel()],
    S.CANCELED: [st.accepted(), st.canceled()],
    S.REJECTED: [st.rejected()],
    S.DENIED: [],
    S.EXPIRED: [st.accepted(), st.expired()],
    S.UNKNOWN: [st.unknown()],
}


def order_in(status: OrderStatus) -> Order:
    order = Order.create(st.denied() if status is S.DENIED else st.submitted())
    for event in _PATHS[status]:
        order.apply(event)
    assert order.status is status
    return order


def event_for(trigger: Trigger, order: Order) -> OrderEvent:
    remaining = max(order.qty - order.filled_qty, 1)
    factories = {
        Trigger.SUBMIT: lambda: st.submitted(at=10),
        Trigger.DENY: lambda: st.denied(at=10),
        Trigger.ACCEPT: lambda: st.accepted(at=10, broker="B9"),
        Trigger.REJECT: lambda: st.rejected(at=10),
        Trigger.TRADE: lambda: st.filled(trade="TX", qty=100, at=10),
        Trigger.TRADE_COMPLETE: lambda: st.filled(trade="TX", qty=remaining, at=10),
        Trigger.PENDING_CANCEL: lambda: st.pending_cancel(at=10),
        Trigger.CANCEL: lambda: st.canceled(at=10),
        Trigger.CANCEL_REJECT: lambda: st.cancel_rejected(at=10),
        Trigger.EXPIRE: lambda: st.expired(at=10),
        Trigger.UNKNOWN: lambda: st.unknown(at=10),
        Trigger.VENUE_PENDING_NEW: lambda: st.restated(status=S.PENDING_NEW, at=10),
        Trigger.VENUE_PARTIALLY_FILLED: lambda: st.restated(status=S.PARTIALLY_FILLED, at=10),
        Trigger.VENUE_FILLED: lambda: st.restated(status=S.FILLED, at=10),
    }
    return factories[trigger]()


ALLOWED = sorted(TRANSITIONS.items())
FORBIDDEN = sorted((s, t) for s in OrderStatus for t in Trigger if (s, t) not in TRANSITIONS)


def edge_id(value: object) -> str:
    if isinstance(value, tuple):
        return "+".join(str(v) for v in value)
    return str(value)


@pytest.mark.parametrize(("edge", "target"), ALLOWED, ids=edge_id)
def test_apply_when_edge_allowed_reaches_table_target(
    edge: tuple[OrderStatus, Trigger], target: OrderStatus | None
) -> None:
    status, trigger = edge
    order = order_in(status)
    expected = target if target is not None else S.NEW  # the path entered PENDING_CANCEL from NEW
    log_before = len(order.log)

    result = order.apply(event_for(trigger, order))

    assert order.status is expected
    assert result.status_before is status
    assert result.status_after is expected
    assert len(order.log) == log_before + 1


@pytest.mark.parametrize("edge", FORBIDDEN, ids=edge_id)
def test_apply_when_edge_forbidden_raises_and_changes_nothing(
    edge: tuple[OrderStatus, Trigger],
) -> None:
    status, trigger = edge
    order = order_in(status)
    log_before = len(order.log)
    filled_before = order.filled_qty

    with pytest.raises(InvalidTransition):
        order.apply(event_for(trigger, order))

    assert order.status is status
    assert order.filled_qty == filled_before
    assert len(order.log) == log_before


@pytest.mark.parametrize("edge", FORBIDDEN, ids=edge_id)
def test_next_status_when_edge_not_in_table_raises(edge: tuple[OrderStatus, Trigger]) -> None:
    with pytest.raises(InvalidTransition, match="is not allowed"):
        next_status(*edge)


def test_table_when_inspected_denied_has_no_edges_and_creation_triggers_are_absent() -> None:
    sources = {s for s, _t in TRANSITIONS}
    triggers = {t for _s, t in TRANSITIONS}
    assert S.DENIED not in sources
    assert sources == set(OrderStatus) - {S.DENIED}
    assert Trigger.SUBMIT not in triggers
    assert Trigger.DENY not in triggers


def test_restate_triggers_when_inspected_cover_every_venue_status() -> None:
    assert set(RESTATE_TRIGGERS) == set(OrderStatus) - {S.DENIED}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ([st.accepted(), st.pending_cancel()], S.NEW),
        ([st.accepted(), st.filled(qty=100), st.pending_cancel()], S.PARTIALLY_FILLED),
        ([st.pending_cancel()], S.PENDING_NEW),
        # the ack arrives while the cancel is pending: a rejected cancel returns to NEW
        ([st.pending_cancel(), st.accepted(at=4)], S.NEW),
        # a fill races the cancel: a rejected cancel returns to PARTIALLY_FILLED
        ([st.accepted(), st.pending_cancel(), st.filled(qty=100, at=4)], S.PARTIALLY_FILLED),
        ([st.unknown(), st.pending_cancel()], S.UNKNOWN),
        ([st.accepted(), st.pending_cancel(), st.pending_cancel(at=5)], S.NEW),
    ],
)
def test_cancel_reject_when_pending_cancel_returns_to_remembered_status(
    path: list[OrderEvent], expected: OrderStatus
) -> None:
    order = Order.create(st.submitted())
    for event in path:
        order.apply(event)
    assert order.status is S.PENDING_CANCEL

    order.apply(st.cancel_rejected(at=20))

    assert order.status is expected
    assert order.previous_status is None
