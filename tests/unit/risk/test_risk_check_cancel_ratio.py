"""check_cancel_ratio: no new orders during a cancel-ratio cool-down."""

from __future__ import annotations

import pytest
from risk_helpers import T0, ctx

from ashare_exec.risk.checks import check_cancel_ratio

NOW = T0.timestamp()


@pytest.mark.parametrize(
    ("until", "ok"), [(None, True), (NOW + 1, False), (NOW, True), (NOW - 5, True)]
)
def test_cancel_ratio_when_cooldown_in_force_denies(until: float | None, ok: bool) -> None:
    r = check_cancel_ratio(ctx(cooldown_until=until))

    assert r.ok is ok
    assert r.reason_code == (None if ok else "CANCEL_RATIO_LIMIT")
