"""Fault injection on the simulator's link: latency, drops, duplicates, reordering.

:class:`LinkFaults` decides, per report, whether and when it reaches the engine. It never
touches the venue's state: a dropped report is lost on the wire, the order at the venue is
as the queries show it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.sim.config import FaultConfig, LatencyKind

__all__ = ["FaultStats", "LinkFaults"]


@dataclass(slots=True)
class FaultStats:
    """Counts of injected faults (for tests and the demo)."""

    dropped: int = 0
    duplicated: int = 0
    reordered: int = 0
    submits_dropped: int = 0
    disconnects: int = 0


@dataclass(slots=True)
class LinkFaults:
    """Applies :class:`FaultConfig` to the stream of reports, deterministically for a seed."""

    config: FaultConfig
    rng: random.Random
    stats: FaultStats = field(default_factory=FaultStats)
    _held: VenueReport | None = None
    drop_next_submits: int = 0
    """Test hook: silently lose the next N submits."""

    @classmethod
    def seeded(cls, config: FaultConfig, seed: int) -> LinkFaults:
        """Faults driven by their own random stream for ``seed``."""
        return cls(config, random.Random(f"{seed}:link"))

    def _hit(self, rate: float) -> bool:
        return rate > 0 and self.rng.random() < rate

    def latency_s(self) -> float:
        """Delay of the next report, in seconds of loop time."""
        c = self.config
        base = c.latency_ms / 1000
        if c.latency is LatencyKind.FIXED:
            return base
        if c.latency is LatencyKind.UNIFORM:
            return self.rng.uniform(base, max(base, c.latency_max_ms / 1000))
        if c.latency is LatencyKind.EXPONENTIAL and c.latency_max_ms > 0:
            return base + self.rng.expovariate(1000 / c.latency_max_ms)
        return 0.0

    def lose_submit(self) -> bool:
        """Whether this submit is silently lost (no answer, unknown at the venue)."""
        if self.drop_next_submits > 0:
            self.drop_next_submits -= 1
            self.stats.submits_dropped += 1
            return True
        if self._hit(self.config.submit_drop_rate):
            self.stats.submits_dropped += 1
            return True
        return False

    def drop_link(self) -> bool:
        """Whether the link drops after this request."""
        if self._hit(self.config.disconnect_rate):
            self.stats.disconnects += 1
            return True
        return False

    def shape(self, reports: list[VenueReport]) -> list[VenueReport]:
        """The reports as they leave the venue: some lost, doubled, or swapped."""
        out: list[VenueReport] = []
        for r in reports:
            if self._hit(self.config.drop_rate):
                self.stats.dropped += 1
                continue
            copies = [r]
            if self._hit(self.config.duplicate_rate):
                self.stats.duplicated += 1
                copies.append(r)
            for c in copies:
                if self._held is not None:
                    out += [c, self._held]
                    self._held = None
                elif self._hit(self.config.reorder_rate):
                    self.stats.reordered += 1
                    self._held = c
                else:
                    out.append(c)
        return out

    def flush(self) -> list[VenueReport]:
        """Release a report held back for reordering (nothing came after it)."""
        held, self._held = self._held, None
        return [held] if held is not None else []
