"""The composition root's stream: ``[api] stream_replay`` bounds how many messages a
resume (``/v1/stream?from_seq=``) can replay, and so the memory they take."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from ashare_exec.clock import CST, SimClock
from ashare_exec.config import AccountConfig, ApiConfig, GatewayConfig
from ashare_exec.engine.node import build_service
from ashare_exec.model import AccountId


async def test_a_resume_from_before_the_kept_messages_is_told_of_the_gap(tmp_path: Path) -> None:
    config = GatewayConfig(
        data_dir=tmp_path / "data",
        log_dir=tmp_path / "logs",
        accounts=(AccountConfig(AccountId("paper"), "sim", Decimal(1_000_000), {}),),
        api=dataclasses.replace(ApiConfig(), stream_replay=3),
    )
    svc = build_service(config, SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST)))
    try:
        first = svc.bus.last_seq
        for i in range(5):
            svc.bus.publish("alert", "", {"n": i})

        sub = svc.bus.subscribe(from_seq=first)
        got = [sub.queue.get_nowait() for _ in range(sub.queue.qsize())]

        assert got[0].kind == "gap"
        assert got[0].data["oldest_kept"] == first + 3
        assert [m.data["n"] for m in got[1:]] == [2, 3, 4]
    finally:
        svc.core.journal.close()  # type: ignore[attr-defined]
