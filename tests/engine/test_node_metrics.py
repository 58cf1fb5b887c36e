"""The composition root's metrics: ``trading_halted`` says what the service refuses, read at
each scrape (the Prometheus rule ``AshareTradingHalted`` pages on it)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ashare_exec.clock import CST, SimClock
from ashare_exec.config import AccountConfig, GatewayConfig
from ashare_exec.engine.node import build_service
from ashare_exec.engine.service import ExecutionService
from ashare_exec.model import AccountId

ACC = AccountId("paper")


def _halted(svc: ExecutionService) -> dict[str, float]:
    text = svc.metrics_exposition()[0].decode()
    rows = re.findall(r'^ashare_exec_trading_halted\{account="([^"]*)"\} (\S+)$', text, re.M)
    return {account: float(value) for account, value in rows}


async def test_trading_halted_follows_the_kill_switches_and_the_engines_own_halt(
    tmp_path: Path,
) -> None:
    config = GatewayConfig(
        data_dir=tmp_path / "data",
        log_dir=tmp_path / "logs",
        accounts=(AccountConfig(ACC, "sim", Decimal(1_000_000), {}),),
    )
    clock = SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
    svc = build_service(config, clock)
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
