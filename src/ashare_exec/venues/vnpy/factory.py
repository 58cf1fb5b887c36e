"""Build the vn.py adapter from the service configuration (``[venues.vnpy]``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.errors import ConfigError
from ashare_exec.model import AccountId, Instrument, InstrumentId
from ashare_exec.venues.vnpy.adapter import VnpyAdapter
from ashare_exec.venues.vnpy.book import VnpyAlert
from ashare_exec.venues.vnpy.config import VnpyConfig
from ashare_exec.venues.vnpy.constants import XTP_GATEWAY_CLASS
from ashare_exec.venues.vnpy.store import VnpyIdStore

__all__ = ["EMULATOR_SETTINGS", "build_vnpy_venue", "create_vnpy_adapter"]

EMULATOR_SETTINGS: dict[str, Any] = {
    "账号": "emulated", "密码": "emulated", "客户号": 1, "行情地址": "127.0.0.1",
    "行情端口": 6002, "交易地址": "127.0.0.1", "交易端口": 6001, "行情协议": "TCP",
    "日志级别": "INFO", "授权码": "emulated",
}  # fmt: skip
"""``XtpGateway.connect`` settings used with ``emulator = true`` (the table may override)."""


def create_vnpy_adapter(
    raw_config: Mapping[str, Any],
    *,
    clock: Clock,
    accounts: tuple[AccountId, ...],
    data_dir: Path,
    store: VnpyIdStore | None = None,
    on_alert: Callable[[VnpyAlert], None] | None = None,
    prepare_gateway: Callable[[Any], None] | None = None,
) -> VnpyAdapter:
    """Return a :class:`VnpyAdapter` for the ``[venues.vnpy]`` table (without ``emulator``).

    vn.py is not imported here: it loads on :meth:`VnpyAdapter.connect`, with its
    ``.vntrader`` folder under ``data_dir / "vnpy"``.

    Raises:
        ConfigError: the settings are invalid.
    """
    config = VnpyConfig.from_mapping(raw_config, accounts, data_dir / "vnpy")
    return VnpyAdapter(
        config, clock, store=store, on_alert=on_alert, prepare_gateway=prepare_gateway
    )


def build_vnpy_venue(
    raw_config: Mapping[str, Any],
    clock: Clock,
    accounts: list[AccountId],
    data_dir: Path,
    *,
    store: VnpyIdStore | None = None,
    on_alert: Callable[[VnpyAlert], None] | None = None,
    seed: Any = None,
    instruments: Mapping[InstrumentId, Instrument] | None = None,
) -> VnpyAdapter:
    """The composition root's entry point: the ``[venues.vnpy]`` table as a venue adapter.

    With ``emulator = true`` the real vnpy_xtp gateway talks to an in-process
    :class:`~ashare_exec.venues.vnpy.emulator.XtpServer` whose exchange is the built-in
    simulator (demos and end-to-end tests; ``adapter.emulator`` is the server). ``seed`` is
    the account's :class:`~ashare_exec.venues.sim.config.SimAccountConfig` (cash, positions).

    Raises:
        ConfigError: the settings are invalid.
    """
    raw = dict(raw_config)
    emulator = raw.pop("emulator", False)
    if not isinstance(emulator, bool):
        raise ConfigError(f"venues.vnpy.emulator must be true or false, was {emulator!r}")
    if not emulator:
        return create_vnpy_adapter(
            raw, clock=clock, accounts=tuple(accounts), data_dir=data_dir, store=store,
            on_alert=on_alert,
        )  # fmt: skip
    from ashare_exec.venues.sim.config import SimAccountConfig, SimConfig
    from ashare_exec.venues.sim.factory import build_sim_exchange
    from ashare_exec.venues.vnpy.emulator import XtpServer

    raw.setdefault("gateway", XTP_GATEWAY_CLASS)
    raw["settings"] = {**EMULATOR_SETTINGS, **dict(raw.get("settings", {}))}
    config = VnpyConfig.from_mapping(raw, tuple(accounts), data_dir / "vnpy")
    account = seed or SimAccountConfig(config.account)
    # In memory: the simulator's SQLite store is bound to its creating thread.
    exchange = build_sim_exchange(
        SimConfig(accounts=(account,), state_path=None), instruments=instruments
    )
    server = XtpServer(exchange, clock, config.account)
    server.start_ticker(0.5)
    adapter = VnpyAdapter(
        config, clock, store=store, on_alert=on_alert, prepare_gateway=server.attach
    )
    adapter.emulator = server
    return adapter
