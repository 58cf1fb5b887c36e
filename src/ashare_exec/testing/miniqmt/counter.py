"""The emulated counter and exchange behind :class:`~.terminal.MiniQmt`: orders, matching,
cancels and the pushes they cause (minimal A-share book, or the simulator via ``sim``)."""

from __future__ import annotations

import itertools
import threading
from decimal import Decimal
from typing import TYPE_CHECKING

from ashare_exec.errors import BrokerRejected
from ashare_exec.model import (
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)
from ashare_exec.testing.miniqmt import structs as s
from ashare_exec.testing.miniqmt.behaviour import MiniQmtBehaviour
from ashare_exec.testing.miniqmt.book import (
    ACCOUNT_TYPE_STOCK,
    BUY,
    IOC_TYPES,
    EmuAccount,
    EmuOrder,
    early_reject_reason,
    fill_price,
    lot_or_tick_problem,
)

if TYPE_CHECKING:
    from ashare_exec.testing.miniqmt.client import Session
    from ashare_exec.testing.miniqmt.simcounter import SimCounter
    from ashare_exec.venues.sim.state import SimOrder

Push = tuple[str, tuple[object, ...]]
FIRST_ORDER_ID = 1001


class Counter:
    """Order handling of the emulated terminal (state is guarded by :attr:`lock`)."""

    def __init__(
        self, behaviour: MiniQmtBehaviour | None = None, *, sim: SimCounter | None = None
    ) -> None:
        self.behaviour = behaviour or MiniQmtBehaviour()
        self.sim = sim
        """When set, orders go through the built-in simulator (A-share rules and matching)."""
        self.lock = threading.RLock()
        self.online = True
        self.accounts: dict[str, EmuAccount] = {}
        self.orders: dict[str, list[EmuOrder]] = {}
        self.trades: dict[str, list[s.XtTrade]] = {}
        self.prices: dict[str, Decimal] = {}
        self.clients: list[Session] = []
        self.history: dict[str, list[Push]] = {}
        self.calls: list[tuple[str, str]] = []
        """(native method, calling thread name) for every request, for threading tests."""
        self.timeouts: list[int] = []
        self.cancel_requests: list[tuple[str, int, str]] = []
        """(account, order_id, order_sysid) of every cancel request, in arrival order."""
        self._order_ids = itertools.count(FIRST_ORDER_ID)
        self._sysids = itertools.count(700001)
        self._trade_ids = itertools.count(1)
        self._clock = itertools.count(93000)
        self._swallow = 0
        self._reject_next: list[str] = []
        self.depth: dict[str, int] = {}
        """code -> most shares one order takes from the market per match (none: unlimited)."""
        self._drop_responses = 0
        self._deferred: list[Push] = []
        self._cancel_clients: dict[tuple[str, int], Session] = {}
        self._by_key: dict[str, EmuOrder] = {}
        self._keys = itertools.count(1)
        self.past_orders: list[tuple[SimOrder, EmuOrder | None]] = []
        """With ``sim``: the orders of the days before the current one (the simulator's
        record and the terminal's), kept for snapshots once the day's lists are cleared."""

    def _roll_day(self) -> None:
        """With ``sim``: once the clock is on a later date than the market's day, run that
        day to its end (what is still working expires at the close: pushed cancelled, as
        MiniQMT has no expired status, unless ``close_leaves_orders_open``) and clear the
        day's lists: like a MiniQMT restarted overnight, the terminal lists only the new
        day's orders and trades. Called (under :attr:`lock`) before every request and tick."""
        if self.sim is None:
            return
        closing = self.sim.finish_day()
        if closing is None:
            return
        for report in closing:
            self._apply_report(report, None, 0)
        self.past_orders += [
            (o, self._by_key.get(str(key))) for (_, key), o in self.sim.exchange.orders.items()
        ]
        for account_id in self.orders:
            self.orders[account_id] = []
            self.trades[account_id] = []
            self.history[account_id] = []
        self._by_key.clear()
        self._cancel_clients.clear()

    def _subscribers(self, account_id: str) -> list[Session]:
        return [c for c in self.clients if account_id in c.subscribed]

    def _order(self, client: Session, seq: int, req: s.OrderStockReq, drop_response: bool) -> None:
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
        order_id = next(self._order_ids)
        order = EmuOrder(
            account_id=account_id,
            order_id=order_id,
            key=f"Q{next(self._keys)}",
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
        self._by_key[order.key] = order
        if b.push_unreported:
            pushes.append(self._order_push(order))
        if self.sim is not None:
            try:
                reports = self.sim.submit(order)
            except BrokerRejected as e:
                refusal = OrderRejected(
                    account_id=order.account_id,  # type: ignore[arg-type]
                    client_order_id=self.sim.key(order),
                    ts_event=self.sim.clock.now(),
                    message=e.message,
                )
                reports = [refusal]
            for report in reports:
                own = self._apply_report(report, order, seq)
                pushes += own
            self._send(client, seq, resp, pushes, drop_response)
            return
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

    def _apply_report(self, report: object, current: EmuOrder | None, seq: int) -> list[Push]:
        """Apply a simulator report; pushes of ``current`` are returned, others broadcast."""
        cid = getattr(report, "client_order_id", None)
        order = self._by_key.get(str(cid)) if cid is not None else None
        if order is None:
            return []
        pushes: list[Push] = []
        if isinstance(report, OrderAccepted):
            order.order_sysid = str(report.exchange_order_id or next(self._sysids))
            if self.behaviour.push_wait_reporting:
                order.status = 49
                pushes.append(self._order_push(order))
            order.status = 50
            pushes.append(self._order_push(order))
        elif isinstance(report, OrderRejected):
            order.status, order.status_msg = 57, report.message
            err = s.XtOrderError(
                account_type=ACCOUNT_TYPE_STOCK, account_id=order.account_id,
                order_id=order.order_id, error_id=-1, error_msg=report.message,
                strategy_name=order.strategy_name, order_remark=order.remark,
                seq=seq if order is current else 0,
            )  # fmt: skip
            pushes += [("OnOrderError", (err,)), self._order_push(order)]
        elif isinstance(report, OrderFilled):
            pushes += self._execute(
                order, report.last_qty, report.last_px, str(report.trade_id), report.fee,
                broadcast=order is not current,
            )  # fmt: skip
        elif isinstance(report, OrderExpired) and self.behaviour.close_leaves_orders_open:
            return []
        elif isinstance(report, OrderCanceled | OrderExpired):
            order.status = 53 if order.traded_volume else 54
            order.cancel_requested = False
            self._cancel_clients.pop((order.account_id, order.order_id), None)
            pushes.append(self._order_push(order))
        if order is current:
            return pushes
        self._broadcast(order.account_id, [p for p in pushes if p[0] != "OnOrderError"])
        return []

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
        client: Session,
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
                        other.deliver(name, *[copy_native(a) for a in args])

    def _order_push(self, order: EmuOrder) -> Push:
        push: Push = ("OnStockOrder", (order.to_native(),))
        self.history[order.account_id].append(push)
        return push

    def _broadcast(self, account_id: str, pushes: list[Push]) -> None:
        if self.behaviour.noisy_link:
            pushes = [push for push in reversed(pushes) for _ in range(2)]
        for client in self._subscribers(account_id):
            for name, args in pushes:
                client.deliver(name, *[copy_native(a) for a in args])

    def _match(self, order: EmuOrder) -> None:
        px = fill_price(order, self.prices.get(order.stock_code))
        if px is not None:
            self._execute(
                order, min(order.leaves, self.depth.get(order.stock_code, order.leaves)), px
            )
        elif order.price_type in IOC_TYPES and order.status in (50, 55):
            order.cancel_requested = True
            self._finish_cancel(order)

    def _execute(
        self,
        order: EmuOrder,
        qty: int,
        price: Decimal,
        trade_id: str | None = None,
        fee: Decimal | None = None,
        *,
        broadcast: bool = True,
    ) -> list[Push]:
        order.traded_volume += qty
        order.traded_amount += price * qty
        if self.sim is None:
            self._book_fill(order, qty, price)
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
            traded_id=trade_id or f"T{next(self._trade_ids):08d}",
            traded_time=next(self._clock),
            traded_price=float(price),
            traded_volume=qty,
            traded_amount=float(price * qty),
            order_id=order.order_id,
            order_sysid=order.order_sysid,
            strategy_name=order.strategy_name,
            order_remark=order.remark,
            offset_flag=order.order_type,
            commission=float(fee or 0),
        )
        self.trades[order.account_id].append(trade)
        trade_push: Push = ("OnStockTrade", (trade,))
        self.history[order.account_id].append(trade_push)
        order_push = self._order_push(order)
        pushes = [trade_push, order_push]
        if not self.behaviour.trade_before_order_push:
            pushes.reverse()
        if done and self.sim is None:
            self._release(order)
        if not broadcast:
            return pushes
        self._broadcast(order.account_id, pushes)
        if canceller is not None:  # the fill beat the cancel: the cancel fails
            canceller.deliver("OnCancelError", self._cancel_error(order, "order already filled"))
        return []

    def _book_fill(self, order: EmuOrder, qty: int, price: Decimal) -> None:
        acc = self.accounts[order.account_id]
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


def copy_native(value: object) -> object:
    return value.copy() if isinstance(value, s.NativeStruct) else value
