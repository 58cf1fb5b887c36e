"""Judging a resubmit of an answered order, as the seeded suites send them."""

from __future__ import annotations

from typing import Any

from ashare_exec.api.schemas import OrderIn
from ashare_exec.errors import DuplicateClientOrderId, GatewayError

__all__ = ["resubmit"]


async def resubmit(svc: Any, body: OrderIn, *, same: bool, actor: str) -> tuple[str | None, str]:
    """Send ``body`` again under its client id: with the ``same`` content it must answer
    the existing order, with other content be refused ``DUPLICATE_CLIENT_ORDER_ID``.
    Returns ``(problem, note)``: the broken rule, or ``None`` and what happened."""
    coid = body.client_order_id
    try:
        view = await svc.submit(body, actor=actor)
    except DuplicateClientOrderId:
        if same:
            return f"resubmit of {coid} with the same content refused", ""
        return None, f"resubmit {coid} changed -> DUPLICATE_CLIENT_ORDER_ID"
    except GatewayError as e:
        return None, f"resubmit {coid} refused {e.code}"
    if not same or view["created"]:
        return f"resubmit of {coid} (same={same}) created a new order", ""
    return None, f"resubmit {coid} -> existing {view['status']}"
