"""Execution-side protections: serialisable state machines driven with ``now`` and quotes.

* :class:`OrderWatch` — auto-cancel a working order after its time-to-live, or when the last
  price moves away from its price by more than a set fraction.
* :class:`StopBook` — stop-loss / take-profit per position on the last price; a trigger
  returns a protective sell limit that respects the band, the cage, the lot / odd-lot rule
  and the T+1 sellable quantity.

They return actions; the engine executes them. Neither reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ashare_exec.model import Instrument, InstrumentId, PriceType, Quote, Side, StrategyId
from ashare_exec.model.commands import SubmitOrder
from ashare_exec.model.identifiers import AccountId
from ashare_exec.model.numbers import ceil_to_tick, floor_to_tick
from ashare_exec.risk import codes
from ashare_exec.risk.actions import CancelOrderAction, SubmitProtectiveOrder
from ashare_exec.risk.view import PositionView
from ashare_exec.rules import PriceLimits, cage_bounds, lot_rule, odd_lot_sell_ok, tick_size

__all__ = ["OrderWatch", "Stop", "StopBook", "WatchedOrder", "protective_sell_qty"]

_ONE = Decimal(1)
STOP_STRATEGY = StrategyId("risk-stop")


@dataclass(slots=True)
class WatchedOrder:
    """One working order under TTL / drift protection."""

    account_id: str
    client_order_id: str
    symbol: str
    side: Side
    price: Decimal | None
    placed_at: float
    ttl_s: float | None
    max_drift: Decimal | None
    fired: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "account_id": self.account_id,
            "client_order_id": self.client_order_id,
            "symbol": self.symbol,
            "side": self.side.value,
            "price": None if self.price is None else str(self.price),
            "placed_at": self.placed_at,
            "ttl_s": self.ttl_s,
            "max_drift": None if self.max_drift is None else str(self.max_drift),
            "fired": self.fired,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> WatchedOrder:
        """Inverse of :meth:`to_dict`."""
        return cls(
            d["account_id"],
            d["client_order_id"],
            d["symbol"],
            Side(d["side"]),
            None if d["price"] is None else Decimal(d["price"]),
            d["placed_at"],
            d["ttl_s"],
            None if d["max_drift"] is None else Decimal(d["max_drift"]),
            d["fired"],
        )


class OrderWatch:
    """Working orders with a time-to-live and/or a drift limit. Each fires at most once."""

    def __init__(self) -> None:
        self.orders: dict[str, WatchedOrder] = {}

    def watch(self, order: WatchedOrder) -> None:
        """Start watching an order (no-op when it has neither TTL nor drift limit)."""
        if order.ttl_s is not None or order.max_drift is not None:
            self.orders[order.client_order_id] = order

    def forget(self, client_order_id: str) -> None:
        """Stop watching (the order is done)."""
        self.orders.pop(client_order_id, None)

    def on_time(self, now: float) -> list[CancelOrderAction]:
        """Cancel actions for orders whose time-to-live has passed."""
        out = []
        for o in self.orders.values():
            if not o.fired and o.ttl_s is not None and now >= o.placed_at + o.ttl_s:
                o.fired = True
                out.append(
                    CancelOrderAction(o.account_id, o.client_order_id, codes.CONTROL_ORDER_TTL)
                )
        return out

    def on_quote(self, quote: Quote) -> list[CancelOrderAction]:
        """Cancel actions for orders on ``quote``'s symbol the market moved away from."""
        last = quote.last
        if last is None or last <= 0:
            return []
        symbol = str(quote.instrument_id)
        out = []
        for o in self.orders.values():
            if o.fired or o.max_drift is None or o.price is None or o.symbol != symbol:
                continue
            if o.side is Side.BUY:
                away = last > o.price * (_ONE + o.max_drift)
            else:
                away = last < o.price * (_ONE - o.max_drift)
            if away:
                o.fired = True
                out.append(
                    CancelOrderAction(o.account_id, o.client_order_id, codes.CONTROL_ORDER_DRIFT)
                )
        return out

    def to_state(self) -> list[dict[str, Any]]:
        """JSON-ready list of watched orders."""
        return [o.to_dict() for o in self.orders.values()]

    @classmethod
    def from_state(cls, items: list[dict[str, Any]]) -> OrderWatch:
        """Inverse of :meth:`to_state`."""
        out = cls()
        for d in items:
            w = WatchedOrder.from_dict(d)
            out.orders[w.client_order_id] = w
        return out


@dataclass(slots=True)
class Stop:
    """A stop-loss and/or take-profit on one position. ``status``: ARMED or TRIGGERED."""

    account_id: str
    symbol: str
    stop_loss: Decimal | None = None
    take_profit: Decimal | None = None
    status: str = "ARMED"
    triggered_by: str | None = None
    fallback: bool = False
    """Derived from the account's ``stop_loss_pct`` / ``take_profit_pct``."""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "account_id": self.account_id,
            "symbol": self.symbol,
            "stop_loss": None if self.stop_loss is None else str(self.stop_loss),
            "take_profit": None if self.take_profit is None else str(self.take_profit),
            "status": self.status,
            "triggered_by": self.triggered_by,
            "fallback": self.fallback,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Stop:
        """Inverse of :meth:`to_dict`."""
        return cls(
            d["account_id"],
            d["symbol"],
            None if d["stop_loss"] is None else Decimal(d["stop_loss"]),
            None if d["take_profit"] is None else Decimal(d["take_profit"]),
            d["status"],
            d["triggered_by"],
            d["fallback"],
        )


def protective_sell_qty(inst: Instrument, position: PositionView, day: date) -> int:
    """The largest legal sell of the free sellable shares (lot, odd lot, maximum); 0 if none."""
    free = position.free_to_sell
    if free <= 0:
        return 0
    rule = lot_rule(inst, Side.SELL, PriceType.LIMIT, day)
    qty = min(free, rule.max_qty)
    if rule.is_round(qty) or odd_lot_sell_ok(rule, qty, position.total_qty):
        return qty
    qty -= (qty - rule.min_qty) % rule.step if qty >= rule.min_qty else qty
    return qty if qty > 0 and rule.is_round(qty) else 0


class StopBook:
    """Stops per (account, symbol), explicit or derived from the limits' fallback %."""

    def __init__(self) -> None:
        self.stops: dict[tuple[str, str], Stop] = {}

    def set_stop(
        self,
        account_id: str,
        symbol: str,
        *,
        stop_loss: Decimal | None = None,
        take_profit: Decimal | None = None,
    ) -> Stop:
        """Set (or replace) and arm an explicit stop."""
        stop = Stop(account_id, symbol, stop_loss, take_profit)
        self.stops[(account_id, symbol)] = stop
        return stop

    def remove(self, account_id: str, symbol: str) -> None:
        """Drop a stop (e.g. the position is flat)."""
        self.stops.pop((account_id, symbol), None)

    def rearm(self, account_id: str, symbol: str) -> None:
        """Arm a triggered stop again (its protective order ended without selling all)."""
        stop = self.stops.get((account_id, symbol))
        if stop is not None:
            stop.status, stop.triggered_by = "ARMED", None

    def ensure_fallback(
        self,
        account_id: str,
        symbol: str,
        position: PositionView | None,
        stop_loss_pct: Decimal | None,
        take_profit_pct: Decimal | None,
    ) -> Stop | None:
        """Keep the fallback stop of a position in line with its average cost.

        Creates one when none exists and a fallback % is configured, moves an armed fallback
        stop when the average cost changes, and drops an armed fallback stop once the
        position is flat. Explicit stops are never touched.
        """
        key = (account_id, symbol)
        got = self.stops.get(key)
        if got is not None and not got.fallback:
            return got
        if position is None or position.total_qty <= 0 or position.avg_cost is None:
            if got is not None and got.status == "ARMED":
                del self.stops[key]
                return None
            return got
        if (stop_loss_pct is None and take_profit_pct is None) or (
            got is not None and got.status != "ARMED"
        ):
            return got
        cost = position.avg_cost
        stop = Stop(
            account_id,
            symbol,
            None if stop_loss_pct is None else cost * (_ONE - stop_loss_pct),
            None if take_profit_pct is None else cost * (_ONE + take_profit_pct),
            fallback=True,
        )
        self.stops[key] = stop
        return stop

    def on_quote(
        self,
        account_id: str,
        quote: Quote,
        inst: Instrument,
        position: PositionView | None,
        limits: PriceLimits,
        day: date,
        slippage: Decimal,
    ) -> list[SubmitProtectiveOrder]:
        """Check the account's stop on ``quote``'s symbol; return a protective sell if hit.

        A hit with nothing sellable (T+1) leaves the stop armed, so it fires once shares
        become sellable.
        """
        stop = self.stops.get((account_id, str(quote.instrument_id)))
        last = quote.last
        if stop is None or stop.status != "ARMED" or last is None or last <= 0:
            return []
        if stop.stop_loss is not None and last <= stop.stop_loss:
            why = "STOP_LOSS"
        elif stop.take_profit is not None and last >= stop.take_profit:
            why = "TAKE_PROFIT"
        else:
            return []
        if position is None:
            return []
        qty = protective_sell_qty(inst, position, day)
        if qty <= 0:
            return []
        price = _protective_price(inst, quote, last, limits, day, slippage)
        stop.status, stop.triggered_by = "TRIGGERED", why
        cmd = SubmitOrder(
            account_id=AccountId(account_id),
            instrument_id=InstrumentId.parse(stop.symbol),
            side=Side.SELL,
            qty=qty,
            price=price,
            strategy_id=STOP_STRATEGY,
        )
        return [SubmitProtectiveOrder(cmd, why, f"{account_id}:{stop.symbol}")]

    def to_state(self) -> list[dict[str, Any]]:
        """JSON-ready list of stops."""
        return [s.to_dict() for s in self.stops.values()]

    @classmethod
    def from_state(cls, items: list[dict[str, Any]]) -> StopBook:
        """Inverse of :meth:`to_state`."""
        out = cls()
        for d in items:
            s = Stop.from_dict(d)
            out.stops[(s.account_id, s.symbol)] = s
        return out


def _protective_price(
    inst: Instrument,
    quote: Quote,
    last: Decimal,
    limits: PriceLimits,
    day: date,
    slippage: Decimal,
) -> Decimal:
    tick = tick_size(inst)
    price = floor_to_tick(last * (_ONE - slippage), tick)
    floor = cage_bounds(inst, Side.SELL, quote, limits, day)
    if floor is not None and price < floor:
        price = ceil_to_tick(floor, tick)
    if limits.down is not None and price < limits.down:
        price = limits.down
    if limits.up is not None and price > limits.up:
        price = limits.up
    return max(price, tick).quantize(tick)
