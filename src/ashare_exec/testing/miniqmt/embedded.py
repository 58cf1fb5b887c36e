"""An in-process MiniQMT for running the whole service with ``venue = "qmt"`` on Linux.

``[venues.qmt] emulator = true`` makes :func:`ashare_exec.venues.qmt.factory.build_qmt_venue`
start this: the real xtquant over the emulator, whose counter is the built-in simulator
(the ``[[accounts]]`` ``cash`` / ``positions`` seed it; its market follows ``[venues.sim]``
``seed`` and ``walk``, as the ``sim`` venue's does), with a ticker thread that moves the
simulated market so resting orders fill. For demos and end-to-end tests, never production.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.model import AccountId, Instrument, InstrumentId
from ashare_exec.testing.miniqmt.loader import install
from ashare_exec.testing.miniqmt.simcounter import SimCounter
from ashare_exec.testing.miniqmt.terminal import MiniQmt

__all__ = ["build_sim_miniqmt", "start_embedded_miniqmt", "start_ticker"]


def start_embedded_miniqmt(
    config: Any,
    clock: Clock,
    accounts: Sequence[AccountId],
    instruments: Mapping[InstrumentId, Instrument] | None = None,
    *,
    tick_s: float = 0.5,
) -> MiniQmt:
    """Build a simulator-backed :class:`MiniQmt` for ``accounts`` and install it.

    Args:
        config: the :class:`~ashare_exec.config.GatewayConfig` (accounts, instruments, and
            the simulated market's ``seed`` / ``walk`` from ``venues["sim"]``).
        clock: the service clock (the simulator's market follows it).
        accounts: the accounts on the ``qmt`` venue.
        instruments: the instrument master (the packaged sample when ``None``).
        tick_s: real seconds between market moves (0: no ticker thread).

    Raises:
        ConfigError: ``venues.sim.seed``, ``walk`` or ``t1_release_at`` is invalid.
    """
    terminal = build_sim_miniqmt(config, clock, accounts, instruments)
    install(terminal)
    if tick_s > 0:
        start_ticker(terminal, tick_s)
    return terminal


def build_sim_miniqmt(
    config: Any,
    clock: Clock,
    accounts: Sequence[AccountId],
    instruments: Mapping[InstrumentId, Instrument] | None = None,
) -> MiniQmt:
    """The simulator-backed :class:`MiniQmt` of :func:`start_embedded_miniqmt`, not installed
    and without a ticker (``standalone`` serves one to other processes).

    Raises:
        ConfigError: ``venues.sim.seed``, ``walk`` or ``t1_release_at`` is invalid.
    """
    from ashare_exec.venues.sim.factory import build_emulated_exchange

    exchange = build_emulated_exchange(config, accounts, instruments)
    terminal = MiniQmt(sim=SimCounter(exchange, clock))
    for account_id in accounts:
        terminal.add_account(account_id, 0)
    return terminal


def start_ticker(terminal: MiniQmt, tick_s: float) -> None:
    """Move ``terminal``'s simulated market every ``tick_s`` real seconds (so resting
    orders fill) until ``terminal.ticker_stop`` is set."""
    stop = terminal.ticker_stop

    def run() -> None:
        while not stop.wait(tick_s):
            terminal.tick()

    threading.Thread(target=run, name="miniqmt-ticker", daemon=True).start()
