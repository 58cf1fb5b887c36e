"""The venue fault soaks: the service through a broker adapter and its real vendor client
(QMT: xtquant; XTP: vnpy_xtp) against the emulator of the broker's side, seeded faults.

CI runs each venue's :class:`Venue` ``ci_seeds``; ``scripts/venue_soak.py --venue qmt|xtp
--seeds N`` runs any number.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.api.schemas import OrderIn
from ashare_exec.model import ClientOrderId, OrderStatus
from ashare_exec.testing.miniqmt import xtquant_available
from ashare_exec.venues.vnpy.shim import xtp_available
from tests.reliability.dst_checks import DstFailure
from tests.reliability.qmt_soak import QmtSoak
from tests.reliability.venue_soak import ACC, VenueSoak
from tests.reliability.xtp_soak import XtpSoak

CI_STEPS = 30
COMMON = {
    "burst of": "burst",
    "cancel-all": "cancel_all",
    "gateway restart": "gateway_restart",
    "gateway restart (hasty)": "hasty_restart",
    "reconcile + venue check": "reconcile",
}


@dataclass(frozen=True)
class Venue:
    """One venue's soak as CI runs it."""

    name: str
    soak: type[VenueSoak]
    ci_seeds: range
    faults: dict[str, str]
    """Trace text -> the fault (or step) it shows; CI's seeds must meet every one."""
    lose_orders: Callable[[Any], None]
    """Make the venue forget every order of the first account."""
    hold_cancels: Callable[[Any, bool], None]
    installed: bool


def _lose_terminal_orders(run: Any) -> None:
    run.term.orders[str(ACC)].clear()


def _hold_terminal_cancels(run: Any, on: bool) -> None:
    run.term.behaviour.hold_cancels = on
    if not on:
        run.term.release_cancels()


def _lose_server_orders(run: Any) -> None:
    run.servers[0].orders.clear()


def _hold_server_cancels(run: Any, on: bool) -> None:
    if on:
        run.servers[0].hold_cancels = True
    else:
        run.servers[0].release_cancels()


QMT = Venue(
    "qmt", QmtSoak, range(8),
    {**COMMON,
     "the next order vanishes": "swallow", "the next order's answer is lost": "lose_answer",
     "refused before it exists": "refuse", "hold cancels True": "hold_cancels",
     "pushes muted": "mute", "the terminal hung": "hang", "connections dropped": "drop_link",
     "terminal restart": "terminal_restart", "pushes of the day replayed": "counter_replay",
     "terminal down": "terminal_down", "for a few orders": "account_down",
     # day rolls (venue_days): up at the close, QMT closed around it, the gateway down over it
     "(up)": "day_up", "back at 16:00": "day_terminal_back_that_evening",
     "until the next day": "day_terminal_back_next_day", "(gateway down)": "day_gateway_down"},
    _lose_terminal_orders, _hold_terminal_cancels, xtquant_available(),
)  # fmt: skip
XTP = Venue(
    "xtp", XtpSoak, range(6),
    {**COMMON,
     "never reaches the server": "swallow", "refused at insert": "refuse",
     "hold cancels True": "hold_cancels", "sessions cut": "drop_link",
     "logins refused": "refuse_login",
     # day rolls (venue_days): up at the close, the server away around it, the gateway down
     "(up)": "day_up", "back at 16:00": "day_server_back_that_evening",
     "(gateway down)": "day_gateway_down"},
    _lose_server_orders, _hold_server_cancels, xtp_available(),
)  # fmt: skip
VENUES = [
    pytest.param(v, id=v.name, marks=pytest.mark.skipif(
        not v.installed, reason=f"the {v.name} vendor client is not installed (.ci/install-*.sh)"
    ))
    for v in (QMT, XTP)
]  # fmt: skip


def _resting(coid: str) -> OrderIn:
    return OrderIn(
        account_id=ACC, symbol="600000.SH", side="BUY", qty=100, price=Decimal("9.90"),
        client_order_id=coid,
    )  # fmt: skip


@pytest.mark.parametrize("venue", VENUES)
def test_venue_soak_when_seeds_run_every_invariant_holds_and_every_fault_is_met(
    fast_dir: Path, venue: Venue
) -> None:
    met: set[str] = set()
    for seed in venue.ci_seeds:
        trace = asyncio.run(venue.soak(seed, fast_dir / str(seed), CI_STEPS).run())
        assert "final check passed" in trace[-1], (seed, trace[-3:])
        met |= {name for text, name in venue.faults.items() if any(text in x for x in trace)}
    # The seeds CI runs go through every fault the soak can inject at least once.
    assert met == set(venue.faults.values())


@pytest.mark.parametrize("venue", VENUES)
def test_venue_soak_when_invariant_breaks_failure_names_seed_and_step(
    fast_dir: Path, venue: Venue
) -> None:
    async def scenario() -> None:
        run = venue.soak(7, fast_dir, steps=5)
        await run.boot()
        try:
            run.step = 4
            run.sends[ClientOrderId("q1")] = 2
            run.check_always()
        finally:
            await run.svc.stop()

    name = venue.soak.name
    with pytest.raises(
        DstFailure, match=rf"{name} seed 7 step 4: order q1 was sent to the adapter"
    ):
        asyncio.run(scenario())


@pytest.mark.parametrize("venue", VENUES)
def test_venue_soak_when_the_venue_lacks_a_working_order_the_venue_check_fails(
    fast_dir: Path, venue: Venue
) -> None:
    # The venue check is not vacuous: the gateway has an order working that the venue lost.
    async def scenario() -> None:
        run = venue.soak(3, fast_dir, steps=1)
        await run.boot()
        try:
            run.step = 0
            assert (await run.svc.submit(_resting("rest1"), actor="t"))["status"] == "PENDING_NEW"
            await run.check_venue(final=True)  # it rests at the venue: agreed
            venue.lose_orders(run)
            await run.check_venue(final=True, within=0.2)
        finally:
            await run.svc.stop()

    pattern = rf"{venue.soak.name} seed 3 step 0: account {ACC}: order rest1 is NEW but the venue"
    with pytest.raises(DstFailure, match=pattern):
        asyncio.run(scenario())


@pytest.mark.parametrize("venue", VENUES)
def test_venue_soak_when_the_venue_holds_a_cancel_both_read_pending_cancel(
    fast_dir: Path, venue: Venue
) -> None:
    async def scenario() -> None:
        run = venue.soak(4, fast_dir, steps=1)
        await run.boot()
        try:
            await run.svc.submit(_resting("held1"), actor="t")
            await run.settle(0.2)
            venue.hold_cancels(run, True)
            view = await run.svc.cancel(ACC, ClientOrderId("held1"), actor="t")
            assert view["status"] == "PENDING_CANCEL"
            await run.settle(0.2)
            held = run.venue().orders[(ACC, ClientOrderId("held1"))]
            assert held.status is OrderStatus.PENDING_CANCEL
            await run.check_venue(final=True)
            await asyncio.to_thread(venue.hold_cancels, run, False)
            await run.settle(0.2)
            done = run.venue().orders[(ACC, ClientOrderId("held1"))]
            assert done.status is OrderStatus.CANCELED
            await run.check_venue(final=True)
        finally:
            await run.svc.stop()

    asyncio.run(scenario())


@pytest.mark.parametrize("venue", VENUES)
def test_venue_soak_script_when_one_seed_runs_prints_a_clean_summary(venue: Venue) -> None:
    script = Path(__file__).resolve().parents[2] / "scripts" / "venue_soak.py"
    done = subprocess.run(
        [sys.executable, str(script), "--venue", venue.name, "--seed", "5", "--steps", "8"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = json.loads(done.stdout[done.stdout.index("{") :])
    assert (summary["venue"], summary["failures"], summary["steps_checked"]) == (venue.name, 0, 8)
