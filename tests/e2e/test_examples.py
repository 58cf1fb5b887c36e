"""The shipped example strategy runs against the service and reaches its targets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import TOKEN, Service

ROOT = Path(__file__).resolve().parents[2]


def test_rebalance_example_moves_the_account_to_target_weights(service: Service) -> None:
    env = dict(os.environ, ASHARE_EXEC_TOKEN=TOKEN)
    args = [
        sys.executable,
        str(ROOT / "examples" / "rebalance.py"),
        "--url",
        service.url,
        "--account",
        "paper",
        "--target",
        "600000.SH=0.05",
        "--target",
        "000001.SZ=0.02",
    ]
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert all("FILLED" in line for line in lines)
    with service.client() as c:
        pos = {p["symbol"]: p["total_qty"] for p in c.positions("paper")}
    # 10,000 shares of 600000.SH held at the start; about 5% of ~CNY 1.1m is ~5,500 shares.
    assert 4000 < pos["600000.SH"] < 7000
    assert 1000 < pos["000001.SZ"] < 3000
    # Running it again sends nothing new: the client order ids are deterministic.
    again = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0
    with service.client() as c:
        assert len(c.orders("paper")) == 2
