"""Calibration against a REAL MiniQMT (simulation account only): ``qmt-xtp.md`` §6.

Skipped unless configured. On the Windows QMT machine, with MiniQMT logged in::

    set ASHARE_QMT_LIVE_PATH=C:\\国金QMT交易端模拟\\userdata_mini
    set ASHARE_QMT_LIVE_ACCOUNT=55001234
    set ASHARE_QMT_LIVE_SYMBOL=600000.SH        (liquid, not at a limit)
    set ASHARE_QMT_LIVE_PASSIVE_PRICE=7.00      (inside today's band, far below the bid)
    python -m pytest tests/venues/qmt/test_qmt_live_calibration.py -m live -s

It places small passive orders (100 shares) and cancels them, then prints a report whose
keys are :class:`~ashare_exec.testing.miniqmt.MiniQmtBehaviour` fields: copy the observed
values into the emulator defaults. Never point it at a real-money account. The routine
(``calibration.py``) is run against the emulator in CI (``test_qmt_calibration.py``).
"""

from __future__ import annotations

import os
import sys

import pytest

from .calibration import calibrate

pytestmark = pytest.mark.live

ENV = ("ASHARE_QMT_LIVE_PATH", "ASHARE_QMT_LIVE_ACCOUNT", "ASHARE_QMT_LIVE_PASSIVE_PRICE")
configured = all(os.environ.get(k) for k in ENV)


@pytest.mark.skipif(not configured, reason=f"live calibration needs {', '.join(ENV)}")
def test_live_calibration_when_configured_prints_emulator_defaults() -> None:
    from ashare_exec.venues.qmt.shim import load_xttrader

    native = sys.modules.get("xtquant.xtpythonclient")
    if (
        native is not None
        and native.__name__ == "xtquant.xtpythonclient"
        and hasattr(native, "__doc__")
        and "Fake" in (native.__doc__ or "")
    ):
        pytest.skip("the MiniQMT emulator is loaded in this process; run this module alone")
    xttrader = load_xttrader()
    import xtquant.xttype as xttype  # loaded by load_xttrader, without its network check

    report = calibrate(
        xttrader,
        xttype,
        path=os.environ["ASHARE_QMT_LIVE_PATH"],
        account=os.environ["ASHARE_QMT_LIVE_ACCOUNT"],
        symbol=os.environ.get("ASHARE_QMT_LIVE_SYMBOL", "600000.SH"),
        price=float(os.environ["ASHARE_QMT_LIVE_PASSIVE_PRICE"]),
    )
    print("\n=== MiniQMT calibration report (MiniQmtBehaviour fields) ===")
    for key, value in report.items():
        print(f"{key} = {value!r}")
    assert "push_before_response" in report
