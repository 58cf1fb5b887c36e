"""The Order entity: fills once per trade id, derived quantities, over-fills, the order log."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from ashare_exec.errors import InvalidTransition
from ashare_exec.model import OrderStatus, Side
from ashare_exec.model.order import ApplyOutcome, Order

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oms"))
import oms_stubs as st

S = OrderStatus


def test_create_when_submitted_starts_pending_new_with_one_log_entry() -> None:
    order = Order.create(st.submitted())

    assert order.status is S.PENDING_NEW
    assert order.leaves_qty == 1000
    assert order.avg_px is None
    assert [(e.status_before, e.status_after) for e in order.log] == [(None, S.PENDING_NEW)]


def test_create_when_denied_is_terminal_and_keeps_reasons() -> None:
    order = Order.create(st.denied())

    assert order.status is S.DENIED
    assert order.reasons == ("INSUFFICIENT_CASH",)
    assert order.leaves_qty == 0


def test_create_when_not_a_creation_event_raises() -> None:
    with pytest.raises(InvalidTransition):
        Order.create(st.accepted())  # type: ignore[arg-type]


def test_apply_when_fills_arrive_derives_filled_leaves_and_avg_px() -> None:
    order = Order.create(st.submitted())
    order.apply(st.accepted())

    order.apply(st.filled(trade="T1", qty=300, px="10.00"))
    order.apply(st.filled(trade="T2", qty=100, px="10.40"))

    assert order.status is S.PARTIALLY_FILLED
    assert order.filled_qty == 400
    assert order.leaves_qty == 600
    assert order.avg_px == Decimal("10.10")


def test_apply_when_trade_id_repeats_returns_duplicate_and_changes_nothing() -> None:
    order = Order.create(st.submitted())
    order.apply(st.filled(trade="T1", qty=300))
    log_len = len(order.log)

    result = order.apply(st.filled(trade="T1", qty=300, at=9))

    assert result.outcome is ApplyOutcome.DUPLICATE
    assert result.duplicate
    assert order.filled_qty == 300
    assert len(order.log) == log_len


def test_apply_when_fills_exceed_qty_records_and_flags_overfill() -> None:
    order = Order.create(st.submitted())
    order.apply(st.filled(trade="T1", qty=1000))

    result = order.apply(st.filled(trade="T2", qty=200))

    assert result.applied
    assert result.overfill
    assert order.overfilled
    assert order.filled_qty == 1200
    assert order.status is S.FILLED
    assert "overfill" in order.log[-1].note


def test_apply_when_fill_before_ack_then_late_ack_keeps_partial_and_records_ids() -> None:
    order = Order.create(st.submitted())
    order.apply(st.filled(qty=100))

    result = order.apply(st.accepted(broker="B7", exch="E7"))

    assert result.applied
    assert order.status is S.PARTIALLY_FILLED
    assert (order.broker_order_id, order.exchange_order_id) == ("B7", "E7")


def test_apply_when_report_after_terminal_is_absorbed_and_logged() -> None:
    order = Order.create(st.submitted())
    order.apply(st.filled(qty=1000))

    result = order.apply(st.canceled(at=9))

    assert result.absorbed
    assert order.status is S.FILLED
    assert order.log[-1].note == "absorbed late report"


def test_apply_when_late_fill_on_canceled_order_counts_fill_and_stays_canceled() -> None:
    order = Order.create(st.submitted())
    order.apply(st.accepted())
    order.apply(st.canceled())

    result = order.apply(st.filled(qty=100, at=9))

    assert result.applied
    assert order.status is S.CANCELED
    assert order.filled_qty == 100
    assert order.leaves_qty == 0
    assert "late fill" in result.note


@pytest.mark.parametrize(
    "event",
    [
        st.filled(inst=st.INST2),
        st.filled(side=Side.SELL),
        st.filled(qty=0),
        st.filled(coid="OTHER"),
    ],
    ids=["instrument", "side", "zero-qty", "other-order"],
)
def test_apply_when_fill_does_not_belong_raises(event: object) -> None:
    order = Order.create(st.submitted())

    with pytest.raises(InvalidTransition):
        order.apply(event)  # type: ignore[arg-type]

    assert order.filled_qty == 0


def test_apply_when_rejected_keeps_reason_and_message() -> None:
    order = Order.create(st.submitted())

    order.apply(st.rejected())

    assert order.status is S.REJECTED
    assert order.reasons == ("BROKER_REJECTED",)
    assert order.message == "junk"


def test_apply_when_restated_with_venue_fills_exposes_fills_gap() -> None:
    order = Order.create(st.submitted())
    order.apply(st.filled(qty=100))

    order.apply(st.restated(status=S.FILLED, venue_filled=1000))

    assert order.status is S.FILLED
    assert order.fills_gap == 900


def test_apply_when_restated_to_denied_raises() -> None:
    order = Order.create(st.submitted())

    with pytest.raises(InvalidTransition):
        order.apply(st.restated(status=S.DENIED))


_FILLS = [("T1", 100, "10.01"), ("T2", 250, "10.02"), ("T3", 50, "9.99"), ("T4", 600, "10.00")]


@given(hs.lists(hs.sampled_from(_FILLS), min_size=1, max_size=12))
def test_apply_when_fills_duplicated_and_reordered_gives_same_result(
    sequence: list[tuple[str, int, str]],
) -> None:
    order = Order.create(st.submitted())
    for trade, qty, px in sequence:
        order.apply(st.filled(trade=trade, qty=qty, px=px))
    unique = {t: (q, Decimal(p)) for t, q, p in sequence}
    expected_qty = sum(q for q, _p in unique.values())
    expected_notional = sum((q * p for q, p in unique.values()), Decimal(0))

    assert order.filled_qty == expected_qty
    assert order.avg_px == expected_notional / expected_qty
    assert set(order.fills) == set(unique)
    assert order.status is (S.FILLED if expected_qty >= 1000 else S.PARTIALLY_FILLED)


_POOL = [
    st.accepted(at=3),
    st.rejected(at=3),
    st.pending_cancel(at=3),
    st.canceled(at=3),
    st.cancel_rejected(at=3),
    st.expired(at=3),
    st.unknown(at=3),
    *(st.restated(status=s, at=3) for s in S if s is not S.DENIED),
    st.filled(trade="F1", qty=100),
    st.filled(trade="F2", qty=300),
    st.filled(trade="F3", qty=600),
    st.filled(trade="F4", qty=50),
]


@settings(max_examples=400)
@given(hs.lists(hs.sampled_from(_POOL), max_size=25))
def test_apply_when_any_event_sequence_keeps_order_invariants(events: list[object]) -> None:
    order = Order.create(st.submitted())
    was_terminal = False

    for event in events:
        try:
            order.apply(event)  # type: ignore[arg-type]
        except InvalidTransition:
            continue
        assert order.filled_qty == sum(f.qty for f in order.fills.values())
        assert (order.previous_status is not None) == (order.status is S.PENDING_CANCEL)
        if order.status in (S.PENDING_NEW, S.NEW):
            assert order.filled_qty == 0
        if order.status is S.PARTIALLY_FILLED:
            assert order.filled_qty < order.qty
        assert order.leaves_qty == (0 if order.is_terminal else order.qty - order.filled_qty)
        assert not (was_terminal and not order.is_terminal)
        was_terminal = order.is_terminal
