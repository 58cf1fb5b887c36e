"""The composition root's metrics: ``trading_halted`` says what the service refuses, read at
each scrape (the Prometheus rule ``AshareTradingHalted`` pages on it)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ashare_exec.api.schemas import OrderIn
from ashare_exec.clock import CST, SimClock
from ashare_exec.config import AccountConfig, GatewayConfig
from ashare_exec.engine.node import build_service
from ashare_exec.engine.service import ExecutionService
from ashare_exec.model import AccountId

ACC = AccountId("paper")


def _config(tmp_path: Path, **extra: Any) -> GatewayConfig:
    return GatewayConfig(
        data_dir=tmp_path / "data",
        log_dir=tmp_path / "logs",
        accounts=(AccountConfig(ACC, "sim", Decimal(1_000_000), {}),),
        **extra,
    )


def _clock() -> SimClock:
    return SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))


def _samples(svc: ExecutionService, name: str) -> dict[str, float]:
    """``labels -> value`` of one labelled metric, as scraped."""
    text = svc.metrics_exposition()[0].decode()
    rows = re.findall(rf"^ashare_exec_{name}\{{([^}}]*)\}} (\S+)$", text, re.M)
    return {labels: float(value) for labels, value in rows}


def _halted(svc: ExecutionService) -> dict[str, float]:
    """``trading_halted`` by account."""
    samples = _samples(svc, "trading_halted").items()
    return {labels.removeprefix('account="').removesuffix('"'): v for labels, v in samples}


async def test_trading_halted_follows_the_kill_switches_and_the_engines_own_halt(
    tmp_path: Path,
) -> None:
    clock = _clock()
    svc = build_service(_config(tmp_path), clock)
    try:
        assert _halted(svc) == {"*": 0.0, "paper": 0.0}
        await svc.set_trading_state(ACC, "HALTED", actor="ops")
        assert _halted(svc) == {"*": 0.0, "paper": 1.0}
        await svc.set_trading_state(ACC, "ACTIVE", actor="ops")
        await svc.set_trading_state(None, "HALTED", actor="ops")
        assert _halted(svc) == {"*": 1.0, "paper": 1.0}  # the global switch covers the account
        await svc.set_trading_state(None, "ACTIVE", actor="ops")
        assert _halted(svc) == {"*": 0.0, "paper": 0.0}
        svc.core.check_clock(clock.now() - timedelta(seconds=5))  # the clock went back
        assert svc.core.halt_reason == "clock"
        assert _halted(svc) == {"*": 1.0, "paper": 0.0}
    finally:
        svc.core.journal.close()  # type: ignore[attr-defined]


async def test_a_tripped_breaker_each_reconcile_and_the_journals_pace_are_measured(
    tmp_path: Path,
) -> None:
    config = _config(
        tmp_path,
        risk={"max_consecutive_rejections": 2},
        venues={"sim": {"faults": {"reject_rate": 1.0}}},  # the counter refuses everything
    )
    svc = build_service(config, _clock())
    assert svc.observer is not None
    raised: list[Any] = []
    svc.observer.alerts.subscribe(raised.append)
    await svc.start()
    try:
        assert _samples(svc, "reconciliation_runs_total") == {
            'account="paper",trigger="start"': 1.0
        }
        for n in range(2):
            body = OrderIn(account_id=ACC, symbol="600000.SH", side="BUY", qty=100,
                           price=Decimal("9.90"), client_order_id=f"b{n}")  # fmt: skip
            await svc.submit(body, actor="t")
            for _ in range(3):
                await asyncio.sleep(0)
                await svc.core.drain()

        assert svc.pretrade.trading_state(ACC) == "HALTED"
        assert _samples(svc, "risk_breaker_trips_total") == {
            'account="paper",breaker="rejection_breaker"': 1.0
        }
        assert _halted(svc)["paper"] == 1.0
        # Paged once, by the risk_breaker rule, with the risk engine's reason.
        fired = [a for a in raised if a.code == "RISK_BREAKER_FIRED"]
        assert [(a.account, a.labels["breaker"]) for a in fired] == [("paper", "rejection_breaker")]
        assert "consecutive rejections" in fired[0].message
        assert "TRADING_HALTED" not in [a.code for a in raised]  # not a second page for it
        # The journal's pace: each group commit timed; the lag read once a second.
        text = svc.metrics_exposition()[0].decode()
        commits = re.search(
            r"^ashare_exec_journal_commit_duration_seconds_count (\S+)$", text, re.M
        )
        assert commits is not None
        assert float(commits.group(1)) >= 2  # at least the two orders' submits
        assert svc.observer is not None
        svc.observer.tick()
        lag = re.search(
            r"^ashare_exec_journal_lag_seconds (\S+)$", svc.metrics_exposition()[0].decode(), re.M
        )
        assert lag is not None
        assert float(lag.group(1)) == 0.0  # nothing waits for the disk now
        svc.observer.journal_lag = lambda: 7.0  # a disk that stalls (the rule's limit: 5 s)
        svc.observer.tick()
        assert "ashare_exec_journal_lag_seconds 7.0" in svc.metrics_exposition()[0].decode()
        assert "JOURNAL_LAG" in [a.code for a in raised]
    finally:
        await svc.stop()


async def test_a_restart_in_the_day_goes_on_counting_orders_and_cancels_from_where_it_was(
    tmp_path: Path,
) -> None:
    config, clock = _config(tmp_path), _clock()
    first = build_service(config, clock)
    await first.start()
    for n in range(2):
        body = OrderIn(account_id=ACC, symbol="600000.SH", side="BUY", qty=100,
                       price=Decimal("9.50"), client_order_id=f"r{n}")  # fmt: skip
        await first.submit(body, actor="t")
    await first.cancel(ACC, "r0", actor="t")
    before = _samples(first, "orders_cancels_today")
    await first.stop()

    again = build_service(config, clock)
    await again.start()
    try:
        assert before == {'account="paper"': 3.0}
        assert _samples(again, "orders_cancels_today") == before
    finally:
        await again.stop()
