"""Shared by the start-up check tests: a local SNTP responder (127.0.0.1 only: no test
contacts a real NTP server), fast check settings, a disk-usage value and a journal file
that is not a database."""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, cast

from ashare_exec.startup import (
    CheckSettings,
)

__all__ = ["FAST", "MIB", "SILENT", "Responder", "Usage", "garbage", "ntp_bytes"]

EPOCH_1900 = 2_208_988_800
FAST = CheckSettings(ntp_timeout_s=3.0)
"""For servers that answer: at once, unless a loaded machine delays the loop (CI saw a
0.3 s timeout run out with two soaks beside it)."""
SILENT = CheckSettings(ntp_timeout_s=1.0)
"""Where a server never answers: how long the check waits for it (and for the others)."""


def ntp_bytes(t: float) -> bytes:
    return struct.pack("!II", int(t) + EPOCH_1900, int((t % 1) * 2**32))


class Responder(asyncio.DatagramProtocol):
    """An SNTP server on loopback whose clock is ours plus ``offset`` (None: never answers)."""

    def __init__(
        self,
        offset: float | None,
        first_byte: int = 0x24,
        stratum: int = 2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.offset = offset
        self.clock = clock
        self.first_byte = first_byte
        self.stratum = stratum
        self.echo = True
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self.offset is None or self.transport is None:
            return
        now = ntp_bytes(self.clock() + self.offset)
        origin = data[40:48] if self.echo else bytes(8)
        reply = bytes([self.first_byte, self.stratum, 4, 0xEC]) + bytes(20) + origin + now + now
        self.transport.sendto(reply, addr)


class Usage(NamedTuple):
    """What ``shutil.disk_usage`` returns."""

    total: int
    used: int
    free: int


MIB = 1024 * 1024


def garbage(path: Path) -> None:
    """Write a file that is not a SQLite database."""
    path.write_bytes(b"this is not a database" * 300)
