"""The risk layer's account view: its working-order index and running working quantities
must always agree with a full scan of the order book, whatever the events did."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ashare_exec.engine.account_view import OmsAccountView
from ashare_exec.model import InstrumentId, OrderEvent, Side
from ashare_exec.oms.state import OmsState
from tests.unit.oms.oms_stubs import (
    ACC,
    INST,
    INST2,
    accepted,
    canceled,
    filled,
    pending_cancel,
    rejected,
    submitted,
)

_INSTS = (INST, INST2)


def _state() -> OmsState:
    return OmsState.new(lambda *_a: Decimal(0))


def _scan(state: OmsState, inst: InstrumentId, side: Side) -> tuple[int, set[str]]:
    orders = [
        o
        for o in state.book.open_orders(ACC)
        if o.spec.instrument_id == inst and o.spec.side is side
    ]
    return sum(o.leaves_qty for o in orders), {o.spec.client_order_id for o in orders}


# One step: (order number, action, argument).
_steps = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.sampled_from(("submit", "accept", "fill", "cancel", "reject", "pending_cancel")),
        st.integers(1, 5),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(_steps)
def test_view_when_any_event_sequence_matches_a_full_scan(
    steps: list[tuple[int, str, int]],
) -> None:
    state = _state()
    view = OmsAccountView(state, ACC, {}, lambda _i: None)
    trades = 0
    for n, action, arg in steps:
        coid = f"C{n}"
        inst = _INSTS[n % 2]
        side = Side.BUY if n % 3 else Side.SELL
        order = state.book.get(ACC, coid)  # type: ignore[arg-type]
        event: OrderEvent
        if action == "submit":
            if order is not None:
                continue
            event = submitted(coid, side=side, inst=inst, qty=500)
        elif order is None or order.is_terminal:
            continue
        elif action == "accept":
            event = accepted(coid, broker=f"B{n}")
        elif action == "fill":
            trades += 1
            qty = min(arg * 100, order.leaves_qty)
            event = filled(coid, f"T{trades}", qty=qty, side=side, inst=inst)
        elif action == "cancel":
            event = canceled(coid)
        elif action == "pending_cancel":
            event = pending_cancel(coid)
        else:
            event = rejected(coid)
        try:
            change = state.apply(event)
        except Exception:  # an illegal edge for this status: the book is unchanged
            continue
        view.observe(change)
        for i in _INSTS:
            for s in (Side.BUY, Side.SELL):
                qty, coids = _scan(state, i, s)
                listed = {o.client_order_id for o in view.working_orders(i, s)}
                assert listed == coids
                pos = view.position(i)
                seen = (
                    0
                    if pos is None
                    else (pos.working_buy_qty if s is Side.BUY else pos.working_sell_qty)
                )
                assert seen == qty
    assert view.open_order_count() == len(state.book.open_orders(ACC))
    rebuilt = OmsAccountView(state, ACC, {}, lambda _i: None)
    assert {o.client_order_id for o in rebuilt.working_orders()} == {
        o.client_order_id for o in view.working_orders()
    }


def test_working_orders_when_side_given_lists_only_that_side() -> None:
    state = _state()
    view = OmsAccountView(state, ACC, {}, lambda _i: None)
    for event in (submitted("B1", side=Side.BUY), submitted("S1", side=Side.SELL, price="10.50")):
        view.observe(state.apply(event))
    assert [o.client_order_id for o in view.working_orders(INST, Side.SELL)] == ["S1"]
    assert [o.client_order_id for o in view.working_orders(INST, Side.BUY)] == ["B1"]
    assert len(view.working_orders(INST)) == 2
    assert [o.client_order_id for o in view.working_orders(None, Side.BUY)] == ["B1"]


def test_position_when_partly_filled_then_canceled_drops_working_quantity() -> None:
    state = _state()
    view = OmsAccountView(state, ACC, {}, lambda _i: None)
    for event in (submitted("C1", qty=1000), accepted("C1"), filled("C1", qty=300)):
        view.observe(state.apply(event))
    pos = view.position(INST)
    assert pos is not None
    assert pos.working_buy_qty == 700
    view.observe(state.apply(canceled("C1")))
    pos = view.position(INST)
    assert pos is None or pos.working_buy_qty == 0
    assert view.open_order_count() == 0
