"""The built-in simulated A-share exchange and broker counter (see ``docs/simulator.md``)."""

from ashare_exec.venues.sim.adapter import SIM_PRICE_TYPES, SimVenue
from ashare_exec.venues.sim.auction import AuctionOrder, TieBreak, Uncross, allocate, uncross
from ashare_exec.venues.sim.config import (
    FaultConfig,
    FeedKind,
    LatencyKind,
    SimAccountConfig,
    SimConfig,
    WalkConfig,
)
from ashare_exec.venues.sim.exchange import SimExchange
from ashare_exec.venues.sim.factory import build_sim_exchange, build_sim_venue
from ashare_exec.venues.sim.matching import QueueModel
from ashare_exec.venues.sim.replay import sample_replay_path

__all__ = [
    "SIM_PRICE_TYPES",
    "AuctionOrder",
    "FaultConfig",
    "FeedKind",
    "LatencyKind",
    "QueueModel",
    "SimAccountConfig",
    "SimConfig",
    "SimExchange",
    "SimVenue",
    "TieBreak",
    "Uncross",
    "WalkConfig",
    "allocate",
    "build_sim_exchange",
    "build_sim_venue",
    "sample_replay_path",
    "uncross",
]
