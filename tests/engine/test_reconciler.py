"""The reconciler: broker balances taken while our orders are in flight or moving."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pytest

from ashare_exec.api.schemas import OrderIn
from ashare_exec.engine.reconciler import MAX_DEFERRALS, Reconciler
from ashare_exec.errors import BrokerUnavailable
from ashare_exec.model import (
    BrokerOrderId,
    ClientOrderId,
    InstrumentId,
    OrderSpec,
    OrderStatus,
    PositionReport,
    PriceType,
    Side,
    SubmitOrder,
)
from tests.engine.conftest import ACC as RIG_ACC
from tests.engine.conftest import Rig
from tests.reliability.dst_checks import check_ledger
from tests.reliability.dst_harness import ACC, DstRun
from tests.reliability.vloop import run_virtual


@pytest.mark.parametrize(
    ("side", "price"),
    [("SELL", "11.45"), ("BUY", "11.65"), ("SELL", "11.70"), ("BUY", "11.40")],
    ids=["sell-fills", "buy-fills", "sell-rests", "buy-rests"],
)
def test_reconcile_when_order_in_flight_ledger_equals_venue_once_it_arrives(
    fast_dir: Path, side: Literal["BUY", "SELL"], price: str
) -> None:
    async def scenario() -> None:
        run = await DstRun.quiet(1, fast_dir)
        try:
            await run.settle()
            gate = asyncio.Event()
            send = run.sim.submit

            async def held(spec: Any) -> None:
                await gate.wait()  # journaled and frozen here, not at the venue yet
                await send(spec)

            run.sim.submit = held
            body = OrderIn(
                account_id=ACC, symbol="000001.SZ", side=side, qty=400,
                price=Decimal(price), client_order_id="f1",
            )  # fmt: skip
            submitting = asyncio.get_running_loop().create_task(run.svc.submit(body, actor="t"))
            await asyncio.sleep(0.01)
            assert run.svc.core.state.ledger.order_freeze(ACC, ClientOrderId("f1"))

            rep = await run.svc.reconciler.reconcile(ACC, "timer")

            assert rep is not None
            assert list(rep.unseen_freezes) == ["f1"]
            assert not rep.position_mismatches
            assert not rep.cash_mismatches
            gate.set()
            await submitting
            await run.sim.advance_to(run.clock.now() + timedelta(seconds=3))
            await run.settle(3.0)
            order = run.svc.core.state.book.get(ACC, ClientOrderId("f1"))
            assert order is not None
            expected = OrderStatus.FILLED if price in ("11.45", "11.65") else OrderStatus.NEW
            assert order.status is expected
            # strict: the venue knows every order now, nothing is adjusted for
            assert check_ledger(run.svc.core.state.ledger, run.sim.exchange, ACC) is None
            rep = await run.svc.reconciler.reconcile(ACC, "timer")
            assert rep is not None
            # (avg_cost may differ in the last digits: the venue reports it to the cent)
            assert [m for m in rep.position_mismatches if m.field != "avg_cost"] == []
            assert rep.cash_mismatches == []
        finally:
            await run.svc.stop()

    run_virtual(scenario())


def _buy(coid: str) -> SubmitOrder:
    return SubmitOrder(
        account_id=RIG_ACC,
        instrument_id=InstrumentId.parse("600000.SH"),
        side=Side.BUY,
        qty=300,
        price=Decimal("10.00"),
        client_order_id=ClientOrderId(coid),
    )


async def _bought_and_filled(rig: Rig) -> None:
    """Buy 300 as c1; the venue fills it all and its report is applied."""
    await rig.core.submit(_buy("c1"))
    await rig.core.drain()
    rig.venue.push(rig.venue.fill(ClientOrderId("c1"), 300, "10.00"))
    for _ in range(3):
        await asyncio.sleep(0)
        await rig.core.drain()


def _moving_orders(rig: Rig) -> Callable[[], int]:
    """Make every second look at the venue's order list (a reconcile's re-query) find one
    more order, on 600000.SH, than the look before; return how many looks there were."""
    query_orders = rig.venue.query_orders
    calls = 0

    async def moving(account_id: Any) -> Any:
        nonlocal calls
        calls += 1
        found = await query_orders(account_id)
        if calls % 2:
            return found
        extra = replace(found[0], client_order_id=ClientOrderId(f"z{calls}"))
        return [*found, replace(extra, broker_order_id=BrokerOrderId(f"BZ{calls}"))]

    rig.venue.query_orders = moving  # type: ignore[method-assign]
    return lambda: calls


async def test_reconcile_when_fill_lands_between_queries_defers_correction_and_retries(
    rig: Rig,
) -> None:
    reconciler = Reconciler(rig.core, report_dir=None)
    await rig.core.submit(_buy("c1"))
    await rig.core.drain()
    rig.venue.cash = Decimal("990000")  # differs from ours: a correction is due
    query_cash = rig.venue.query_cash
    calls = 0

    async def cash_with_fill(account_id: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            rig.venue.fill(ClientOrderId("c1"), 100, "10.00")  # after the order list was read
        return await query_cash(account_id)

    rig.venue.query_cash = cash_with_fill  # type: ignore[method-assign]
    before = rig.core.state.ledger.cash(RIG_ACC)

    first = await reconciler.reconcile(RIG_ACC, "timer")

    assert first is not None
    assert first.balances_deferred
    assert not first.clean
    assert not first.cash_mismatches
    assert rig.core.state.ledger.cash(RIG_ACC).available == before.available
    for _ in range(50):  # the retry it asked for (each venue query lets the loop turn)
        if reconciler.runs == 2:
            break
        await asyncio.sleep(0)
        await rig.core.drain()
    assert reconciler.runs == 2
    second = reconciler.last_reports[RIG_ACC]
    assert not second.balances_deferred
    assert [f.last_qty for f in second.missing_fills] == [100]
    assert [m.field for m in second.cash_mismatches] == ["available", "frozen"]
    assert rig.core.state.ledger.cash(RIG_ACC).available == Decimal("990000")


async def test_reconcile_when_orders_never_settle_retries_at_most_max_deferrals(rig: Rig) -> None:
    reconciler = Reconciler(rig.core, report_dir=None)
    await rig.core.submit(_buy("c1"))
    await rig.core.drain()
    looks = _moving_orders(rig)

    await reconciler.reconcile(RIG_ACC, "timer")
    for _ in range(300):  # ample turns of the loop for every retry there could be
        await asyncio.sleep(0)
        await rig.core.drain()

    assert reconciler.runs == 1 + MAX_DEFERRALS
    assert looks() == 2 * (1 + MAX_DEFERRALS)
    assert reconciler.last_reports[RIG_ACC].balances_deferred


@pytest.mark.parametrize(
    ("later", "status"),
    [(timedelta(minutes=5), OrderStatus.CANCELED), (timedelta(days=1), OrderStatus.EXPIRED)],
    ids=["same-day", "next-day"],
)
async def test_reconcile_when_venue_no_longer_lists_an_order_ends_it_by_its_day(
    rig: Rig, later: timedelta, status: OrderStatus
) -> None:
    # Venues list only today's orders: one of an earlier day they dropped ended at its close.
    reconciler = Reconciler(rig.core, report_dir=None, grace_s=1.0)
    await rig.core.submit(_buy("c1"))
    for _ in range(3):
        await asyncio.sleep(0)
        await rig.core.drain()
    order = rig.core.state.book.get(RIG_ACC, ClientOrderId("c1"))
    assert order is not None
    assert order.status is OrderStatus.NEW
    rig.venue.orders.clear()
    rig.clock.advance(later)

    await reconciler.reconcile(RIG_ACC, "timer")

    assert order.status is status
    assert [a[1] for a in rig.alerts].count("ORDER_NOT_AT_VENUE") == 1


@pytest.mark.parametrize("acked", [False, True], ids=["never-acknowledged", "acknowledged"])
async def test_reconcile_when_venue_lacks_an_order_cancelled_before_any_ack_it_never_arrived(
    rig: Rig, acked: bool
) -> None:
    # A cancel asked while the submit had no answer: if the venue has no such order, it
    # never got it (REJECTED), unlike an order it acknowledged and no longer lists.
    reconciler = Reconciler(rig.core, report_dir=None, grace_s=1.0)
    rig.venue.auto_ack = acked
    rig.venue.ignore_cancels = True
    await rig.core.submit(_buy("c1"))
    for _ in range(3):
        await asyncio.sleep(0)
        await rig.core.drain()
    await rig.core.cancel(RIG_ACC, ClientOrderId("c1"))
    order = rig.core.state.book.get(RIG_ACC, ClientOrderId("c1"))
    assert order is not None
    assert order.status is OrderStatus.PENDING_CANCEL
    rig.venue.orders.clear()
    rig.clock.advance(timedelta(minutes=5))

    await reconciler.reconcile(RIG_ACC, "timer")

    assert order.status is (OrderStatus.CANCELED if acked else OrderStatus.REJECTED)
    assert [a[1] for a in rig.alerts].count("ORDER_NOT_AT_VENUE") == 1


@pytest.mark.parametrize(
    ("later", "alerted"),
    [(timedelta(hours=10), False), (timedelta(hours=4), True)],
    ids=["evening", "afternoon"],
)
async def test_reconcile_when_broker_releases_day_buys_after_the_close_corrects_without_alert(
    rig: Rig, later: timedelta, alerted: bool
) -> None:
    # Brokers switch days at night, some before our midnight: then the day's buys show
    # sellable first. That is the T+1 release, not a drift; before the close it is one.
    reconciler = Reconciler(rig.core, report_dir=None)
    signals: list[Any] = []
    rig.core.on_signal = signals.append
    await _bought_and_filled(rig)
    inst = InstrumentId.parse("600000.SH")
    assert rig.core.state.ledger.position(RIG_ACC, inst).sellable == 0
    rig.venue.cash = rig.core.state.ledger.cash(RIG_ACC).available
    rig.venue.positions = [
        PositionReport(account_id=RIG_ACC, instrument_id=inst, total_qty=300, sellable_qty=300)
    ]
    rig.clock.advance(later)  # from 10:00

    rep = await reconciler.reconcile(RIG_ACC, "timer")

    assert rep is not None
    assert rig.core.state.ledger.position(RIG_ACC, inst).sellable == 300
    assert bool(rep.position_mismatches) is alerted
    assert [s.kind for s in signals] == (["position"] if alerted else [])
    assert "RECONCILE_MISMATCH" not in [a[1] for a in rig.alerts]  # the signal's rule pages


@pytest.mark.parametrize(
    ("off_by", "exceeds"), [("0.01", False), ("0.02", True)], ids=["a-cent", "two-cents"]
)
async def test_reconcile_when_cash_differs_signals_whether_beyond_tolerance(
    rig: Rig, off_by: str, exceeds: bool
) -> None:
    reconciler = Reconciler(rig.core, report_dir=None)
    signals: list[Any] = []
    rig.core.on_signal = signals.append
    rig.venue.cash = rig.core.state.ledger.cash(RIG_ACC).available + Decimal(off_by)

    await reconciler.reconcile(RIG_ACC, "timer")

    assert [(s.kind, s.count, s.exceeds_tolerance) for s in signals] == [("cash", 1, exceeds)]
    assert rig.core.state.ledger.cash(RIG_ACC).available == rig.venue.cash  # corrected either way
    # One drift pages once: through the signal's alert rule, not also the engine's alert.
    assert "RECONCILE_MISMATCH" not in [a[1] for a in rig.alerts]


async def test_reconcile_when_venue_fills_are_unexplained_alerts_what_it_found(rig: Rig) -> None:
    reconciler = Reconciler(rig.core, report_dir=None)
    await rig.core.submit(_buy("c1"))
    await rig.core.drain()
    rig.venue.fill(ClientOrderId("c1"), 300, "10.00")
    rig.venue.orders[ClientOrderId("c1")].fills.clear()  # its trade list lacks the fill

    rep = await reconciler.reconcile(RIG_ACC, "timer")

    assert rep is not None
    assert rep.fills_gaps == {ClientOrderId("c1"): 300}
    found = [a for a in rig.alerts if a[1] == "RECONCILE_MISMATCH"]
    assert len(found) == 1
    assert "300 filled shares its trade list does not explain" in found[0][2]


async def test_timer_reconcile_skips_settled_orders_of_the_same_day_only(rig: Rig) -> None:
    # A busy day lists every order each minute: finished ones that agreed are not redone.
    reconciler = Reconciler(rig.core, report_dir=None)
    await _bought_and_filled(rig)
    order = rig.core.state.book.get(RIG_ACC, ClientOrderId("c1"))
    assert order is not None
    assert order.status is OrderStatus.FILLED

    first = await reconciler.reconcile(RIG_ACC, "timer")
    rig.clock.advance(timedelta(minutes=1))
    second = await reconciler.reconcile(RIG_ACC, "timer")
    tomorrow = rig.clock.now().date() + timedelta(days=1)
    rig.core.state.ledger.roll_day(RIG_ACC, tomorrow, rig.clock.now())
    next_day = await reconciler.reconcile(RIG_ACC, "timer")

    assert first is not None
    assert second is not None
    assert next_day is not None
    assert list(first.settled) == ["c1"]
    assert (first.skipped, second.skipped, next_day.skipped) == (0, 1, 0)
    assert second.events == []
    assert second.fills_gaps == {}


async def test_reconcile_when_orders_move_but_no_correction_is_due_neither_requeries_nor_defers(
    rig: Rig,
) -> None:
    # Under a steady flow of orders the venue's list always moves: checking it again only
    # matters when the balances would be corrected.
    reconciler = Reconciler(rig.core, report_dir=None)
    await _bought_and_filled(rig)
    inst = InstrumentId.parse("600000.SH")
    rig.venue.cash = rig.core.state.ledger.cash(RIG_ACC).available
    rig.venue.positions = [
        PositionReport(account_id=RIG_ACC, instrument_id=inst, total_qty=300, sellable_qty=0)
    ]
    looks = _moving_orders(rig)  # a second look at the list would find one more order

    rep = await reconciler.reconcile(RIG_ACC, "timer")
    for _ in range(50):
        await asyncio.sleep(0)
        await rig.core.drain()

    assert rep is not None
    assert not rep.balances_deferred
    assert (rep.cash_mismatches, rep.position_mismatches) == ([], [])
    assert looks() == 1  # the list was not asked for again
    assert reconciler.runs == 1  # and no retry was requested


@pytest.mark.parametrize("cash_due", [False, True], ids=["positions-only", "cash-too"])
async def test_reconcile_when_orders_move_on_one_instrument_still_corrects_the_others(
    rig: Rig, cash_due: bool
) -> None:
    # Under a steady flow of orders on 600000.SH, a manual buy of 000001.SZ at the broker
    # is corrected at once; cash, which every order moves, waits for a quiet moment.
    reconciler = Reconciler(rig.core, report_dir=None)
    await _bought_and_filled(rig)
    ours, manual = InstrumentId.parse("600000.SH"), InstrumentId.parse("000001.SZ")
    cash = rig.core.state.ledger.cash(RIG_ACC).available
    rig.venue.cash = cash - Decimal("5000") if cash_due else cash
    rig.venue.positions = [
        PositionReport(account_id=RIG_ACC, instrument_id=ours, total_qty=300, sellable_qty=0),
        PositionReport(account_id=RIG_ACC, instrument_id=manual, total_qty=500, sellable_qty=500),
    ]
    looks = _moving_orders(rig)

    rep = await reconciler.reconcile(RIG_ACC, "timer")

    assert rep is not None
    assert looks() == 2  # the list was asked for again: a correction was due
    assert {(m.instrument_id, m.field) for m in rep.position_mismatches} == {
        (manual, "total"),
        (manual, "sellable"),
    }
    position = rig.core.state.ledger.position(RIG_ACC, manual)
    assert (position.total, position.sellable) == (500, 500)
    assert rep.cash_mismatches == []
    assert rig.core.state.ledger.cash(RIG_ACC).available == cash  # held back either way
    assert rep.balances_deferred is cash_due  # a due correction held back asks again


@pytest.mark.parametrize("link_down", [True, False], ids=["link-down", "link-up"])
async def test_reconcile_when_a_query_fails_retries_only_while_the_link_is_up(
    rig: Rig, link_down: bool
) -> None:
    # A link that drops mid-reconcile: retrying would hold the account's reconcile (and an
    # end of day queued behind it) for seconds; the reconnect reconciles again anyway.
    reconciler = Reconciler(rig.core, report_dir=None)
    calls = 0

    async def failing(account_id: Any) -> Any:
        nonlocal calls
        calls += 1
        if link_down:
            rig.venue.connected = False
        raise BrokerUnavailable("no answer", code="VENUE_DISCONNECTED")

    rig.venue.query_trades = failing  # type: ignore[method-assign]

    rep = await reconciler.reconcile(RIG_ACC, "timer")

    assert rep is None
    assert calls == (1 if link_down else 6)


def test_orders_another_program_placed_on_the_account_are_adopted_once_and_balances_agree(
    fast_dir: Path,
) -> None:
    # A user also trading by hand in the broker's terminal: its pushes are for orders we do
    # not know (quarantined, a reconcile asked for), and the reconcile adopts them as
    # external orders. The adoption's OrderSubmitted was itself refused as "an order we do
    # not know", so nothing was ever adopted and every reconcile quarantined them again.
    async def scenario() -> None:
        run = await DstRun.quiet(1, fast_dir)
        try:
            await run.settle()
            sim = run.sim
            for coid, side, price in (("hand1", Side.BUY, "11.40"), ("hand2", Side.BUY, "11.65")):
                spec = OrderSpec(
                    account_id=ACC, client_order_id=ClientOrderId(coid),
                    instrument_id=InstrumentId.parse("000001.SZ"), side=side, qty=200,
                    price_type=PriceType.LIMIT, price=Decimal(price),
                )  # fmt: skip
                sim._emit(sim.exchange.submit(spec, run.clock.now()))  # pushed to us too
            await run.settle(3.0)  # (before the fix this never settled: each reconcile's
            # quarantines asked for the next reconcile)

            book = run.svc.core.state.book
            adopted = {c: book.get(ACC, ClientOrderId(c)) for c in ("hand1", "hand2")}
            quarantined = len(run.svc.core.quarantine)
            again = await run.svc.reconciler.reconcile(ACC, "timer")

            assert {c: (o.status, o.spec.external) for c, o in adopted.items() if o} == {
                "hand1": (OrderStatus.NEW, True),
                "hand2": (OrderStatus.FILLED, True),
            }
            assert check_ledger(run.svc.core.state.ledger, sim.exchange, ACC, book) is None
            assert again is not None
            assert again.adopted_events == []
            assert again.clean
            assert len(run.svc.core.quarantine) == quarantined  # nothing new
        finally:
            await run.svc.stop()

    run_virtual(scenario())
