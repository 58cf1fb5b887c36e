"""The venue conformance suite (TC-01..) through the real vnpy_xtp gateway."""

from __future__ import annotations

from pathlib import Path

import pytest
from xtp_kit import XtpDriver, needs_xtp

from ashare_exec.venues.conformance import SCENARIOS, Scenario

pytestmark = needs_xtp


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
async def test_conformance_when_xtp_gateway_on_server_double_then_scenario_passes(
    scenario: Scenario, tmp_path: Path
) -> None:
    """Every scenario passes with vnpy_xtp's real mapping code over the XTP server double."""
    driver = XtpDriver(tmp_path)
    try:
        await scenario.run(driver)
        assert driver.server.errors == [], "a vnpy_xtp callback raised"
    finally:
        driver.server.stop()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
async def test_conformance_when_callbacks_are_slow_then_scenario_passes(
    scenario: Scenario, tmp_path: Path
) -> None:
    """Every scenario also passes when each XTP callback arrives after a random delay."""
    driver = XtpDriver(tmp_path)
    driver.server.jitter_s = 0.003
    try:
        await scenario.run(driver)
        assert driver.server.errors == [], "a vnpy_xtp callback raised"
    finally:
        driver.server.stop()
