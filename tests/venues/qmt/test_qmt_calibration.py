"""The calibration routine a user runs once on a real MiniQMT measures what it says: run on
the emulator (real ``xtquant.xttrader``, fake native module) with known knobs, its report
reads them back."""

from __future__ import annotations

import importlib

import pytest

from ashare_exec.testing.miniqmt import MiniQmt, MiniQmtBehaviour, install

from .calibration import KNOBS, calibrate
from .conftest import needs_xtquant

pytestmark = needs_xtquant

DEFAULTS = MiniQmtBehaviour()
OTHERS = MiniQmtBehaviour(
    push_before_response=not DEFAULTS.push_before_response,
    push_unreported=not DEFAULTS.push_unreported,
    push_wait_reporting=not DEFAULTS.push_wait_reporting,
    cancel_echoes_sysid=not DEFAULTS.cancel_echoes_sysid,
    push_status_on_subscribe=not DEFAULTS.push_status_on_subscribe,
    remark_max_len=16,
    early_reject_order_id=0,
    reject_duplicate_session=not DEFAULTS.reject_duplicate_session,
)


@pytest.mark.parametrize("behaviour", [DEFAULTS, OTHERS], ids=["defaults", "the-others"])
def test_calibration_on_the_emulator_reads_back_every_knob(behaviour: MiniQmtBehaviour) -> None:
    terminal = MiniQmt(behaviour=behaviour)
    terminal.add_account("C1", 1_000_000)
    terminal.set_price("600000.SH", "10.00")
    xttrader = install(terminal)
    xttype = importlib.import_module("xtquant.xttype")

    report = calibrate(
        xttrader, xttype, path="C:/MiniQMT/userdata_mini", account="C1",
        symbol="600000.SH", price=9.50, settle_s=0.15,
    )  # fmt: skip

    assert {k: report[k] for k in KNOBS} == {k: getattr(behaviour, k) for k in KNOBS}
