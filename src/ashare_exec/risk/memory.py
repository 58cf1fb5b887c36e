"""A plain in-memory :class:`~ashare_exec.risk.view.AccountView` for tests and benchmarks.

It models just enough of a cash account: buys freeze ``price × qty + fees`` (fees are a
flat estimate here), fills move shares and cash, today's buys become sellable after
:meth:`InMemoryAccount.roll_day` unless the symbol is T+0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ashare_exec.model import InstrumentId, PriceType, Side
from ashare_exec.risk.view import PositionView, WorkingOrderView

__all__ = ["InMemoryAccount"]

_ZERO = Decimal(0)


@dataclass(slots=True)
class _Pos:
    total: int = 0
    sellable: int = 0
    bought_today: int = 0
    cost: Decimal = _ZERO


@dataclass(slots=True)
class _Order:
    order_id: str
    instrument_id: InstrumentId
    side: Side
    price: Decimal
    leaves: int
    frozen: Decimal


@dataclass(slots=True)
class InMemoryAccount:
    """A mutable account implementing :class:`~ashare_exec.risk.view.AccountView`."""

    cash: Decimal = Decimal(1_000_000)
    """Free cash (working buys' frozen amounts are not in it)."""
    marks: dict[InstrumentId, Decimal] = field(default_factory=dict)
    t0: frozenset[InstrumentId] = frozenset()
    start_equity: Decimal | None = None
    realised: Decimal = _ZERO
    _positions: dict[InstrumentId, _Pos] = field(default_factory=dict)
    _orders: dict[str, _Order] = field(default_factory=dict)
    _views: dict[InstrumentId, tuple[PositionView | None, list[WorkingOrderView]]] = field(
        default_factory=dict
    )

    # --- set-up -------------------------------------------------------------------------
    def set_position(
        self,
        instrument_id: InstrumentId,
        qty: int,
        *,
        sellable: int | None = None,
        avg_cost: Decimal | None = None,
    ) -> None:
        """Set a holding (``sellable`` defaults to all of it)."""
        self._views.clear()
        cost = avg_cost if avg_cost is not None else self.marks.get(instrument_id, _ZERO)
        self._positions[instrument_id] = _Pos(
            qty, qty if sellable is None else sellable, 0, cost * qty
        )

    # --- order flow -----------------------------------------------------------------------
    def place(
        self,
        order_id: str,
        instrument_id: InstrumentId,
        side: Side,
        price: Decimal,
        qty: int,
        *,
        fees: Decimal = _ZERO,
    ) -> None:
        """Add a working order; a buy freezes its notional + ``fees``."""
        self._views.clear()
        frozen = price * qty + fees if side is Side.BUY else _ZERO
        self.cash -= frozen
        self._orders[order_id] = _Order(order_id, instrument_id, side, price, qty, frozen)

    def fill(self, order_id: str, qty: int, price: Decimal | None = None) -> None:
        """Fill ``qty`` of a working order (at its own price unless given)."""
        self._views.clear()
        o = self._orders[order_id]
        qty = min(qty, o.leaves)
        px = o.price if price is None else price
        pos = self._positions.setdefault(o.instrument_id, _Pos())
        if o.side is Side.BUY:
            release = o.frozen * qty / o.leaves
            o.frozen -= release
            self.cash += release - px * qty
            pos.total += qty
            pos.bought_today += qty
            pos.cost += px * qty
            if o.instrument_id in self.t0:
                pos.sellable += qty
        else:
            avg = pos.cost / pos.total if pos.total else _ZERO
            self.realised += (px - avg) * qty
            pos.cost -= avg * qty
            pos.total -= qty
            pos.sellable -= qty
            self.cash += px * qty
        o.leaves -= qty
        if o.leaves == 0:
            self.cash += o.frozen
            del self._orders[order_id]

    def cancel(self, order_id: str) -> None:
        """Cancel a working order, releasing what it froze."""
        self._views.clear()
        o = self._orders.pop(order_id, None)
        if o is not None:
            self.cash += o.frozen

    def roll_day(self) -> None:
        """Start a new day: working orders expire, all holdings become sellable."""
        self._views.clear()
        for oid in list(self._orders):
            self.cancel(oid)
        for pos in self._positions.values():
            pos.sellable = pos.total
            pos.bought_today = 0
        self.start_equity = self.equity()
        self.realised = _ZERO

    # --- AccountView ----------------------------------------------------------------------
    def available_cash(self) -> Decimal:
        """Free cash."""
        return self.cash

    def frozen_cash(self) -> Decimal:
        """Cash frozen by working buys."""
        return sum((o.frozen for o in self._orders.values()), _ZERO)

    def _view(
        self, instrument_id: InstrumentId
    ) -> tuple[PositionView | None, list[WorkingOrderView]]:
        got = self._views.get(instrument_id)
        if got is None:
            got = self._views[instrument_id] = (
                self._position(instrument_id),
                self._working(instrument_id),
            )
        return got

    def position(self, instrument_id: InstrumentId) -> PositionView | None:
        """The holding and working quantities of one symbol."""
        return self._view(instrument_id)[0]

    def _position(self, instrument_id: InstrumentId) -> PositionView | None:
        pos = self._positions.get(instrument_id)
        wb = ws = 0
        for o in self._orders.values():
            if o.instrument_id == instrument_id:
                if o.side is Side.BUY:
                    wb += o.leaves
                else:
                    ws += o.leaves
        if pos is None and wb == 0 and ws == 0:
            return None
        if pos is None:
            return PositionView(0, 0, ws, wb, 0, None)
        avg = pos.cost / pos.total if pos.total else None
        return PositionView(pos.total, pos.sellable, ws, wb, pos.bought_today, avg)

    def working_orders(
        self, instrument_id: InstrumentId | None = None, side: Side | None = None
    ) -> list[WorkingOrderView]:
        """Working orders: all, of one symbol, or of one symbol and side."""
        found = self._view(instrument_id)[1] if instrument_id is not None else self._working(None)
        return found if side is None else [o for o in found if o.side is side]

    def _working(self, instrument_id: InstrumentId | None) -> list[WorkingOrderView]:
        return [
            WorkingOrderView(
                o.order_id, o.instrument_id, o.side, o.price, o.leaves, PriceType.LIMIT
            )
            for o in self._orders.values()
            if instrument_id is None or o.instrument_id == instrument_id
        ]

    def open_order_count(self) -> int:
        """Number of working orders."""
        return len(self._orders)

    def market_value(self) -> Decimal:
        """Long positions at their marks (cost when no mark)."""
        total = _ZERO
        for iid, pos in self._positions.items():
            mark = self.marks.get(iid)
            total += mark * pos.total if mark is not None else pos.cost
        return total

    def equity(self) -> Decimal:
        """Free + frozen cash + market value."""
        return self.cash + self.frozen_cash() + self.market_value()

    def pnl_today(self) -> Decimal:
        """Equity change since :meth:`roll_day` (0 before the first roll)."""
        if self.start_equity is None:
            return _ZERO
        return self.equity() - self.start_equity
