"""The XTP calibration a user runs once on a real XTP test server measures what it says: run
on the emulator (the real vnpy_xtp gateway, the server double behind it), its report reads
back the emulator's answers."""

from __future__ import annotations

from pathlib import Path

from xtp_calibration import REFUSALS, calibrate, probes_from
from xtp_kit import XtpDriver, needs_xtp

from ashare_exec.model import ClientOrderId
from ashare_exec.venues.vnpy.emulator_wire import XTP_ERRORS

pytestmark = needs_xtp


async def test_calibration_on_the_emulator_reads_back_its_errors_and_reports(
    tmp_path: Path,
) -> None:
    driver = XtpDriver(tmp_path)
    probes = probes_from(driver.passive_buy(ClientOrderId("cal1")))

    report = await calibrate(await driver.start(), probes, settle_s=0.4)

    assert report["passive_reports"] == ["OrderAccepted", "OrderCanceled"]
    for code in REFUSALS:
        outcome = report[code]
        assert isinstance(outcome, dict)
        assert (outcome["error"], outcome["reason_code"]) == (XTP_ERRORS[code], code), code
