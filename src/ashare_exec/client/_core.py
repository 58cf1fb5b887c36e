"""What the sync and async clients share: request building, response parsing, errors, handles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

__all__ = [
    "ApiError",
    "AuthError",
    "ConflictError",
    "NotFoundError",
    "OrderInfo",
    "RefusedError",
    "UnavailableError",
    "build_order_body",
    "next_page",
    "order_params",
    "raise_for_error",
]

DONE_STATUSES = frozenset({"FILLED", "CANCELED", "REJECTED", "DENIED", "EXPIRED"})


class ApiError(Exception):
    """An error answered by the service: ``code`` is the stable reason code."""

    def __init__(self, status: int, code: str, message: str, reasons: tuple[str, ...] = ()) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.reasons = reasons or (code,)


class AuthError(ApiError):
    """401/403: missing or wrong token, scope or account."""


class NotFoundError(ApiError):
    """404: no such order or account."""


class ConflictError(ApiError):
    """409: e.g. ``DUPLICATE_CLIENT_ORDER_ID`` or ``ORDER_ALREADY_DONE``."""


class RefusedError(ApiError):
    """400/422: the instruction was refused (invalid input, market closed, ...)."""


class UnavailableError(ApiError):
    """503: shutting down, venue down, not ready."""


def raise_for_error(status: int, body: Any) -> None:
    """Raise the typed error for a non-2xx answer."""
    if status < 400:
        return
    err = body.get("error", {}) if isinstance(body, Mapping) else {}
    code = str(err.get("code", f"HTTP_{status}"))
    message = str(err.get("message", ""))
    reasons = tuple(str(r) for r in err.get("reasons", ()) or ())
    cls: type[ApiError]
    if status in (401, 403):
        cls = AuthError
    elif status == 404:
        cls = NotFoundError
    elif status == 409:
        cls = ConflictError
    elif status == 503:
        cls = UnavailableError
    elif status in (400, 413, 422, 429):
        cls = RefusedError
    else:
        cls = ApiError
    raise cls(status, code, message, reasons)


def build_order_body(
    *,
    account: str,
    symbol: str,
    side: str,
    qty: int,
    price: Decimal | str | int | None = None,
    price_type: str = "LIMIT",
    client_order_id: str | None = None,
    strategy: str | None = None,
    protection_price: Decimal | str | int | None = None,
    time_in_force: str = "DAY",
) -> dict[str, Any]:
    """The JSON body of a submit request (prices travel as strings to stay exact)."""
    body: dict[str, Any] = {
        "account_id": account,
        "symbol": symbol,
        "side": side.upper(),
        "qty": qty,
        "price_type": price_type,
        "time_in_force": time_in_force,
    }
    if price is not None:
        body["price"] = str(price)
    if protection_price is not None:
        body["protection_price"] = str(protection_price)
    if client_order_id is not None:
        body["client_order_id"] = client_order_id
    if strategy is not None:
        body["strategy_id"] = strategy
    return body


@dataclass
class OrderInfo:
    """A client-side snapshot of an order as the service reported it."""

    raw: dict[str, Any] = field(repr=False)

    @property
    def account_id(self) -> str:
        """The account."""
        return str(self.raw["account_id"])

    @property
    def client_order_id(self) -> str:
        """The client order id (the idempotency key)."""
        return str(self.raw["client_order_id"])

    @property
    def status(self) -> str:
        """FIX-style status name."""
        return str(self.raw["status"])

    @property
    def filled_qty(self) -> int:
        """Shares filled so far."""
        return int(self.raw.get("filled_qty", 0))

    @property
    def avg_px(self) -> Decimal | None:
        """Average fill price."""
        v = self.raw.get("avg_px")
        return Decimal(v) if v is not None else None

    @property
    def reasons(self) -> tuple[str, ...]:
        """Reason codes of a denial or rejection."""
        return tuple(self.raw.get("reasons") or ())

    @property
    def fills(self) -> list[dict[str, Any]]:
        """The fills, oldest first."""
        return list(self.raw.get("fills") or [])

    def is_done(self) -> bool:
        """Whether the order reached a terminal status."""
        return self.status in DONE_STATUSES

    def is_active(self) -> bool:
        """Whether the order may still trade."""
        return not self.is_done()


def order_params(account: str | None, limit: int, filters: dict[str, Any]) -> dict[str, Any]:
    """Query parameters of ``GET /v1/orders`` (``None`` filters left out)."""
    params = {k: v for k, v in {"account_id": account, **filters}.items() if v is not None}
    params["limit"] = limit
    return params


def next_page(params: dict[str, Any], body: dict[str, Any]) -> bool:
    """Whether an older page is still needed for ``limit`` orders after the page ``body``;
    if so, point ``params`` at it (the server may end a page early, with a cursor, to
    bound its work)."""
    remaining = params["limit"] - len(body["orders"])
    cursor = body.get("next_before")
    if cursor is None or remaining <= 0:
        return False
    params["before"] = cursor
    params["limit"] = remaining
    return True
