"""Fixtures of the unit tests: ``ntp`` starts SNTP responders on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from tests.unit.startup_kit import Responder


@pytest.fixture
async def ntp() -> AsyncIterator[Callable[..., Any]]:
    transports: list[asyncio.DatagramTransport] = []

    async def start(offset: float | None, **kw: Any) -> tuple[str, Responder]:
        loop = asyncio.get_running_loop()
        transport, proto = await loop.create_datagram_endpoint(
            lambda: Responder(offset, **kw), local_addr=("127.0.0.1", 0)
        )
        transports.append(transport)
        port = transport.get_extra_info("sockname")[1]
        return f"127.0.0.1:{port}", proto

    yield start
    for t in transports:
        t.close()
