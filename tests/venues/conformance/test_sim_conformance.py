"""The venue conformance suite (TC-01..) run against the simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from ashare_exec.venues.conformance import SCENARIOS, Scenario
from ashare_exec.venues.sim.config import FaultConfig, LatencyKind
from ashare_exec.venues.sim.driver import SimDriver


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
async def test_conformance_when_simulator_then_scenario_passes(
    scenario: Scenario, tmp_path: Path
) -> None:
    """Every scenario passes on the simulator with an instant link."""
    await scenario.run(SimDriver(tmp_path / "venue.sqlite"))


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
async def test_conformance_when_link_has_latency_then_scenario_passes(
    scenario: Scenario, tmp_path: Path
) -> None:
    """Every scenario also passes when reports arrive after a random delay."""
    faults = FaultConfig(latency=LatencyKind.UNIFORM, latency_ms=0, latency_max_ms=3)
    await scenario.run(SimDriver(tmp_path / "venue.sqlite", faults=faults))
