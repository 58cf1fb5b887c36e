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

from ashare_exec.model import OrderCancelRejected
from ashare_exec.testing.miniqmt import structs as s
from ashare_exec.testing.miniqmt.behaviour import MiniQmtBehaviour
from ashare_exec.testing.miniqmt.book import ACCOUNT_TYPE_STOCK, OPEN_STATUSES, EmuAccount, EmuOrder
from ashare_exec.testing.miniqmt.counter import FIRST_ORDER_ID, Counter, copy_native

if TYPE_CHECKING:
    from ashare_exec.testing.miniqmt.client import Session
    from ashare_exec.testing.miniqmt.simcounter import SimCounter


class MiniQmt(Counter):
    """An in-process MiniQMT terminal with knobs (:attr:`behaviour`) and control hooks.

    Args:
        behaviour: the knobs (defaults: :class:`MiniQmtBehaviour`).
        sim: route orders through the built-in simulator instead of the minimal book.
    """

    def __init__(
        self, behaviour: MiniQmtBehaviour | None = None, *, sim: SimCounter | None = None
    ) -> None:
        super().__init__(behaviour, sim=sim)
        self.ticker_stop = threading.Event()
        """Set it to stop a ticker thread that calls :meth:`tick` (see ``embedded``)."""

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

    def tick(self) -> None:
        """With ``sim``: move the simulated market to its clock's time and push what happened."""
        with self.lock:
            self._roll_day()
            if self.sim is not None:
                for report in self.sim.advance():
                    self._apply_report(report, None, 0)

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

    def push_order_status(self, account_id: str, order_id: int, status: int) -> None:
        """Push an order with a forged ``order_status`` (e.g. 255) without changing it."""
        with self.lock:
            order = self.find_order(account_id, order_id)
            if order is None:
                raise ValueError(f"no order {order_id}")
            row = order.to_native()
            row.order_status = status
            for client in self._subscribers(account_id):
                client.deliver("OnStockOrder", row.copy())

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
        """Complete every cancel left pending by ``behaviour.hold_cancels`` (with ``sim``:
        the simulator cancels what is left, or refuses if it filled meanwhile)."""
        with self.lock:
            for orders in self.orders.values():
                for order in orders:
                    if not (order.cancel_requested and order.status in (51, 52)):
                        continue
                    if self.sim is None:
                        self._finish_cancel(order)
                        continue
                    for report in self.sim.cancel(order):
                        self._apply_report(report, None, 0)
                    if order.cancel_requested:  # refused: the order works on
                        order.cancel_requested = False
                        order.status = 55 if order.traded_volume else 50
                        self._broadcast(order.account_id, [self._order_push(order)])

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
        """Restart the terminal: drop clients; ``order_id``s renumber unless configured.

        Renumbered, an order keeps one id everywhere — its rows, its trades and the day's
        pushes a counter reconnect replays — and no two orders ever share one (new ids
        come from the same sequence as fresh orders'); unless ``restart_reuses_ids``, which
        numbers the orders from the first id again and leaves trades as they were."""
        self.drop_connections()
        with self.lock:
            if self.behaviour.order_ids_survive_restart:
                return
            if self.behaviour.restart_reuses_ids:
                ids = itertools.count(FIRST_ORDER_ID)
                for orders in self.orders.values():
                    for order in reversed(orders):  # reloaded newest first
                        order.order_id = next(ids)
                self._order_ids = ids
                return
            for account_id, orders in self.orders.items():
                renumbered: dict[int, int] = {}
                for order in orders:
                    renumbered[order.order_id] = order.order_id = next(self._order_ids)
                pushed = [a for _, args in self.history[account_id] for a in args]
                # A trade row and its push are one object: renumber each record once.
                records = {id(r): r for r in [*self.trades[account_id], *pushed]}
                for record in records.values():
                    old = getattr(record, "order_id", None)
                    if isinstance(record, s.XtOrder | s.XtTrade) and old in renumbered:
                        record.order_id = renumbered[old]

    def counter_reconnect(self) -> None:
        """Simulate the counter link bouncing: replay the day's pushes if configured."""
        with self.lock:
            if not self.behaviour.replay_on_counter_reconnect:
                return
            for account_id, pushes in self.history.items():
                for client in self._subscribers(account_id):
                    for name, args in pushes:
                        client.deliver(name, *[copy_native(a) for a in args])

    def find_order(self, account_id: str, order_id: int) -> EmuOrder | None:
        """Return an order by id."""
        return next((o for o in self.orders.get(account_id, []) if o.order_id == order_id), None)

    def find_by_remark(self, account_id: str, remark: str) -> EmuOrder | None:
        """Return an order by (stored) remark."""
        return next((o for o in self.orders.get(account_id, []) if o.remark == remark), None)

    # ---------------------------------------------------------------- sessions
    def connect(self, client: Session) -> int:
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

    def disconnect(self, client: Session) -> None:
        """Forget a client (it called ``stop()``)."""
        with self.lock:
            if client in self.clients:
                self.clients.remove(client)

    # ---------------------------------------------------------------- requests
    def record_call(self, method: str) -> None:
        """Remember which thread called a native request method."""
        self.calls.append((method, threading.current_thread().name))

    def subscribe(self, client: Session, seq: int, req: s.SubscribeReq) -> None:
        """Handle ``subscribeWithSeq``."""
        with self.lock:
            account_id = req.m_strAccountID
            known = account_id in self.accounts
            if known:
                client.subscribed.add(account_id)
            client.deliver("OnSubscribeResp", seq, 0 if known else -1)
            if known and self.behaviour.push_status_on_subscribe:
                self.set_account_status(account_id, self.accounts[account_id].status)

    def order(self, client: Session, seq: int, req: s.OrderStockReq) -> None:
        """Handle ``orderStockWithSeq``."""
        with self.lock:
            self._roll_day()
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

    def cancel(self, client: Session, seq: int, req: s.CancelOrderStockReq) -> None:
        """Handle ``cancelOrderStockWithSeq`` (by ``order_id`` or by market + sysid)."""
        with self.lock:
            self._roll_day()
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
            refusal = "order not cancelable"
            cancelable = order is not None and order.status in (50, 55)
            sim_reports: list[object] = []
            held = self.behaviour.hold_cancels
            if self.sim is not None and order is not None and cancelable and not held:
                sim_reports = list(self.sim.cancel(order))
                refused = [r for r in sim_reports if isinstance(r, OrderCancelRejected)]
                if refused:
                    cancelable, refusal = False, refused[0].message
            if order is None or not cancelable or order.cancel_requested:
                for report in sim_reports:
                    self._apply_report(report, None, 0)
                resp.cancel_result = -1
                resp.error_msg = refusal
                err = s.XtCancelError(
                    account_type=ACCOUNT_TYPE_STOCK,
                    account_id=account_id,
                    order_id=req.m_nOrderID,
                    market=req.m_nMarket,
                    order_sysid=req.m_strOrderSysID,
                    error_id=-1,
                    error_msg=refusal,
                )
                client.deliver("OnCancelOrderStockResp", seq, resp)
                client.deliver("OnCancelError", err)
                return
            client.deliver("OnCancelOrderStockResp", seq, resp)
            order.cancel_requested = True
            self._cancel_clients[(account_id, order.order_id)] = client
            order.status = 52 if order.traded_volume else 51
            self._broadcast(account_id, [self._order_push(order)])
            if self.sim is not None:
                for report in sim_reports:
                    self._apply_report(report, None, 0)
            elif not self.behaviour.hold_cancels:
                self._finish_cancel(order)

    def query(self, client: Session, kind: str, seq: int, req: s.NativeStruct) -> None:
        """Handle the query requests; the answer is a list of fresh native structs."""
        with self.lock:
            self._roll_day()
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
                code: str = req.m_strStockCode
                sim = self.sim
                rows = list(sim.positions(account_id, code) if sim else acc.position_rows(code))
            elif kind == "OnQueryStockAsset" and acc is not None:
                rows = [self.sim.asset(account_id) if self.sim else acc.asset()]
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
