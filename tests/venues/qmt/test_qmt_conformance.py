"""The venue conformance suite (TC-01..) run against QMT on the MiniQMT emulator."""

from __future__ import annotations

import pytest

from ashare_exec.testing.miniqmt.driver import QmtEmulatorDriver, QmtSimDriver
from ashare_exec.venues.conformance import SCENARIOS, Scenario

from .conftest import needs_xtquant

pytestmark = needs_xtquant


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
async def test_conformance_when_qmt_on_emulator_then_scenario_passes(scenario: Scenario) -> None:
    """Every scenario passes through the real xttrader on the emulator."""
    await scenario.run(QmtEmulatorDriver())


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
async def test_conformance_when_pushes_precede_responses_then_scenario_passes(
    scenario: Scenario,
) -> None:
    """Every scenario also passes when MiniQMT pushes before it answers (and pushes 48/49)."""
    driver = QmtEmulatorDriver()
    b = driver.terminal.behaviour
    b.push_before_response = b.push_unreported = b.push_wait_reporting = True
    b.trade_before_order_push = True
    await scenario.run(driver)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
async def test_conformance_when_counter_is_the_simulator_then_scenario_passes(
    scenario: Scenario,
) -> None:
    """Every scenario passes when MiniQMT's counter is the built-in A-share simulator."""
    await scenario.run(QmtSimDriver())
