"""The composition root's ``[venues.sim]`` table: what it accepts and refuses."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.clock import CST, SimClock
from ashare_exec.config import AccountConfig, GatewayConfig
from ashare_exec.engine.node import build_service
from ashare_exec.errors import ConfigError
from ashare_exec.model import AccountId

ACC = AccountId("paper")


def _config(tmp_path: Path, sim: dict[str, Any]) -> GatewayConfig:
    return GatewayConfig(
        data_dir=tmp_path / "data",
        log_dir=tmp_path / "logs",
        accounts=(AccountConfig(ACC, "sim", Decimal(1_000_000), {}),),
        venues={"sim": sim},
    )


def _clock() -> SimClock:
    return SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))


def test_sim_when_t1_release_at_set_the_simulated_broker_releases_then(tmp_path: Path) -> None:
    svc = build_service(_config(tmp_path, {"t1_release_at": "20:00"}), _clock())
    try:
        exchange = svc.core.accounts[ACC].venue.exchange  # type: ignore[attr-defined]
        assert exchange.config.t1_release_at == time(20, 0)
    finally:
        svc.core.journal.close()


@pytest.mark.parametrize(
    ("sim", "match"),
    [
        ({"t1_release_at": "15:00"}, "after 15:30"),
        ({"t1_release_at": 2000}, "after 15:30"),
        ({"t1_release_at": "8pm"}, "after 15:30"),
        ({"release": "20:00"}, r"unknown keys \['release'\] \(allowed: faults, seed, t1_release"),
    ],
)
def test_sim_when_settings_invalid_config_error(
    tmp_path: Path, sim: dict[str, Any], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        build_service(_config(tmp_path, sim), _clock())
