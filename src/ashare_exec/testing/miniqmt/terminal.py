"""The emulated MiniQMT terminal: sessions, counter and a minimal exchange, with test hooks.

One :class:`MiniQmt` stands for one terminal process that several ``XtQuantTrader`` clients
(sessions) connect to. Requests arrive through the fake native client; answers and pushes
are queued to each client's own delivery thread, in FIFO order, like the native I/O thread.
"""

from __future__ import annotations

import itertools
import threading
from decimal import Decimal
from typing import TYPE_CHECKING

from ashare_exec.testing.miniqmt import structs as s
from ashare_exec.testing.miniqmt.behaviour import MiniQmtBehaviour
from ashare_exec.testing.miniqmt.book import (
    ACCOUNT_TYPE_STOCK,
    BUY,
    IOC_TYPES,
    OPEN_STATUSES,
    EmuAccount,
    EmuOrder,
    early_reject_reason,
    fill_price,
    lot_or_tick_problem,
)

if TYPE_CHECKING:
    from ashare_exec.testing.miniqmt.client import XtQuantAsyncClient

Push = tuple[str, tuple[object, ...]]


class MiniQmt:
    """An in-process MiniQMT terminal with knobs (:attr:`behaviour`) and control hooks."""

    def __init__(self, behaviour: MiniQmtBehaviour | None = None) -> None:
        self.behaviour = behaviour or MiniQmtBehaviour()
        self.lock = threading.RLock()
        self.online = True
        self.accounts: dict[str, EmuAccount] = {}
        self.orders: dict[str, list[EmuOrder]] = {}
        self.trades: dict[str, list[s.XtTrade]] = {}
        self.prices: dict[str, Decimal] = {}
        self.clients: list[XtQuantAsyncClient] = []
        self.history: dict[str, list[Push]] = {}
        self.calls: list[tuple[str, str]] = []
        """(native method, calling thread name) for every request, for threading tests."""
        self.timeouts: list[int] = []
        self.cancel_requests: list[tuple[str, int, str]] = []
        """(account, order_id, order_sysid) of every cancel request, in arrival order."""
        self._order_ids = itertools.count(1001)
        self._sysids = itertools.count(700001)
        self._trade_ids = itertools.count(1)
        self._clock = itertools.count(93000)
        self._swallow = 0
        self._reject_next: list[str] = []
        self.depth: dict[str, int] = {}
        """code -> most shares one order takes from the market per match (none: unlimited)."""
        self._drop_responses = 0
        self._deferred: list[Push] = []
        self._cancel_clients: dict[tuple[str, int], XtQuantAsyncClient] = {}

    # ---------------------------------------------------------------- test hooks
    def add_account(
        self, account_id: str, cash: Decimal | int | str, positions: dict[str, int] | None = None
    ) -> None:
        """Open an account with cash and sellable positions (``code -> shares``)."""
        with self.lock:
            acc = EmuAccount(account_id, Decimal(cash))
            for code, vol in (positions or {}).items():
                acc.positions[code] = [vol, vol]
            self.accounts[account_id] = acc
            self.orders[account_id] = []
            self.trades[account_id] = []
            self.history[account_id] = []

    def set_price(
        self, stock_code: str, price: Decimal | int | str, depth: int | None = None
    ) -> None:
        """Set the last price (and optionally the depth) of ``stock_code``; match resting orders."""
        with self.lock:
            self.prices[stock_code] = Decimal(price)
            if depth is not None:
                self.depth[stock_code] = depth
            if self.behaviour.auto_match:
                for orders in self.orders.values():
                    for order in orders:
                        if order.stock_code == stock_code and order.status in (50, 51, 52, 55):
                            self._match(order)

    def fill(self, account_id: str, order_id: int, qty: int, price: Decimal | None = None) -> None:
        """Fill ``qty`` of an open order (partial fills), at ``price`` or the order price."""
        with self.lock:
            order = self.find_order(account_id, order_id)
            if order is None or order.status not in OPEN_STATUSES:
                raise ValueError(f"order {order_id} is not open")
            self._execute(order, min(qty, order.leaves), price or order.price)

    def swallow_next_orders(self, count: int = 1) -> None:
        """Make the next order requests vanish: no order, no response, no push."""
        self._swallow += count

    def reject_next_orders(self, count: int = 1, message: str = "order refused") -> None:
        """Refuse the next orders before they exist (``order_id`` -1 and an error push)."""
        self._reject_next += [message] * count

    def drop_next_order_responses(self, count: int = 1) -> None:
        """Process the next order requests but never send their responses."""
        self._drop_responses += count

    def set_account_status(self, account_id: str, status: int) -> None:
        """Change an account's login status and push it to subscribed clients."""
        with self.lock:
            self.accounts[account_id].status = status
            note = s.XtAccountStatus(
                account_type=ACCOUNT_TYPE_STOCK, account_id=account_id, status=status
            )
            for client in self._subscribers(account_id):
                client.deliver("OnUpdateAccountStatus", note.copy())

    def release_cancels(self) -> None:
        """Complete every cancel left pending by ``behaviour.hold_cancels``."""
        with self.lock:
            for orders in self.orders.values():
                for order in orders:
                    if order.cancel_requested and order.status in (51, 52):
                        self._finish_cancel(order)

    def drop_connections(self) -> None:
        """Drop every client (each gets ``OnDisconnected``); the terminal stays up."""
        with self.lock:
            clients, self.clients = self.clients, []
        for client in clients:
            client.kill()

    def set_online(self, online: bool) -> None:
        """Take the terminal down (``connect()`` fails) or bring it back."""
        with self.lock:
            self.online = online
        if not online:
            self.drop_connections()

    def restart(self) -> None:
        """Restart the terminal: drop clients; ``order_id``s renumber unless configured."""
        self.drop_connections()
        with self.lock:
            if not self.behaviour.order_ids_survive_restart:
                for orders in self.orders.values():
                    for order in orders:
                        order.order_id = next(self._order_ids) + 50000

    def counter_reconnect(self) -> None:
        """Simulate the counter link bouncing: replay the day's pushes if configured."""
        with self.lock:
            if not self.behaviour.replay_on_counter_reconnect:
                return
            for account_id, pushes in self.history.items():
                for client in self._subscribers(account_id):
                    for name, args in pushes:
                        client.deliver(name, *[_copy(a) for a in args])

    def find_order(self, account_id: str, order_id: int) -> EmuOrder | None:
        """Return an order by id."""
        return next((o for o in self.orders.get(account_id, []) if o.order_id == order_id), None)

    def find_by_remark(self, account_id: str, remark: str) -> EmuOrder | None:
        """Return an order by (stored) remark."""
        return next((o for o in self.orders.get(account_id, []) if o.remark == remark), None)

    # ---------------------------------------------------------------- sessions
    def connect(self, client: XtQuantAsyncClient) -> int:
        """Register a client; 0 on success (xttrader's ``connect()`` result)."""
        with self.lock:
            if not self.online:
                return -1
            if self.behaviour.reject_duplicate_session and any(
                c.session == client.session for c in self.clients
            ):
                return -2
            if client not in self.clients:
                self.clients.append(client)
            return 0

    def disconnect(self, client: XtQuantAsyncClient) -> None:
        """Forget a client (it called ``stop()``)."""
        with self.lock:
            if client in self.clients:
                self.clients.remove(client)

    def _subscribers(self, account_id: str) -> list[XtQuantAsyncClient]:
        return [c for c in self.clients if account_id in c.subscribed]

    # ---------------------------------------------------------------- requests
    def record_call(self, method: str) -> None:
        """Remember which thread called a native request method."""
        self.calls.append((method, threading.current_thread().name))

    def subscribe(self, client: XtQuantAsyncClient, seq: int, req: s.SubscribeReq) -> None:
        """Handle ``subscribeWithSeq``."""
        with self.lock:
            account_id = req.m_strAccountID
            known = account_id in self.accounts
            if known:
                client.subscribed.add(account_id)
            client.deliver("OnSubscribeResp", seq, 0 if known else -1)
            if known and self.behaviour.push_status_on_subscribe:
                self.set_account_status(account_id, self.accounts[account_id].status)

    def order(self, client: XtQuantAsyncClient, seq: int, req: s.OrderStockReq) -> None:
        """Handle ``orderStockWithSeq``."""
        with self.lock:
            if self._swallow:
                self._swallow -= 1
                return
            drop_response = self._drop_responses > 0
            if drop_response:
                self._drop_responses -= 1
            self._order(client, seq, req, drop_response)
            deferred, self._deferred = self._deferred, []
            for name, args in deferred:  # push-first mode: the answer after every push
                client.deliver(name, *args)

    def _order(
        self, client: XtQuantAsyncClient, seq: int, req: s.OrderStockReq, drop_response: bool
    ) -> None:
        b = self.behaviour
        account_id: str = req.m_strAccountID
        remark: str = req.m_strOrderRemark
        if b.remark_max_len is not None:
            remark = remark[: b.remark_max_len]
        resp = s.OrderStockResp(
            account_id=account_id, strategy_name=req.m_strStrategyName, order_remark=remark
        )
        pushes: list[Push] = []
        acc = self.accounts.get(account_id)
        reason = "account not found" if acc is None else early_reject_reason(req)
        if reason is None and self._reject_next:
            reason = self._reject_next.pop(0)
        if reason is None and acc is not None and acc.status != 0:
            reason = f"account status {acc.status}"
        if reason is not None or acc is None:
            resp.order_id = b.early_reject_order_id
            resp.error_msg = reason or ""
            err = s.XtOrderError(
                account_type=ACCOUNT_TYPE_STOCK,
                account_id=account_id,
                order_id=b.early_reject_order_id,
                error_id=-61,
                error_msg=reason or "",
                strategy_name=req.m_strStrategyName,
                order_remark=remark,
                seq=seq,
            )
            self._send(client, seq, resp, [("OnOrderError", (err,))], drop_response)
            return
        order = EmuOrder(
            account_id=account_id,
            order_id=next(self._order_ids),
            stock_code=req.m_strStockCode,
            order_type=req.m_nOrderType,
            volume=req.m_nOrderVolume,
            price_type=req.m_nPriceType,
            price=Decimal(repr(req.m_dPrice)),
            strategy_name=req.m_strStrategyName,
            remark=remark,
            order_time=next(self._clock),
        )
        resp.order_id = order.order_id
        self.orders[account_id].append(order)
        if b.push_unreported:
            pushes.append(self._order_push(order))
        problem = lot_or_tick_problem(order) or self._counter_check(acc, order)
        if problem is not None:
            order.status, order.status_msg = 57, problem
            err = s.XtOrderError(
                account_type=ACCOUNT_TYPE_STOCK,
                account_id=account_id,
                order_id=order.order_id,
                error_id=-1,
                error_msg=problem,
                strategy_name=order.strategy_name,
                order_remark=remark,
                seq=seq,
            )
            pushes += [("OnOrderError", (err,)), self._order_push(order)]
            self._send(client, seq, resp, pushes, drop_response)
            return
        order.order_sysid = str(next(self._sysids))
        if b.push_wait_reporting:
            order.status = 49
            pushes.append(self._order_push(order))
        order.status = 50
        pushes.append(self._order_push(order))
        self._send(client, seq, resp, pushes, drop_response)
        if b.auto_match:
            self._match(order)

    def _counter_check(self, acc: EmuAccount, order: EmuOrder) -> str | None:
        if order.order_type == BUY:
            last = self.prices.get(order.stock_code)
            ref = order.price if order.price > 0 else last
            need = (ref or Decimal(0)) * order.volume
            if need > acc.cash:
                return "可用资金不足 insufficient cash"
            acc.cash -= need
            acc.frozen += need
            order.frozen = need
            return None
        pos = acc.positions.get(order.stock_code)
        if pos is None or pos[1] < order.volume:
            return "可用股份不足 insufficient position"
        pos[1] -= order.volume
        return None

    def _send(
        self,
        client: XtQuantAsyncClient,
        seq: int,
        resp: s.OrderStockResp,
        pushes: list[Push],
        drop_response: bool,
    ) -> None:
        account_id: str = resp.m_strAccountID
        answer: list[Push] = [] if drop_response else [("OnOrderStockResp", (seq, resp))]
        mine = pushes if account_id in client.subscribed else []
        if not mine:
            mine = [(n, a) for n, a in pushes if n == "OnOrderError"]
        if self.behaviour.push_before_response:
            self._deferred, own = answer, mine
        else:
            own = answer + mine
        for name, args in own:
            client.deliver(name, *args)
        for other in self._subscribers(account_id):
            if other is not client:
                for name, args in pushes:
                    if name != "OnOrderError":
                        other.deliver(name, *[_copy(a) for a in args])

    def _order_push(self, order: EmuOrder) -> Push:
        push: Push = ("OnStockOrder", (order.to_native(),))
        self.history[order.account_id].append(push)
        return push

    def _broadcast(self, account_id: str, pushes: list[Push]) -> None:
        if self.behaviour.noisy_link:
            pushes = [push for push in reversed(pushes) for _ in range(2)]
        for client in self._subscribers(account_id):
            for name, args in pushes:
                client.deliver(name, *[_copy(a) for a in args])

    def _match(self, order: EmuOrder) -> None:
        px = fill_price(order, self.prices.get(order.stock_code))
        if px is not None:
            self._execute(
                order, min(order.leaves, self.depth.get(order.stock_code, order.leaves)), px
            )
        elif order.price_type in IOC_TYPES and order.status in (50, 55):
            order.cancel_requested = True
            self._finish_cancel(order)

    def _execute(self, order: EmuOrder, qty: int, price: Decimal) -> None:
        acc = self.accounts[order.account_id]
        order.traded_volume += qty
        order.traded_amount += price * qty
        pos = acc.positions.setdefault(order.stock_code, [0, 0])
        if order.order_type == BUY:
            release = min(order.frozen, order.price * qty if order.price > 0 else order.frozen)
            order.frozen -= release
            acc.frozen -= release
            acc.cash += release - price * qty
            pos[0] += qty  # T+1: bought shares are not sellable today
        else:
            pos[0] -= qty
            acc.cash += price * qty
        done = order.leaves == 0
        canceller = None
        if order.status in (51, 52) and done:
            order.cancel_requested = False
            canceller = self._cancel_clients.pop((order.account_id, order.order_id), None)
        order.status = 56 if done else (52 if order.status in (51, 52) else 55)
        trade = s.XtTrade(
            account_type=ACCOUNT_TYPE_STOCK,
            account_id=order.account_id,
            stock_code=order.stock_code,
            order_type=order.order_type,
            traded_id=f"T{next(self._trade_ids):08d}",
            traded_time=next(self._clock),
            traded_price=float(price),
            traded_volume=qty,
            traded_amount=float(price * qty),
            order_id=order.order_id,
            order_sysid=order.order_sysid,
            strategy_name=order.strategy_name,
            order_remark=order.remark,
            offset_flag=order.order_type,
        )
        self.trades[order.account_id].append(trade)
        trade_push: Push = ("OnStockTrade", (trade,))
        self.history[order.account_id].append(trade_push)
        order_push = self._order_push(order)
        pushes = [trade_push, order_push]
        if not self.behaviour.trade_before_order_push:
            pushes.reverse()
        if done:
            self._release(order)
        self._broadcast(order.account_id, pushes)
        if canceller is not None:  # the fill beat the cancel: the cancel fails
            canceller.deliver("OnCancelError", self._cancel_error(order, "order already filled"))

    def _cancel_error(self, order: EmuOrder, msg: str) -> s.XtCancelError:
        return s.XtCancelError(
            account_type=ACCOUNT_TYPE_STOCK,
            account_id=order.account_id,
            order_id=order.order_id,
            market=0 if order.stock_code.endswith(".SH") else 1,
            order_sysid=order.order_sysid,
            error_id=-1,
            error_msg=msg,
        )

    def _release(self, order: EmuOrder) -> None:
        acc = self.accounts[order.account_id]
        if order.order_type == BUY:
            acc.cash += order.frozen
            acc.frozen -= order.frozen
            order.frozen = Decimal(0)
        else:
            acc.positions[order.stock_code][1] += 0 if order.status == 56 else order.leaves

    def _finish_cancel(self, order: EmuOrder) -> None:
        self._cancel_clients.pop((order.account_id, order.order_id), None)
        order.status = 53 if order.traded_volume else 54
        order.cancel_requested = False
        self._release(order)
        self._broadcast(order.account_id, [self._order_push(order)])

    def cancel(self, client: XtQuantAsyncClient, seq: int, req: s.CancelOrderStockReq) -> None:
        """Handle ``cancelOrderStockWithSeq`` (by ``order_id`` or by market + sysid)."""
        with self.lock:
            account_id: str = req.m_strAccountID
            self.cancel_requests.append((account_id, req.m_nOrderID, req.m_strOrderSysID))
            by_sysid = bool(req.m_strOrderSysID)
            orders = self.orders.get(account_id, [])
            if by_sysid:
                order = next((o for o in orders if o.order_sysid == req.m_strOrderSysID), None)
            else:
                order = next((o for o in orders if o.order_id == req.m_nOrderID), None)
            resp = s.CancelOrderStockResp(account_id=account_id, order_id=req.m_nOrderID)
            if by_sysid or (order is not None and self.behaviour.cancel_echoes_sysid):
                resp.order_sysid = req.m_strOrderSysID or (order.order_sysid if order else "")
            if order is None or order.status not in (50, 55) or order.cancel_requested:
                resp.cancel_result = -1
                resp.error_msg = "order not cancelable"
                err = s.XtCancelError(
                    account_type=ACCOUNT_TYPE_STOCK,
                    account_id=account_id,
                    order_id=req.m_nOrderID,
                    market=req.m_nMarket,
                    order_sysid=req.m_strOrderSysID,
                    error_id=-1,
                    error_msg="order not cancelable",
                )
                client.deliver("OnCancelOrderStockResp", seq, resp)
                client.deliver("OnCancelError", err)
                return
            client.deliver("OnCancelOrderStockResp", seq, resp)
            order.cancel_requested = True
            self._cancel_clients[(account_id, order.order_id)] = client
            order.status = 52 if order.traded_volume else 51
            self._broadcast(account_id, [self._order_push(order)])
            if not self.behaviour.hold_cancels:
                self._finish_cancel(order)

    def query(self, client: XtQuantAsyncClient, kind: str, seq: int, req: s.NativeStruct) -> None:
        """Handle the query requests; the answer is a list of fresh native structs."""
        with self.lock:
            rows: list[s.NativeStruct] = []
            account_id: str = getattr(req, "m_strAccountID", "")
            acc = self.accounts.get(account_id)
            if kind == "OnQueryStockOrders" and acc is not None:
                want: int = req.m_nOrderID
                rows = [
                    o.to_native()
                    for o in self.orders[account_id]
                    if (not want or o.order_id == want)
                    and (not req.m_bCanCancel or o.status in (50, 55))
                ]
            elif kind == "OnQueryStockTrades" and acc is not None:
                rows = [t.copy() for t in self.trades[account_id]]
            elif kind == "OnQueryStockPositions" and acc is not None:
                rows = list(acc.position_rows(req.m_strStockCode))
            elif kind == "OnQueryStockAsset" and acc is not None:
                rows = [acc.asset()]
            elif kind == "OnQueryAccountStatus":
                rows = [
                    s.XtAccountStatus(
                        account_type=ACCOUNT_TYPE_STOCK, account_id=a, status=x.status
                    )
                    for a, x in self.accounts.items()
                ]
            elif kind == "OnQueryAccountInfos":
                rows = [
                    s.XtAccountInfo(account_type=ACCOUNT_TYPE_STOCK, account_id=a, login_status=0)
                    for a in self.accounts
                ]
            client.deliver(kind, seq, rows)


def _copy(value: object) -> object:
    return value.copy() if isinstance(value, s.NativeStruct) else value
