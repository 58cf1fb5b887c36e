"""Configuration of the simulated exchange and of its fault injection.

Every knob is documented in ``docs/simulator.md``. Defaults give a well-behaved venue: no
latency, no faults, a random-walk market around each instrument's previous close.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from ashare_exec.errors import ConfigError
from ashare_exec.model import AccountId
from ashare_exec.venues.sim.auction import TieBreak
from ashare_exec.venues.sim.matching import QueueModel

__all__ = [
    "FaultConfig",
    "FeedKind",
    "LatencyKind",
    "SimAccountConfig",
    "SimConfig",
    "WalkConfig",
    "market_settings",
    "release_time",
]


class FeedKind(StrEnum):
    """Where market data comes from."""

    RANDOM = "random"  # synthetic random walk around the previous close
    REPLAY = "replay"  # recorded snapshots from a CSV file (docs/simulator.md)


class LatencyKind(StrEnum):
    """Distribution of the delay before each report reaches the engine."""

    NONE = "none"
    FIXED = "fixed"  # always ``latency_ms``
    UNIFORM = "uniform"  # uniform in [latency_ms, latency_max_ms]
    EXPONENTIAL = "exponential"  # latency_ms + exponential with mean latency_max_ms


@dataclass(frozen=True, slots=True)
class SimAccountConfig:
    """One simulated account: starting cash and starting (settled, sellable) positions."""

    account_id: AccountId
    cash: Decimal = Decimal("1000000")
    positions: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WalkConfig:
    """The synthetic random walk (one snapshot every ``interval_s`` of continuous trading)."""

    interval_s: int = 3
    max_step_ticks: int = 2
    """Largest move of the mid price per snapshot, in ticks."""
    level_lots_min: int = 1
    level_lots_max: int = 200
    """Displayed size per level, in lots of 100 shares."""
    trade_lots_max: int = 500
    """Most lots traded between two snapshots."""
    auction_lots_max: int = 2000
    """Most lots matched by the market in each call auction."""


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """Fault injection. Rates are probabilities in [0, 1] per report / per request."""

    latency: LatencyKind = LatencyKind.NONE
    latency_ms: int = 0
    latency_max_ms: int = 0
    drop_rate: float = 0.0
    """Reports lost on the way (the venue's state is right; the engine must query)."""
    duplicate_rate: float = 0.0
    """Reports delivered twice."""
    reorder_rate: float = 0.0
    """Reports held back and delivered after the next one."""
    submit_drop_rate: float = 0.0
    """Submits silently lost before reaching the venue: no answer, unknown to queries."""
    reject_rate: float = 0.0
    """Valid orders rejected by the broker counter anyway ("柜台繁忙")."""
    disconnect_rate: float = 0.0
    """Chance per submit/cancel that the link drops just after the request is taken."""
    reconnect_after_ms: int = 50
    """Delay before the adapter reconnects on its own after a drop."""
    replay_on_reconnect: bool = False
    """After a reconnect, push every report of the day again (as some counters do)."""


@dataclass(frozen=True, slots=True)
class SimConfig:
    """The simulator.

    Attributes:
        seed: seeds market data and faults; the same seed gives the same run.
        accounts: the accounts and their starting balances (used when the state is new).
        instruments: instrument master CSV; ``None`` uses the packaged sample.
        feed: ``random`` or ``replay``.
        replay_path: CSV of snapshots for ``replay`` (``None``: the packaged sample).
        walk: random-walk parameters.
        queue_model / queue_fraction: where our passive orders join the queue.
        tie_break_sh / tie_break_sz: auction tie-break per exchange (BJ uses ``_sz``).
        state_path: SQLite file of the venue's own durable state; ``None`` keeps it in memory.
        faults: fault injection.
        venue_name: the adapter's name.
        t1_release_at: the broker's night clearing on a trading day: from then on the day's
            buys are sellable (T+1), before the venue's day switch at midnight. ``None``
            (the default) releases them at midnight. Must be after 15:30.
    """

    seed: int = 0
    accounts: tuple[SimAccountConfig, ...] = (SimAccountConfig(AccountId("paper")),)
    instruments: Path | None = None
    feed: FeedKind = FeedKind.RANDOM
    replay_path: Path | None = None
    walk: WalkConfig = WalkConfig()
    queue_model: QueueModel = QueueModel.BACK
    queue_fraction: Decimal = Decimal("0.5")
    tie_break_sh: TieBreak = TieBreak.MIDPOINT
    tie_break_sz: TieBreak = TieBreak.REFERENCE
    state_path: Path | None = None
    faults: FaultConfig = FaultConfig()
    venue_name: str = "sim"
    t1_release_at: time | None = None

    def __post_init__(self) -> None:
        if self.t1_release_at is not None and self.t1_release_at <= time(15, 30):
            raise ValueError(f"t1_release_at must be after 15:30, was {self.t1_release_at}")


def release_time(value: object, where: str) -> time | None:
    """``t1_release_at`` from a config file: ``"HH:MM"`` after 15:30, or ``None``.

    Raises:
        ConfigError: anything else.
    """
    if value is None:
        return None
    try:
        at = time.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at <= time(15, 30):
        raise ConfigError(f'{where}: must be a time after 15:30 such as "20:00", was {value!r}')
    return at


def market_settings(raw: Mapping[str, Any]) -> dict[str, Any]:
    """``seed``, ``walk`` and ``t1_release_at`` of ``[venues.sim]`` (faults stay the sim's),
    as keyword arguments of :class:`SimConfig`: the settings the emulated venues (MiniQMT,
    the XTP server) give the simulated market behind them.

    Without them a benchmark's deep books would apply to the ``sim`` venue only, and the
    emulated market (default depth, frozen between snapshots under a stopped clock) would
    run dry so that marketable orders rest.

    Raises:
        ConfigError: ``seed``, ``walk`` or ``t1_release_at`` is invalid.
    """
    out: dict[str, Any] = {}
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"venues.sim.seed: must be an integer, was {seed!r}")
    out["seed"] = seed
    walk = raw.get("walk", {})
    if not isinstance(walk, Mapping):
        raise ConfigError(f"venues.sim.walk: must be a table, was {walk!r}")
    known = {f.name for f in dataclasses.fields(WalkConfig)}
    unknown = sorted(set(walk) - known)
    if unknown:
        raise ConfigError(f"venues.sim.walk: unknown keys {unknown} (allowed: {sorted(known)})")
    out["walk"] = WalkConfig(**walk)
    out["t1_release_at"] = release_time(raw.get("t1_release_at"), "venues.sim.t1_release_at")
    return out
