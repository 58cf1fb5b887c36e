"""The service's request and order paths leave no cyclic garbage.

``ashare-exec serve`` freezes whatever survives a collector pass (``engine/heap.py``):
reference counting still frees those objects, but a reference *cycle* among them is only
reclaimed by the full settle after the close. That is harmless only if serving requests and
handling orders creates no cycles, which these tests check with the collector switched off.
Requests go straight to the ASGI app (an HTTP client library makes cycles of its own).
"""

from __future__ import annotations

import asyncio
import collections
import gc
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.observability.logging import configure_logging
from tests.api.conftest import TOKEN, Api


async def call(api: Api, method: str, path: str, body: Any = None, token: str = TOKEN) -> int:
    """One request through the app as a server hands it over; returns the status code."""
    raw = b"" if body is None else json.dumps(body).encode()
    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(raw)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent = False
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.Event().wait()  # the client stays connected
        sent = True
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await api.app(scope, receive, send)
    return status[0]


async def trade(api: Api, prefix: str, n: int) -> list[int]:
    """``n`` marketable buys (they fill), one resting order cancelled, and a listing."""
    codes = []
    quote = api.service.core.quotes(_iid("600000.SH"))
    assert quote is not None
    ask = str(quote.ask_prices[0] + Decimal("0.02"))  # two ticks through: it fills
    for i in range(n):
        order = {"account_id": "paper", "symbol": "600000.SH", "side": "BUY", "qty": 100}
        order |= {"price": ask, "client_order_id": f"{prefix}-{i}"}
        codes.append(await call(api, "POST", "/v1/orders", order))
    rest = {"account_id": "paper", "symbol": "600000.SH", "side": "BUY", "qty": 100}
    rest |= {"price": str(quote.bid_prices[-1]), "client_order_id": f"{prefix}-rest"}
    codes.append(await call(api, "POST", "/v1/orders", rest))
    codes.append(await call(api, "POST", f"/v1/orders/paper/{prefix}-rest/cancel"))
    codes.append(await call(api, "GET", "/v1/orders?limit=50"))
    await api.service.core.drain()
    return codes


async def refusals(api: Api) -> list[int]:
    """A risk denial, a malformed body, an unknown token, an unknown order."""
    odd_lot = {"account_id": "paper", "symbol": "600000.SH", "side": "BUY", "qty": 7}
    return [
        await call(api, "POST", "/v1/orders", odd_lot | {"price": "10.00"}),
        await call(api, "POST", "/v1/orders", {"qty": "many"}),
        await call(api, "GET", "/v1/orders", token="not-a-token-0123456789"),
        await call(api, "GET", "/v1/orders/paper/no-such-order"),
    ]


def _iid(symbol: str) -> Any:
    from ashare_exec.model import InstrumentId

    return InstrumentId.parse(symbol)


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[None]:
    """Logging as ``serve`` configures it (order-action lines on the logging thread)."""
    handle = configure_logging(tmp_path / "logs", console=False, background=True)
    yield
    handle.close()


def unreachable_after(api: Api, work: Any) -> collections.Counter[str]:
    """Run ``work`` with the collector off; return the types of the cyclic garbage left."""
    api.run(work(api, "warm", 3) if work is trade else work(api))
    gc.collect()
    gc.disable()
    try:
        api.run(work(api, "x", 30) if work is trade else work(api))
        api.run(api.service.core.drain())
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        return collections.Counter(type(o).__qualname__ for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


def test_orders_through_the_api_leave_no_cyclic_garbage(fresh_api: Api, logs: None) -> None:
    codes = fresh_api.run(trade(fresh_api, "probe", 1))
    assert codes == [201, 201, 200, 200]  # filled, rested, cancel sent, listed
    assert fresh_api.service.get_order("paper", "probe-0")["status"] == "FILLED"

    assert unreachable_after(fresh_api, trade) == {}


def test_refused_requests_leave_no_cyclic_garbage(fresh_api: Api, logs: None) -> None:
    assert fresh_api.run(refusals(fresh_api)) == [201, 422, 401, 404]

    assert unreachable_after(fresh_api, refusals) == {}
