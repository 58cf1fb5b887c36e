"""A service running for days: the memory it holds must not grow with the days.

CI runs short soaks (eight days of 150 orders on the simulator; eight of 120 through the
QMT adapter and through the vn.py adapter, each against its emulator in a process of its
own); ``scripts/day_soak.py --days N --orders K [--venue qmt|vnpy]`` runs a long one. One
test checks that the measure sees a leak: the same soak, with every day's orders kept
somewhere, must fail it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.engine.service import ExecutionService
from ashare_exec.testing.miniqmt import xtquant_available
from ashare_exec.venues.vnpy.shim import xtp_available
from tests.reliability.day_soak import ACCOUNT, GROWTH_PER_DAY_BYTES, DaySoak, growth_problem


async def test_a_service_running_day_after_day_holds_no_more_memory_each_day(
    tmp_path: Path,
) -> None:
    soak = DaySoak(tmp_path, days=8, orders=150, warmup=2)

    result = await soak.run()

    assert growth_problem(result) is None
    assert len(result.traced) == 5  # the mornings from the second after the warm-up
    assert result.orders == 8 * 150
    assert len(result.day_s) == len(result.end_of_day_s) == 8  # timed, for the script
    assert result.filled > 0
    assert result.canceled > 0
    for day in result.days:  # each day was closed by the scheduler: archived and sealed
        archived = tmp_path / "data" / "archive" / day.isoformat() / "orders.jsonl"
        lines = archived.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 150
        assert {json.loads(line)["status"] for line in lines} >= {"FILLED", "CANCELED"}


@pytest.mark.parametrize("venue", ["qmt", "vnpy"])
async def test_through_a_broker_in_another_process_the_gateway_holds_no_more_each_day(
    tmp_path: Path, venue: str
) -> None:
    if not (xtquant_available() if venue == "qmt" else xtp_available()):
        pytest.skip(f"the {venue} vendor package is not installed")
    soak = DaySoak(tmp_path, days=8, orders=120, warmup=2, venue=venue)

    result = await soak.run()

    assert growth_problem(result) is None
    assert result.broker_errors == []
    assert len(result.traced) == 5
    assert result.orders == 8 * 120
    assert result.filled > 0
    assert result.canceled > 0
    last = tmp_path / "data" / "archive" / result.days[-1].isoformat() / "orders.jsonl"
    assert len(last.read_text(encoding="utf-8").splitlines()) == 120


class _Hoarding(DaySoak):
    """The soak, with a leak: every day's orders are kept for good."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hoard: list[Any] = []

    async def _one_day(self, svc: ExecutionService, day: Any) -> None:
        await super()._one_day(svc, day)
        self.hoard.extend(svc.core.state.book.orders(ACCOUNT))


async def test_the_measure_sees_a_service_that_keeps_every_days_orders(tmp_path: Path) -> None:
    soak = _Hoarding(tmp_path, days=5, orders=80, warmup=1)

    result = await soak.run()

    problem = growth_problem(result)
    assert problem is not None
    assert f"a day (bound {GROWTH_PER_DAY_BYTES // 1024} KiB)" in problem


def test_the_script_runs_a_short_soak_and_reports_it_as_json(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(root / "scripts" / "day_soak.py"), "--days", "4", "--orders",
         "30", "--warmup", "1", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert done.returncode == 0, done.stdout + done.stderr
    assert (report["orders"], report["ok"], len(report["traced_kib"])) == (120, True, 2)
