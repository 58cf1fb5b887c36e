"""Resource faults (issue 10 item 4): the journal cannot write, the clock jumps.

Trading must halt safely — new orders refused with ``TRADING_HALTED`` and a ``JOURNAL_ERROR``
alert — and nothing already acknowledged may be lost: a fresh service on the same folder
replays every acknowledged order with the state it had.

The faults are injected on the journal's own SQLite connection (the test runs as any
user, possibly root, for whom file permissions do not apply): ``PRAGMA max_page_count``
for a full disk, ``PRAGMA query_only`` for a read-only journal, and a second connection
holding ``BEGIN EXCLUSIVE`` for a locked database.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.api.schemas import OrderIn
from ashare_exec.engine.node import build_service
from ashare_exec.errors import GatewayError
from ashare_exec.model import ClientOrderId, OrderStatus
from tests.reliability.dst_checks import order_snapshot
from tests.reliability.dst_harness import ACC, DstRun
from tests.reliability.vloop import VirtualTimeLoop


@pytest.fixture
def fast_dir(tmp_path: Path) -> Iterator[Path]:
    shm = Path("/dev/shm")
    if shm.is_dir():
        with tempfile.TemporaryDirectory(dir=shm) as d:
            yield Path(d)
    else:
        yield tmp_path


def _run(coro: Any) -> Any:
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(coro)


def _order(n: int, *, marketable: bool) -> OrderIn:
    price = Decimal("10.20") if marketable else Decimal("9.80")
    return OrderIn(
        account_id=ACC, symbol="600000.SH", side="BUY", qty=100, price=price,
        client_order_id=f"r{n}",
    )  # fmt: skip


def _journal_conn(run: DstRun) -> sqlite3.Connection:
    conn: sqlite3.Connection = run.svc.core.journal._conn  # type: ignore[attr-defined]
    return conn


def _fill_disk(run: DstRun) -> Callable[[], None]:
    conn = _journal_conn(run)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    return lambda: None


def _read_only(run: DstRun) -> Callable[[], None]:
    _journal_conn(run).execute("PRAGMA query_only = ON")
    return lambda: None


def _locked(run: DstRun) -> Callable[[], None]:
    _journal_conn(run).execute("PRAGMA busy_timeout = 50")  # fail fast instead of after 5 s
    other = sqlite3.connect(str(run.folder / "data" / "journal.sqlite3"), isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")

    def release() -> None:
        other.execute("ROLLBACK")
        other.close()

    return release


FAULTS: dict[str, Callable[[DstRun], Callable[[], None]]] = {
    "disk-full": _fill_disk,
    "read-only": _read_only,
    "locked": _locked,
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_journal_when_it_cannot_write_trading_halts_and_nothing_acked_is_lost(
    fast_dir: Path, fault: str
) -> None:
    async def scenario() -> None:
        run = DstRun(1, fast_dir)
        run.faults = {}
        await run.boot()
        acked: list[ClientOrderId] = []
        for n in range(6):
            view = await run.svc.submit(_order(n, marketable=n % 2 == 0), actor="t")
            acked.append(ClientOrderId(view["client_order_id"]))
        await run.settle()
        release = FAULTS[fault](run)
        refusals: list[str] = []
        for n in range(6, 400):  # a full disk may still take a few rows in free pages
            try:
                await run.svc.submit(_order(n, marketable=False), actor="t")
            except GatewayError as e:
                refusals.append(e.code)
                break
            acked.append(ClientOrderId(f"r{n}"))
        with pytest.raises(GatewayError) as again:
            await run.svc.submit(_order(999, marketable=False), actor="t")
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

    _run(scenario())


def test_clock_when_it_jumps_forward_over_lunch_acked_orders_survive_replay(
    fast_dir: Path,
) -> None:
    async def scenario() -> None:
        run = DstRun(2, fast_dir)
        run.faults = {}
        await run.boot()
        for n in range(4):
            await run.svc.submit(_order(n, marketable=n % 2 == 0), actor="t")
        await run.settle()
        run.clock.set(run.clock.now() + timedelta(hours=3))  # 09:31 -> 12:31, lunch break
        await run.settle(2.0)
        try:
            view = await run.svc.submit(_order(10, marketable=False), actor="t")
            outcome = view["status"]
        except GatewayError as e:
            outcome = e.code
        assert outcome in ("DENIED", "REJECTED", "PENDING_NEW", "NEW", "TRADING_HALTED")
        await run.svc.stop()
        live = order_snapshot(run.svc)
        replayed = build_service(run.config(), run.clock)
        try:
            assert order_snapshot(replayed) == live
        finally:
            replayed.core.journal.close()  # type: ignore[attr-defined]

    _run(scenario())


def test_clock_when_it_jumps_backwards_trading_halts_with_alert(fast_dir: Path) -> None:
    async def scenario() -> None:
        run = DstRun(2, fast_dir)
        run.faults = {}
        await run.boot()
        await run.svc.submit(_order(0, marketable=False), actor="t")
        await run.settle()
        run.clock.set(run.clock.now() - timedelta(minutes=30))
        await run.settle(2.0)
        try:
            with pytest.raises(GatewayError) as refused:
                await run.svc.submit(_order(1, marketable=False), actor="t")
            assert refused.value.code == "TRADING_HALTED"
            assert any(code.startswith("CLOCK") for code, _ in run.alerts)
        finally:
            await run.svc.stop()
        order = run.svc.core.state.book.get(ACC, ClientOrderId("r0"))
        assert order is not None
        assert order.status is OrderStatus.NEW

    _run(scenario())
