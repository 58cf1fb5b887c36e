"""check_duplicate: the same order repeated N times within T seconds."""

from __future__ import annotations

import pytest
from risk_helpers import T0, ctx

from ashare_exec.risk.checks import check_duplicate

NOW = T0.timestamp()


@pytest.mark.parametrize(
    ("ages", "ok"),
    [
        ((), True),
        ((0.5, 0.2), True),  # two earlier, max 3
        ((0.9, 0.5, 0.2), False),  # fourth identical in 1 s
        ((1.0, 0.5, 0.2), True),  # boundary: 1.0 s old has left the window
    ],
)
def test_duplicate_when_identical_orders_in_window_denies_over_max(
    ages: tuple[float, ...], ok: bool
) -> None:
    c = ctx(
        duplicate_times=[NOW - a for a in ages],
        limits={"duplicate_max": 3, "duplicate_window_s": 1.0},
    )

    r = check_duplicate(c)

    assert r.ok is ok
    assert r.reason_code == (None if ok else "DUPLICATE_ORDER")
