"""JSON views of domain objects for the API, the event stream and the CLI.

Prices and money are rendered as strings (exact); quantities as integers; times ISO-8601.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ashare_exec.clock import iso
from ashare_exec.model import OrderEvent, OrderFilled
from ashare_exec.model.order import Order
from ashare_exec.model.portfolio import Cash, Position

__all__ = ["cash_view", "event_view", "fill_view", "order_view", "position_view"]


def _s(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def order_view(order: Order, *, with_events: bool = False) -> dict[str, Any]:
    """The API form of an order (fills always; the event log on request)."""
    spec = order.spec
    avg = order.avg_px
    view: dict[str, Any] = {
        "account_id": spec.account_id,
        "client_order_id": spec.client_order_id,
        "symbol": str(spec.instrument_id),
        "side": spec.side.value,
        "price_type": spec.price_type.value,
        "price": _s(spec.price),
        "protection_price": _s(spec.protection_price),
        "qty": spec.qty,
        "time_in_force": spec.time_in_force.value,
        "strategy_id": spec.strategy_id,
        "external": spec.external,
        "status": order.status.value,
        "filled_qty": order.filled_qty,
        "leaves_qty": order.leaves_qty,
        "avg_px": None if avg is None else str(avg.quantize(Decimal("0.0001"))),
        "broker_order_id": order.broker_order_id,
        "exchange_order_id": order.exchange_order_id,
        "reason_code": order.reasons[0] if order.reasons else None,
        "reasons": list(order.reasons),
        "message": order.message,
        "overfilled": order.overfilled,
        "created_at": iso(order.ts_created),
        "updated_at": iso(order.ts_updated),
        "fills": [
            {
                "trade_id": f.trade_id,
                "qty": f.qty,
                "px": str(f.px),
                "fee": _s(f.fee),
                "ts": iso(f.ts_event),
            }
            for f in order.fills.values()
        ],
    }
    if with_events:
        view["events"] = [
            {
                "type": type(e.event).__name__,
                "ts": iso(e.event.ts_event),
                "status_before": None if e.status_before is None else e.status_before.value,
                "status_after": e.status_after.value,
                "note": e.note,
                **event_details(e.event),
            }
            for e in order.log
        ]
    return view


def event_details(event: OrderEvent) -> dict[str, Any]:
    """The interesting fields of an event (for logs and the stream)."""
    out: dict[str, Any] = {}
    for name in ("reason_code", "message", "broker_order_id", "exchange_order_id", "reasons"):
        value = getattr(event, name, None)
        if value:
            out[name] = list(value) if isinstance(value, tuple) else value
    if isinstance(event, OrderFilled):
        out.update(fill_view(event))
    status = getattr(event, "status", None)
    if status is not None:
        out["status"] = status.value
    return out


def fill_view(fill: OrderFilled) -> dict[str, Any]:
    """The API form of one fill."""
    return {
        "account_id": fill.account_id,
        "client_order_id": fill.client_order_id,
        "trade_id": fill.trade_id,
        "symbol": str(fill.instrument_id),
        "side": fill.side.value,
        "qty": fill.last_qty,
        "px": str(fill.last_px),
        "fee": _s(fill.fee),
        "ts": iso(fill.ts_event),
    }


def event_view(order: Order, event: OrderEvent) -> dict[str, Any]:
    """A stream message body for an order event: the event plus the order's new state."""
    return {
        "event": type(event).__name__,
        "exec_type": event.exec_type.value,
        "client_order_id": event.client_order_id,
        "status": order.status.value,
        "filled_qty": order.filled_qty,
        "leaves_qty": order.leaves_qty,
        "symbol": str(order.spec.instrument_id),
        "side": order.spec.side.value,
        **event_details(event),
    }


def position_view(p: Position) -> dict[str, Any]:
    """The API form of a position."""
    return {
        "account_id": p.account_id,
        "symbol": str(p.instrument_id),
        "total_qty": p.total,
        "sellable_qty": p.sellable,
        "frozen_qty": p.frozen,
        "bought_today": p.bought_today,
        "avg_cost": str(p.avg_cost.quantize(Decimal("0.0001"))),
        "realised_pnl": str(p.realised_pnl.quantize(Decimal("0.01"))),
        "fees": str(p.fees),
    }


def cash_view(c: Cash) -> dict[str, Any]:
    """The API form of an account's cash."""
    return {
        "available": str(c.available),
        "frozen": str(c.frozen),
        "total": str(c.total),
        "fees_paid": str(c.fees_paid),
    }
