"""Quotes the engine reads from an emulated venue's market (``engine/node_venues.py``)."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from ashare_exec.clock import CST, SimClock
from ashare_exec.engine.node_venues import external_quotes
from ashare_exec.model import InstrumentId


def test_external_quotes_read_an_emulated_market_under_the_emulators_lock() -> None:
    # A quote moves the simulated market forward; the emulator's threads do so under its
    # lock, and the engine's loop must too (before: an IndexError in the XTP emulator).
    lock = threading.RLock()
    held: list[bool] = []

    class Exchange:
        def quote(self, iid: InstrumentId, at: datetime) -> None:
            held.append(lock._is_owned())  # type: ignore[attr-defined]

    class Emulator:
        def __init__(self) -> None:
            self.lock, self.exchange = lock, Exchange()

    class Venue:
        emulator = Emulator()

    clock = SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
    venue: Any = Venue()
    [quote] = external_quotes("vnpy", clock, venue)

    assert quote(InstrumentId.parse("600000.SH")) is None
    assert held == [True]
    assert not lock._is_owned()  # type: ignore[attr-defined]
