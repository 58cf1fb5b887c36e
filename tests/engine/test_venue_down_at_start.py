"""A venue out of reach at start: the service starts without it, refuses its accounts'
orders, keeps connecting in the background, and opens them once the venue is up and
reconciled (``[sessions] wait_for_venues``, on by default); or refuses to start when told."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.api.schemas import OrderIn
from ashare_exec.clock import CST, SimClock
from ashare_exec.config import (
    AccountConfig,
    GatewayConfig,
    JournalConfig,
    SessionConfig,
    default_config,
)
from ashare_exec.engine.node import build_service
from ashare_exec.engine.service import ExecutionService
from ashare_exec.errors import BrokerUnavailable
from ashare_exec.model import AccountId, InstrumentId, OrderStatus, VenueDisconnected
from ashare_exec.observability.alerts import ReconciliationMismatch
from ashare_exec.testing.miniqmt import current_terminal, xtquant_available
from ashare_exec.venues.vnpy.shim import xtp_available

PAPER = AccountId("paper")
PF = InstrumentId.parse("600000.SH")


@dataclasses.dataclass
class Started:
    svc: ExecutionService
    alerts: list[tuple[str, str, str]]
    signals: list[Any]
    attempts: list[str]
    """What each connect attempt did: ``refused`` or ``connected``."""


Start = Callable[..., Awaitable[Started]]


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator[Start]:
    """Start a service whose simulated venue refuses the first ``refusals`` connects."""
    running: list[ExecutionService] = []

    async def run(refusals: int, **sessions: Any) -> Started:
        cfg = dataclasses.replace(
            default_config(),
            data_dir=tmp_path / "data",
            log_dir=tmp_path / "logs",
            accounts=(AccountConfig(PAPER, positions={"600000.SH": 1000}),),
            sessions=SessionConfig(
                venue_retry_s=0.01, venue_retry_max_s=0.04, reconcile_interval_s=3600, **sessions
            ),
        )
        svc = build_service(cfg, SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST)))
        got = Started(svc, [], [], [])
        seen = svc.hooks.on_alert

        def on_alert(severity: str, code: str, message: str, context: dict[str, Any]) -> None:
            got.alerts.append((severity, code, message))
            seen(severity, code, message, context)

        svc.hooks.on_alert = on_alert
        observe = svc.core.on_signal
        svc.core.on_signal = lambda e: (got.signals.append(e), observe(e))  # type: ignore[func-returns-value]
        venue: Any = svc.core.accounts[PAPER].venue
        connect = venue.connect
        left = [refusals]

        async def flaky_connect() -> None:
            # As QMT's adapter answers while the terminal is not running yet.
            if left[0] > 0:
                left[0] -= 1
                got.attempts.append("refused")
                raise BrokerUnavailable("cannot connect to MiniQMT: connect() returned -1")
            await connect()
            got.attempts.append("connected")

        venue.connect = flaky_connect
        running.append(svc)
        await svc.start()
        return got

    yield run
    for svc in running:
        if svc.started:
            await svc.stop()


REAL_VENUES = [
    pytest.param(
        "qmt", {"emulator": True, "heartbeat_interval_s": 0, "backoff_initial_s": 0.05}, id="qmt",
        marks=pytest.mark.skipif(not xtquant_available(), reason="xtquant is not installed"),
    ),
    pytest.param(
        "vnpy", {"emulator": True}, id="vnpy",
        marks=pytest.mark.skipif(not xtp_available(), reason="vnpy_xtp is not installed"),
    ),
]  # fmt: skip


def _order_of(account: str, coid: str, price: Decimal) -> OrderIn:
    return OrderIn(account_id=account, symbol="600000.SH", side="BUY", qty=100,
                   price=price, client_order_id=coid)  # fmt: skip


def _order(coid: str, price: Decimal = Decimal("9.00")) -> OrderIn:
    return _order_of(PAPER, coid, price)


def _metrics(svc: ExecutionService) -> str:
    return svc.hooks.metrics_exposition()[0].decode()


async def _until(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.005)


async def test_start_when_venue_unreachable_starts_without_it_and_refuses_its_orders(
    start: Start,
) -> None:
    got = await start(refusals=10**6)
    svc = got.svc

    assert svc.started
    ready, reasons = svc.readiness()
    assert not ready
    assert any("venue sim not reached since start" in r and "returned -1" in r for r in reasons)
    # Paged as a link that dropped (the venue rule, the venue_up gauge at 0).
    drops = [e for e in got.signals if isinstance(e, VenueDisconnected)]
    assert [d.reason for d in drops] == [
        "not reached at start: cannot connect to MiniQMT: connect() returned -1"
    ]
    assert any(c == "VENUE_DISCONNECTED" and "not reached at start" in m for _, c, m in got.alerts)
    assert 'venue_up{venue="sim"} 0.0' in _metrics(svc)
    started = [m for _, c, m in got.alerts if c == "SERVICE_STARTED"]
    assert len(started) == 1
    assert started[0].startswith("service started; waiting for sim (not reached")
    with pytest.raises(BrokerUnavailable) as refused:
        await svc.submit(_order("early"), actor="test")
    assert refused.value.code == "VENUE_DISCONNECTED"
    assert svc.core.state.book.get(PAPER, "early") is None  # type: ignore[arg-type]
    # It keeps trying, with doubling waits (0.01, 0.02, then 0.04 s at most).
    await _until(lambda: len(got.attempts) >= 6)
    assert set(got.attempts) == {"refused"}
    assert svc.waiting_for == {"sim": "cannot connect to MiniQMT: connect() returned -1"}


async def test_start_when_venue_comes_up_later_reconciles_it_as_a_start_and_opens(
    start: Start,
) -> None:
    got = await start(refusals=3)
    svc = got.svc
    assert not svc.readiness()[0]

    await _until(lambda: svc.readiness()[0])

    assert got.attempts == ["refused", "refused", "refused", "connected"]
    assert svc.waiting_for == {}
    assert 'venue_up{venue="sim"} 1.0' in _metrics(svc)
    assert svc.reconciler.has_reconciled(PAPER)
    # The broker's figures on a brand-new journal are the opening balance, not a drift.
    assert not [e for e in got.signals if isinstance(e, ReconciliationMismatch)]
    assert not {"RECONCILIATION_MISMATCH", "RECONCILE_MISMATCH"} & {c for _, c, _ in got.alerts}
    position = svc.core.state.ledger.position(PAPER, PF)
    assert position is not None
    assert position.total == 1000
    quote = svc.core.quotes(PF)
    assert quote is not None
    assert quote.ask_prices
    await svc.submit(_order("late", quote.ask_prices[0]), actor="test")
    await _until(
        lambda: (
            svc.core.state.book.get(PAPER, "late").status  # type: ignore[arg-type, union-attr]
            is OrderStatus.FILLED
        )
    )


async def test_start_when_venue_is_up_at_once_connects_once_and_says_reconciled(
    start: Start,
) -> None:
    got = await start(refusals=0)

    assert got.attempts == ["connected"]
    assert got.svc.readiness() == (True, [])
    assert [m for _, c, m in got.alerts if c == "SERVICE_STARTED"] == [
        "service started and reconciled"
    ]
    assert "VENUE_DISCONNECTED" not in {c for _, c, _ in got.alerts}
    assert not [e for e in got.signals if isinstance(e, VenueDisconnected)]


async def test_start_when_told_not_to_wait_refuses_to_start_without_the_venue(
    start: Start,
) -> None:
    with pytest.raises(BrokerUnavailable, match="returned -1"):
        await start(refusals=1, wait_for_venues=False)


# ---- the real vendor stacks: MiniQMT not running yet; the XTP server refusing logins ---

ACC = AccountId("55001234")


def _down(svc: ExecutionService, venue: str) -> Callable[[bool], None]:
    """A switch that takes the venue's far end down (``False``) or brings it up."""
    if venue == "qmt":
        terminal = current_terminal()
        assert terminal is not None
        return terminal.set_online
    server = svc.core.accounts[ACC].venue.emulator  # type: ignore[attr-defined]

    def switch(up: bool) -> None:
        server.refuse_login = (
            "" if up else "[XTP:1]connect server failed.[OS:111]Connection refused"
        )

    return switch


@pytest.mark.parametrize(("venue", "table"), REAL_VENUES)
async def test_start_before_the_broker_terminal_trades_once_it_is_up(
    tmp_path: Path, venue: str, table: dict[str, Any]
) -> None:
    config = GatewayConfig(
        data_dir=tmp_path / "data",
        log_dir=tmp_path / "logs",
        accounts=(AccountConfig(ACC, venue, Decimal(1_000_000), {"600000.SH": 10_000}),),
        journal=JournalConfig("fast"),
        sessions=SessionConfig(venue_retry_s=0.05, venue_retry_max_s=0.2),
        venues={venue: table},
    )
    svc = build_service(config, SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST)))
    switch = _down(svc, venue)
    switch(False)
    try:
        await svc.start()
        await asyncio.sleep(0.3)  # a few attempts, all refused
        ready, reasons = svc.readiness()
        assert not ready
        assert any(f"venue {svc.core.accounts[ACC].venue.name} not reached" in r for r in reasons)
        with pytest.raises(BrokerUnavailable):
            await svc.submit(_order_of(ACC, "early", Decimal("9.50")), actor="t")

        switch(True)
        await _until(lambda: svc.readiness()[0], within=10)

        position = svc.core.state.ledger.position(ACC, PF)
        assert position is not None
        assert position.total == 10_000
        view = await svc.submit(_order_of(ACC, "late", Decimal("9.50")), actor="t")
        assert view["status"] != "REJECTED", view
        book = svc.core.state.book
        await _until(
            lambda: book.get(ACC, "late").status is OrderStatus.NEW,  # type: ignore[arg-type, union-attr]
            within=10,
        )
    finally:
        switch(True)
        await svc.stop()
