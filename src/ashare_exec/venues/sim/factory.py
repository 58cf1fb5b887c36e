"""Build a ready simulator from its configuration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.model import AccountId, Instrument, InstrumentId
from ashare_exec.refdata import load_calendar, load_instruments, sample_instruments_path
from ashare_exec.rules import TradingCalendar
from ashare_exec.venues.sim.adapter import SimVenue
from ashare_exec.venues.sim.config import SimAccountConfig, SimConfig, market_settings
from ashare_exec.venues.sim.exchange import SimExchange

__all__ = ["build_emulated_exchange", "build_sim_exchange", "build_sim_venue"]


def build_sim_exchange(
    config: SimConfig,
    *,
    instruments: Mapping[InstrumentId, Instrument] | None = None,
    calendar: TradingCalendar | None = None,
) -> SimExchange:
    """The exchange, with the configured (or packaged sample) instruments and calendar.

    If ``config.state_path`` exists, the venue reloads its state from it (a restart).
    """
    if instruments is None:
        instruments = load_instruments(config.instruments or sample_instruments_path())
    return SimExchange(config, instruments, calendar or load_calendar())


def build_sim_venue(
    config: SimConfig,
    clock: Clock,
    *,
    instruments: Mapping[InstrumentId, Instrument] | None = None,
    calendar: TradingCalendar | None = None,
) -> SimVenue:
    """The simulator as a venue adapter."""
    return SimVenue(build_sim_exchange(config, instruments=instruments, calendar=calendar), clock)


def build_emulated_exchange(
    config: Any,
    accounts: Sequence[AccountId],
    instruments: Mapping[InstrumentId, Instrument] | None = None,
) -> SimExchange:
    """The simulated market behind an emulated broker (MiniQMT, the XTP server): the
    gateway config's ``accounts`` with their cash and positions, its instruments, and its
    ``[venues.sim]`` ``seed`` / ``walk`` / ``t1_release_at``.

    In memory: the simulator's SQLite store is bound to its creating thread, and an
    emulator's calls come from its sessions' threads. It starts afresh with the process.

    Raises:
        ConfigError: ``venues.sim.seed``, ``walk`` or ``t1_release_at`` is invalid.
    """
    wanted = set(accounts)
    sim_config = SimConfig(
        accounts=tuple(
            SimAccountConfig(a.account_id, a.cash, dict(a.positions))
            for a in config.accounts
            if a.account_id in wanted
        ),
        instruments=config.instruments,
        state_path=None,
        **market_settings(getattr(config, "venues", {}).get("sim", {})),
    )
    return build_sim_exchange(sim_config, instruments=instruments)
