"""QMT-specific scenarios of ``qmt-xtp.md`` §5, against the real xttrader on the emulator."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from ashare_exec.errors import BrokerRejected
from ashare_exec.model import (
    ClientOrderId,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderFilled,
    OrderRejected,
    OrderStatus,
    PriceType,
    Side,
    VenueConnected,
)
from ashare_exec.venues.qmt.records import XtOrderRow

from .conftest import A1, A2, Harness, eventually, needs_xtquant, spec

pytestmark = needs_xtquant


def _kinds(h: Harness, cid: str) -> list[str]:
    return [type(r).__name__ for r in h.reports if getattr(r, "client_order_id", "") == cid]


def _order_calls(h: Harness, method: str = "orderStockWithSeq") -> int:
    return sum(1 for m, _ in h.terminal.calls if m == method)


async def test_submit_when_limit_buy_crosses_accepted_then_filled_once(harness: Harness) -> None:
    harness.terminal.set_price("600000.SH", "10.00")
    await harness.adapter.submit(spec("c1"))
    await eventually(lambda: bool(harness.of(OrderFilled, "c1")))
    await harness.settle()
    assert _kinds(harness, "c1") == ["OrderAccepted", "OrderFilled"]
    fill = harness.of(OrderFilled, "c1")[0]
    assert isinstance(fill, OrderFilled)
    assert (fill.last_qty, fill.last_px, fill.side) == (300, Decimal("10"), Side.BUY)
    ids = harness.adapter.id_mapping(A1, ClientOrderId("c1"))
    assert ids is not None
    assert ids.remark.startswith("c1.")
    assert ids.order_sysid
    assert ids in harness.adapter.store.load(A1)
    assert harness.of(VenueConnected)


async def test_submit_when_pushes_come_before_response_correlates_without_alert(
    harness: Harness,
) -> None:
    harness.terminal.behaviour.push_before_response = True
    harness.terminal.behaviour.push_wait_reporting = True
    harness.terminal.behaviour.trade_before_order_push = True
    harness.terminal.set_price("600000.SH", "10.00")
    await harness.adapter.submit(spec("c2"))
    await eventually(lambda: bool(harness.of(OrderFilled, "c2")))
    await harness.settle()
    assert _kinds(harness, "c2") == ["OrderAccepted", "OrderFilled"]
    accepted = harness.of(OrderAccepted, "c2")[0]
    assert isinstance(accepted, OrderAccepted)
    assert accepted.broker_order_id is not None
    assert harness.adapter.alerts == []


async def test_cancel_when_partially_filled_canceled_with_fill_and_one_request(
    harness: Harness,
) -> None:
    await harness.adapter.submit(spec("c3"))
    await eventually(lambda: bool(harness.of(OrderAccepted, "c3")))
    ids = harness.adapter.id_mapping(A1, ClientOrderId("c3"))
    assert ids is not None
    assert ids.order_id is not None
    harness.terminal.fill("A1", ids.order_id, 100)
    await eventually(lambda: bool(harness.of(OrderFilled, "c3")))
    await harness.adapter.cancel(A1, ClientOrderId("c3"), None)
    await eventually(lambda: bool(harness.of(OrderCanceled, "c3")))
    await harness.settle()
    assert _kinds(harness, "c3") == ["OrderAccepted", "OrderFilled", "OrderCanceled"]
    assert _order_calls(harness, "cancelOrderStockWithSeq") == 1
    assert harness.terminal.accounts["A1"].frozen == 0


async def test_cancel_when_fill_wins_race_filled_and_cancel_rejected_once(
    harness: Harness,
) -> None:
    harness.terminal.behaviour.hold_cancels = True
    await harness.adapter.submit(spec("c4"))
    await eventually(lambda: bool(harness.of(OrderAccepted, "c4")))
    await harness.adapter.cancel(A1, ClientOrderId("c4"), None)
    harness.terminal.set_price("600000.SH", "10.40")
    await eventually(lambda: bool(harness.of(OrderCancelRejected, "c4")))
    await harness.settle()
    assert _kinds(harness, "c4") == ["OrderAccepted", "OrderFilled", "OrderCancelRejected"]
    rejected = harness.of(OrderCancelRejected, "c4")[0]
    assert isinstance(rejected, OrderCancelRejected)
    assert rejected.reason_code == "ORDER_ALREADY_DONE"


@pytest.mark.parametrize(
    ("cid", "expected_code"), [("c5", "ORDER_ALREADY_DONE"), ("nope", "ORDER_NOT_FOUND")]
)
async def test_cancel_when_order_terminal_or_unknown_cancel_rejected_state_kept(
    harness: Harness, cid: str, expected_code: str
) -> None:
    harness.terminal.set_price("600000.SH", "10.00")
    await harness.adapter.submit(spec("c5"))
    await eventually(lambda: bool(harness.of(OrderFilled, "c5")))
    before = len(harness.reports)
    await harness.adapter.cancel(A1, ClientOrderId(cid), None)
    await eventually(lambda: bool(harness.of(OrderCancelRejected, cid)))
    await harness.settle()
    new = harness.reports[before:]
    assert [type(r).__name__ for r in new] == ["OrderCancelRejected"]
    assert isinstance(new[0], OrderCancelRejected)
    assert new[0].reason_code == expected_code


@pytest.mark.parametrize("push_first", [False, True])
async def test_submit_when_counter_rejects_rejected_once_with_reason(
    harness: Harness, push_first: bool
) -> None:
    harness.terminal.behaviour.push_before_response = push_first
    await harness.adapter.submit(spec("c6", account=A2, qty=10_000))
    await eventually(lambda: bool(harness.of(OrderRejected, "c6")))
    await harness.settle()
    assert _kinds(harness, "c6") == ["OrderRejected"]
    rejected = harness.of(OrderRejected, "c6")[0]
    assert isinstance(rejected, OrderRejected)
    assert "insufficient cash" in rejected.message
    assert rejected.reason_code == "INSUFFICIENT_CASH"


async def test_submit_when_rejected_without_order_id_no_phantom_order(harness: Harness) -> None:
    harness.terminal.reject_next_orders(1, "[COUNTER] 非交易时间")
    await harness.adapter.submit(spec("c7"))
    await eventually(lambda: bool(harness.of(OrderRejected, "c7")))
    await harness.settle()
    assert _kinds(harness, "c7") == ["OrderRejected"]
    rejected = harness.of(OrderRejected, "c7")[0]
    assert isinstance(rejected, OrderRejected)
    assert rejected.reason_code == "MARKET_CLOSED"
    book = harness.adapter._books[A1]
    assert -1 not in book.by_order_id
    ids = harness.adapter.id_mapping(A1, ClientOrderId("c7"))
    assert ids is not None
    assert ids.order_id is None


async def test_pushes_when_counter_replays_day_fills_not_doubled_terminal_sticks(
    harness: Harness,
) -> None:
    harness.terminal.set_price("600000.SH", "10.00")
    await harness.adapter.submit(spec("c8a"))
    await harness.adapter.submit(spec("c8b", price="9.00"))
    await eventually(lambda: bool(harness.of(OrderAccepted, "c8b")))
    ids = harness.adapter.id_mapping(A1, ClientOrderId("c8b"))
    assert ids is not None
    assert ids.order_id is not None
    harness.terminal.fill("A1", ids.order_id, 100)
    await harness.adapter.cancel(A1, ClientOrderId("c8b"), None)
    await eventually(lambda: bool(harness.of(OrderCanceled, "c8b")))
    before = len(harness.reports)
    harness.terminal.counter_reconnect()
    harness.terminal.counter_reconnect()
    await harness.settle(0.3)
    assert harness.reports[before:] == []
    assert len(harness.of(OrderFilled)) == 2


async def test_submit_when_no_answer_at_all_in_doubt_never_resent(harness: Harness) -> None:
    harness.terminal.swallow_next_orders(1)
    await harness.adapter.submit(spec("c10"))
    await eventually(lambda: bool(harness.adapter.alerts))
    assert _order_calls(harness) == 1
    assert _kinds(harness, "c10") == []
    assert [a.kind for a in harness.adapter.alerts] == ["ORDER_IN_DOUBT"]
    assert await harness.adapter.query_order(A1, ClientOrderId("c10")) is None
    with pytest.raises(BrokerRejected) as e:
        await harness.adapter.submit(spec("c10"))
    assert e.value.code == "DUPLICATE_CLIENT_ORDER_ID"
    assert _order_calls(harness) == 1


async def test_submit_when_response_lost_settled_by_remark_query(harness: Harness) -> None:
    harness.terminal.behaviour.push_wait_reporting = False
    harness.terminal.drop_next_order_responses(1)
    await harness.adapter.submit(spec("c11"))
    await eventually(lambda: bool(harness.of(OrderAccepted, "c11")))
    await harness.settle(0.6)
    assert _order_calls(harness) == 1
    assert _kinds(harness, "c11") == ["OrderAccepted"]
    report = await harness.adapter.query_order(A1, ClientOrderId("c11"))
    assert report is not None
    assert report.status is OrderStatus.NEW


@pytest.mark.parametrize(
    ("symbol", "price_type", "price", "protection", "code"),
    [
        ("600000.SH", PriceType.IOC, None, None, "PRICE_TYPE_NOT_SUPPORTED"),
        ("600000.SH", PriceType.FOK, None, None, "PRICE_TYPE_NOT_SUPPORTED"),
        ("000001.SZ", PriceType.BEST5_TO_LIMIT, None, None, "PRICE_TYPE_NOT_SUPPORTED"),
        ("600000.SH", PriceType.AFTER_HOURS_FIXED, "10.5", None, "PRICE_TYPE_NOT_SUPPORTED"),
        ("688001.SH", PriceType.BEST5_IOC, None, None, "PROTECTION_PRICE_REQUIRED"),
        ("830799.BJ", PriceType.COUNTERPARTY_BEST, None, None, "PROTECTION_PRICE_REQUIRED"),
        ("600000.SH", PriceType.LIMIT, None, None, "PRICE_REQUIRED"),
    ],
)
async def test_submit_when_pair_invalid_refused_before_sending(
    harness: Harness,
    symbol: str,
    price_type: PriceType,
    price: str | None,
    protection: str | None,
    code: str,
) -> None:
    order = spec("c12", symbol=symbol, price_type=price_type, price=price, protection=protection)
    with pytest.raises(BrokerRejected) as e:
        await harness.adapter.submit(order)
    assert e.value.code == code
    assert _order_calls(harness) == 0
    assert harness.adapter.id_mapping(A1, ClientOrderId("c12")) is None


async def test_submit_when_star_market_with_protection_sends_protection_as_price(
    harness: Harness,
) -> None:
    order = spec(
        "c13", symbol="688001.SH", price_type=PriceType.BEST5_IOC, price=None, protection="50.10"
    )
    await harness.adapter.submit(order)
    await eventually(lambda: bool(harness.of(OrderAccepted, "c13") or harness.of(OrderCanceled)))
    sent = harness.terminal.orders["A1"][-1]
    assert (sent.price_type, sent.price) == (42, Decimal("50.1"))


async def test_submit_when_remark_truncated_by_broker_integrity_alert(harness: Harness) -> None:
    harness.terminal.behaviour.remark_max_len = 6
    await harness.adapter.submit(spec("order-14"))
    await eventually(lambda: bool(harness.of(OrderAccepted, "order-14")))
    await harness.settle()
    assert [a.kind for a in harness.adapter.alerts] == ["REMARK_TRUNCATED"]
    assert harness.adapter.alerts[0].client_order_id == "order-14"


async def test_submit_when_accounts_share_terminal_state_isolated(harness: Harness) -> None:
    harness.terminal.set_price("600000.SH", "10.00")
    await harness.adapter.submit(spec("same", account=A1))
    await harness.adapter.submit(spec("same", account=A2))
    await eventually(lambda: len(harness.of(OrderFilled, "same")) == 2)
    fills = harness.of(OrderFilled, "same")
    assert sorted(getattr(f, "account_id", "") for f in fills) == ["A1", "A2"]
    assert harness.terminal.accounts["A2"].cash == Decimal(47_000)


async def test_push_when_status_unknown_255_settled_by_query_not_rejected(
    harness: Harness,
) -> None:
    await harness.adapter.submit(spec("u1", price="9.00"))
    await eventually(lambda: bool(harness.of(OrderAccepted, "u1")))
    ids = harness.adapter.id_mapping(A1, ClientOrderId("u1"))
    assert ids is not None
    assert ids.order_id is not None
    harness.terminal.behaviour.mute_pushes = True
    harness.terminal.fill("A1", ids.order_id, 300)  # the fill pushes are lost
    harness.terminal.behaviour.mute_pushes = False
    harness.terminal.push_order_status("A1", ids.order_id, 255)
    await eventually(lambda: bool(harness.of(OrderFilled, "u1")))
    await harness.settle()
    assert _kinds(harness, "u1") == ["OrderAccepted", "OrderFilled"]
    assert harness.of(OrderRejected, "u1") == []


async def test_query_order_when_many_look_up_at_once_one_listing_answers_each(
    harness: Harness,
) -> None:
    harness.terminal.set_price("600000.SH", "10.00")
    cids = [f"q{n}" for n in range(12)]
    for n, cid in enumerate(cids):  # half resting, half filled
        await harness.adapter.submit(spec(cid, price="9.50" if n % 2 else "10.50", qty=100))
    await eventually(lambda: len(harness.cids(OrderAccepted) & set(cids)) == len(cids))
    before = _order_calls(harness, "queryStockOrdersWithSeq")
    # As after a stall, when every silent order is looked up at about the same moment.
    found = await asyncio.gather(*(harness.adapter.query_order(A1, ClientOrderId(c)) for c in cids))
    assert _order_calls(harness, "queryStockOrdersWithSeq") == before + 1
    assert [r.client_order_id if r else None for r in found] == cids
    assert [r.status if r else None for r in found] == [
        OrderStatus.NEW if n % 2 else OrderStatus.FILLED for n in range(len(cids))
    ]
    # Once the shared listing has answered, the next lookup asks afresh.
    assert await harness.adapter.query_order(A1, ClientOrderId("nobody")) is None
    assert _order_calls(harness, "queryStockOrdersWithSeq") == before + 2


async def test_query_listings_when_a_row_is_unchanged_its_report_is_reused_until_it_changes(
    harness: Harness,
) -> None:
    harness.terminal.set_price("600000.SH", "10.00")
    await harness.adapter.submit(spec("u1", qty=100))  # filled at once
    await harness.adapter.submit(spec("u2", price="9.50", qty=100))  # rests
    await eventually(lambda: len(harness.cids(OrderAccepted) & {"u1", "u2"}) == 2)
    await eventually(lambda: bool(harness.of(OrderFilled, "u1")))
    first = {r.client_order_id: r for r in await harness.adapter.query_orders(A1)}
    second = {r.client_order_id: r for r in await harness.adapter.query_orders(A1)}
    assert second["u1"] is first["u1"]
    assert second["u2"] is first["u2"]
    fills = [await harness.adapter.query_trades(A1) for _ in range(2)]
    assert [f.client_order_id for f in fills[0]] == ["u1"]
    assert fills[1][0] is fills[0][0]  # a trade never changes
    await harness.adapter.cancel(A1, ClientOrderId("u2"), None)
    await eventually(lambda: bool(harness.of(OrderCanceled, "u2")))
    third = {r.client_order_id: r for r in await harness.adapter.query_orders(A1)}
    assert third["u1"] is first["u1"]
    assert third["u2"] is not first["u2"]
    assert (first["u2"].status, third["u2"].status) == (OrderStatus.NEW, OrderStatus.CANCELED)
    # A new connection (MiniQMT's order ids may be renumbered) converts every row afresh.
    generation, session_id = harness.adapter.router.session()
    harness.adapter.router.session = lambda: (generation + 1, session_id)
    fourth = {r.client_order_id: r for r in await harness.adapter.query_orders(A1)}
    assert fourth["u1"] is not first["u1"]
    assert fourth["u1"] == first["u1"]  # the same content


def test_query_orders_when_a_row_is_not_ours_it_is_converted_each_time(harness: Harness) -> None:
    manual = XtOrderRow("A1", "600000.SH", 777, "S777", 23, 100, 50, 9.5, 0, 0.0, 50, "", "")
    router = harness.adapter.router
    (first,) = router.status_reports(A1, [manual])
    (second,) = router.status_reports(A1, [manual])
    assert first.client_order_id is second.client_order_id is None
    assert second is not first  # an order id learned later may make it ours


async def test_cancel_when_asked_before_the_ack_is_sent_once_the_ack_brings_an_id(
    harness: Harness,
) -> None:
    # A strategy that cancels right after submitting: QMT cancels only by order_id or
    # order_sysid, which the ack brings. The cancel waits for it instead of failing.
    harness.terminal.set_price("600000.SH", "10.00")
    await harness.adapter.submit(spec("k1", price="9.50", qty=100))  # rests
    await eventually(lambda: bool(harness.of(OrderAccepted, "k1")))
    await harness.settle()  # every push of the order is in
    book = harness.adapter._books[A1]
    rec = book.by_cid["k1"]
    order_id = rec.order_id
    assert order_id is not None
    # As the adapter stands before the ack is in: the order left, no id known yet.
    book.by_order_id.pop(order_id)
    book.by_sysid.pop(rec.order_sysid, None)
    rec.order_id, rec.order_id_generation, rec.order_sysid = None, None, ""
    await harness.adapter.cancel(A1, ClientOrderId("k1"), None)
    await harness.settle()
    assert harness.terminal.cancel_requests == []  # nothing to cancel by yet
    harness.terminal.push_order_status("A1", order_id, 50)  # the ack's push: ids again

    await eventually(lambda: bool(harness.of(OrderCanceled, "k1")))
    await harness.settle()
    assert harness.of(OrderCancelRejected, "k1") == []
    assert len(harness.terminal.cancel_requests) == 1


async def test_cancel_when_the_order_was_refused_before_its_ack_says_it_is_done(
    harness: Harness,
) -> None:
    harness.terminal.reject_next_orders(1, "资金不足")
    await harness.adapter.submit(spec("k2", price="9.50", qty=100))
    await eventually(lambda: bool(harness.of(OrderRejected, "k2")))
    await harness.adapter.cancel(A1, ClientOrderId("k2"), None)
    await harness.settle()

    (answer,) = harness.of(OrderCancelRejected, "k2")
    assert isinstance(answer, OrderCancelRejected)
    assert answer.reason_code == "ORDER_ALREADY_DONE"
    assert harness.terminal.cancel_requests == []
