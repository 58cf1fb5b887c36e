"""The blocking client."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import httpx

from ashare_exec.client._core import (
    OrderInfo,
    build_order_body,
    next_page,
    order_params,
    raise_for_error,
)

__all__ = ["Client", "OrderHandle"]


class OrderHandle:
    """A live view of one submitted order; :meth:`wait` blocks until it is done."""

    def __init__(self, client: Client, info: OrderInfo) -> None:
        self._client = client
        self.info = info

    @property
    def status(self) -> str:
        """The last known status (call :meth:`refresh` to update)."""
        return self.info.status

    def refresh(self) -> OrderInfo:
        """Fetch the current state of the order."""
        self.info = self._client.get_order(self.info.account_id, self.info.client_order_id)
        return self.info

    def cancel(self) -> OrderInfo:
        """Ask the service to cancel the order."""
        self.info = self._client.cancel(self.info.account_id, self.info.client_order_id)
        return self.info

    def wait(self, timeout: float = 30.0, poll: float = 0.05) -> OrderInfo:
        """Block until the order is done or ``timeout`` seconds pass (then raise TimeoutError)."""
        deadline = time.monotonic() + timeout
        while not self.info.is_done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"order {self.info.client_order_id} still {self.info.status}")
            time.sleep(poll)
            poll = min(poll * 1.5, 1.0)
            self.refresh()
        return self.info


class Client:
    """Blocking SDK client for the execution service.

    Args:
        base_url: e.g. ``http://127.0.0.1:8000``.
        token: bearer token.
        timeout: per-request timeout in seconds.
    """

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        token: str | None = None,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(
            base_url=base_url, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return the decoded JSON (raises ApiError subclasses)."""
        r = self._http.request(method, path, **kwargs)
        body = r.json() if r.content else None
        raise_for_error(r.status_code, body)
        return body

    def submit(
        self,
        account: str,
        symbol: str,
        side: str,
        qty: int,
        price: Decimal | str | int | None = None,
        **kwargs: Any,
    ) -> OrderHandle:
        """Submit an order and return its handle (a denial returns a DENIED handle)."""
        body = build_order_body(
            account=account, symbol=symbol, side=side, qty=qty, price=price, **kwargs
        )
        return OrderHandle(self, OrderInfo(self.request("POST", "/v1/orders", json=body)))

    def submit_batch(self, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Submit several order bodies (see ``build_order_body``) in one request."""
        result: list[dict[str, Any]] = self.request(
            "POST", "/v1/orders/batch", json={"orders": orders}
        )["results"]
        return result

    def validate(self, account: str, symbol: str, side: str, qty: int, **kwargs: Any) -> Any:
        """Dry run: the normalised order and every reason that would refuse it."""
        body = build_order_body(account=account, symbol=symbol, side=side, qty=qty, **kwargs)
        return self.request("POST", "/v1/orders/validate", json=body)

    def cancel(self, account: str, client_order_id: str) -> OrderInfo:
        """Cancel one order."""
        return OrderInfo(self.request("POST", f"/v1/orders/{account}/{client_order_id}/cancel"))

    def cancel_all(
        self, account: str, symbol: str | None = None, side: str | None = None
    ) -> list[str]:
        """Cancel every working order of an account (optionally one symbol / side)."""
        body: dict[str, Any] = {"account_id": account}
        if symbol:
            body["symbol"] = symbol
        if side:
            body["side"] = side
        result: list[str] = self.request("POST", "/v1/orders/cancel-all", json=body)["canceled"]
        return result

    def get_order(self, account: str, client_order_id: str) -> OrderInfo:
        """One order with its fills and event log."""
        return OrderInfo(self.request("GET", f"/v1/orders/{account}/{client_order_id}"))

    def orders(
        self, account: str | None = None, *, limit: int = 1000, **filters: Any
    ) -> list[OrderInfo]:
        """Orders, filtered by ``status``, ``symbol``, ``strategy``, ``open_only``; the newest
        ``limit``, oldest first (following the server's pages as far as needed)."""
        params = order_params(account, limit, filters)
        pages: list[list[dict[str, Any]]] = []
        while True:
            body = self.request("GET", "/v1/orders", params=params)
            pages.append(body["orders"])
            if not next_page(params, body):
                return [OrderInfo(o) for page in reversed(pages) for o in page]

    def trades(self, account: str) -> list[dict[str, Any]]:
        """Today's fills of an account."""
        result: list[dict[str, Any]] = self.request(
            "GET", "/v1/trades", params={"account_id": account}
        )["trades"]
        return result

    def positions(self, account: str) -> list[dict[str, Any]]:
        """Positions of an account."""
        result: list[dict[str, Any]] = self.request(
            "GET", "/v1/positions", params={"account_id": account}
        )["positions"]
        return result

    def account(self, account: str) -> dict[str, Any]:
        """Cash and status of an account."""
        result: dict[str, Any] = self.request("GET", f"/v1/accounts/{account}")
        return result

    def quote(self, symbol: str) -> dict[str, Any]:
        """The latest quote (bids/asks as [price, size]) and today's limits."""
        result: dict[str, Any] = self.request("GET", f"/v1/quotes/{symbol}")
        return result

    def evidence(self, account: str, day: str | None = None, fmt: str = "json") -> Any:
        """The programmatic-trading evidence pack (dict, or CSV text with ``fmt="csv"``)."""
        params = {"account_id": account, "format": fmt}
        if day:
            params["day"] = day
        if fmt == "csv":
            r = self._http.get("/v1/risk/evidence", params=params)
            raise_for_error(r.status_code, r.json() if r.status_code >= 400 else None)
            return r.text
        return self.request("GET", "/v1/risk/evidence", params=params)

    def status(self) -> dict[str, Any]:
        """Service status: readiness, venues, clock, trading states."""
        result: dict[str, Any] = self.request("GET", "/v1/status")
        return result

    def set_trading_state(
        self, state: str, account: str | None = None, *, cancel_working: bool = False
    ) -> dict[str, Any]:
        """Halt, reduce-only or resume an account (or everything when ``account`` is None)."""
        body = {"state": state, "account_id": account, "cancel_working": cancel_working}
        result: dict[str, Any] = self.request("POST", "/v1/risk/trading-state", json=body)
        return result
