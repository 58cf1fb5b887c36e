"""Build a ready simulator from its configuration."""

from __future__ import annotations

from collections.abc import Mapping

from ashare_exec.clock import Clock
from ashare_exec.model import Instrument, InstrumentId
from ashare_exec.refdata import load_calendar, load_instruments, sample_instruments_path
from ashare_exec.rules import TradingCalendar
from ashare_exec.venues.sim.adapter import SimVenue
from ashare_exec.venues.sim.config import SimConfig
from ashare_exec.venues.sim.exchange import SimExchange

__all__ = ["build_sim_exchange", "build_sim_venue"]


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
