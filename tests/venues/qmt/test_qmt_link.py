"""Link scenarios: disconnects, heartbeat, account gating, sessions, threads, restarts."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from ashare_exec.clock import SimClock
from ashare_exec.errors import BrokerError, BrokerUnavailable
from ashare_exec.model import (
    AccountStatus,
    AccountStatusChanged,
    ClientOrderId,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    VenueConnected,
    VenueDisconnected,
)
from ashare_exec.testing.miniqmt import MiniQmt, XtQuantAsyncClient
from ashare_exec.venues.qmt import InMemoryIdStore, QmtAdapter

from .conftest import A1, A2, Harness, eventually, make_config, needs_xtquant, spec

pytestmark = needs_xtquant


async def test_link_when_dropped_in_flight_down_refuses_then_reconciles_missed_fill(
    harness: Harness,
) -> None:
    t = harness.terminal
    t.behaviour.mute_pushes = True
    submit = asyncio.create_task(harness.adapter.submit(spec("d1")))
    await asyncio.sleep(0.05)
    t.set_online(False)
    t.behaviour.mute_pushes = False
    await eventually(lambda: bool(harness.of(VenueDisconnected)))
    assert not harness.adapter.is_connected
    with pytest.raises(BrokerUnavailable) as refused:
        await harness.adapter.submit(spec("d2"))
    assert refused.value.code == "VENUE_DISCONNECTED"
    await submit  # the request left; its answer is lost with the link
    t.set_price("600000.SH", "10.00")  # fills while we are away
    old_session = harness.adapter.session_id
    t.set_online(True)
    await eventually(lambda: len(harness.of(VenueConnected)) == 2)
    await harness.settle()
    assert harness.adapter.session_id != old_session
    assert [type(r).__name__ for r in harness.of(OrderAccepted, "d1")] == ["OrderAccepted"]
    assert len(harness.of(OrderFilled, "d1")) == 1
    assert sum(1 for m, _ in t.calls if m == "orderStockWithSeq") == 1


async def test_link_when_terminal_hangs_heartbeat_declares_dead_and_reconnects(
    terminal: MiniQmt, clock: SimClock
) -> None:
    adapter = QmtAdapter(
        make_config(heartbeat_interval_s=0.05, request_timeout_s=0.2, max_consecutive_failures=2),
        clock,
    )
    h = Harness(terminal, adapter)
    await adapter.connect()
    try:
        terminal.behaviour.unresponsive = True
        await eventually(lambda: bool(h.of(VenueDisconnected)))
        down = h.of(VenueDisconnected)[0]
        assert isinstance(down, VenueDisconnected)
        assert "failed calls" in down.reason
        terminal.behaviour.unresponsive = False
        await eventually(lambda: len(h.of(VenueConnected)) == 2, within=10.0)
        assert adapter.is_connected
    finally:
        await adapter.close()


async def test_submit_when_account_not_ok_refused_other_account_unaffected(
    harness: Harness,
) -> None:
    assert harness.adapter._books[A1].xt_status == 0  # polled after connect (no push)
    harness.terminal.set_account_status("A1", 3)
    await eventually(lambda: bool(harness.of(AccountStatusChanged)[2:]))
    change = harness.of(AccountStatusChanged)[-1]
    assert isinstance(change, AccountStatusChanged)
    assert (change.account_id, change.status) == (A1, AccountStatus.DOWN)
    with pytest.raises(BrokerUnavailable) as e:
        await harness.adapter.submit(spec("g1"))
    assert e.value.code == "ACCOUNT_NOT_READY"
    await harness.adapter.submit(spec("g2", account=A2))
    harness.terminal.set_account_status("A1", 0)
    await eventually(lambda: harness.adapter._books[A1].xt_status == 0)
    await harness.adapter.submit(spec("g3"))
    assert await harness.adapter.query_account_status(A1) is AccountStatus.OK


@pytest.mark.parametrize(
    ("code", "expected"), [(4, AccountStatus.TRANSIENT), (6, AccountStatus.DOWN)]
)
async def test_query_account_status_when_polled_maps_code(
    harness: Harness, code: int, expected: AccountStatus
) -> None:
    harness.terminal.accounts["A2"].status = code  # changed without a push
    assert await harness.adapter.query_account_status(A2) is expected


async def test_connect_when_session_id_taken_fails_then_uses_fresh_id(
    terminal: MiniQmt, clock: SimClock
) -> None:
    first_id = (int(clock.now().timestamp()) % 10**6) * 100 + 1
    squatter = XtQuantAsyncClient(b"C:/x", "xtquant", first_id)
    assert squatter.connect() == 0
    adapter = QmtAdapter(make_config(), clock)
    with pytest.raises(BrokerUnavailable):
        await adapter.connect()
    await adapter.connect()
    try:
        assert adapter.is_connected
        assert adapter.session_id not in (None, first_id)
    finally:
        await adapter.close()
        squatter.stop()


@pytest.mark.parametrize(
    ("folder", "says"),
    [("userdata_mini", "is MiniQMT running and logged in"),
     ("no-such-folder", "does not exist (check venues.qmt.userdata_path")],
)  # fmt: skip
async def test_connect_when_refused_says_whether_the_userdata_folder_is_there(
    terminal: MiniQmt, clock: SimClock, tmp_path: Path, folder: str, says: str
) -> None:
    # A typo in userdata_path looks to xtquant as MiniQMT not running (connect() is -1):
    # the gateway, which keeps trying either way, tells the two apart where it can.
    (tmp_path / "userdata_mini").mkdir()
    terminal.set_online(False)
    adapter = QmtAdapter(make_config(userdata_path=str(tmp_path / folder)), clock)

    with pytest.raises(BrokerUnavailable) as refused:
        await adapter.connect()

    assert "connect() returned -1" in refused.value.message
    assert says in refused.value.message
    assert not adapter.is_connected


async def test_connect_when_terminal_answers_after_the_timeout_no_session_is_left_behind(
    terminal: MiniQmt, clock: SimClock
) -> None:
    # A connect that times out is given up, but the vendor call still completes on the
    # session thread: before, the trader it built then stayed connected to MiniQMT for
    # good (a ghost session per timed-out attempt).
    connect = terminal.connect

    def slow(client: XtQuantAsyncClient) -> int:
        time.sleep(0.6)
        return connect(client)

    terminal.connect = slow  # type: ignore[method-assign]
    adapter = QmtAdapter(make_config(connect_timeout_s=0.2), clock)
    with pytest.raises(BrokerUnavailable):
        await adapter.connect()
    await asyncio.sleep(1.0)  # the slow connect has long completed
    assert terminal.clients == []
    terminal.connect = connect  # type: ignore[method-assign]
    await adapter.connect()
    try:
        assert adapter.is_connected
        assert len(terminal.clients) == 1
    finally:
        await adapter.close()
    assert terminal.clients == []


async def test_reconnect_when_session_drops_right_after_its_last_answer_connects_again(
    terminal: MiniQmt, clock: SimClock
) -> None:
    # The new session answers the reconnect's last query, then drops: that disconnect comes
    # before the link is ready to act on one. Before, the link then declared itself up on
    # the dead session (healed only by three failed calls or a heartbeat).
    query = terminal.query
    armed: list[bool] = []

    def answer_then_drop(client: XtQuantAsyncClient, kind: str, seq: int, req: object) -> None:
        query(client, kind, seq, req)  # type: ignore[arg-type]
        last = kind == "OnQueryStockTrades" and getattr(req, "m_strAccountID", "") == "A2"
        if armed and last:
            armed.clear()
            terminal.drop_connections()

    terminal.query = answer_then_drop  # type: ignore[method-assign]
    adapter = QmtAdapter(make_config(), clock)
    await adapter.connect()
    try:
        armed.append(True)
        terminal.drop_connections()
        await eventually(
            lambda: not armed and adapter.is_connected and len(terminal.clients) == 1, within=5.0
        )
        await asyncio.sleep(0.2)
        assert adapter.is_connected
        assert len(terminal.clients) == 1, "connected to a live session"
    finally:
        await adapter.close()


async def test_callbacks_when_pushes_flow_only_enqueue_and_requests_leave_session_thread(
    terminal: MiniQmt, clock: SimClock
) -> None:
    callback_threads: set[str] = set()
    adapter = QmtAdapter(make_config(), clock)
    adapter.thread_probe = callback_threads.add
    h = Harness(terminal, adapter)
    await adapter.connect()
    terminal.set_price("600000.SH", "10.00")
    blocked = threading.Event()

    def slow_sink(report: object) -> None:  # a consumer that stalls the engine loop
        h.reports.append(report)  # type: ignore[arg-type]
        if isinstance(report, OrderAccepted) and not blocked.is_set():
            blocked.set()
            time.sleep(0.3)

    adapter.set_report_sink(slow_sink)
    await adapter.submit(spec("t1"))
    await adapter.submit(spec("t2"))
    await eventually(lambda: len(h.of(OrderFilled)) == 2)
    request_threads = {name for _, name in terminal.calls}
    assert request_threads
    assert all(n.startswith("qmt-session-") for n in request_threads)
    assert callback_threads
    assert not callback_threads & request_threads
    assert threading.main_thread().name not in callback_threads
    started = time.monotonic()
    await adapter.close()
    assert time.monotonic() - started < 2.0
    assert terminal.clients == []


async def test_restart_when_process_restarts_mid_day_rebuilds_and_cancels(
    terminal: MiniQmt, clock: SimClock
) -> None:
    store = InMemoryIdStore()
    first = QmtAdapter(make_config(), clock, store=store)
    await first.connect()
    await first.submit(spec("r1"))
    await asyncio.sleep(0.1)
    old = first.id_mapping(A1, ClientOrderId("r1"))
    await first.close()
    terminal.restart()  # MiniQMT restarted too: order ids renumbered
    second = QmtAdapter(make_config(), clock, store=store)
    h = Harness(terminal, second)
    await second.connect()
    try:
        report = await second.query_order(A1, ClientOrderId("r1"))
        assert report is not None
        assert old is not None
        assert report.exchange_order_id == old.order_sysid
        assert report.broker_order_id != str(old.order_id)
        rec = second._books[A1].by_cid["r1"]
        rec.order_id_generation = None  # the id is from an earlier session: stale
        await second.cancel(A1, ClientOrderId("r1"), None)
        await eventually(lambda: bool(h.of(OrderCanceled, "r1")))
        assert terminal.cancel_requests == [("A1", 0, old.order_sysid)]
        assert terminal.find_by_remark("A1", rec.remark) is not None
    finally:
        await second.close()


async def test_trade_row_under_an_id_another_order_holds_now_goes_to_its_own_order_by_remark(
    harness: Harness,
) -> None:
    # A terminal that renumbers its orders may report a trade under the id its order had
    # before, which another order may hold now. The remark is ours: it decides. (Found by
    # the QMT crash soak: such a fill went to the other order and took its sysid with it.)
    terminal, adapter = harness.terminal, harness.adapter
    terminal.set_price("600000.SH", "10.00")
    await adapter.submit(spec("x1"))  # buys at 10.50: fills at once
    await adapter.submit(spec("x2", price="9.00"))  # rests
    await eventually(
        lambda: bool(harness.of(OrderFilled, "x1")) and len(terminal.orders["A1"]) == 2
    )
    book = adapter._books[A1]
    x1, x2 = book.by_cid["x1"], book.by_cid["x2"]
    # x2 reported (50, with its sysid): what the renumbered trade must not take from it.
    await eventually(
        lambda: x1.order_id is not None and x2.order_id is not None and bool(x2.order_sysid)
    )
    x1_id, x2_id, x2_sysid = x1.order_id, x2.order_id, x2.order_sysid
    [trade] = terminal.trades["A1"]
    trade.order_id = x2_id  # the trade of x1, reported under the id x2 holds now
    trade.traded_id = "T-renumbered"  # ... as a trade the adapter has not seen yet
    fills = await adapter.query_trades(A1)
    mine = [f for f in fills if f.trade_id == "T-renumbered"]
    assert [f.client_order_id for f in mine] == ["x1"]
    assert mine[0].broker_order_id == str(x1_id)  # the id x1 holds, not the row's
    assert (x1.order_id, x2.order_id, x2.order_sysid) == (x1_id, x2_id, x2_sysid)
    assert book.by_order_id[x2_id] is x2


async def test_order_row_replaces_an_id_a_trade_row_gave_its_order_on_this_session(
    harness: Harness,
) -> None:
    # Only trade rows defer to the id an order holds; the order's own rows say which it is.
    terminal, adapter = harness.terminal, harness.adapter
    terminal.set_price("600000.SH", "10.00")
    await adapter.submit(spec("y1", price="9.00"))  # rests
    book = adapter._books[A1]
    await eventually(lambda: "y1" in book.by_cid and book.by_cid["y1"].order_id is not None)
    y1 = book.by_cid["y1"]
    own_id = y1.order_id
    assert own_id is not None
    y1.order_id_generation = None  # its id is from an earlier session now
    adapter.router.resolve("A1", own_id + 500, y1.order_sysid, y1.remark, trade=True)
    assert y1.order_id == own_id + 500  # a trade row was all it had on this session
    await adapter.query_orders(A1)
    assert y1.order_id == own_id
    assert book.by_order_id[own_id] is y1


async def test_new_day_xttrader_forgets_answered_requests_and_still_answers_new_ones(
    harness: Harness,
) -> None:
    # xttrader keeps the order_id of every async order and cancel it got a response for, and
    # never lets go of them (found by the day soak); a new day empties what it kept.
    adapter = harness.adapter
    await adapter.submit(spec("d1", price="9.00"))
    await adapter.submit(spec("d2", price="9.00"))
    await eventually(lambda: len(harness.of(OrderAccepted)) == 2)
    await adapter.cancel(A1, ClientOrderId("d2"), None)
    await eventually(lambda: bool(harness.of(OrderCanceled, "d2")))
    assert adapter._session is not None
    trader = adapter._session.trader
    assert len(trader.handled_async_order_stock_order_id) == 2
    assert len(trader.handled_async_cancel_order_stock_order_id) == 1
    # An order error that came before its order's response waits for it: it stays.
    xttype = pytest.importorskip("xtquant.xttype")
    waiting = xttype.XtOrderError("A1", 77, 1, "no", "", "")
    waiting.seq = 9_999
    trader.queuing_order_seq.add(9_999)
    trader.queuing_order_errors_byseq[9_999] = trader.queuing_order_errors_byid[77] = waiting

    adapter.start_day(date(2026, 11, 26))
    await eventually(lambda: not trader.handled_async_order_stock_order_id)

    assert not trader.handled_async_cancel_order_stock_order_id
    assert trader.queuing_order_errors_byseq == {9_999: waiting}
    assert trader.queuing_order_errors_byid == {77: waiting}
    trader.queuing_order_seq.discard(9_999)
    trader.queuing_order_errors_byseq.clear()
    trader.queuing_order_errors_byid.clear()
    # The trader still answers, and passes on a rejection that comes after its response.
    await adapter.submit(spec("d3", price="9.00"))
    await adapter.submit(spec("d4", account=A2, qty=10_000))
    await eventually(lambda: bool(harness.of(OrderAccepted, "d3")))
    await eventually(lambda: bool(harness.of(OrderRejected, "d4")))
    assert len(trader.handled_async_order_stock_order_id) == 1  # d3's; d4's error took its own
    # A trader retired (a close, a reconnect) is kept for good: not with what it answered.
    await adapter.close()
    assert not trader.handled_async_order_stock_order_id


async def test_a_request_never_answered_is_forgotten_by_xttrader_a_day_later(
    harness: Harness,
) -> None:
    # xttrader keeps the callback of every request until its answer comes: one that never
    # comes (a hung terminal; our side timed it out) stays for good unless dropped.
    adapter = harness.adapter
    harness.terminal.behaviour.mute_pushes = True
    with contextlib.suppress(BrokerError):
        await adapter.submit(spec("lost", price="9.00"))
    harness.terminal.behaviour.mute_pushes = False
    assert adapter._session is not None
    trader = adapter._session.trader
    [lost] = trader.queuing_order_seq
    assert lost in trader.cbs

    adapter.start_day(date(2026, 11, 26))  # still waiting at this day's start: kept
    await adapter.submit(spec("d1", price="9.00"))
    await eventually(lambda: bool(harness.of(OrderAccepted, "d1")))
    assert lost in trader.cbs
    assert lost in trader.queuing_order_seq

    adapter.start_day(date(2026, 11, 27))  # unanswered for a day: dropped
    await eventually(lambda: lost not in trader.cbs)
    assert trader.queuing_order_seq == set()
    await adapter.submit(spec("d2", price="9.00"))  # the trader answers on
    await eventually(lambda: bool(harness.of(OrderAccepted, "d2")))
    # A retired trader (kept for good) drops every request it still waited for.
    harness.terminal.behaviour.mute_pushes = True
    with contextlib.suppress(BrokerError):
        await adapter.submit(spec("lost2", price="9.00"))
    assert trader.cbs
    await adapter.close()
    assert trader.cbs == {}
    assert trader.queuing_order_seq == set()
