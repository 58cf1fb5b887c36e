"""check_symbol_lists: black/white lists and the ST / delisting buy blocks."""

from __future__ import annotations

from datetime import date

import pytest
from risk_helpers import ctx, inst, order

from ashare_exec.model import Side
from ashare_exec.risk.checks import check_symbol_lists


@pytest.mark.parametrize(
    ("limits", "instrument_kw", "side", "expected"),
    [
        ({}, {}, Side.BUY, None),
        ({"blacklist": ["600000.sh"]}, {}, Side.BUY, "BLACKLISTED"),
        ({"blacklist": ["600000.SH"]}, {}, Side.SELL, "BLACKLISTED"),
        ({"whitelist": ["000001.SZ"]}, {}, Side.BUY, "NOT_WHITELISTED"),
        ({"whitelist": ["600000.SH"]}, {}, Side.BUY, None),
        ({"block_st_buys": True}, {"is_st": True}, Side.BUY, "BLACKLISTED"),
        ({"block_st_buys": True}, {"is_st": True}, Side.SELL, None),
        ({"block_st_buys": False}, {"is_st": True}, Side.BUY, None),
        ({}, {"delisting_start": date(2026, 11, 25)}, Side.BUY, "BLACKLISTED"),  # first day
        ({}, {"delisting_start": date(2026, 11, 26)}, Side.BUY, None),  # not yet
        ({"block_delisting_buys": False}, {"delisting_start": date(2026, 11, 1)}, Side.BUY, None),
    ],
)
def test_symbol_lists_when_configured_returns_expected_code(
    limits: dict[str, object], instrument_kw: dict[str, object], side: Side, expected: str | None
) -> None:
    c = ctx(order(side=side), limits=limits, instrument=inst(**instrument_kw))

    r = check_symbol_lists(c)

    assert r.reason_code == expected
    assert r.ok is (expected is None)
