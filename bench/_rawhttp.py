"""A minimal HTTP/1.1 keep-alive client for load generation.

httpx spends about a millisecond of CPU per request on the client side; on a 2-core machine
that shares the cores with the server, the load generator then measures itself. This client
writes pre-built request bytes on persistent connections and parses only the status line,
``Content-Length`` and the body — enough for the JSON API under test, nothing more (no
chunked encoding, no redirects, no TLS).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlsplit


class RawConnection:
    """One persistent connection; one request at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self._reader = reader
        self._writer = writer
        self._host = host

    @classmethod
    async def open(cls, base: str) -> RawConnection:
        """Connect to ``base`` (``http://host:port``)."""
        u = urlsplit(base)
        reader, writer = await asyncio.open_connection(u.hostname, u.port or 80)
        return cls(reader, writer, f"{u.hostname}:{u.port}")

    async def post_json(
        self, path: str, body: Any, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """POST a JSON body; return (status, decoded JSON body)."""
        data = json.dumps(body, separators=(",", ":")).encode()
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {self._host}",
            "Content-Type: application/json",
            f"Content-Length: {len(data)}",
        ]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        raw = await self._reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        payload = await self._reader.readexactly(length) if length else b""
        return status, json.loads(payload) if payload else None

    async def close(self) -> None:
        """Close the connection."""
        self._writer.close()
        await self._writer.wait_closed()
