"""The simulated counter and exchange: phases, checks, T+1, cash freezing, durability."""

from __future__ import annotations

from datetime import time
from decimal import Decimal as D

import pytest

from ashare_exec.errors import BrokerRejected
from ashare_exec.model import (
    ClientOrderId,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderStatus,
    PriceType,
    Side,
)
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.sim import SimConfig
from tests.venues.sim.kit import ACCOUNT, PF, MakeExchange, at, spec

P = PriceType


def kinds(reports: list[VenueReport]) -> list[str]:
    return [type(r).__name__ for r in reports]


PHASES = [
    # time, price type, expected first report kind, reason code
    ((9, 16), P.LIMIT, "OrderAccepted", ""),
    ((9, 21), P.LIMIT, "OrderAccepted", ""),
    ((9, 27), P.LIMIT, "OrderAccepted", ""),
    ((9, 16), P.BEST5_IOC, "OrderRejected", "MARKET_ORDER_NOT_ALLOWED"),
    ((14, 58), P.BEST5_IOC, "OrderRejected", "MARKET_ORDER_NOT_ALLOWED"),
    ((12, 0), P.LIMIT, "OrderRejected", "MARKET_CLOSED"),
    ((8, 0), P.LIMIT, "OrderRejected", "MARKET_CLOSED"),
    ((15, 30), P.LIMIT, "OrderRejected", "MARKET_CLOSED"),
    ((10, 0), P.COUNTERPARTY_BEST, "OrderRejected", "PRICE_TYPE_NOT_SUPPORTED"),  # SSE main
]


@pytest.mark.parametrize(("hm", "pt", "kind", "code"), PHASES)
def test_submit_when_phase_then_accepted_or_rejected_by_the_rules(
    make_exchange: MakeExchange, hm: tuple[int, int], pt: PriceType, kind: str, code: str
) -> None:
    """Acceptance windows and price types follow ``rules`` per phase."""
    ex = make_exchange()
    price = "10.00" if pt is P.LIMIT else None
    out = ex.submit(spec("o1", Side.BUY, 100, price, pt), at(*hm))
    assert kinds(out)[0] == kind
    if code:
        assert isinstance(out[0], OrderRejected)
        assert out[0].reason_code == code
        assert "[" + code + "]" in out[0].message


def test_opening_auction_when_buy_above_open_then_fills_at_uncross_price(
    make_exchange: MakeExchange,
) -> None:
    """A buy collected 9:15-9:25 fills at 9:25 at the auction price, not its limit."""
    ex = make_exchange()
    ex.submit(spec("o1", Side.BUY, 1000, "10.50"), at(9, 16))
    out = ex.advance_to(at(9, 25))
    fills = [r for r in out if isinstance(r, OrderFilled)]
    q = ex.quote(PF, at(9, 25))
    assert q is not None
    assert [f.last_px for f in fills] == [q.last]
    assert sum(f.last_qty for f in fills) == 1000


def test_closing_auction_when_order_unfilled_then_expired_at_close(
    make_exchange: MakeExchange,
) -> None:
    """After the 15:00 uncross every working order expires and releases its freeze."""
    ex = make_exchange()
    ex.submit(spec("o1", Side.BUY, 100, "9.10"), at(14, 58))
    assert ex.accounts[ACCOUNT].frozen > 0
    out = ex.advance_to(at(15, 0, 1))
    assert kinds(out) == ["OrderExpired"]
    assert ex.accounts[ACCOUNT].frozen == 0


@pytest.mark.parametrize(
    ("hm", "code"), [((9, 21), "CANCEL_NOT_ALLOWED_NOW"), ((14, 58), "CANCEL_NOT_ALLOWED_NOW")]
)
def test_cancel_when_no_cancel_window_then_refused(
    make_exchange: MakeExchange, hm: tuple[int, int], code: str
) -> None:
    """Cancels are refused 9:20-9:25 and 14:57-15:00."""
    ex = make_exchange()
    ex.submit(spec("o1", Side.BUY, 100, "9.10"), at(hm[0], hm[1]))
    out = ex.cancel(ACCOUNT, ClientOrderId("o1"), None, at(hm[0], hm[1], 30))
    assert isinstance(out[-1], OrderCancelRejected)
    assert out[-1].reason_code == code


def test_cancel_when_order_filled_then_already_done(make_exchange: MakeExchange) -> None:
    """A cancel after the fill is refused with ORDER_ALREADY_DONE."""
    ex = make_exchange()
    q = ex.quote(PF, at(10, 0))
    assert q is not None
    ex.submit(spec("o1", Side.BUY, 100, str(q.ask_prices[0])), at(10, 0))
    out = ex.cancel(ACCOUNT, ClientOrderId("o1"), None, at(10, 0))
    assert isinstance(out[-1], OrderCancelRejected)
    assert out[-1].reason_code == "ORDER_ALREADY_DONE"


def test_buy_when_resting_then_cash_frozen_with_fees_and_released_on_cancel(
    make_exchange: MakeExchange,
) -> None:
    """A buy freezes price x qty plus estimated fees; a cancel gives all of it back."""
    ex = make_exchange(cash="100000")
    ex.submit(spec("o1", Side.BUY, 1000, "9.50"), at(10, 0))
    acct = ex.accounts[ACCOUNT]
    fees = D("5.00") + D("0.10") + D("0.32") + D("0.19")  # min commission, transfer, handling, CSRC
    assert acct.frozen == D("9500.00") + fees
    assert acct.available == D("100000") - acct.frozen
    out = ex.cancel(ACCOUNT, ClientOrderId("o1"), None, at(10, 1))
    assert isinstance(out[-1], OrderCanceled)
    assert (acct.available, acct.frozen) == (D("100000"), 0)


def test_buy_when_partly_filled_keeps_frozen_the_leaves_amount_and_their_own_fees(
    make_exchange: MakeExchange,
) -> None:
    """After a partial fill a buy keeps frozen what a new order for its leaves would: the
    leaves' amount plus their estimated fees, the minimum commission included (as the
    gateway's ledger reckons it), not a prorated share of the first freeze."""
    ex = make_exchange(cash="100000")
    ex.submit(spec("o1", Side.BUY, 400, "9.50"), at(10, 0))
    order = ex.orders[(ACCOUNT, ClientOrderId("o1"))]
    acct = ex.accounts[ACCOUNT]
    fees_100 = D("5.00") + D("0.01") + D("0.03") + D("0.02")  # min commission and the rest

    ex.book_fill(order, D("9.50"), 300, at(10, 1))

    assert acct.frozen == D("950.00") + fees_100
    assert acct.frozen == ex.buy_freeze(ex.instrument(PF), order, 100)  # type: ignore[arg-type]
    ex.book_fill(order, D("9.50"), 100, at(10, 2))
    assert acct.frozen == 0
    assert acct.available == D("100000") - D("3800.00") - order.fees


def test_buy_when_cost_with_fees_exceeds_cash_then_insufficient_cash(
    make_exchange: MakeExchange,
) -> None:
    """Cash must cover the fees too: exactly the notional is not enough."""
    ex = make_exchange(cash="950.00")
    out = ex.submit(spec("o1", Side.BUY, 100, "9.50"), at(10, 0))
    assert isinstance(out[0], OrderRejected)
    assert out[0].reason_code == "INSUFFICIENT_CASH"


def test_sell_when_bought_today_then_not_sellable_until_next_day(
    make_exchange: MakeExchange,
) -> None:
    """T+1: today's buys cannot be sold today; after the day roll they can."""
    ex = make_exchange(positions={})
    q = ex.quote(PF, at(10, 0))
    assert q is not None
    ex.submit(spec("b1", Side.BUY, 100, str(q.ask_prices[0])), at(10, 0))
    out = ex.submit(spec("s1", Side.SELL, 100, str(q.bid_prices[0])), at(10, 1))
    assert isinstance(out[0], OrderRejected)
    assert out[0].reason_code == "INSUFFICIENT_POSITION"
    ex.advance_to(at(9, 0, day=(2026, 11, 26)))
    h = ex.accounts[ACCOUNT].holding(PF)
    assert (h.total, h.sellable) == (100, 100)
    out = ex.submit(spec("s1", Side.SELL, 100, "9.00"), at(9, 16, day=(2026, 11, 26)))
    assert isinstance(out[0], OrderAccepted)


def test_t1_release_at_when_set_the_day_buys_become_sellable_that_evening_once(
    make_exchange: MakeExchange,
) -> None:
    """A broker whose night clearing comes before midnight: sellable at 20:00, not again."""
    ex = make_exchange(positions={"600000.SH": 300}, t1_release_at=time(20, 0))
    q = ex.quote(PF, at(10, 0))
    assert q is not None
    ex.submit(spec("b1", Side.BUY, 100, str(q.ask_prices[0])), at(10, 0))
    h = ex.accounts[ACCOUNT].holding(PF)

    ex.advance_to(at(19, 59))
    before = (h.total, h.sellable)
    ex.advance_to(at(20, 0))
    evening = (h.total, h.sellable)
    ex.advance_to(at(9, 0, day=(2026, 11, 26)))

    assert before == (400, 300)
    assert evening == (400, 400)
    assert (h.total, h.sellable) == (400, 400)
    assert [r.sellable_qty for r in ex.position_reports(ACCOUNT, at(9, 0))] == [400]


@pytest.mark.parametrize("bad", [time(15, 0), time(15, 30), time(9, 0)])
def test_t1_release_at_when_not_after_the_last_trade_is_refused(bad: time) -> None:
    with pytest.raises(ValueError, match="after 15:30"):
        SimConfig(t1_release_at=bad)


def test_sell_when_shares_frozen_by_open_sell_then_second_sell_refused(
    make_exchange: MakeExchange,
) -> None:
    """Open sells freeze their shares."""
    ex = make_exchange(positions={"600000.SH": 1000})
    ex.submit(spec("s1", Side.SELL, 800, "11.00"), at(10, 0))
    assert ex.accounts[ACCOUNT].holding(PF).sellable == 200
    out = ex.submit(spec("s2", Side.SELL, 300, "11.00"), at(10, 0))
    assert isinstance(out[0], OrderRejected)
    assert out[0].reason_code == "INSUFFICIENT_POSITION"


def test_submit_when_client_id_reused_then_broker_rejected(make_exchange: MakeExchange) -> None:
    """The venue refuses a second order with the same client id the same day."""
    ex = make_exchange()
    ex.submit(spec("o1", Side.BUY, 100, "9.50"), at(10, 0))
    with pytest.raises(BrokerRejected) as e:
        ex.submit(spec("o1", Side.BUY, 100, "9.50"), at(10, 0))
    assert e.value.code == "DUPLICATE_CLIENT_ORDER_ID"


def test_restart_when_state_durable_then_orders_fills_and_cash_reload(
    make_exchange: MakeExchange,
) -> None:
    """A new exchange on the same file sees the same orders, fills, cash and counters."""
    ex = make_exchange(durable=True)
    q = ex.quote(PF, at(10, 0))
    assert q is not None
    ex.submit(spec("o1", Side.BUY, 200, str(q.ask_prices[0])), at(10, 0))
    ex.submit(spec("o2", Side.BUY, 100, "9.50"), at(10, 0))
    before = (ex.order_reports(ACCOUNT), ex.trade_reports(ACCOUNT), ex.accounts[ACCOUNT].cash)
    ex.store.close()
    ex2 = make_exchange(durable=True)
    after = (ex2.order_reports(ACCOUNT), ex2.trade_reports(ACCOUNT), ex2.accounts[ACCOUNT].cash)
    assert after == before
    out = ex2.submit(spec("o3", Side.BUY, 100, "9.50"), at(10, 1))
    assert isinstance(out[0], OrderAccepted)
    assert out[0].broker_order_id == "3"
    ex2.store.close()


def test_restart_when_next_day_then_yesterdays_orders_done_and_new_day_empty(
    make_exchange: MakeExchange,
) -> None:
    """The venue kept trading while the gateway was down: the order ended by the close."""
    ex = make_exchange(durable=True)
    ex.submit(spec("o1", Side.BUY, 100, "9.50"), at(10, 0))
    ex.store.close()
    ex2 = make_exchange(durable=True)
    out = ex2.advance_to(at(9, 0, day=(2026, 11, 26)))
    assert [r.client_order_id for r in out] == ["o1"]  # type: ignore[union-attr]
    assert isinstance(out[-1], OrderExpired | OrderFilled)
    assert ex2.accounts[ACCOUNT].frozen == 0
    assert ex2.working == {}
    assert ex2.order_reports(ACCOUNT) == []
    ex2.store.close()


def test_random_reject_when_rate_one_then_broker_rejected(make_exchange: MakeExchange) -> None:
    """The reject fault refuses valid orders with BROKER_REJECTED."""
    from ashare_exec.venues.sim import FaultConfig

    ex = make_exchange(faults=FaultConfig(reject_rate=1.0))
    out = ex.submit(spec("o1", Side.BUY, 100, "9.50"), at(10, 0))
    assert isinstance(out[0], OrderRejected)
    assert out[0].reason_code == "BROKER_REJECTED"
    assert ex.order_report(ACCOUNT, ClientOrderId("o1")) is not None
    assert ex.accounts[ACCOUNT].frozen == 0


def test_order_report_when_rejected_then_status_rejected(make_exchange: MakeExchange) -> None:
    """Rejected orders stay visible to queries (like a 废单)."""
    ex = make_exchange()
    ex.submit(spec("o1", Side.BUY, 150, "9.50"), at(10, 0))
    rep = ex.order_report(ACCOUNT, ClientOrderId("o1"))
    assert rep is not None
    assert rep.status is OrderStatus.REJECTED


def test_order_reports_when_an_order_changes_list_it_as_it_is_now(
    make_exchange: MakeExchange,
) -> None:
    """Listings reuse an unchanged order's report; a change shows in the next listing."""
    ex = make_exchange()
    ex.submit(spec("o1", Side.BUY, 100, "9.50"), at(10, 0))
    first = ex.order_reports(ACCOUNT)
    assert ex.order_reports(ACCOUNT)[0] is first[0]  # unchanged: not built again

    ex.cancel(ACCOUNT, ClientOrderId("o1"), None, at(10, 1))
    after = ex.order_reports(ACCOUNT)

    assert first[0].status is OrderStatus.NEW
    assert after[0].status is OrderStatus.CANCELED
    assert after[0].ts_event == at(10, 1)
    assert ex.trade_reports(ACCOUNT) == []
