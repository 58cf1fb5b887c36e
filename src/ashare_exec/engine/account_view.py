"""Adapts the OMS (order book + ledger) to the risk layer's read-only ``AccountView``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from ashare_exec.model import AccountId, Instrument, InstrumentId, Quote, Side
from ashare_exec.model.order import Order
from ashare_exec.oms.state import OmsState, StateChange
from ashare_exec.risk.view import PositionView, WorkingOrderView

__all__ = ["OmsAccountView"]

_ZERO = Decimal(0)


class OmsAccountView:
    """The risk checks' view of one account, read live from the OMS state."""

    def __init__(
        self,
        state: OmsState,
        account_id: AccountId,
        instruments: dict[InstrumentId, Instrument],
        quotes: Callable[[InstrumentId], Quote | None],
        start_equity: Callable[[], Decimal | None] = lambda: None,
    ) -> None:
        self._state = state
        self._account = account_id
        self._instruments = instruments
        self._quotes = quotes
        self._start_equity = start_equity
        # Working orders by (instrument, side) with their running leaves totals, kept
        # current by observe(): the checks ask per order, and scanning the open orders
        # each time was the hot path's largest cost.
        self._open: dict[tuple[InstrumentId, Side], dict[str, Order]] = {}
        self._leaves: dict[str, int] = {}
        self._working_qty: dict[tuple[InstrumentId, Side], int] = {}
        for order in state.book.open_orders(account_id):
            self._track(order)

    def observe(self, change: StateChange) -> None:
        """Keep the working-order index current (call for every applied change)."""
        order = change.order
        if order is None or order.spec.account_id != self._account:
            return
        if order.status.is_open:
            self._track(order)
        else:
            self._untrack(order)

    def _track(self, order: Order) -> None:
        spec = order.spec
        key = (spec.instrument_id, spec.side)
        coid = spec.client_order_id
        leaves = order.leaves_qty
        self._working_qty[key] = self._working_qty.get(key, 0) + leaves - self._leaves.get(coid, 0)
        self._leaves[coid] = leaves
        self._open.setdefault(key, {})[coid] = order

    def _untrack(self, order: Order) -> None:
        spec = order.spec
        key = (spec.instrument_id, spec.side)
        bucket = self._open.get(key)
        if bucket is None or bucket.pop(spec.client_order_id, None) is None:
            return
        self._working_qty[key] -= self._leaves.pop(spec.client_order_id, 0)
        if not bucket:
            del self._open[key]
            del self._working_qty[key]

    def available_cash(self) -> Decimal:
        """Cash free for new buys."""
        return self._state.ledger.cash(self._account).available

    def frozen_cash(self) -> Decimal:
        """Cash frozen by working buys."""
        return self._state.ledger.cash(self._account).frozen

    def position(self, instrument_id: InstrumentId) -> PositionView | None:
        """Holding and working quantities of one symbol."""
        pos = self._state.ledger.position(self._account, instrument_id)
        wsell = self._working_qty.get((instrument_id, Side.SELL), 0)
        wbuy = self._working_qty.get((instrument_id, Side.BUY), 0)
        working = (instrument_id, Side.SELL) in self._open or (
            instrument_id,
            Side.BUY,
        ) in self._open
        if pos.total == 0 and not working and pos.bought_today == 0:
            return None
        return PositionView(
            total_qty=pos.total,
            # The ledger's sellable already excludes shares frozen by working sells.
            sellable_qty=pos.sellable + pos.frozen,
            working_sell_qty=wsell,
            working_buy_qty=wbuy,
            bought_today=pos.bought_today,
            avg_cost=pos.avg_cost if pos.total else None,
        )

    def working_orders(
        self, instrument_id: InstrumentId | None = None, side: Side | None = None
    ) -> Sequence[WorkingOrderView]:
        """Our working orders (all, or of one symbol, or of one symbol and side)."""
        if instrument_id is None:
            orders = [o for bucket in self._open.values() for o in bucket.values()]
            if side is not None:
                orders = [o for o in orders if o.spec.side is side]
        else:
            sides = (Side.BUY, Side.SELL) if side is None else (side,)
            orders = [o for s in sides for o in self._open.get((instrument_id, s), {}).values()]
        out = []
        for o in orders:
            spec = o.spec
            out.append(
                WorkingOrderView(
                    client_order_id=spec.client_order_id,
                    instrument_id=spec.instrument_id,
                    side=spec.side,
                    price=spec.price,
                    leaves_qty=o.leaves_qty,
                    price_type=spec.price_type,
                )
            )
        return out

    def held_instruments(self) -> list[InstrumentId]:
        """Instruments with a non-zero holding."""
        return [p.instrument_id for p in self._state.ledger.positions(self._account) if p.total]

    def open_order_count(self) -> int:
        """How many orders are working."""
        return len(self._leaves)

    def _mark(self, instrument_id: InstrumentId) -> Decimal:
        q = self._quotes(instrument_id)
        if q is not None and q.last is not None:
            return q.last
        inst = self._instruments.get(instrument_id)
        return inst.prev_close if inst is not None else _ZERO

    def market_value(self) -> Decimal:
        """Market value of all long positions at the last price (else previous close)."""
        return sum(
            (
                p.total * self._mark(p.instrument_id)
                for p in self._state.ledger.positions(self._account)
            ),
            _ZERO,
        )

    def equity(self) -> Decimal:
        """Cash (available + frozen) + market value."""
        return self._state.ledger.cash(self._account).total + self.market_value()

    def pnl_today(self) -> Decimal:
        """Equity now minus equity at the start of the day (0 when unknown)."""
        start = self._start_equity()
        return _ZERO if start is None else self.equity() - start
