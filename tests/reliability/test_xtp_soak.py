"""The XTP fault soak: the service through the vn.py adapter and the real vnpy_xtp gateway.

CI runs :data:`CI_SEEDS` seeds; ``scripts/venue_soak.py --venue xtp --seeds N`` runs any
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
from ashare_exec.venues.vnpy.shim import xtp_available
from tests.reliability.dst_checks import DstFailure
from tests.reliability.venue_soak import ACC
from tests.reliability.xtp_soak import XtpSoak, run_xtp_seed

pytestmark = pytest.mark.skipif(
    not xtp_available(), reason="vnpy_xtp is not installed (.ci/install-vnpy.sh)"
)

CI_SEEDS = range(6)
CI_STEPS = 30
FAULTS = {
    "never reaches the server": "swallow",
    "refused at insert": "refuse",
    "hold cancels True": "hold_cancels",
    "sessions cut": "drop_link",
    "logins refused": "refuse_login",
    "burst of": "burst",
    "cancel-all": "cancel_all",
    "gateway restart": "gateway_restart",
    "gateway restart (hasty)": "hasty_restart",
    "reconcile + venue check": "reconcile",
}


def test_xtp_soak_when_seeds_run_every_invariant_holds_and_every_fault_is_met(
    fast_dir: Path,
) -> None:
    met: set[str] = set()
    for seed in CI_SEEDS:
        trace = asyncio.run(run_xtp_seed(seed, fast_dir / str(seed), steps=CI_STEPS))
        assert "final check passed" in trace[-1], (seed, trace[-3:])
        met |= {name for text, name in FAULTS.items() if any(text in line for line in trace)}
    # The seeds CI runs go through every fault the soak can inject at least once.
    assert met == set(FAULTS.values())


def test_xtp_soak_when_the_venue_lacks_a_working_order_the_venue_check_fails(
    fast_dir: Path,
) -> None:
    # The venue check maps the server's orders back through the persisted surrogates: an
    # order the gateway has working and the server lost is found.
    async def scenario() -> None:
        run = XtpSoak(3, fast_dir, steps=1)
        await run.boot()
        try:
            run.step = 0
            body = OrderIn(
                account_id=ACC, symbol="600000.SH", side="BUY", qty=100,
                price=Decimal("9.90"), client_order_id="rest1",
            )  # fmt: skip
            await run.svc.submit(body, actor="t")
            await run.check_venue(final=True)  # it rests at the server: agreed
            run.servers[0].orders.clear()
            await run.check_venue(final=True, within=0.2)
        finally:
            await run.svc.stop()

    with pytest.raises(DstFailure, match=r"vnpy seed 3 step 0: account 55001234: order rest1 is"):
        asyncio.run(scenario())


def test_xtp_soak_when_a_cancel_is_held_the_venue_reads_pending_cancel(fast_dir: Path) -> None:
    async def scenario() -> None:
        run = XtpSoak(4, fast_dir, steps=1)
        await run.boot()
        try:
            body = OrderIn(
                account_id=ACC, symbol="600000.SH", side="BUY", qty=100,
                price=Decimal("9.90"), client_order_id="held1",
            )  # fmt: skip
            await run.svc.submit(body, actor="t")
            await run.settle(0.2)
            run.servers[0].hold_cancels = True
            view = await run.svc.cancel(ACC, ClientOrderId("held1"), actor="t")
            assert view["status"] == "PENDING_CANCEL"
            await run.settle(0.2)
            venue = run.venue().orders[(ACC, ClientOrderId("held1"))]
            assert venue.status.value == "PENDING_CANCEL"
            await run.check_venue(final=True)
            await asyncio.to_thread(run.servers[0].release_cancels)
            await run.settle(0.2)
            assert run.venue().orders[(ACC, ClientOrderId("held1"))].status.value == "CANCELED"
            await run.check_venue(final=True)
        finally:
            await run.svc.stop()

    asyncio.run(scenario())


def test_xtp_soak_script_when_one_seed_runs_prints_a_clean_summary() -> None:
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, str(root / "scripts" / "venue_soak.py"), "--venue", "xtp", "--seed", "5",
         "--steps", "8"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = json.loads(done.stdout[done.stdout.index("{") :])
    assert (summary["venue"], summary["failures"], summary["steps_checked"]) == ("xtp", 0, 8)
