"""Crash test (issue 4): SIGKILL the real service under load, restart, check every invariant.

The short CI version; ``scripts/crash_soak.py --cycles N --seed S`` runs the long one.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ashare_exec.model import InstrumentId, OrderStatus
from ashare_exec.venues.sim.accounts import Account, Holding
from tests.reliability.crash_harness import (
    CrashSoak,
    Violation,
    check_ledger_matches_venue,
    check_no_order_lost,
    check_orders_match_venue,
    check_sent_at_most_once,
)

CI_LIVES = 5


def test_gateway_when_sigkilled_under_load_loses_nothing_and_matches_venue(
    tmp_path: Path,
) -> None:
    soak = CrashSoak(tmp_path / "gw", seed=20261125)
    for life in range(CI_LIVES):
        soak.run_life(life)
    final = soak.run_life(CI_LIVES, kill=False)  # checks, then a graceful stop
    assert sum(r.answered for r in soak.lives) > 20
    assert final.orders_checked >= len(soak.answered)


def test_gateway_in_fast_durability_when_sigkilled_loses_nothing_and_matches_venue(
    tmp_path: Path,
) -> None:
    # fast = commits without fsync: a process kill must still lose nothing (the OS has it)
    soak = CrashSoak(tmp_path / "gw", seed=20261126, durability="fast")
    for life in range(3):
        soak.run_life(life)
    final = soak.run_life(3, kill=False)
    assert sum(r.answered for r in soak.lives) > 10
    assert final.orders_checked >= len(soak.answered)


# ---- the checks themselves must be able to fail ------------------------------------------------

BODY = {"symbol": "600000.SH", "side": "BUY", "qty": 100, "price_type": "LIMIT", "price": "10.00"}


def _view(**over: Any) -> dict[str, Any]:
    return {**BODY, "status": "NEW", "filled_qty": 0, "reasons": [], **over}


def _venue(status: OrderStatus = OrderStatus.NEW, filled: int = 0) -> Any:
    order = SimpleNamespace(
        account_id="paper", client_order_id="a1", status=status, filled_qty=filled
    )
    acct = Account(
        "paper",  # type: ignore[arg-type]
        Decimal("100"),
        Decimal("5"),
        {InstrumentId.parse("600000.SH"): Holding(200, 100, 0, Decimal("2000"))},
    )
    return SimpleNamespace(orders=[order], accounts=[acct])


@pytest.mark.parametrize(
    ("orders", "expect"),
    [
        ({"a1": _view()}, None),
        ({}, "lost"),
        ({"a1": _view(qty=200)}, "qty"),
        ({"a1": _view(price="10.01")}, "price"),
    ],
    ids=["same", "missing", "qty-changed", "price-changed"],
)
def test_check_no_order_lost_when_order_missing_or_changed_raises(
    orders: dict[str, Any], expect: str | None
) -> None:
    if expect is None:
        check_no_order_lost({"a1": BODY}, orders, "t")
        return
    with pytest.raises(Violation, match=expect):
        check_no_order_lost({"a1": BODY}, orders, "t")


def test_check_sent_at_most_once_when_logged_twice_raises(tmp_path: Path) -> None:
    line = '{"action": "send_sent", "client_order_id": "a1"}\n'
    (tmp_path / "ashare-exec.jsonl").write_text(line, encoding="utf-8")
    (tmp_path / "ashare-exec.jsonl.1").write_text(line + '{"action": "send_', encoding="utf-8")
    with pytest.raises(Violation, match="sent to the venue 2 times"):
        check_sent_at_most_once(tmp_path, {}, "t")


def test_check_sent_at_most_once_when_duplicate_id_rejection_raises(tmp_path: Path) -> None:
    orders = {"a1": _view(status="REJECTED", reasons=["DUPLICATE_CLIENT_ORDER_ID"])}
    with pytest.raises(Violation, match="DUPLICATE_CLIENT_ORDER_ID"):
        check_sent_at_most_once(tmp_path, orders, "t")


@pytest.mark.parametrize(
    ("orders", "venue", "expect"),
    [
        ({"a1": _view()}, _venue(), None),
        ({"a1": _view()}, _venue(OrderStatus.FILLED, 100), "at the venue"),
        ({"a1": _view(), "b2": _view(status="PENDING_NEW")}, _venue(), "never got it"),
        ({"a1": _view(), "b2": _view(status="REJECTED")}, _venue(), None),
        ({}, _venue(), "unknown to the gateway"),
    ],
    ids=["same", "status-differs", "pending-not-at-venue", "rejected-not-at-venue", "unknown"],
)
def test_check_orders_match_venue_when_views_differ_raises(
    orders: dict[str, Any], venue: Any, expect: str | None
) -> None:
    if expect is None:
        check_orders_match_venue(orders, venue, "t")
        return
    with pytest.raises(Violation, match=expect):
        check_orders_match_venue(orders, venue, "t")


@pytest.mark.parametrize(
    ("positions", "cash", "expect"),
    [
        ({"600000.SH": {"total_qty": 200, "sellable_qty": 100}}, ("100", "5"), None),
        ({"600000.SH": {"total_qty": 300, "sellable_qty": 100}}, ("100", "5"), "position"),
        ({}, ("100", "5"), "position"),
        ({"600000.SH": {"total_qty": 200, "sellable_qty": 100}}, ("101", "5"), "cash"),
    ],
    ids=["same", "qty-differs", "position-missing", "cash-differs"],
)
def test_check_ledger_matches_venue_when_figures_differ_raises(
    positions: dict[str, Any], cash: tuple[str, str], expect: str | None
) -> None:
    account = {"cash": {"available": cash[0], "frozen": cash[1]}}
    if expect is None:
        check_ledger_matches_venue(positions, account, _venue(), "t")
        return
    with pytest.raises(Violation, match=expect):
        check_ledger_matches_venue(positions, account, _venue(), "t")
