"""The API in-process: a service on the simulator (manual ``SimClock``) running on its own
event loop in a background thread, wrapped with ``create_app`` and reached through httpx's
ASGI transport on that same loop. Tests call :meth:`Api.request` from their own thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from ashare_exec.api.app import create_app
from ashare_exec.api.auth import Authenticator
from ashare_exec.clock import CST, SimClock
from ashare_exec.config import (
    AccountConfig,
    GatewayConfig,
    JournalConfig,
    SessionConfig,
    TokenConfig,
)
from ashare_exec.engine.node import build_service
from ashare_exec.engine.service import ExecutionService
from ashare_exec.model import AccountId

T = TypeVar("T")

TOKEN = "api-fuzz-admin-token-0123456789"
TOKENS = {
    "admin": TOKEN,
    "reader": "api-fuzz-read-token-0123456789",
    "other-trader": "api-fuzz-other-trader-0123456789",
}
ACCOUNTS = ("paper", "other")
# The clock stands still, so every request falls in the same second: lift the rate and count
# limits so the fuzzer reaches the rules and the order book.
RISK: dict[str, Any] = {
    "max_msgs_per_second": 10**9,
    "global_max_msgs_per_second": 10**9,
    "duplicate_max": 10**9,
    "max_daily_orders": 10**9,
    "max_daily_cancels": 10**9,
    "max_daily_messages": 10**9,
    "max_consecutive_rejections": 10**9,
    "cancel_ratio_min_orders": 10**9,
}


@dataclass
class Api:
    """A started service, its ASGI app and a loop to run coroutines on."""

    service: ExecutionService
    app: Any
    loop: asyncio.AbstractEventLoop
    client: httpx.AsyncClient

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run ``coro`` on the service's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def request(self, **kwargs: Any) -> httpx.Response:
        """Send one HTTP request to the app (kwargs as for ``httpx.AsyncClient.request``)."""
        return self.run(self.client.request(**kwargs))

    def auth(self, token: str = "admin") -> dict[str, str]:
        """The Authorization header of one of the fixture's tokens (see ``TOKENS``)."""
        return {"Authorization": f"Bearer {TOKENS[token]}"}

    def snapshot(self) -> dict[str, Any]:
        """Everything a refused request must leave unchanged, after reports have settled."""
        return self.run(_snapshot(self.service))

    def resume_trading(self) -> None:
        """Undo an accepted halt or reduce-only, so later examples can trade again.

        (Accepted limit changes stay: any limits are a valid state to fuzz against.)
        """
        self.run(_restore(self.service))


async def _settle(service: ExecutionService) -> None:
    for _ in range(3):
        await asyncio.sleep(0)
        await service.core.drain()


async def _restore(service: ExecutionService) -> None:
    view = service.risk_view()
    states = {None: view["global_state"]} | {
        a: view["accounts"][a]["trading_state"] for a in ACCOUNTS
    }
    for scope, state in states.items():
        if state != "ACTIVE":
            await service.set_trading_state(scope, "ACTIVE", actor="fuzz-restore")


async def _snapshot(service: ExecutionService) -> dict[str, Any]:
    await _settle(service)
    return {
        "journal_seq": service.core.journal.last_seq,
        "orders": service.list_orders(None, None, None, None, False),
        "positions": {a: service.list_positions(a) for a in ACCOUNTS},
        "trades": {a: service.list_trades(a) for a in ACCOUNTS},
        "accounts": {a: service.account_view(a) for a in ACCOUNTS},
        "risk": service.risk_view(),
    }


def fuzz_config(folder: Path) -> GatewayConfig:
    return GatewayConfig(
        data_dir=folder / "data",
        log_dir=folder / "logs",
        accounts=(
            AccountConfig(AccountId("paper"), "sim", Decimal("1000000"), {"600000.SH": 10000}),
            AccountConfig(AccountId("other"), "sim", Decimal("500000")),
        ),
        sessions=SessionConfig(pre_close_cancel=None, reconcile_interval_s=3600.0),
        journal=JournalConfig(durability="fast"),
        risk=dict(RISK),
    )


@contextlib.contextmanager
def running_api(folder: Path) -> Iterator[Api]:
    """Start a service in ``folder`` on a background loop; stop it on exit."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="api-loop", daemon=True)
    thread.start()
    clock = SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))

    async def start() -> Api:
        service = build_service(fuzz_config(folder), clock)
        await service.start()
        tokens = [
            TokenConfig("fuzz-admin", TOKEN, frozenset({"admin"})),
            TokenConfig("fuzz-reader", TOKENS["reader"], frozenset({"read"})),
            TokenConfig(
                "fuzz-other-trader",
                TOKENS["other-trader"],
                frozenset({"trade"}),
                frozenset({"other"}),
            ),
        ]
        app = create_app(service, Authenticator(tokens))
        # An exception escaping the app must come back as the 500 a real server sends.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        return Api(service, app, loop, client)

    api = asyncio.run_coroutine_threadsafe(start(), loop).result(60)
    try:
        yield api
    finally:

        async def stop() -> None:
            await api.client.aclose()
            api.service.shutdown_timeout_s = 1.0
            await api.service.stop()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One service shared by the fuzzing tests (state accumulates, as in production)."""
    with running_api(tmp_path_factory.mktemp("api")) as api:
        yield api


@pytest.fixture
def fresh_api(tmp_path: Path) -> Iterator[Api]:
    """A service of its own, for requests that may break it."""
    with running_api(tmp_path) as api:
        yield api


async def asgi_post(app: Any, chunks: list[bytes], path: str = "/v1/orders") -> tuple[int, bytes]:
    """A POST through the ASGI interface as the admin, its body in ``chunks`` (no
    Content-Length, as a chunked upload); returns the status and the body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {TOKENS['admin']}".encode()),
        ],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 8000),
    }
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
        for i, c in enumerate(chunks)
    ]
    status, out = 0, []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(msg: dict[str, Any]) -> None:
        nonlocal status
        if msg["type"] == "http.response.start":
            status = msg["status"]
        elif msg["type"] == "http.response.body":
            out.append(msg.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(out)
