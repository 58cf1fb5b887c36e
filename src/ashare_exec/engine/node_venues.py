"""Venue wiring of the composition root (:func:`~ashare_exec.engine.node.build_service`).

Builds the venue adapters of the configured accounts (one simulator shared by the sim
accounts, QMT and vn.py through their factories) and the quote sources of the simulated or
emulated markets.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.config import GatewayConfig, resolve_references
from ashare_exec.errors import ConfigError
from ashare_exec.journal.sqlite import Journal
from ashare_exec.model import AccountId, Instrument, InstrumentId, Quote
from ashare_exec.venues.base import VenueAdapter

__all__ = ["build_external", "build_sim", "external_quotes", "sim_quotes"]


def build_sim(
    config: GatewayConfig,
    clock: Clock,
    accounts: list[AccountId],
    instruments: dict[InstrumentId, Instrument],
    calendar: Any,
) -> Any:
    """The simulated exchange shared by the sim accounts, from ``[venues.sim]``."""
    from ashare_exec.venues.sim.config import (
        FaultConfig,
        SimAccountConfig,
        SimConfig,
        WalkConfig,
        release_time,
    )
    from ashare_exec.venues.sim.factory import build_sim_venue

    raw = dict(config.venues.get("sim", {}))
    where = f"{config.source}: venues.sim"
    seed = raw.pop("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"{where}.seed: must be an integer, was {seed!r}")
    faults = _dataclass_from(FaultConfig, raw.pop("faults", {}), f"{where}.faults")
    walk = _dataclass_from(WalkConfig, raw.pop("walk", {}), f"{where}.walk")
    release = release_time(raw.pop("t1_release_at", None), f"{where}.t1_release_at")
    if raw:
        allowed = "faults, seed, t1_release_at, walk"
        raise ConfigError(f"{where}: unknown keys {sorted(raw)} (allowed: {allowed})")
    sim_accounts = tuple(
        SimAccountConfig(a.account_id, a.cash, dict(a.positions))
        for a in config.accounts
        if a.account_id in accounts
    )
    state_dir = Path(config.data_dir) / "sim"
    state_dir.mkdir(parents=True, exist_ok=True)
    sim_config = SimConfig(
        seed=seed,
        accounts=sim_accounts,
        instruments=config.instruments,
        state_path=state_dir / "state.sqlite3",
        faults=faults,
        walk=walk,
        t1_release_at=release,
    )
    return build_sim_venue(sim_config, clock, instruments=instruments, calendar=calendar)


def _dataclass_from(cls: Any, raw: Any, where: str) -> Any:
    """Build a frozen config dataclass from a TOML table, checking names and types."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        f = fields.get(key)
        if f is None:
            raise ConfigError(f"{where}.{key}: unknown key (allowed: {', '.join(sorted(fields))})")
        default = getattr(cls(), key)
        try:
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise TypeError
                values[key] = value
            elif isinstance(default, enum.Enum):
                values[key] = type(default)(value)
            elif isinstance(default, int):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise TypeError
                values[key] = value
            elif isinstance(default, float):
                values[key] = float(value)
            elif isinstance(default, Decimal):
                values[key] = Decimal(str(value))
            else:
                values[key] = value
        except (TypeError, ValueError, ArithmeticError):
            raise ConfigError(
                f"{where}.{key}: wrong type {value!r} (expected like {default!r})"
            ) from None
    return cls(**values)


def external_quotes(
    kind: str, clock: Clock, venue: VenueAdapter
) -> list[Callable[[InstrumentId], Quote | None]]:
    """Quotes of an emulated venue's market (demos and tests); real brokers give none here.

    Read under the emulator's lock: a quote moves the simulated market forward, which the
    emulator's own threads do too (before 2026-11-27 the two could interleave and break
    the market's walk: an ``IndexError`` in the XTP emulator's callback thread)."""
    exchange: Any = None
    emulator: Any = None
    if kind == "qmt":
        from ashare_exec.testing.miniqmt.loader import current_terminal

        emulator = current_terminal()
        sim = getattr(emulator, "sim", None) if emulator is not None else None
        exchange = getattr(sim, "exchange", None)
    elif kind == "vnpy":
        emulator = getattr(venue, "emulator", None)
        exchange = getattr(emulator, "exchange", None)
    if exchange is None:
        return []
    lock: Any = getattr(emulator, "lock", None) or contextlib.nullcontext()

    def quote(iid: InstrumentId) -> Quote | None:
        with lock:
            q: Quote | None = exchange.quote(iid, clock.now())
        return q

    return [quote]


def sim_quotes(sim: Any, clock: Clock) -> Callable[[InstrumentId], Quote | None]:
    """Quotes of the simulated market at the engine clock's time."""

    def quote(iid: InstrumentId) -> Quote | None:
        q: Quote | None = sim.exchange.quote(iid, clock.now())
        return q

    return quote


def build_external(
    kind: str,
    config: GatewayConfig,
    clock: Clock,
    accounts: list[AccountId],
    instruments: dict[InstrumentId, Instrument],
    journal: Journal,
) -> VenueAdapter:
    """The QMT or vn.py adapter of ``kind`` for ``accounts`` (vendor imports inside)."""
    if kind == "qmt":
        from ashare_exec.venues.qmt.factory import build_qmt_venue
        from ashare_exec.venues.qmt.store import KeyValueIdStore

        # The client id <-> order_id <-> order_sysid mapping lives in the journal.
        store = KeyValueIdStore(
            journal.get_state,
            journal.set_state,
            clock.now().date().isoformat(),
            stage=journal.stage_states,  # rides on group commits, no fsync of its own
        )
        return build_qmt_venue(config, clock, accounts, instruments, store=store)
    if kind == "vnpy":
        from ashare_exec.venues.sim.config import SimAccountConfig
        from ashare_exec.venues.vnpy.factory import build_vnpy_venue
        from ashare_exec.venues.vnpy.store import KeyValueVnpyIdStore

        vstore = KeyValueVnpyIdStore(
            journal.get_state,
            journal.set_state,
            clock.now().date().isoformat(),
            stage=journal.stage_states,
        )
        seeds = [
            SimAccountConfig(a.account_id, a.cash, dict(a.positions))
            for a in config.accounts
            if a.account_id in accounts
        ]
        return build_vnpy_venue(
            resolve_references(config.venues.get("vnpy", {}), config),
            clock,
            accounts,
            Path(config.data_dir),
            store=vstore,
            seeds=seeds,
            instruments=instruments,
            market=config.venues.get("sim", {}),
        )
    raise ConfigError(f"{config.source}: venue {kind!r} is not available in this build")
