"""check_gross_exposure: market value + working buys + this buy within the cap."""

from __future__ import annotations

from decimal import Decimal

import pytest
from risk_helpers import StubView, ctx, order

from ashare_exec.model import Side
from ashare_exec.risk.checks import check_gross_exposure

VIEW = StubView(mv=Decimal(50_000), frozen=Decimal(9_000), eq=Decimal(100_000))


@pytest.mark.parametrize(
    ("limits", "side", "ok"),
    [
        ({"max_gross_exposure": "60000"}, Side.BUY, True),  # 50k + 9k + 1k = cap
        ({"max_gross_exposure": "59999"}, Side.BUY, False),
        ({"max_gross_exposure_pct": "0.6"}, Side.BUY, True),
        ({"max_gross_exposure_pct": "0.5"}, Side.BUY, False),
        ({"max_gross_exposure": "1"}, Side.SELL, True),
        ({}, Side.BUY, True),
    ],
)
def test_gross_exposure_when_cap_varies_denies_over_cap(
    limits: dict[str, object], side: Side, ok: bool
) -> None:
    r = check_gross_exposure(ctx(order(side=side), limits=limits, view=VIEW))

    assert r.ok is ok
    assert r.reason_code == (None if ok else "EXPOSURE_LIMIT")
