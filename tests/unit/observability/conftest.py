"""Loopback receivers for notifier tests: a tiny HTTP server and a minimal SMTP server."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Records every request; answers ``status`` with ``reply`` (JSON)."""

    host: str = "127.0.0.1"
    port: int = 0
    status: int = 200
    reply: object = field(default_factory=lambda: {"errcode": 0, "errmsg": "ok"})
    delay: float = 0.0
    requests: list[Request] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            parts = urlsplit(target)
            self.requests.append(
                Request(method, parts.path, parse_qs(parts.query), parts.query, headers, body)
            )
            if self.delay:
                await asyncio.sleep(self.delay)
            payload = json.dumps(self.reply).encode()
            writer.write(
                f"HTTP/1.1 {self.status} X\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def http_receiver() -> AsyncIterator[HttpReceiver]:
    receiver = HttpReceiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    async with server:
        yield receiver
        server.close()


@dataclass
class Mail:
    mail_from: str
    rcpt_to: list[str]
    data: str
    auth: str | None


@dataclass
class SmtpReceiver:
    """A minimal SMTP server: EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    port: int = 0
    mails: list[Mail] = field(default_factory=list)
    reject_auth: bool = False

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        def send(line: str) -> None:
            writer.write(line.encode() + b"\r\n")

        send("220 localhost test SMTP")
        mail_from, rcpt, auth = "", [], None
        try:
            while line := (await reader.readline()).decode().rstrip("\r\n"):
                verb = line.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    send("250-localhost")
                    send("250 AUTH PLAIN")
                elif verb == "HELO":
                    send("250 localhost")
                elif verb == "AUTH":
                    _, _mech, initial = line.split(" ", 2)
                    auth = base64.b64decode(initial).decode()
                    send("535 bad credentials" if self.reject_auth else "235 ok")
                elif verb == "MAIL":
                    mail_from, rcpt = line.split(":", 1)[1].strip().strip("<>"), []
                    send("250 ok")
                elif verb == "RCPT":
                    rcpt.append(line.split(":", 1)[1].strip().strip("<>"))
                    send("250 ok")
                elif verb == "DATA":
                    send("354 go ahead")
                    lines = []
                    while (data := (await reader.readline()).decode()) != ".\r\n":
                        lines.append(data[1:] if data.startswith("..") else data)
                    self.mails.append(Mail(mail_from, rcpt, "".join(lines), auth))
                    send("250 queued")
                elif verb == "QUIT":
                    send("221 bye")
                    break
                else:
                    send("250 ok")
                await writer.drain()
        finally:
            await writer.drain()
            writer.close()


@pytest.fixture
async def smtp_receiver() -> AsyncIterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", 0)
    receiver.port = server.sockets[0].getsockname()[1]
    async with server:
        yield receiver
        server.close()
