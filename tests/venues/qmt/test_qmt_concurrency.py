"""Many concurrent submits through the adapter: every order gets a final answer, in time.

A final answer is ``OrderAccepted`` / ``OrderRejected`` pushed by the adapter, an
``ORDER_IN_DOUBT`` alert, or an error raised by ``submit()`` itself. Nothing may hang.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from ashare_exec.clock import SimClock
from ashare_exec.errors import BrokerError
from ashare_exec.model import OrderAccepted, OrderFilled, OrderRejected
from ashare_exec.testing.miniqmt import MiniQmt
from ashare_exec.venues.qmt import QmtAdapter

from .conftest import A1, Harness, eventually, make_config, needs_xtquant, spec

pytestmark = needs_xtquant

ORDERS = 240
SUBMITTERS = 64
BOUND_S = 15.0
"""Far above the emulator's needs (about 1 s), far below "hangs"."""


@dataclass(frozen=True)
class Case:
    name: str
    arrange: Callable[[Harness], None]
    rejected: int
    in_doubt: int
    max_pending: int = ORDERS


CASES = [
    Case("plain", lambda h: None, 0, 0),
    Case("pushes_before_response", lambda h: _push_first(h), 0, 0),
    Case("rejects", lambda h: h.terminal.reject_next_orders(20, "资金不足"), 20, 0),
    Case("dropped_responses", lambda h: h.terminal.drop_next_order_responses(20), 0, 0),
    # Fewer than max_consecutive_failures (3): the link stays up through the run.
    Case("swallowed_orders", lambda h: h.terminal.swallow_next_orders(2), 0, 2),
    Case("swallowed_with_backpressure", lambda h: h.terminal.swallow_next_orders(2), 0, 2, 8),
]


def _push_first(h: Harness) -> None:
    h.terminal.behaviour.push_before_response = True
    h.terminal.behaviour.push_wait_reporting = True


def _answered(h: Harness, raised: set[str]) -> set[str]:
    done = h.cids(OrderAccepted) | h.cids(OrderRejected)
    doubt = {a.client_order_id for a in h.adapter.alerts if a.kind == "ORDER_IN_DOUBT"}
    return done | {str(c) for c in doubt} | raised


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_submit_when_many_concurrent_every_order_answered_within_bound(
    terminal: MiniQmt, clock: SimClock, case: Case
) -> None:
    # A response later than this marks the order in doubt: 240 orders at once on a machine
    # busy with something else took over the 0.4 s of make_config (57 orders in doubt).
    config = make_config(max_pending_submits=case.max_pending, submit_timeout_s=2.0)
    adapter = QmtAdapter(config, clock)
    h = Harness(terminal, adapter)
    await adapter.connect()
    try:
        await _run(h, case)
    finally:
        await adapter.close()


async def _run(h: Harness, case: Case) -> None:
    h.terminal.set_price("600000.SH", "10.00", depth=10**9)
    case.arrange(h)
    cids = [f"k{i}" for i in range(ORDERS)]
    # Every third order is below the market: it rests, and its answer is the ack alone.
    prices = ["9.50" if i % 3 == 0 else "10.50" for i in range(ORDERS)]
    queue = list(zip(cids, prices, strict=True))
    raised: set[str] = set()
    errors: list[str] = []
    book = h.adapter._books[A1]

    async def submitter() -> None:
        while queue:
            cid, price = queue.pop()
            try:
                await h.adapter.submit(spec(cid, qty=100, price=price))
            except BrokerError as e:
                raised.add(cid)
                errors.append(f"{e.code}: {e}")

    async with asyncio.timeout(BOUND_S):
        await asyncio.gather(*(submitter() for _ in range(SUBMITTERS)))
        await eventually(lambda: _answered(h, raised) >= set(cids), within=BOUND_S)
        await eventually(lambda: not h.adapter._tasks, within=BOUND_S)

    assert book.pending_submits == 0
    # Back-pressure answers at once (RATE_LIMITED, nothing sent); it never makes a caller wait.
    assert {e.split(":")[0] for e in errors} <= {"RATE_LIMITED"}
    assert bool(errors) == (case.max_pending < SUBMITTERS)
    sent = ORDERS - len(errors)
    assert len(h.of(OrderRejected)) == case.rejected
    doubt = [a for a in h.adapter.alerts if a.kind == "ORDER_IN_DOUBT"]
    assert len(doubt) == case.in_doubt
    accepted = h.cids(OrderAccepted)
    assert len(accepted) == sent - case.rejected - case.in_doubt
    assert _order_calls(h) == sent
    resting = {cid for cid, price in zip(cids, prices, strict=True) if price == "9.50"}
    filled = h.cids(OrderFilled)
    assert not filled & resting


def _order_calls(h: Harness) -> int:
    return sum(1 for m, _ in h.terminal.calls if m == "orderStockWithSeq")


@pytest.mark.parametrize(
    ("where", "outcome"),
    [
        ("at_the_counter", "accepted"),  # the request is running: it still leaves
        ("queued_on_session", "in_doubt"),  # the request never ran: nothing to find
    ],
)
async def test_submit_when_caller_cancelled_midway_order_still_answered(
    harness: Harness, where: str, outcome: str
) -> None:
    h = harness
    gate = threading.Event()
    session = h.adapter._session
    assert session is not None
    if where == "queued_on_session":
        session.run(gate.wait, BOUND_S)  # the order waits behind this on the session thread
    else:
        h.terminal.lock.acquire()  # the order is inside the native call, held at the counter
    try:
        task = asyncio.create_task(h.adapter.submit(spec("x1", price="9.50")))
        if where == "at_the_counter":
            await eventually(lambda: _order_calls(h) == 1)
        else:
            await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        gate.set()
        if where == "at_the_counter":
            h.terminal.lock.release()

    def doubt() -> bool:
        return any(a.kind == "ORDER_IN_DOUBT" for a in h.adapter.alerts)

    async with asyncio.timeout(BOUND_S):
        await eventually(lambda: bool(h.of(OrderAccepted, "x1")) or doubt(), within=BOUND_S)
        await eventually(lambda: not h.adapter._tasks, within=BOUND_S)
    got = "accepted" if h.of(OrderAccepted, "x1") else "in_doubt"
    assert got == outcome
    assert _order_calls(h) == (1 if outcome == "accepted" else 0)
    assert h.adapter._books[A1].pending_submits == 0
