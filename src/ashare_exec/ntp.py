"""A small SNTP client (RFC 4330, client mode over UDP) for the clock-drift check."""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = ["NtpAnswer", "sntp_query"]

_NTP_EPOCH = 2_208_988_800  # seconds from 1900-01-01 to 1970-01-01


class NtpAnswer(NamedTuple):
    """One SNTP exchange: the server's clock minus ours, and the round-trip delay (seconds)."""

    server: str
    offset_s: float
    delay_s: float
    stratum: int


def _to_ntp(t: float) -> bytes:
    whole = int(t) + _NTP_EPOCH
    frac = int((t - int(t)) * (1 << 32)) & 0xFFFFFFFF
    return struct.pack("!II", whole & 0xFFFFFFFF, frac)


def _from_ntp(raw: bytes) -> float:
    whole, frac = struct.unpack("!II", raw)
    return float(whole - _NTP_EPOCH + frac / (1 << 32))


def _split_server(server: str) -> tuple[str, int]:
    if server.startswith("["):  # [v6]:port
        host, _, rest = server[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 123
    if server.count(":") == 1:
        host, port = server.split(":")
        return host, int(port)
    return server, 123


class _Sntp(asyncio.DatagramProtocol):
    def __init__(self, answer: asyncio.Future[tuple[bytes, float]], now: Callable[[], float]):
        self.answer = answer
        self.now = now

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if not self.answer.done():
            self.answer.set_result((data, self.now()))

    def error_received(self, exc: Exception) -> None:
        if not self.answer.done():
            self.answer.set_exception(exc)


async def sntp_query(
    server: str, *, timeout_s: float = 1.5, now: Callable[[], float] = time.time
) -> NtpAnswer:
    """Ask one NTP server (``host`` or ``host:port``) for the time (RFC 4330 client mode).

    ``now`` is this machine's clock (the one being checked), in seconds since the epoch.

    Raises:
        TimeoutError: no answer within ``timeout_s``.
        OSError: the name does not resolve or the network refuses.
        ValueError: the answer is not a usable server reply (wrong mode, unsynchronised,
            kiss-o'-death, or not an answer to our request).
    """
    host, port = _split_server(server)
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[tuple[bytes, float]] = loop.create_future()
    async with asyncio.timeout(timeout_s):
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _Sntp(answer, now), remote_addr=(host, port)
        )
        try:
            t1 = now()
            sent = _to_ntp(t1)
            transport.sendto(b"\x23" + bytes(39) + sent)  # LI 0, version 4, mode 3 (client)
            data, t4 = await answer
        finally:
            transport.close()
    if len(data) < 48:
        raise ValueError(f"{server}: short NTP answer ({len(data)} bytes)")
    li, mode, stratum = data[0] >> 6, data[0] & 0x7, data[1]
    if mode != 4 or li == 3 or stratum == 0 or stratum > 15:
        raise ValueError(
            f"{server}: unusable NTP answer (mode {mode}, leap {li}, stratum {stratum})"
        )
    if data[24:32] != sent:
        raise ValueError(f"{server}: NTP answer does not match our request")
    t2, t3 = _from_ntp(data[32:40]), _from_ntp(data[40:48])
    # Sent timestamps carry sub-microsecond fraction noise; compare with t1 as actually sent.
    t1 = _from_ntp(sent)
    offset = ((t2 - t1) + (t3 - t4)) / 2
    delay = (t4 - t1) - (t3 - t2)
    return NtpAnswer(server, offset, max(delay, 0.0), stratum)
