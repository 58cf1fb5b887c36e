"""The asyncio client and the event-stream helper."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import websockets

from ashare_exec.client._core import (
    OrderInfo,
    build_order_body,
    next_page,
    order_params,
    raise_for_error,
)

__all__ = ["AsyncClient", "AsyncOrderHandle"]


class AsyncOrderHandle:
    """A live view of one submitted order; ``await handle.wait()`` until it is done."""

    def __init__(self, client: AsyncClient, info: OrderInfo) -> None:
        self._client = client
        self.info = info

    @property
    def status(self) -> str:
        """The last known status."""
        return self.info.status

    async def refresh(self) -> OrderInfo:
        """Fetch the current state of the order."""
        self.info = await self._client.get_order(self.info.account_id, self.info.client_order_id)
        return self.info

    async def cancel(self) -> OrderInfo:
        """Ask the service to cancel the order."""
        self.info = await self._client.cancel(self.info.account_id, self.info.client_order_id)
        return self.info

    async def wait(self, timeout: float = 30.0, poll: float = 0.05) -> OrderInfo:  # noqa: ASYNC109
        """Wait until the order is done (raises TimeoutError after ``timeout`` seconds)."""
        async with asyncio.timeout(timeout):
            while not self.info.is_done():
                await asyncio.sleep(poll)
                poll = min(poll * 1.5, 1.0)
                await self.refresh()
        return self.info

    def __await__(self) -> Any:
        return self.wait().__await__()


class AsyncClient:
    """asyncio SDK client for the execution service (same methods as :class:`Client`)."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        token: str | None = None,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=timeout, transport=transport
        )

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return the decoded JSON (raises ApiError subclasses)."""
        r = await self._http.request(method, path, **kwargs)
        body = r.json() if r.content else None
        raise_for_error(r.status_code, body)
        return body

    async def submit(
        self,
        account: str,
        symbol: str,
        side: str,
        qty: int,
        price: Decimal | str | int | None = None,
        **kwargs: Any,
    ) -> AsyncOrderHandle:
        """Submit an order and return its handle (a denial returns a DENIED handle)."""
        body = build_order_body(
            account=account, symbol=symbol, side=side, qty=qty, price=price, **kwargs
        )
        return AsyncOrderHandle(
            self, OrderInfo(await self.request("POST", "/v1/orders", json=body))
        )

    async def submit_batch(self, orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Submit several order bodies in one request."""
        body = await self.request("POST", "/v1/orders/batch", json={"orders": orders})
        result: list[dict[str, Any]] = body["results"]
        return result

    async def cancel(self, account: str, client_order_id: str) -> OrderInfo:
        """Cancel one order."""
        path = f"/v1/orders/{account}/{client_order_id}/cancel"
        return OrderInfo(await self.request("POST", path))

    async def cancel_all(
        self, account: str, symbol: str | None = None, side: str | None = None
    ) -> list[str]:
        """Cancel every working order of an account (optionally one symbol / side)."""
        body: dict[str, Any] = {"account_id": account}
        if symbol:
            body["symbol"] = symbol
        if side:
            body["side"] = side
        result: list[str] = (await self.request("POST", "/v1/orders/cancel-all", json=body))[
            "canceled"
        ]
        return result

    async def get_order(self, account: str, client_order_id: str) -> OrderInfo:
        """One order with its fills and event log."""
        return OrderInfo(await self.request("GET", f"/v1/orders/{account}/{client_order_id}"))

    async def orders(
        self, account: str | None = None, *, limit: int = 1000, **filters: Any
    ) -> list[OrderInfo]:
        """Orders, filtered by ``status``, ``symbol``, ``strategy``, ``open_only``; the newest
        ``limit``, oldest first (following the server's pages as far as needed)."""
        params = order_params(account, limit, filters)
        pages: list[list[dict[str, Any]]] = []
        while True:
            body = await self.request("GET", "/v1/orders", params=params)
            pages.append(body["orders"])
            if not next_page(params, body):
                return [OrderInfo(o) for page in reversed(pages) for o in page]

    async def positions(self, account: str) -> list[dict[str, Any]]:
        """Positions of an account."""
        body = await self.request("GET", "/v1/positions", params={"account_id": account})
        result: list[dict[str, Any]] = body["positions"]
        return result

    async def quote(self, symbol: str) -> dict[str, Any]:
        """The latest quote (bids/asks as [price, size]) and today's limits."""
        result: dict[str, Any] = await self.request("GET", f"/v1/quotes/{symbol}")
        return result

    async def account(self, account: str) -> dict[str, Any]:
        """Cash and status of an account."""
        result: dict[str, Any] = await self.request("GET", f"/v1/accounts/{account}")
        return result

    async def events(
        self,
        *,
        from_seq: int | None = None,
        kinds: list[str] | None = None,
        reconnect: bool = True,
        max_backoff: float = 5.0,
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield stream messages; on a dropped connection reconnect and replay from the last seq.

        Nothing is missed across reconnects while the service still holds the messages in its
        replay buffer (a ``gap`` message says when it does not).
        """
        ws_url = self._base_url.replace("http://", "ws://").replace("https://", "wss://")
        last = from_seq
        backoff = 0.1
        while True:
            params = []
            if last is not None:
                params.append(f"from_seq={last}")
            if kinds:
                params.append("kinds=" + ",".join(kinds))
            url = f"{ws_url}/v1/stream" + ("?" + "&".join(params) if params else "")
            headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
            try:
                async with websockets.connect(url, additional_headers=headers) as ws:
                    backoff = 0.1
                    async for raw in ws:
                        msg = json.loads(raw)
                        if msg.get("seq"):
                            last = int(msg["seq"])
                        yield msg
            except (OSError, websockets.ConnectionClosed):
                if not reconnect:
                    return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, max_backoff)
