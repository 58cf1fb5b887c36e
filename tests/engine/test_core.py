"""The execution core: command path, report path, in-flight resolution, quarantine."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from ashare_exec.errors import (
    BrokerTimeout,
    BrokerUnavailable,
    DuplicateClientOrderId,
    InvalidRequest,
    ServiceUnavailable,
)
from ashare_exec.model import (
    BrokerOrderId,
    ClientOrderId,
    InstrumentId,
    OrderFilled,
    OrderPendingCancel,
    OrderStatus,
    OrderStatusReport,
    PriceType,
    Side,
    SubmitOrder,
    TradeId,
)
from tests.engine.conftest import ACC, Rig

PF = InstrumentId.parse("600000.SH")  # prev close 10.02 in the sample master


def buy(qty: int = 100, price: str = "10.00", coid: str | None = "c1") -> SubmitOrder:
    return SubmitOrder(
        account_id=ACC,
        instrument_id=PF,
        side=Side.BUY,
        qty=qty,
        price=Decimal(price),
        client_order_id=ClientOrderId(coid) if coid else None,
    )


async def settle(rig: Rig) -> None:
    for _ in range(3):
        await asyncio.sleep(0)
        await rig.core.drain()


async def test_submit_when_allowed_is_journaled_before_the_venue_sees_it(rig: Rig) -> None:
    seen_in_journal: list[int] = []
    rig.venue.on_submit = lambda spec: seen_in_journal.append(len(rig.journal.rows("orders")))
    order, created = await rig.core.submit(buy())
    assert created
    assert seen_in_journal == [1]
    await settle(rig)
    assert order.status is OrderStatus.NEW
    assert order.broker_order_id == "B1"


async def test_fill_after_ack_moves_order_to_filled_and_updates_position(rig: Rig) -> None:
    order, _ = await rig.core.submit(buy())
    await settle(rig)
    rig.venue.push(rig.venue.fill(ClientOrderId("c1"), 100, "10.00"))
    await settle(rig)
    assert order.status is OrderStatus.FILLED
    pos = rig.core.state.ledger.position(ACC, PF)
    assert (pos.total, pos.sellable, pos.bought_today) == (100, 0, 100)  # T+1


async def test_duplicate_fill_report_is_applied_once(rig: Rig) -> None:
    order, _ = await rig.core.submit(buy(qty=200))
    await settle(rig)
    fill = rig.venue.fill(ClientOrderId("c1"), 100, "10.00", trade_id="T-dup")
    rig.venue.push(fill)
    rig.venue.push(fill)
    await settle(rig)
    assert order.filled_qty == 100
    assert order.status is OrderStatus.PARTIALLY_FILLED


async def test_resubmit_same_content_returns_existing_and_sends_nothing(rig: Rig) -> None:
    first, _ = await rig.core.submit(buy())
    again, created = await rig.core.submit(buy())
    assert again is first
    assert not created
    assert len(rig.venue.submits) == 1


async def test_resubmit_different_content_is_refused(rig: Rig) -> None:
    await rig.core.submit(buy())
    with pytest.raises(DuplicateClientOrderId):
        await rig.core.submit(buy(qty=200))
    assert len(rig.venue.submits) == 1


async def test_denied_order_is_recorded_and_never_sent(rig: Rig) -> None:
    order, created = await rig.core.submit(buy(price="11.03"))  # limit-up is 11.02
    assert created
    assert order.status is OrderStatus.DENIED
    assert "PRICE_ABOVE_LIMIT_UP" in order.reasons
    assert rig.venue.submits == []
    assert rig.journal.rows("orders")[0]["status"] == "DENIED"


async def test_minted_client_ids_are_unique(rig: Rig) -> None:
    a, _ = await rig.core.submit(buy(coid=None))
    b, _ = await rig.core.submit(buy(coid=None))
    assert a.spec.client_order_id != b.spec.client_order_id
    assert len(rig.venue.submits) == 2


async def test_unknown_account_or_symbol_is_refused_without_recording(rig: Rig) -> None:
    with pytest.raises(InvalidRequest) as e:
        await rig.core.submit(
            SubmitOrder(
                account_id=ACC,
                instrument_id=InstrumentId.parse("600001.SH"),
                side=Side.BUY,
                qty=100,
                price=Decimal("1"),
            )
        )
    assert e.value.code == "UNKNOWN_SYMBOL"
    assert len(rig.core.state.book) == 0


async def test_silent_venue_leaves_order_unknown_with_alert_and_never_resends(rig: Rig) -> None:
    rig.venue.silent = True
    rig.venue.orders.clear()
    order, _ = await rig.core.submit(buy())
    # The venue never kept it either: query_order answers None.
    rig.venue.orders.clear()
    await asyncio.sleep(0.15)
    await settle(rig)
    assert order.status is OrderStatus.UNKNOWN
    assert any(a[1] == "ORDER_IN_DOUBT" for a in rig.alerts)
    assert len(rig.venue.submits) == 1


async def test_cancel_of_an_unanswered_order_the_venue_does_not_know_leaves_it_in_doubt(
    rig: Rig,
) -> None:
    # The submit got no answer and a cancel was asked meanwhile: if the venue does not know
    # the order, it is in doubt (not left PENDING_CANCEL with no alert); never resent.
    rig.venue.silent = True
    rig.venue.ignore_cancels = True
    order, _ = await rig.core.submit(buy())
    await rig.core.cancel(ACC, "c1")
    assert order.status is OrderStatus.PENDING_CANCEL
    rig.venue.orders.clear()
    await asyncio.sleep(0.15)
    await settle(rig)
    assert order.status is OrderStatus.UNKNOWN
    assert any(a[1] == "ORDER_IN_DOUBT" for a in rig.alerts)
    assert len(rig.venue.submits) == 1


async def test_order_in_doubt_the_venue_still_does_not_know_asks_for_a_reconcile(
    rig: Rig,
) -> None:
    # Not the next timed reconcile, a minute of ORDER_IN_DOUBT later: the reconcile is the
    # one to end it (it never arrived), once the venue has had a second timeout to list it.
    rig.venue.silent = True
    order, _ = await rig.core.submit(buy())
    rig.venue.orders.clear()
    await asyncio.sleep(0.07)
    await settle(rig)
    assert order.status is OrderStatus.UNKNOWN
    assert rig.reconciles == []
    await asyncio.sleep(0.07)
    await settle(rig)
    assert rig.reconciles == [(ACC, "order c1 in doubt, not at the venue")]
    assert len(rig.venue.submits) == 1


async def test_submit_that_timed_out_is_asked_after_the_timeout_and_resolved(rig: Rig) -> None:
    rig.venue.silent = True  # it kept the order all the same, and never answered
    rig.venue.submit_error = BrokerTimeout("no answer in 5 s")
    rig.venue.keep_on_error = True
    order, _ = await rig.core.submit(buy())
    assert order.status is OrderStatus.UNKNOWN
    await asyncio.sleep(0.07)
    await settle(rig)
    assert order.status is OrderStatus.NEW
    assert len(rig.venue.submits) == 1


async def test_silent_order_found_by_query_is_resolved(rig: Rig) -> None:
    rig.venue.silent = True
    order, _ = await rig.core.submit(buy())
    await asyncio.sleep(0.15)
    await settle(rig)
    assert order.status is OrderStatus.NEW  # the query showed it working
    assert len(rig.venue.submits) == 1


async def test_venue_down_at_submit_rejects_with_venue_disconnected(rig: Rig) -> None:
    rig.venue.submit_error = BrokerUnavailable("link down")
    order, _ = await rig.core.submit(buy())
    assert order.status is OrderStatus.REJECTED
    assert order.reasons == ("VENUE_DISCONNECTED",)


async def test_report_for_unknown_order_is_quarantined_and_triggers_reconcile(rig: Rig) -> None:
    stray = OrderFilled(
        account_id=ACC,
        client_order_id=ClientOrderId("nope"),
        ts_event=rig.clock.now(),
        trade_id=TradeId("T9"),
        instrument_id=PF,
        side=Side.BUY,
        last_qty=100,
        last_px=Decimal("10"),
    )
    rig.venue.push(stray)
    await settle(rig)
    assert len(rig.core.quarantine) == 1
    assert rig.reconciles
    assert rig.reconciles[0][0] == ACC
    assert any(a[1] == "REPORT_QUARANTINED" for a in rig.alerts)


async def test_pushed_status_report_of_an_order_we_never_sent_adopts_it_as_external(
    rig: Rig,
) -> None:
    rig.venue.push(
        OrderStatusReport(
            account_id=ACC,
            client_order_id=None,
            broker_order_id=BrokerOrderId("B77"),
            exchange_order_id=None,
            instrument_id=PF,
            side=Side.BUY,
            price_type=PriceType.LIMIT,
            price=Decimal("10.00"),
            qty=100,
            filled_qty=0,
            avg_px=None,
            status=OrderStatus.NEW,
            ts_event=rig.clock.now(),
        )
    )
    await settle(rig)

    adopted = rig.core.state.book.by_broker_id(ACC, BrokerOrderId("B77"))
    assert adopted is not None
    assert (adopted.status, adopted.spec.external) == (OrderStatus.NEW, True)
    assert rig.core.quarantine == []
    assert rig.core.state.ledger.cash(ACC).frozen > 0  # its cash is held as the venue's is


async def test_cancel_moves_to_pending_then_canceled_and_releases_cash(rig: Rig) -> None:
    order, _ = await rig.core.submit(buy())
    await settle(rig)
    frozen = rig.core.state.ledger.cash(ACC).frozen
    assert frozen > 0
    await rig.core.cancel(ACC, "c1")
    assert order.status is OrderStatus.PENDING_CANCEL
    await settle(rig)
    assert order.status is OrderStatus.CANCELED
    assert rig.core.state.ledger.cash(ACC).frozen == 0


async def test_cancel_when_the_order_fills_while_the_cancel_is_journaled_sends_no_cancel(
    rig: Rig,
) -> None:
    await rig.core.submit(buy())
    await settle(rig)
    append = rig.core.journal.append_many_async

    async def fill_meanwhile(changes: Any) -> Any:
        if any(isinstance(c.event, OrderPendingCancel) for c in changes):
            rig.venue.push(rig.venue.fill(ClientOrderId("c1"), 100, "10.00"))
            await settle(rig)  # the fill is applied while the cancel's commit waits
        return await append(changes)

    rig.core.journal.append_many_async = fill_meanwhile  # type: ignore[method-assign]

    answer = await rig.core.cancel(ACC, "c1")

    assert answer.status is OrderStatus.FILLED
    assert rig.venue.cancels == []  # nothing left to cancel


async def test_not_accepting_refuses_new_orders_with_shutting_down(rig: Rig) -> None:
    rig.core.accepting = False
    with pytest.raises(ServiceUnavailable) as e:
        await rig.core.submit(buy())
    assert e.value.code == "SHUTTING_DOWN"


async def test_lost_cancel_is_resent_and_finally_rejected_back_to_working(rig: Rig) -> None:
    order, _ = await rig.core.submit(buy())
    await settle(rig)
    rig.venue.ignore_cancels = True
    await rig.core.cancel(ACC, "c1")
    assert order.status is OrderStatus.PENDING_CANCEL
    for _ in range(200):
        await asyncio.sleep(0.05)
        await settle(rig)
        if order.status is not OrderStatus.PENDING_CANCEL:
            break
    # one cancel plus three retries reached the venue; never a second submit
    assert rig.venue.cancels == ["c1"] * 4
    assert len(rig.venue.submits) == 1
    assert order.status is OrderStatus.NEW
    assert any(a[1] == "CANCEL_NOT_CONFIRMED" for a in rig.alerts)


async def test_rearm_after_restart_resolves_a_cancel_that_never_left(rig: Rig) -> None:
    order, _ = await rig.core.submit(buy())
    await settle(rig)
    # As after a crash between journaling the cancel request and sending it.
    rig.venue.ignore_cancels = True
    await rig.core.cancel(ACC, "c1")
    for handle in rig.core.accounts[ACC].inflight.values():
        handle.cancel()
    rig.core.accounts[ACC].inflight.clear()
    rig.venue.ignore_cancels = False
    assert rig.core.rearm_inflight() == 1
    for _ in range(200):
        await asyncio.sleep(0.05)
        await settle(rig)
        if order.status is OrderStatus.CANCELED:
            break
    assert order.status is OrderStatus.CANCELED


async def test_an_answer_that_overtakes_the_call_that_sent_it_leaves_no_in_flight_timer(
    rig: Rig,
) -> None:
    # QMT and XTP answer on their own threads: the venue's report can be applied on the
    # loop before its submit (or cancel) call has returned. The order is answered then, and
    # a timer armed after it would only hold the order for a timeout, to find nothing to do.
    send, cancel = rig.venue.submit, rig.venue.cancel

    async def answered_before_return(spec: Any) -> None:
        await send(spec)
        await asyncio.sleep(0.02)

    async def cancel_answered_before_return(*args: Any) -> None:
        await cancel(*args)
        await asyncio.sleep(0.02)

    rig.venue.submit = answered_before_return  # type: ignore[method-assign]
    rig.venue.cancel = cancel_answered_before_return  # type: ignore[method-assign]
    inflight = rig.core.accounts[ACC].inflight

    order, _ = await rig.core.submit(buy())
    assert order.status is OrderStatus.NEW
    assert inflight == {}
    canceled = await rig.core.cancel(ACC, "c1")
    assert (
        rig.core.state.book.get(ACC, canceled.spec.client_order_id).status is OrderStatus.CANCELED
    )
    assert inflight == {}
    # An order still waiting for its answer is timed as before.
    rig.venue.silent = True
    silent, _ = await rig.core.submit(buy(coid="c2"))
    assert silent.status is OrderStatus.PENDING_NEW
    assert set(inflight) == {"c2"}
