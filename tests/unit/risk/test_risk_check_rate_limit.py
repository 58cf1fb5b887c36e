"""check_rate_limit: orders + cancels per second, per account and globally."""

from __future__ import annotations

import pytest
from risk_helpers import ctx

from ashare_exec.risk.checks import check_rate_limit


@pytest.mark.parametrize(
    ("account_n", "global_n", "ok"),
    [(19, 0, True), (20, 0, False), (0, 49, True), (0, 50, False)],
)
def test_rate_limit_when_window_full_denies(account_n: int, global_n: int, ok: bool) -> None:
    c = ctx(
        msgs_last_second=account_n,
        global_msgs_last_second=global_n,
        global_max_msgs_per_second=50,
        limits={"max_msgs_per_second": 20},
    )

    r = check_rate_limit(c)

    assert r.ok is ok
    assert r.reason_code == (None if ok else "RATE_LIMITED")
