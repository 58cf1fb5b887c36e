"""What the service still does when its journal cannot write (``engine/halts.py``).

New orders stop; the venue is still followed. An order that could not be journaled was
not sent and reads ``REJECTED``; cancels — one, all, or the kill switch's — still reach
the venue; fills still move positions, cash and the stream; one alert, not one per write;
and after a restart the start-up reconcile brings the journal back to the venue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from ashare_exec.api.schemas import CancelAllIn
from ashare_exec.clock import CST
from ashare_exec.engine.bus import StreamMessage, Subscription
from ashare_exec.engine.node import build_service
from ashare_exec.engine.scheduler import ActionDeferred
from ashare_exec.errors import GatewayError
from ashare_exec.journal.archive import read_archive
from ashare_exec.model import ClientOrderId, InstrumentId, OrderStatus
from tests.reliability.dst_checks import check_ledger, check_orders_vs_venue, order_snapshot
from tests.reliability.dst_harness import ACC, DstRun
from tests.reliability.fault_kit import FAULTS, order_in
from tests.reliability.vloop import run_virtual

RESTING = 4


async def _boot_with_resting_orders(folder: Path) -> DstRun:
    run = await DstRun.quiet(1, folder)
    for n in range(RESTING):
        await run.svc.submit(order_in(n, marketable=False), actor="t")
    await run.settle()
    return run


async def _halt(run: DstRun, fault: str) -> tuple[ClientOrderId, Callable[[], None]]:
    """Inject ``fault`` and submit until an order is refused; return the refused order's id
    and how to lift the fault."""
    release = FAULTS[fault](run.svc)
    for n in range(100, 500):  # a full disk may still take a few rows in free pages
        try:
            await run.svc.submit(order_in(n, marketable=False), actor="t")
        except GatewayError as e:
            refusal = e.code
            break
    else:
        raise AssertionError("the journal never failed")
    assert refusal == "TRADING_HALTED"
    return ClientOrderId(f"r{n}"), release


def _drained(sub: Subscription) -> list[StreamMessage]:
    """The messages the subscription has received so far, in order."""
    return [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]


def _venue(run: DstRun) -> dict[str, OrderStatus]:
    return {r.client_order_id: r.status for r in run.sim.exchange.order_reports(ACC)}


def _agrees_with_venue(run: DstRun) -> str | None:
    state = run.svc.core.state
    now = run.clock.now()
    return check_orders_vs_venue(
        state.book.orders(ACC), run.sim.exchange, ACC, now, grace_s=0.0, alerted=set()
    ) or check_ledger(state.ledger, run.sim.exchange, ACC, state.book)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_halt_when_a_submit_cannot_be_journaled_it_is_not_sent_and_reads_rejected(
    fast_dir: Path, fault: str
) -> None:
    async def scenario() -> None:
        run = await _boot_with_resting_orders(fast_dir)
        refused, release = await _halt(run, fault)
        await run.settle()
        order = run.svc.core.state.book.get(ACC, refused)
        assert order is not None
        assert order.status is OrderStatus.REJECTED
        assert order.reasons == ("TRADING_HALTED",)
        assert refused not in _venue(run)
        assert run.sends[refused] == 0
        # Its cash is not left frozen: the ledger still equals the venue's.
        assert _agrees_with_venue(run) is None
        # A resubmit of the id is answered with the truth, not an order that looks pending.
        n = int(refused[1:])
        again = await run.svc.submit(order_in(n, marketable=False), actor="t")
        assert (again["status"], again["created"]) == ("REJECTED", False)
        assert refused not in _venue(run)
        await run.svc.stop()
        release()

    run_virtual(scenario())


def test_halt_when_a_burst_of_submits_cannot_be_journaled_the_rejection_breaker_stays_quiet(
    fast_dir: Path,
) -> None:
    async def scenario() -> None:
        run = await _boot_with_resting_orders(fast_dir)
        run.svc.update_limits(None, {"max_consecutive_rejections": 3}, actor="t")
        FAULTS["read-only"](run.svc)
        burst = [run.svc.submit(order_in(100 + n, marketable=False), actor="t") for n in range(8)]
        answers = await asyncio.gather(*burst, return_exceptions=True)
        assert {getattr(a, "code", None) for a in answers} == {"TRADING_HALTED"}
        book = run.svc.core.state.book
        rejected = [o for o in book.orders(ACC) if o.status is OrderStatus.REJECTED]
        assert len(rejected) == 8  # all in one failed commit; none was the venue's rejection
        await run.settle()
        assert run.svc.pretrade.trading_state(ACC) == "ACTIVE"
        assert set(_venue(run).values()) == {OrderStatus.NEW}  # the working orders stay
        await run.svc.stop()

    run_virtual(scenario())


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_halt_when_the_journal_fails_cancels_still_reach_the_venue(
    fast_dir: Path, fault: str
) -> None:
    async def scenario() -> None:
        run = await _boot_with_resting_orders(fast_dir)
        _, release = await _halt(run, fault)
        working = {o.spec.client_order_id for o in run.svc.core.state.book.open_orders(ACC)}
        assert len(working) >= RESTING  # a full disk may have taken a few more first
        view = await run.svc.cancel(ACC, "r0", actor="t")
        assert view["status"] == "PENDING_CANCEL"
        canceled = await run.svc.cancel_all(CancelAllIn(account_id=ACC), actor="t")
        assert set(canceled) == working
        await run.settle()
        venue = _venue(run)
        for coid in working:
            assert venue[coid] is OrderStatus.CANCELED
            got = run.svc.core.state.book.get(ACC, coid)
            assert got is not None
            assert got.status is OrderStatus.CANCELED
        assert _agrees_with_venue(run) is None
        codes = [code for code, _ in run.alerts]
        assert codes.count("JOURNAL_ERROR") == 1
        await run.svc.stop()
        release()

    run_virtual(scenario())


def test_halt_when_the_journal_fails_the_kill_switch_still_cancels_working_orders(
    fast_dir: Path,
) -> None:
    async def scenario() -> None:
        run = await _boot_with_resting_orders(fast_dir)
        _, release = await _halt(run, "read-only")
        record = await run.svc.set_trading_state(None, "HALTED", actor="ops", cancel_working=True)
        assert record["persisted"] is False  # in force in memory; the restart resets it
        assert sorted(record["canceled"]) == [f"r{n}" for n in range(RESTING)]
        assert run.svc.pretrade.trading_state(ACC) == "HALTED"
        await run.settle()
        assert set(_venue(run).values()) == {OrderStatus.CANCELED}
        await run.svc.stop()
        release()

    run_virtual(scenario())


def test_halt_when_a_fill_arrives_it_reaches_positions_cash_and_the_stream(
    fast_dir: Path,
) -> None:
    async def scenario() -> None:
        run = await _boot_with_resting_orders(fast_dir)
        fills = run.svc.bus.subscribe(kinds=frozenset({"fill"}))
        ledger = run.svc.core.state.ledger
        held = ledger.position(ACC, InstrumentId.parse("600000.SH")).total
        # Filled at once at the venue; its reports wait in the queue while the fault lands.
        await run.svc.submit(order_in(50, marketable=True), actor="t")
        FAULTS["read-only"](run.svc)
        await run.settle()
        assert "JOURNAL_ERROR" in [code for code, _ in run.alerts]
        order = run.svc.core.state.book.get(ACC, ClientOrderId("r50"))
        assert order is not None
        assert order.status is OrderStatus.FILLED
        assert ledger.position(ACC, order.spec.instrument_id).total == held + 100
        assert _agrees_with_venue(run) is None
        published = _drained(fills)
        assert [m.data["client_order_id"] for m in published] == ["r50"]
        await run.svc.stop()

    run_virtual(scenario())


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_halt_after_a_restart_the_journal_agrees_with_the_venue_again(
    fast_dir: Path, fault: str
) -> None:
    async def scenario() -> None:
        run = await _boot_with_resting_orders(fast_dir)
        refused, release = await _halt(run, fault)
        await run.svc.cancel(ACC, "r0", actor="t")
        with pytest.raises(GatewayError, match="TRADING_HALTED"):
            await run.svc.submit(order_in(60, marketable=True), actor="t")
        await run.settle()
        await run.svc.stop()
        release()  # the other faults were the old connection's own
        await run.boot(build_service(run.config(), run.clock))
        await run.settle()
        assert run.svc.core.accepting
        assert run.svc.core.state.book.get(ACC, refused) is None  # never sent, never journaled
        r0 = run.svc.core.state.book.get(ACC, ClientOrderId("r0"))
        assert r0 is not None
        assert r0.status is OrderStatus.CANCELED  # from the venue
        assert _agrees_with_venue(run) is None
        view = await run.svc.submit(order_in(int(refused[1:]), marketable=False), actor="t")
        assert view["created"] is True
        await run.settle()
        assert _venue(run)[refused] is OrderStatus.NEW  # sent now, once
        await run.svc.stop()

    run_virtual(scenario())


def test_halt_at_the_end_of_day_the_archive_waits_for_the_restart(fast_dir: Path) -> None:
    async def scenario() -> None:
        run = await _boot_with_resting_orders(fast_dir)
        day = run.clock.now().date()
        refused, release = await _halt(run, "read-only")
        orders = run.svc.bus.subscribe(kinds=frozenset({"order", "fill"}))
        # The afternoon fills some, the close expires the rest: all of it followed, unjournaled.
        await run.sim.advance_to(datetime.combine(day, time(15, 0, 10), CST))
        await run.settle()
        venue = _venue(run)
        resting = {f"r{n}" for n in range(RESTING)}
        assert {venue[c] for c in resting} <= {OrderStatus.FILLED, OrderStatus.EXPIRED}
        last = {}
        for msg in _drained(orders):
            last[msg.data["client_order_id"]] = msg.data["status"]
        assert last == {c: venue[c].value for c in resting}
        with pytest.raises(ActionDeferred):  # tried again every minute
            await run.svc.end_of_day(day)
        assert not run.svc.is_archived(day)  # not from a journal that lacks the day's end
        codes = [code for code, _ in run.alerts]
        assert (codes.count("JOURNAL_ERROR"), codes.count("ARCHIVE_FAILED")) == (1, 1)
        await run.svc.stop()
        release()
        await run.boot(build_service(run.config(), run.clock))
        await run.svc.end_of_day(day)
        assert run.svc.is_archived(day)
        archived = read_archive(run.folder / "data" / "archive" / day.isoformat()).orders
        assert {str(r["client_order_id"]): r["status"] for r in archived} == last
        # The unsent order is in no archive: for the journal it never existed.
        assert refused not in {str(r["client_order_id"]) for r in archived}
        await run.svc.stop()

    run_virtual(scenario())


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_halt_when_the_disk_takes_writes_again_a_resume_lifts_it_with_nothing_missing(
    fast_dir: Path, fault: str
) -> None:
    async def scenario() -> None:
        run = await _boot_with_resting_orders(fast_dir)
        refused, release = await _halt(run, fault)
        await run.svc.cancel(ACC, "r0", actor="t")  # the venue's answers: not journaled yet
        await run.sim.advance_to(run.clock.now() + timedelta(minutes=20))
        await run.settle()
        with pytest.raises(GatewayError) as still:  # the journal still cannot write
            await run.svc.set_trading_state(None, "ACTIVE", actor="ops")
        assert still.value.code == "JOURNAL_ERROR"
        assert not run.svc.core.accepting
        held = run.svc.core.journal.held_events
        assert held > 0
        says = f"journal not writable ({held} events held for it)"
        assert any(says in r for r in run.svc.readiness()[1])
        release()

        record = await run.svc.set_trading_state(None, "ACTIVE", actor="ops")

        assert record["resumed_engine"] is True
        assert run.svc.core.accepting
        codes = [code for code, _ in run.alerts]
        assert (codes.count("JOURNAL_ERROR"), codes.count("JOURNAL_RECOVERED")) == (1, 1)
        assert not any("journal" in r for r in run.svc.readiness()[1])
        view = await run.svc.submit(order_in(70, marketable=True), actor="t")
        assert view["created"] is True
        await run.settle()
        assert _agrees_with_venue(run) is None
        refused_order = run.svc.core.state.book.get(ACC, refused)
        assert refused_order is not None
        assert refused_order.status is OrderStatus.REJECTED  # not sent; its id stays used
        live = order_snapshot(run.svc)
        await run.svc.stop()
        # The journal holds the halt's events too: a replay, with no venue, is the same.
        replayed = build_service(run.config(), run.clock)
        try:
            assert order_snapshot(replayed) == live
            state = replayed.core.state
            assert check_ledger(state.ledger, run.sim.exchange, ACC, state.book) is None
        finally:
            replayed.core.journal.close()  # type: ignore[attr-defined]

    run_virtual(scenario())


def test_halt_when_the_disk_is_back_by_the_stop_the_stop_writes_what_was_held(
    fast_dir: Path,
) -> None:
    async def scenario() -> None:
        run = await _boot_with_resting_orders(fast_dir)
        refused, release = await _halt(run, "read-only")
        await run.svc.cancel(ACC, "r1", actor="t")
        await run.settle()
        release()  # the disk is back, and the operator restarts rather than resumes
        live = order_snapshot(run.svc)
        await run.svc.stop()

        replayed = build_service(run.config(), run.clock)
        try:
            assert order_snapshot(replayed) == live
            r1 = replayed.core.state.book.get(ACC, ClientOrderId("r1"))
            assert r1 is not None
            assert r1.status is OrderStatus.CANCELED
            unsent = replayed.core.state.book.get(ACC, refused)
            assert unsent is not None
            assert unsent.status is OrderStatus.REJECTED  # journaled now: not sent, id used
        finally:
            replayed.core.journal.close()  # type: ignore[attr-defined]

    run_virtual(scenario())


def test_halt_at_the_end_of_day_a_resume_lets_the_deferred_close_archive_the_day(
    fast_dir: Path,
) -> None:
    async def scenario() -> None:
        run = await _boot_with_resting_orders(fast_dir)
        day = run.clock.now().date()
        refused, release = await _halt(run, "disk-full")
        await run.sim.advance_to(datetime.combine(day, time(15, 0, 10), CST))
        await run.settle()
        with pytest.raises(ActionDeferred):
            await run.svc.end_of_day(day)
        venue = _venue(run)
        release()
        await run.svc.set_trading_state(None, "ACTIVE", actor="ops")

        await run.svc.end_of_day(day)  # the deferred close, as the scheduler retries it

        assert run.svc.is_archived(day)
        archived = read_archive(run.folder / "data" / "archive" / day.isoformat()).orders
        statuses = {str(r["client_order_id"]): r["status"] for r in archived}
        assert {c: statuses[c] for c in (f"r{n}" for n in range(RESTING))} == {
            c: venue[ClientOrderId(c)].value for c in (f"r{n}" for n in range(RESTING))
        }
        assert statuses[refused] == "REJECTED"  # journaled on the resume: not sent
        await run.svc.stop()

    run_virtual(scenario())
