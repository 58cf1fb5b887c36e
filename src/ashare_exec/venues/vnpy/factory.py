"""Build the vn.py adapter from the service configuration (``[venues.vnpy]``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
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
from ashare_exec.venues.vnpy.venue import VnpyVenue

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
    seeds: Sequence[Any] = (),
    instruments: Mapping[InstrumentId, Instrument] | None = None,
    market: Mapping[str, Any] | None = None,
) -> VnpyAdapter | VnpyVenue:
    """The composition root's entry point: the ``[venues.vnpy]`` table as a venue adapter.

    One account gives a :class:`VnpyAdapter`; several give a :class:`VnpyVenue` with one
    login each (``[venues.vnpy.logins.<account>]`` settings). With ``emulator = true`` the
    real vnpy_xtp gateways talk to in-process
    :class:`~ashare_exec.venues.vnpy.emulator.XtpServer` s over one built-in simulator
    (demos and end-to-end tests; ``.emulator`` is the server, its ``exchange`` the market);
    with ``emulator = '<endpoint file>'`` to the servers of a stand-alone emulator in
    another process (:mod:`ashare_exec.testing.xtp.standalone`: crash tests);
    ``seeds`` are the accounts' :class:`~ashare_exec.venues.sim.config.SimAccountConfig`
    (cash, positions) and ``market`` the ``[venues.sim]`` table (its ``seed``, ``walk`` and
    ``t1_release_at`` apply to the emulated market, as with QMT's emulator).

    Raises:
        ConfigError: the settings are invalid.
    """
    raw = dict(raw_config)
    emulator = raw.pop("emulator", False)
    if not isinstance(emulator, bool | str) or emulator == "":
        raise ConfigError(
            "venues.vnpy.emulator must be true, false or the path of a stand-alone XTP "
            f"emulator's endpoint file, was {emulator!r}"
        )
    if emulator:
        raw.setdefault("gateway", XTP_GATEWAY_CLASS)
        raw["settings"] = {**EMULATOR_SETTINGS, **dict(raw.get("settings", {}))}
    configs = VnpyConfig.per_account(
        raw, tuple(accounts), data_dir / "vnpy", require_logins=not emulator
    )
    if isinstance(emulator, str):
        remotes = _remote_emulators(Path(emulator), configs)
    servers = _emulators(configs, clock, seeds, instruments, market) if emulator is True else []
    adapters = []
    for i, config in enumerate(configs):
        server = servers[i] if servers else None
        prepare = server.attach if server is not None else None
        if isinstance(emulator, str):
            prepare = remotes[i].attach
        adapter = VnpyAdapter(
            config, clock, store=store, on_alert=on_alert, prepare_gateway=prepare
        )
        adapter.emulator = server
        adapters.append(adapter)
    return adapters[0] if len(adapters) == 1 else VnpyVenue(adapters)


def _remote_emulators(endpoint_file: Path, configs: list[VnpyConfig]) -> list[Any]:
    """Attach the gateways to the XTP server emulator running in another process
    (``python -m ashare_exec.testing.xtp.standalone``)."""
    from ashare_exec.testing.wire import Endpoint
    from ashare_exec.testing.xtp.remote import RemoteXtp

    try:
        endpoint = Endpoint.read(endpoint_file)
    except (OSError, ValueError) as e:
        raise ConfigError(f"venues.vnpy.emulator: cannot read {endpoint_file}: {e}") from e
    return [RemoteXtp(endpoint, str(c.account)) for c in configs]


def _emulators(
    configs: list[VnpyConfig],
    clock: Clock,
    seeds: Sequence[Any],
    instruments: Mapping[InstrumentId, Instrument] | None,
    market: Mapping[str, Any] | None = None,
) -> list[Any]:
    from ashare_exec.venues.sim.config import SimAccountConfig, SimConfig, market_settings
    from ashare_exec.venues.sim.factory import build_sim_exchange
    from ashare_exec.venues.vnpy.emulator import XtpServer

    by_account = {s.account_id: s for s in seeds}
    accounts = tuple(by_account.get(c.account) or SimAccountConfig(c.account) for c in configs)
    # In memory: the simulator's SQLite store is bound to its creating thread.
    exchange = build_sim_exchange(
        SimConfig(accounts=accounts, state_path=None, **market_settings(market or {})),
        instruments=instruments,
    )
    lock = threading.RLock()
    peers: list[Any] = []  # one market: reports are routed to each order's account server
    servers = [XtpServer(exchange, clock, c.account, lock=lock, peers=peers) for c in configs]
    servers[0].start_ticker(0.5)
    return servers
