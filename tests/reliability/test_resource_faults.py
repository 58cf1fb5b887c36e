"""Resource faults (issue 10 item 4): the journal cannot write, the clock jumps.

Trading must halt safely — new orders refused with ``TRADING_HALTED`` and a ``JOURNAL_ERROR``
alert — and nothing already acknowledged may be lost: a fresh service on the same folder
replays every acknowledged order with the state it had. The faults are in
``tests/reliability/fault_kit.py``; what the service still does during a journal halt
(cancels, fills) is in ``test_journal_halt.py``.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ashare_exec.engine.node import build_service
from ashare_exec.errors import GatewayError
from ashare_exec.model import ClientOrderId, OrderStatus
from tests.reliability.dst_checks import order_snapshot
from tests.reliability.dst_harness import ACC, DstRun
from tests.reliability.fault_kit import FAULTS, order_in
from tests.reliability.vloop import run_virtual


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_journal_when_it_cannot_write_trading_halts_and_nothing_acked_is_lost(
    fast_dir: Path, fault: str
) -> None:
    async def scenario() -> None:
        run = await DstRun.quiet(1, fast_dir)
        acked: list[ClientOrderId] = []
        for n in range(6):
            view = await run.svc.submit(order_in(n, marketable=n % 2 == 0), actor="t")
            acked.append(ClientOrderId(view["client_order_id"]))
        await run.settle()
        release = FAULTS[fault](run.svc)
        refusals: list[str] = []
        for n in range(6, 400):  # a full disk may still take a few rows in free pages
            try:
                await run.svc.submit(order_in(n, marketable=False), actor="t")
            except GatewayError as e:
                refusals.append(e.code)
                break
            acked.append(ClientOrderId(f"r{n}"))
        with pytest.raises(GatewayError) as again:
            await run.svc.submit(order_in(999, marketable=False), actor="t")
        release()
        assert refusals == ["TRADING_HALTED"]
        assert again.value.code == "TRADING_HALTED"
        assert "JOURNAL_ERROR" in [code for code, _ in run.alerts]
        status = run.svc.status()
        assert status["accepting_orders"] is False
        live = {coid: run.svc.core.state.book.get(ACC, coid) for coid in acked}
        await run.svc.stop()
        replayed = build_service(run.config(), run.clock)
        try:
            for coid, order in live.items():
                got = replayed.core.state.book.get(ACC, coid)
                assert order is not None
                assert got is not None, f"{fault}: acknowledged {coid} lost"
                assert got.spec == order.spec
        finally:
            replayed.core.journal.close()  # type: ignore[attr-defined]

    run_virtual(scenario())


def test_clock_when_it_jumps_forward_over_lunch_acked_orders_survive_replay(
    fast_dir: Path,
) -> None:
    async def scenario() -> None:
        run = await DstRun.quiet(2, fast_dir)
        for n in range(4):
            await run.svc.submit(order_in(n, marketable=n % 2 == 0), actor="t")
        await run.settle()
        run.clock.set(run.clock.now() + timedelta(hours=3))  # 09:31 -> 12:31, lunch break
        await run.settle(2.0)
        view = await run.svc.submit(order_in(10, marketable=False), actor="t")
        outcome = view["status"]
        assert outcome == "DENIED"  # the session gate: MARKET_CLOSED at lunch
        assert view["reasons"] == ["MARKET_CLOSED"]
        await run.svc.stop()
        live = order_snapshot(run.svc)
        replayed = build_service(run.config(), run.clock)
        try:
            assert order_snapshot(replayed) == live
        finally:
            replayed.core.journal.close()  # type: ignore[attr-defined]

    run_virtual(scenario())


def test_clock_when_it_jumps_backwards_trading_halts_with_alert(fast_dir: Path) -> None:
    async def scenario() -> None:
        run = await DstRun.quiet(2, fast_dir)
        await run.svc.submit(order_in(0, marketable=False), actor="t")
        await run.settle()
        run.clock.set(run.clock.now() - timedelta(minutes=30))
        await run.settle(2.0)
        try:
            with pytest.raises(GatewayError) as refused:
                await run.svc.submit(order_in(1, marketable=False), actor="t")
            assert refused.value.code == "TRADING_HALTED"
            assert any(code.startswith("CLOCK") for code, _ in run.alerts)
        finally:
            await run.svc.stop()
        order = run.svc.core.state.book.get(ACC, ClientOrderId("r0"))
        assert order is not None
        assert order.status is OrderStatus.NEW

    run_virtual(scenario())


@pytest.mark.parametrize(("back", "halted"), [(timedelta(minutes=30), True), (timedelta(0), False)])
def test_clock_when_set_back_while_the_service_was_down_the_start_halts_until_resumed(
    fast_dir: Path, back: timedelta, halted: bool
) -> None:
    async def scenario() -> None:
        run = await DstRun.quiet(2, fast_dir)
        await run.svc.submit(order_in(0, marketable=False), actor="t")
        await run.settle()
        await run.svc.stop()
        run.clock.set(run.clock.now() - back)
        await run.boot(build_service(run.config(), run.clock))
        try:
            assert run.svc.core.accepting is not halted
            assert ("CLOCK_JUMPED_BACK" in [code for code, _ in run.alerts]) is halted
            if halted:
                with pytest.raises(GatewayError, match="TRADING_HALTED"):
                    await run.svc.submit(order_in(1, marketable=False), actor="t")
                await run.svc.set_trading_state(None, "ACTIVE", actor="ops")
            view = await run.svc.submit(order_in(1, marketable=False), actor="t")
            assert view["created"] is True
        finally:
            await run.svc.stop()

    run_virtual(scenario())
