"""Test kit: skip markers, the XTP config and the conformance driver (real vnpy_xtp gateway).

The gateway's native request methods are replaced by :class:`XtpServer` (orders match in the
built-in simulator); everything above them — vnpy_xtp's mapping, vn.py's EventEngine, our
adapter — is the real code. ``restart`` builds a new adapter (and gateway) over the same id
store while the server keeps running, like a restarted process on the same trading day.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from ashare_exec.model import ClientOrderId, OrderSpec
from ashare_exec.venues.base import VenueAdapter
from ashare_exec.venues.sim.driver import SimDriver
from ashare_exec.venues.sim.factory import build_sim_venue
from ashare_exec.venues.vnpy import InMemoryVnpyIdStore, VnpyAdapter, VnpyConfig
from ashare_exec.venues.vnpy.emulator import XtpServer
from ashare_exec.venues.vnpy.shim import vnpy_available, xtp_available

INSTALL_HINT = "install with .ci/install-vnpy.sh (vnpy + vnpy_xtp, --no-deps, headless)"
needs_vnpy = pytest.mark.skipif(
    not vnpy_available(), reason=f"vnpy is not installed; {INSTALL_HINT}"
)
needs_xtp = pytest.mark.skipif(
    not xtp_available(), reason=f"vnpy_xtp is not installed; {INSTALL_HINT}"
)

SETTINGS = {
    "账号": "253191001", "密码": "secret", "客户号": 1, "行情地址": "127.0.0.1",
    "行情端口": 6002, "交易地址": "127.0.0.1", "交易端口": 6001, "行情协议": "TCP",
    "日志级别": "INFO", "授权码": "b8aa7173bba3470e390d787219b2112e",
}  # fmt: skip


def xtp_config(data_dir: Path, **overrides: object) -> VnpyConfig:
    """Fast timings for the in-process server."""
    values: dict[str, object] = {
        "gateway": "vnpy_xtp:XtpGateway",
        "settings": SETTINGS,
        "account": "conf",
        "data_dir": data_dir,
        "submit_timeout_s": 0.3,
        "query_timeout_s": 2.0,
        "connect_timeout_s": 3.0,
        "backoff_initial_s": 0.02,
        "backoff_max_s": 0.1,
        "event_interval_s": 0.2,
    }
    values.update(overrides)
    return VnpyConfig(**values)  # type: ignore[arg-type]


class XtpDriver:
    """Drives a :class:`VnpyAdapter` on vnpy_xtp over an :class:`XtpServer`."""

    def __init__(self, data_dir: Path, *, seed: int = 7) -> None:
        self._sim = SimDriver(None, seed=seed)
        self._sim.venue = build_sim_venue(self._sim.config, self._sim.clock)
        self.clock = self._sim.clock
        self.account_id = self._sim.account_id
        self.instrument_id = self._sim.instrument_id
        self.server = XtpServer(self._sim.venue.exchange, self.clock, self.account_id)
        self.store = InMemoryVnpyIdStore()
        self.config = xtp_config(data_dir)

    async def start(self) -> VenueAdapter:
        """A new adapter whose gateway talks to the shared server."""
        return VnpyAdapter(
            self.config, self.clock, store=self.store, prepare_gateway=self.server.attach
        )

    async def restart(self, old: VenueAdapter) -> VenueAdapter:
        """Close ``old``; a new adapter over the same store (the server keeps running)."""
        await old.close()
        return await self.start()

    def marketable_buy(self, coid: ClientOrderId) -> OrderSpec:
        """Buy at the simulated best ask, within its size."""
        with self.server.lock:
            return self._sim.marketable_buy(coid)

    def sweeping_buy(self, coid: ClientOrderId) -> OrderSpec:
        """Buy more than the best ask shows."""
        with self.server.lock:
            return self._sim.sweeping_buy(coid)

    def passive_buy(self, coid: ClientOrderId) -> OrderSpec:
        """Buy under the best bid."""
        with self.server.lock:
            return self._sim.passive_buy(coid)

    def invalid_buy(self, coid: ClientOrderId) -> tuple[OrderSpec, str]:
        """Off the tick (refused by the simulator's exchange rules)."""
        with self.server.lock:
            return self._sim.invalid_buy(coid)

    def unaffordable_buy(self, coid: ClientOrderId) -> OrderSpec:
        """More than the cash."""
        with self.server.lock:
            return self._sim.unaffordable_buy(coid)

    def oversell(self, coid: ClientOrderId) -> OrderSpec:
        """More than the sellable shares."""
        with self.server.lock:
            return self._sim.oversell(coid)

    async def advance(self, seconds: float) -> None:
        """Move the simulated market; wait past the adapter's submit timeout."""
        self.clock.advance(timedelta(seconds=seconds))
        self.server.advance()
        await asyncio.sleep(self.config.submit_timeout_s + 0.3)

    async def settle(self) -> None:
        """Let pushes travel: server thread -> vnpy_xtp -> EventEngine -> loop."""
        await asyncio.to_thread(self.server.drain)
        await asyncio.sleep(0.05)

    def set_noisy_link(self, venue: VenueAdapter, on: bool) -> None:
        """Duplicate and shuffle every push burst."""
        self.server.noisy = on

    def drop_next_submit(self, venue: VenueAdapter) -> None:
        """The next order gets an id but never reaches the server."""
        self.server.swallow += 1

    def drop_link(self, venue: VenueAdapter) -> None:
        """The server cuts every session; the adapter must log in again."""
        self.server.drop_connections()
