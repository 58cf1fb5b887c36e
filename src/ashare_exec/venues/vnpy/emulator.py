"""An XTP trading server emulator behind the REAL vnpy_xtp gateway (qmt-xtp.md §4.6).

:meth:`XtpServer.attach` replaces the native request methods of one gateway's ``td_api``
and ``md_api`` *per instance*; answers and pushes are delivered on the server's own
callback thread by calling vnpy_xtp's real ``onOrderEvent`` / ``onTradeEvent`` /
``onQuery*`` / ``onDisconnected`` with dicts shaped like the pybind wrapper's
(``vnxtptd.cpp``). Orders match in the built-in simulator (:class:`SimExchange`), so the
A-share rules apply. The server outlives adapters: a new gateway logging in with
``subscribePublicTopic(0)`` (RESTART) gets the day's pushes replayed. When the clock
reaches a later date, every server closes the old day and lists only the new day's orders
(:meth:`XtpServer._roll_day`).

For tests, demos and ``[venues.vnpy] emulator = true``, never production; no vendor import.
ASSUMPTION (not from a real server): :data:`XTP_ERRORS` and the push order (order, trade, final).
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.model import (
    AccountId,
    ClientOrderId,
    Exchange,
    InstrumentId,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSpec,
    PriceType,
    Side,
)
from ashare_exec.model.numbers import to_decimal
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.sim.exchange import SimExchange
from ashare_exec.venues.sim.state import SimOrder
from ashare_exec.venues.vnpy.emulator_wire import (
    OK,
    PRICE_TYPE,
    XTP_ERRORS,
    answer_rows,
    asset_dict,
    order_dict,
    position_dict,
    push_call,
    stamp,
    stub_quote_api,
    trade_dict,
)

__all__ = ["XtpServer"]


class XtpServer:
    """The XTP server of one account, shared by every gateway that logs in.

    Several accounts on one simulated exchange: give each server the same ``peers`` list
    and ``lock``; reports are then routed to the server of each order's account.
    """

    def __init__(
        self,
        exchange: SimExchange,
        clock: Clock,
        account: AccountId,
        *,
        lock: threading.RLock | None = None,
        peers: list[XtpServer] | None = None,
    ) -> None:
        self.exchange, self.clock, self.account = exchange, clock, account
        self.lock = lock or threading.RLock()
        self.peers = peers if peers is not None else []
        self.peers.append(self)
        self.orders: dict[int, dict[str, Any]] = {}
        self.trades: list[dict[str, Any]] = []
        self.history: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        self.sessions: dict[int, Any] = {}
        self.topic_mode: dict[int, int] = {}
        self.inserts: list[dict[str, Any]] = []
        self.cancels: list[int] = []
        self.errors: list[BaseException] = []
        self.refuse_login = ""
        self.logins: list[float] = []
        self.fail_next_insert = ""
        self.hold_cancels = False
        self.held_cancels: list[int] = []
        self.order_queries: list[int | None] = []
        self.swallow = 0
        self.noisy, self.jitter_s = False, 0.0
        self.rng = random.Random(11)
        self.past_orders: list[tuple[SimOrder | None, dict[str, Any]]] = []
        """The orders of the days before the current one (the simulator's record, if any,
        and the server's row), kept for tests once the day's lists are cleared."""
        self.last_error: dict[str, Any] = dict(OK)
        self._next_session = 100
        self._next_id = 36_170_981_227_020_288  # XTP ids are large uint64s
        self._queue: queue.Queue[tuple[int | None, Callable[[], None]] | None] = queue.Queue()
        """Callbacks to run, each with the session it is for (``None``: run it anyway)."""
        self._thread = threading.Thread(target=self._run, name="xtp-callbacks", daemon=True)
        self._thread.start()
        self._ticker_stop = threading.Event()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            sid, job = item
            if sid is not None and sid not in self.sessions:
                continue  # a dropped session's callbacks go with it, at once
            if self.jitter_s:
                time.sleep(self.rng.uniform(0, self.jitter_s))
                if sid is not None and sid not in self.sessions:
                    continue
            try:
                job()
            except BaseException as e:  # a failing vnpy callback must fail the test
                self.errors.append(e)

    def stop(self) -> None:
        """Stop the ticker and the callback thread."""
        self._ticker_stop.set()
        self._queue.put(None)
        self._thread.join(timeout=2)

    def start_ticker(self, tick_s: float) -> None:
        """Move the simulated market every ``tick_s`` real seconds (resting orders fill)."""

        def run() -> None:
            while not self._ticker_stop.wait(tick_s):
                self.advance()

        threading.Thread(target=run, name="xtp-emulator-ticker", daemon=True).start()

    def drain(self, timeout: float = 2.0) -> None:
        """Block until every queued callback ran."""
        done = threading.Event()
        self._queue.put((None, done.set))
        done.wait(timeout)

    @staticmethod
    def _live(sid: int, call: Callable[[], None]) -> tuple[int, Callable[[], None]]:
        """``call`` for session ``sid``: skipped (without its delay) once ``sid`` is gone."""
        return sid, call

    def _roll_day(self) -> None:
        """Under the lock: once the clock is on a later date than the market's day, run that
        day to its end (what still works expires at the close: pushed cancelled) and clear
        every server's lists, as a real XTP server is reset each night: it lists, and
        replays to a RESTART login, only the new day's orders and trades."""
        closing = self.exchange.finish_day(self.clock.now())
        if closing is None:
            return
        self._dispatch(closing)
        for server in self.peers:
            server.past_orders += [
                (self.exchange.orders.get((server.account, ClientOrderId(f"x{xtp_id}"))), row)
                for xtp_id, row in server.orders.items()
            ]
            server.orders.clear()
            server.trades.clear()
            server.history.clear()
            server.held_cancels.clear()

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _publish(self, burst: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> None:
        """Record pushes for RESTART replay and send them to every live session."""
        self.history += burst
        if self.noisy:
            burst = burst + [b for b in burst if self.rng.random() < 0.4]
            self.rng.shuffle(burst)
        for sid, td in self.sessions.items():
            for kind, data, error in burst:
                self._queue.put(self._live(sid, push_call(td, sid, kind, data, error)))

    def attach(self, gateway: Any) -> None:
        """Replace the native request methods of ``gateway``'s trader and quote APIs."""
        self.attach_trader(gateway.td_api)
        stub_quote_api(gateway.md_api)

    def attach_trader(self, td: Any) -> None:
        """Answer ``td``'s native requests (:data:`TRADER_REQUESTS`) here; pushes and
        query answers go to its ``on*`` callbacks, on this server's callback thread."""
        td.createTraderApi = lambda client_id, path, log_level: None
        td.setSoftwareKey = lambda key: None
        td.subscribePublicTopic = lambda mode: self.topic_mode.__setitem__(id(td), mode)
        td.login = lambda ip, port, user, password, sock: self._login(td)
        td.getApiLastError = lambda: dict(self.last_error)
        td.init = lambda: None
        td.exit = lambda: self._logout(td)
        td.logout = lambda session: self._logout(td)
        td.insertOrder = lambda req, session: self._insert(req, session)
        td.cancelOrder = lambda xtp_id, session: self._cancel(xtp_id, session)
        td.queryAsset = lambda session, rid: self._query_asset(td, session, rid)
        td.queryPosition = lambda ticker, session, rid: self._query_positions(td, session, rid)
        td.queryOrdersEx = lambda req, session, rid: self._query_orders(td, session, rid, None)
        td.queryOrderByXTPIDEx = lambda xid, session, rid: self._query_orders(td, session, rid, xid)
        td.queryTrades = lambda req, session, rid: self._query_trades(td, session, rid)
        td.queryOptionAuctionInfo = lambda req, session, rid: 0

    # ------------------------------------------------------------------ session
    def _login(self, td: Any) -> int:
        with self.lock:
            self._roll_day()
            self.logins.append(time.monotonic())
            if self.refuse_login:
                self.last_error = {"error_id": 1, "error_msg": self.refuse_login}
                return 0
            self._next_session += 1
            sid = self._next_session
            self.sessions[sid] = td
            if self.topic_mode.get(id(td), 0) == 0:  # XTP_TERT_RESTART: the whole day again
                for kind, data, error in self.history:
                    self._queue.put(self._live(sid, push_call(td, sid, kind, data, error)))
            return sid

    def _logout(self, td: Any) -> int:
        with self.lock:
            for sid in [s for s, t in self.sessions.items() if t is td]:
                del self.sessions[sid]
        return 0

    def drop_connections(self, reason: int = 10060) -> None:
        """Cut every session; pushes in flight are lost; ``onDisconnected`` follows."""
        with self.lock:
            dropped = list(self.sessions.items())
            self.sessions.clear()
        for sid, td in dropped:
            self._queue.put((None, self._disconnect_call(td, sid, reason)))

    @staticmethod
    def _disconnect_call(td: Any, sid: int, reason: int) -> Callable[[], None]:
        return lambda: td.onDisconnected(sid, reason)

    # ------------------------------------------------------------------ orders
    def _insert(self, req: dict[str, Any], session: int) -> int:
        with self.lock:
            self._roll_day()
            self.inserts.append(dict(req))
            if session not in self.sessions or self.fail_next_insert:
                text, self.fail_next_insert = self.fail_next_insert, ""
                self.last_error = {"error_id": 10200001, "error_msg": text or "not logged in"}
                return 0
            xtp_id = self._new_id()
            if self.swallow:
                self.swallow -= 1
                return xtp_id
            now = self.clock.now()
            self.orders[xtp_id] = order_dict(xtp_id, req, now)
            self._dispatch(self.exchange.submit(self._spec(xtp_id, req), now))
            return xtp_id

    def _spec(self, xtp_id: int, req: dict[str, Any]) -> OrderSpec:
        exchange = Exchange.SH if req["market"] == 2 else Exchange.SZ
        price_type = PRICE_TYPE[req["price_type"]]
        price = to_decimal(req["price"])
        limit = price_type is PriceType.LIMIT
        return OrderSpec(
            account_id=self.account, client_order_id=ClientOrderId(f"x{xtp_id}"),
            instrument_id=InstrumentId(req["ticker"], exchange),
            side=Side.BUY if req["side"] == 1 else Side.SELL, qty=int(req["quantity"]),
            price_type=price_type, price=price if limit else None,
            protection_price=None if limit or price <= 0 else price,
        )  # fmt: skip

    def _cancel(self, xtp_id: int, session: int) -> int:
        with self.lock:
            self._roll_day()
            self.cancels.append(xtp_id)
            if session not in self.sessions:
                self.last_error = {"error_id": 10200001, "error_msg": "session not logged in"}
                return 0
            cancel_id = self._new_id()
            if xtp_id not in self.orders:
                code, text = XTP_ERRORS["ORDER_NOT_FOUND"]
                data = {"order_xtp_id": xtp_id, "order_cancel_xtp_id": cancel_id}
                self._publish([("cancel", data, {"error_id": code, "error_msg": text})])
                return cancel_id
            self.orders[xtp_id]["order_cancel_xtp_id"] = cancel_id
            if self.hold_cancels:
                self.held_cancels.append(xtp_id)
                return cancel_id
            now = self.clock.now()
            self._dispatch(
                self.exchange.cancel(self.account, ClientOrderId(f"x{xtp_id}"), None, now)
            )
            return cancel_id

    def release_cancels(self) -> None:
        """Execute the cancels held by :attr:`hold_cancels`."""
        with self.lock:
            self.hold_cancels = False
            held, self.held_cancels = self.held_cancels, []
            for xtp_id in held:
                cid = ClientOrderId(f"x{xtp_id}")
                self._dispatch(self.exchange.cancel(self.account, cid, None, self.clock.now()))

    def push(self, kind: str, data: dict[str, Any], error: dict[str, Any] | None = None) -> None:
        """Publish one hand-made push (a dict shaped like the pybind wrapper's)."""
        with self.lock:
            self._publish([(kind, data, error or OK)])

    def advance(self) -> None:
        """Move the simulated market to the clock; fills are pushed."""
        with self.lock:
            self._roll_day()
            self._dispatch(self.exchange.advance_to(self.clock.now()))

    def _dispatch(self, reports: list[VenueReport]) -> None:
        for server in self.peers:
            server._apply(reports)

    def _apply(self, reports: list[VenueReport]) -> None:
        """Turn this account's simulator reports into XTP pushes (one burst)."""
        burst: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        for r in reports:
            cid = getattr(r, "client_order_id", "")
            if getattr(r, "account_id", None) != self.account or not cid.startswith("x"):
                continue
            if int(cid[1:]) not in self.orders:
                continue
            o = self.orders[int(cid[1:])]
            if isinstance(r, OrderAccepted):
                o["order_status"] = 4
                burst.append(("order", dict(o), OK))
            elif isinstance(r, OrderFilled):
                burst.append(("trade", self._trade(o, r), OK))
                if o["qty_left"] == 0:
                    o["order_status"] = 1
                    burst.append(("order", dict(o), OK))
            elif isinstance(r, OrderCanceled | OrderExpired):
                o["order_status"] = 3 if o["qty_traded"] else 5
                o["cancel_time"] = stamp(r.ts_event)
                burst.append(("order", dict(o), OK))
            elif isinstance(r, OrderRejected):
                o["order_status"] = 6
                code, text = XTP_ERRORS.get(r.reason_code, (11000000, r.message))
                burst.append(("order", dict(o), {"error_id": code, "error_msg": text}))
            elif isinstance(r, OrderCancelRejected):
                code, text = XTP_ERRORS.get(r.reason_code, (11000000, r.message))
                data = {"order_xtp_id": o["order_xtp_id"],
                        "order_cancel_xtp_id": o["order_cancel_xtp_id"]}  # fmt: skip
                burst.append(("cancel", data, {"error_id": code, "error_msg": text}))
        self._publish(burst)

    def _trade(self, o: dict[str, Any], r: OrderFilled) -> dict[str, Any]:
        o["qty_traded"] += r.last_qty
        o["qty_left"] -= r.last_qty
        o["trade_amount"] += float(r.last_px * r.last_qty)
        trade = trade_dict(o, r, len(self.trades) + 1)
        self.trades.append(trade)
        return trade

    # ------------------------------------------------------------------ queries
    def _answer(self, session: int, call: Callable[[], None]) -> int:
        with self.lock:
            if session not in self.sessions:
                return -1
            self._queue.put(self._live(session, call))
            return 0

    def _query_asset(self, td: Any, session: int, rid: int) -> int:
        with self.lock:
            cash = self.exchange.cash_report(self.account, self.clock.now())
        data = asset_dict(cash)
        return self._answer(session, lambda: td.onQueryAsset(data, dict(OK), rid, True, session))

    def _query_positions(self, td: Any, session: int, rid: int) -> int:
        with self.lock:
            rows = self.exchange.position_reports(self.account, self.clock.now())
        datas = [position_dict(p) for p in rows]
        return self._answer(session, lambda: answer_rows(td.onQueryPosition, datas, rid, session))

    def _query_orders(self, td: Any, session: int, rid: int, xtp_id: int | None) -> int:
        with self.lock:
            self._roll_day()
            self.order_queries.append(xtp_id)
            datas = [dict(o, order_exch_id="", order_err_t=dict(OK)) for o in self.orders.values()
                     if xtp_id is None or o["order_xtp_id"] == xtp_id]  # fmt: skip
        return self._answer(session, lambda: answer_rows(td.onQueryOrderEx, datas, rid, session))

    def _query_trades(self, td: Any, session: int, rid: int) -> int:
        with self.lock:
            self._roll_day()
            datas = [dict(t) for t in self.trades]
        return self._answer(session, lambda: answer_rows(td.onQueryTrade, datas, rid, session))
