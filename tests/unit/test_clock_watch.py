"""The clock's drift while the service runs (``engine/clock_watch.py``), against local UDP
SNTP responders (``startup_kit``), and its wiring in ``serve`` (``engine/runner.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.clock import WallClock
from ashare_exec.config import AccountConfig, ChecksConfig, GatewayConfig
from ashare_exec.engine.clock_watch import measure_drift
from ashare_exec.engine.node import build_service
from ashare_exec.engine.runner import _watch_clock
from tests.unit.startup_kit import FAST, SILENT


async def test_measure_drift_when_a_server_answers_hands_over_our_clock_minus_its(
    ntp: Callable[..., Any],
) -> None:
    server, _ = await ntp(0.3)  # the server's clock 0.3 s ahead: ours is behind
    heard: list[float] = []

    drift = await measure_drift([server], FAST, heard.append)

    assert drift == pytest.approx(-0.3, abs=0.05)
    assert heard == [drift]


async def test_measure_drift_when_no_server_answers_changes_nothing(
    ntp: Callable[..., Any],
) -> None:
    server, _ = await ntp(None)  # a responder that never answers
    heard: list[float] = []

    assert await measure_drift([server], SILENT, heard.append) is None
    assert heard == []


async def test_serve_watches_the_clock_every_interval_into_the_gauge_and_the_alert_rule(
    ntp: Callable[..., Any], tmp_path: Path
) -> None:
    server, _ = await ntp(0.8)  # past the CLOCK_DRIFT rule's warning (0.5 s)
    config = GatewayConfig(
        data_dir=tmp_path / "data",
        log_dir=tmp_path / "logs",
        accounts=(AccountConfig("paper", "sim", Decimal(1_000_000), {}),),
    )
    config = dataclasses.replace(
        config, checks=ChecksConfig(ntp_servers=(server,), ntp_interval_s=0.05)
    )
    clock = WallClock()
    svc = build_service(config, clock)
    assert svc.observer is not None
    raised: list[Any] = []
    svc.observer.alerts.subscribe(raised.append)
    try:
        _watch_clock(config, clock, svc)
        for _ in range(100):
            await asyncio.sleep(0.05)
            if raised:
                break
        text = svc.metrics_exposition()[0].decode()
        gauge = re.search(r"^ashare_exec_clock_drift_seconds (\S+)$", text, re.M)
        assert gauge is not None
        assert float(gauge.group(1)) == pytest.approx(-0.8, abs=0.1)  # ours behind
        assert "CLOCK_DRIFT" in [a.code for a in raised]
    finally:
        for task in svc._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        svc.core.journal.close()  # type: ignore[attr-defined]
