"""The venue conformance suite: numbered scenarios every adapter must pass.

Written once, run against every adapter. An adapter plugs in through a
:class:`VenueDriver`, which builds the adapter and knows how to move its market and force
its faults (the simulator's driver is :class:`ashare_exec.venues.sim.driver.SimDriver`).
A test module parametrises over :data:`SCENARIOS`::

    @pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
    async def test_conformance(scenario, driver):
        await scenario.run(driver)

Scenarios (see ``docs/venues.md``): TC-01 happy path … TC-11 submit while disconnected.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ashare_exec.errors import BrokerUnavailable
from ashare_exec.model import (
    ClientOrderId,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderRejected,
    OrderStatus,
    OrderStatusReport,
    PositionReport,
    VenueConnected,
    VenueDisconnected,
)
from ashare_exec.venues.harness import Harness, VenueDriver

__all__ = ["SCENARIOS", "Harness", "Scenario", "VenueDriver"]


@dataclass(frozen=True, slots=True)
class Scenario:
    """One numbered conformance scenario."""

    id: str
    title: str
    body: Callable[[Harness], Awaitable[None]]

    async def run(self, driver: VenueDriver) -> None:
        """Run the scenario against a fresh venue from ``driver`` and close it."""
        h = Harness(driver)
        try:
            await self.body(h)
        finally:
            if h.venue is not None:
                await h.venue.close()


async def _happy_path(h: Harness) -> None:
    v = await h.open()
    d = h.driver
    await h.wait_for(lambda: any(isinstance(r, VenueConnected) for r in h.reports), "connected")
    before = {p.instrument_id: p.total_qty for p in await v.query_positions(d.account_id)}
    spec = d.marketable_buy(ClientOrderId("TC01"))
    await v.submit(spec)
    assert h.of("TC01") == [], "reports must not be delivered inside submit()"
    await h.wait_terminal("TC01")
    kinds = [type(r) for r in h.of("TC01")]
    assert kinds[0] is OrderAccepted
    assert OrderFilled in kinds
    await h.check_consistent("TC01")
    rep = await v.query_order(d.account_id, ClientOrderId("TC01"))
    assert rep is not None
    assert rep.status is OrderStatus.FILLED
    assert rep.filled_qty == spec.qty
    after = {p.instrument_id: p.total_qty for p in await v.query_positions(d.account_id)}
    assert after[spec.instrument_id] == before.get(spec.instrument_id, 0) + spec.qty


async def _partial_then_cancel(h: Harness) -> None:
    v = await h.open()
    d = h.driver
    cash0 = await v.query_cash(d.account_id)
    spec = d.sweeping_buy(ClientOrderId("TC02"))
    await v.submit(spec)
    await h.wait_for(lambda: len(h.fills("TC02")) > 0, "a partial fill")
    await v.cancel(d.account_id, ClientOrderId("TC02"), None)
    await h.wait_for(lambda: any(isinstance(r, OrderCanceled) for r in h.of("TC02")), "cancel")
    await h.check_consistent("TC02")
    rep = await v.query_order(d.account_id, ClientOrderId("TC02"))
    assert rep is not None
    assert rep.status is OrderStatus.CANCELED
    assert 0 < rep.filled_qty < spec.qty
    cash = await v.query_cash(d.account_id)
    assert cash.frozen == cash0.frozen, "a canceled order must release its frozen cash"


async def _cancel_races_fill(h: Harness) -> None:
    v = await h.open()
    d = h.driver
    await v.submit(d.marketable_buy(ClientOrderId("TC03")))
    await v.cancel(d.account_id, ClientOrderId("TC03"), None)  # before any report arrived
    await h.wait_terminal("TC03")
    await h.check_consistent("TC03")
    rep = await v.query_order(d.account_id, ClientOrderId("TC03"))
    assert rep is not None
    rejected = [r for r in h.of("TC03") if isinstance(r, OrderCancelRejected)]
    canceled = [r for r in h.of("TC03") if isinstance(r, OrderCanceled)]
    assert len(rejected) + len(canceled) >= 1, "the cancel must be answered"
    if rejected:
        assert rep.status is OrderStatus.FILLED
    else:
        assert rep.status is OrderStatus.CANCELED


async def _broker_rejection(h: Harness) -> None:
    v = await h.open()
    d = h.driver
    invalid, code = d.invalid_buy(ClientOrderId("TC04a"))
    cases = [
        (invalid, code),
        (d.unaffordable_buy(ClientOrderId("TC04b")), "INSUFFICIENT_CASH"),
        (d.oversell(ClientOrderId("TC04c")), "INSUFFICIENT_POSITION"),
    ]
    for spec, expected in cases:
        await v.submit(spec)
        coid = spec.client_order_id
        await h.wait_for(_has_reports(h, coid), f"answer to {coid}")
        rej = h.of(coid)[0]
        assert isinstance(rej, OrderRejected), rej
        assert rej.reason_code == expected
        assert rej.message
        rep = await v.query_order(d.account_id, coid)
        assert rep is not None
        assert rep.status is OrderStatus.REJECTED


def _has_reports(h: Harness, coid: str) -> Callable[[], bool]:
    return lambda: bool(h.of(coid))


async def _duplicates_and_reordering(h: Harness) -> None:
    v = await h.open()
    d = h.driver
    d.set_noisy_link(v, True)
    coids = [ClientOrderId(f"TC05{i}") for i in range(6)]
    for c in coids:
        await v.submit(d.marketable_buy(c))
    for c in coids:
        await h.wait_terminal(c)
    d.set_noisy_link(v, False)
    await d.settle()
    for c in coids:
        await h.check_consistent(c)
    trades = await v.query_trades(d.account_id)
    pushed = [r for r in h.reports if isinstance(r, OrderFilled)]
    assert len(pushed) >= len(trades), "no fill may be lost when only duplication/reordering"


async def _disconnect_in_flight(h: Harness) -> None:
    v = await h.open()
    d = h.driver
    await v.submit(d.marketable_buy(ClientOrderId("TC06")))
    d.drop_link(v)
    await h.wait_for(lambda: any(isinstance(r, VenueDisconnected) for r in h.reports), "drop")
    ups = sum(isinstance(r, VenueConnected) for r in h.reports)
    await h.wait_for(
        lambda: sum(isinstance(r, VenueConnected) for r in h.reports) > ups, "auto-reconnect"
    )
    rep = await v.query_order(d.account_id, ClientOrderId("TC06"))
    assert rep is not None, "an order that reached the venue must be found by query"
    assert rep.status is OrderStatus.FILLED


async def _submit_no_answer(h: Harness) -> None:
    v = await h.open()
    d = h.driver
    d.drop_next_submit(v)
    await v.submit(d.passive_buy(ClientOrderId("TC07")))
    await d.advance(5)
    await d.settle()
    assert h.of("TC07") == [], "a lost submit must produce no report"
    assert await v.query_order(d.account_id, ClientOrderId("TC07")) is None
    orders = await v.query_orders(d.account_id)
    assert all(o.client_order_id != "TC07" for o in orders), "the adapter must not resubmit"


async def _restart_mid_day(h: Harness) -> None:
    v = await h.open()
    d = h.driver
    await v.submit(d.sweeping_buy(ClientOrderId("TC08")))
    await h.wait_for(lambda: len(h.fills("TC08")) > 0, "a partial fill")
    orders = await v.query_orders(d.account_id)
    trades = await v.query_trades(d.account_id)
    positions = await v.query_positions(d.account_id)
    cash = await v.query_cash(d.account_id)
    v2 = await d.restart(v)
    h.venue = None
    v2 = await h.open(v2)
    orders2 = await v2.query_orders(d.account_id)
    assert [_order_key(o) for o in orders2] == [_order_key(o) for o in orders]
    trades2 = await v2.query_trades(d.account_id)
    assert [t.trade_id for t in trades2] == [t.trade_id for t in trades]
    positions2 = await v2.query_positions(d.account_id)
    assert [_pos_key(p) for p in positions2] == [_pos_key(p) for p in positions]
    cash2 = await v2.query_cash(d.account_id)
    assert (cash2.available, cash2.frozen) == (cash.available, cash.frozen)
    await v2.cancel(d.account_id, ClientOrderId("TC08"), None)
    await h.wait_for(lambda: any(isinstance(r, OrderCanceled) for r in h.of("TC08")), "cancel")


def _order_key(o: OrderStatusReport) -> tuple[object, ...]:
    return (o.client_order_id, o.status, o.filled_qty)


def _pos_key(p: PositionReport) -> tuple[object, ...]:
    return (p.instrument_id, p.total_qty, p.sellable_qty)


async def _queries_reflect_pushes(h: Harness) -> None:
    v = await h.open()
    d = h.driver
    for i in range(3):
        await v.submit(d.marketable_buy(ClientOrderId(f"TC09{i}")))
    await v.submit(d.passive_buy(ClientOrderId("TC09p")))
    for i in range(3):
        await h.wait_terminal(f"TC09{i}")
    await h.wait_for(lambda: bool(h.of("TC09p")), "ack of the passive order")
    pushed = {r.trade_id for r in h.reports if isinstance(r, OrderFilled)}
    queried = {t.trade_id for t in await v.query_trades(d.account_id)}
    assert pushed == queried
    statuses = {str(o.client_order_id): o.status for o in await v.query_orders(d.account_id)}
    assert statuses["TC09p"] in (OrderStatus.NEW, OrderStatus.PARTIALLY_FILLED, OrderStatus.FILLED)
    assert all(statuses[f"TC09{i}"] is OrderStatus.FILLED for i in range(3))


async def _cancel_unknown(h: Harness) -> None:
    v = await h.open()
    d = h.driver
    await v.cancel(d.account_id, ClientOrderId("TC10-none"), None)
    await h.wait_for(lambda: bool(h.of("TC10-none")), "cancel answer")
    r = h.of("TC10-none")[0]
    assert isinstance(r, OrderCancelRejected)
    assert r.reason_code == "ORDER_NOT_FOUND"


async def _submit_while_down(h: Harness) -> None:
    v = await h.driver.start()
    v.set_report_sink(h.reports.append)
    h.venue = v
    try:
        await v.submit(h.driver.marketable_buy(ClientOrderId("TC11")))
    except BrokerUnavailable:
        pass
    else:
        raise AssertionError("submit before connect must raise BrokerUnavailable")
    assert not v.is_connected


SCENARIOS: Sequence[Scenario] = (
    Scenario("TC-01", "happy path: marketable buy is accepted and filled", _happy_path),
    Scenario("TC-02", "partial fill, then cancel of the remainder", _partial_then_cancel),
    Scenario("TC-03", "cancel races the fill", _cancel_races_fill),
    Scenario("TC-04", "broker and exchange rejections carry reason codes", _broker_rejection),
    Scenario("TC-05", "duplicate and out-of-order reports", _duplicates_and_reordering),
    Scenario("TC-06", "disconnect while an order is in flight", _disconnect_in_flight),
    Scenario("TC-07", "submit with no answer is not resubmitted", _submit_no_answer),
    Scenario("TC-08", "restart of the venue mid-day keeps its state", _restart_mid_day),
    Scenario("TC-09", "queries reflect pushed reports", _queries_reflect_pushes),
    Scenario("TC-10", "cancel of an unknown order is refused", _cancel_unknown),
    Scenario("TC-11", "submit while disconnected raises BrokerUnavailable", _submit_while_down),
)
"""Every scenario, in order."""
