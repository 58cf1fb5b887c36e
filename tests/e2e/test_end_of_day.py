"""End to end: the close on the simulated clock — expiry, end-of-day archive, day roll."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

import pytest

from ashare_exec.cli.main import main as cli_main
from tests.e2e.conftest import start_service


def test_close_expires_working_orders_and_end_of_day_archives_the_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "svc"
    # The closing auction runs 14:57-15:00; the day is archived at 15:01 here. At 20x the
    # service has 7.5 s to start and take the order before the close.
    svc = start_service(
        folder, start="2026-11-25T14:57:30+08:00", speed=20.0, sessions='end_of_day = "15:01"'
    )
    try:
        with svc.client() as c:
            low = Decimal(c.quote("600000.SH")["bids"][0][0]) - Decimal("0.10")
            h = c.submit("paper", "600000.SH", "BUY", 100, low, client_order_id="eod-1")
            assert h.status in ("PENDING_NEW", "NEW")
            assert h.wait(30).status == "EXPIRED"
            archive = folder / "data" / "archive" / "2026-11-25"
            deadline = time.monotonic() + 60
            while not (archive / "manifest.json").is_file() and time.monotonic() < deadline:
                time.sleep(0.2)
            assert (archive / "manifest.json").is_file()
            status = c.status()
            assert status["last_archive"] is not None
    finally:
        svc.stop()
    code = cli_main(["archive", "show", "2026-11-25", "--data-dir", str(folder / "data")])
    assert code == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["verified"] is True
    assert shown["orders"] >= 1
