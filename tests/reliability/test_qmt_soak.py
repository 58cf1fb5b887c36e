"""The QMT fault soak: the service through the QMT adapter and real xtquant, seeded faults.

CI runs :data:`CI_SEEDS` seeds; ``scripts/venue_soak.py --venue qmt --seeds N`` runs any
number.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from ashare_exec.api.schemas import OrderIn
from ashare_exec.model import ClientOrderId
from ashare_exec.testing.miniqmt import xtquant_available
from tests.reliability.dst_checks import DstFailure
from tests.reliability.qmt_soak import ACC, QmtSoak, run_qmt_seed

pytestmark = pytest.mark.skipif(
    not xtquant_available(), reason="xtquant is not installed (.ci/install-xtquant.sh)"
)

CI_SEEDS = range(8)
CI_STEPS = 30
FAULTS = {
    "the next order vanishes": "swallow",
    "the next order's answer is lost": "lose_answer",
    "refused before it exists": "refuse",
    "hold cancels True": "hold_cancels",
    "pushes muted": "mute",
    "the terminal hung": "hang",
    "burst of": "burst",
    "cancel-all": "cancel_all",
    "connections dropped": "drop_link",
    "terminal restart": "terminal_restart",
    "pushes of the day replayed": "counter_replay",
    "gateway restart": "gateway_restart",
    "gateway restart (hasty)": "hasty_restart",
    "reconcile + venue check": "reconcile",
}


def test_qmt_soak_when_seeds_run_every_invariant_holds_and_every_fault_is_met(
    fast_dir: Path,
) -> None:
    met: set[str] = set()
    for seed in CI_SEEDS:
        trace = asyncio.run(run_qmt_seed(seed, fast_dir / str(seed), steps=CI_STEPS))
        assert "final check passed" in trace[-1], (seed, trace[-3:])
        met |= {name for text, name in FAULTS.items() if any(text in line for line in trace)}
    # The seeds CI runs go through every fault the soak can inject at least once.
    assert met == set(FAULTS.values())


def test_qmt_soak_when_invariant_breaks_failure_names_seed_and_step(fast_dir: Path) -> None:
    async def scenario() -> None:
        run = QmtSoak(7, fast_dir, steps=5)
        await run.boot()
        try:
            run.step = 4
            run.sends[ClientOrderId("q1")] = 2
            run.check_always()
        finally:
            await run.svc.stop()

    with pytest.raises(DstFailure, match=r"qmt seed 7 step 4: order q1 was sent to the adapter 2"):
        asyncio.run(scenario())


def test_qmt_soak_when_the_venue_lacks_a_working_order_the_venue_check_fails(
    fast_dir: Path,
) -> None:
    # The venue check is not vacuous: the gateway has an order working that the venue lost.
    async def scenario() -> None:
        run = QmtSoak(3, fast_dir, steps=1)
        await run.boot()
        try:
            run.step = 0
            body = OrderIn(
                account_id=ACC, symbol="600000.SH", side="BUY", qty=100,
                price=Decimal("9.90"), client_order_id="rest1",
            )  # fmt: skip
            assert (await run.svc.submit(body, actor="t"))["status"] == "PENDING_NEW"
            await run.check_venue(final=True)  # it rests at the venue: agreed
            run.term.orders[str(ACC)].clear()
            await run.check_venue(final=True, within=0.2)
        finally:
            await run.svc.stop()

    with pytest.raises(
        DstFailure, match=r"qmt seed 3 step 0: account 55001234: order rest1 is NEW but the venue"
    ):
        asyncio.run(scenario())


def test_qmt_soak_script_when_one_seed_runs_prints_a_clean_summary() -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(root / "scripts" / "venue_soak.py"), "--venue", "qmt", "--seed", "5",
         "--steps", "8"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = json.loads(done.stdout[done.stdout.index("{") :])
    assert summary["failures"] == 0
    assert summary["steps_checked"] == 8
