"""Crash test (issue 4): SIGKILL the real service under load, restart, check every invariant.

The short CI version; ``scripts/crash_soak.py --cycles N --seed S`` runs the long one.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from ashare_exec.engine.closing import CLOSED_UNSEEN
from ashare_exec.model import InstrumentId, OrderStatus
from ashare_exec.testing.miniqmt import xtquant_available
from ashare_exec.venues.sim.accounts import Account, Holding
from tests.reliability.crash_checks import (
    Violation,
    check_archives_cover,
    check_day_archive,
    check_ledger_matches_venue,
    check_no_order_lost,
    check_orders_match_venue,
    check_sent_at_most_once,
)
from tests.reliability.crash_harness import CrashSoak
from tests.reliability.crash_qmt import QmtVenueState

CI_LIVES = 5
needs_xtquant = pytest.mark.skipif(not xtquant_available(), reason="xtquant is not installed")


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


def test_gateway_killed_across_day_rolls_closes_each_day_and_archives_it_as_the_venue_ended_it(
    tmp_path: Path,
) -> None:
    # Two lives a day: every other start is on the next trading day, after a missed close
    # (and may itself be killed during start-up before the life that checks it).
    soak = CrashSoak(tmp_path / "gw", seed=20261127, day_every=2)
    for life in range(5):
        soak.run_life(life)
    final = soak.run_life(5, kill=False)
    assert len({soak.life_start(n).date() for n in range(6)}) == 3
    assert soak.days_closed == {soak.life_start(0).date(), soak.life_start(2).date()}
    assert final.orders_checked >= 1
    archives = sorted(p.name for p in (tmp_path / "gw" / "data" / "archive").iterdir())
    assert archives == [d.isoformat() for d in sorted(soak.days_closed)]


@needs_xtquant
def test_gateway_on_qmt_when_sigkilled_under_load_loses_nothing_and_matches_the_terminal(
    tmp_path: Path,
) -> None:
    # The QMT adapter and real xtquant against a MiniQMT emulator in its own process: the
    # terminal keeps what the dead gateway sent; each start reconciles against it by remark.
    # This seed also restarts the terminal while the gateway is down before lives 1-3, each
    # time numbering the orders again from the first id with trades left under the old ones
    # (an id then names another order), kills the gateway during two start-ups, and turns
    # on the wait-reporting status and trades pushed before their order's push.
    soak = CrashSoak(tmp_path / "gw", seed=20261501, venue="qmt")
    try:
        for life in range(3):
            soak.run_life(life)
        final = soak.run_life(3, kill=False)
    finally:
        soak.close()
    assert sum(r.answered for r in soak.lives) > 10
    assert final.orders_checked >= len(soak.answered)
    assert any(r.terminal_restarted for r in soak.lives)
    assert any(r.start_killed_after_s for r in soak.lives)
    assert soak.venue_knobs["restart_reuses_ids"]
    assert sum(r.terminal_restarted for r in soak.lives) == 3


@needs_xtquant
def test_gateway_on_qmt_killed_across_days_closes_each_day_as_the_terminal_ended_it(
    tmp_path: Path,
) -> None:
    # Two lives a day. Day one closes at the next start (the gateway was down at the
    # close); day two's last life starts after its close and runs the end of day with the
    # terminal, which lists the orders the close ended as cancelled. Each next morning the
    # terminal lists only the new day's orders. This seed kills three start-ups, and the
    # last two lives start while the terminal is out of reach: the gateway starts anyway
    # and connects once it is back (0.5 and 1.2 s later).
    soak = CrashSoak(tmp_path / "gw", seed=20261127, venue="qmt", day_every=2)
    try:
        for life in range(5):
            soak.run_life(life)
        final = soak.run_life(5, kill=False)
    finally:
        soak.close()
    assert [r.end_of_day for r in soak.lives] == [False, False, False, True, False, False]
    assert soak.days_closed == {soak.life_start(0).date(), soak.life_start(2).date()}
    assert final.orders_checked >= 1
    assert sum(bool(r.start_killed_after_s) for r in soak.lives) >= 3
    assert [bool(r.venue_down_s) for r in soak.lives] == [False] * 4 + [True] * 2
    archives = sorted(p.name for p in (tmp_path / "gw" / "data" / "archive").iterdir())
    assert archives == [d.isoformat() for d in sorted(soak.days_closed)]


# ---- the checks themselves must be able to fail ------------------------------------------------

DAY = date(2026, 11, 25)
BODY = {"symbol": "600000.SH", "side": "BUY", "qty": 100, "price_type": "LIMIT", "price": "10.00"}


def _view(**over: Any) -> dict[str, Any]:
    return {**BODY, "status": "NEW", "filled_qty": 0, "reasons": [], **over}


def _venue(status: OrderStatus = OrderStatus.NEW, filled: int = 0) -> Any:
    order = SimpleNamespace(
        account_id="paper", client_order_id="a1", status=status, filled_qty=filled, day=DAY
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


def _archive(folder: Path, *rows: dict[str, Any]) -> Path:
    folder.mkdir()
    (folder / "manifest.json").write_text("{}", encoding="utf-8")
    lines = [
        json.dumps(
            {
                "account": "paper",
                "client_order_id": "a1",
                "day": DAY.isoformat(),
                "instrument": BODY["symbol"],
                "side": BODY["side"],
                "qty": BODY["qty"],
                "price_type": BODY["price_type"],
                "price": BODY["price"],
                "status": "EXPIRED",
                "filled_qty": 0,
                "reasons": "",
                "message": "",
                **row,
            }
        )
        for row in rows
    ]
    (folder / "orders.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("rows", "venue", "expect"),
    [
        ([{}], _venue(OrderStatus.EXPIRED), None),
        ([{"status": "FILLED"}], _venue(OrderStatus.EXPIRED), "the venue ended it EXPIRED"),
        ([], _venue(OrderStatus.EXPIRED), "lost after restart"),
        ([{"client_order_id": "b2", "status": "REJECTED"}], _venue(), "not in the archive"),
        ([{}, {"client_order_id": "b2"}], _venue(OrderStatus.EXPIRED), "never got it"),
        ([{"message": CLOSED_UNSEEN}], _venue(OrderStatus.FILLED, 100), None),
        (
            [{"message": CLOSED_UNSEEN, "filled_qty": 100}],
            _venue(OrderStatus.PARTIALLY_FILLED, 50),
            "closed unseen",
        ),
        (
            [{}, {"client_order_id": "b2", "message": CLOSED_UNSEEN}],
            _venue(OrderStatus.EXPIRED),
            None,
        ),
        (
            [{}, {"client_order_id": "z9", "day": "2026-11-24", "status": "CANCELED"}],
            _venue(OrderStatus.EXPIRED),
            None,
        ),
    ],
    ids=[
        "same",
        "status-differs",
        "answered-not-archived",
        "venue-order-not-archived",
        "archived-never-sent",
        "closed-unseen-venue-filled-more",
        "closed-unseen-more-fills-than-venue",
        "closed-unseen-never-sent",
        "carried-from-an-earlier-day",
    ],
)
def test_check_day_archive_when_archive_differs_from_venue_raises(
    tmp_path: Path, rows: list[dict[str, Any]], venue: Any, expect: str | None
) -> None:
    folder = _archive(tmp_path / "2026-11-25", *rows)
    # the client got an answer for a1 unless the venue alone has it (a kill before the answer)
    answered = {"a1": BODY} if expect != "not in the archive" else {}
    if expect is None:
        check_day_archive(folder, answered, venue, DAY, "t")
        return
    with pytest.raises(Violation, match=expect):
        check_day_archive(folder, answered, venue, DAY, "t")


def test_check_day_archive_when_day_not_archived_raises(tmp_path: Path) -> None:
    with pytest.raises(Violation, match="not archived"):
        check_day_archive(tmp_path / "2026-11-25", {}, _venue(), DAY, "t")


@pytest.mark.parametrize(
    ("days", "expect"),
    [
        ({"2026-11-25": [1, 2, 3], "2026-11-26": [4, 5]}, None),
        ({"2026-11-25": [1, 2, 3], "2026-11-26": [3, 4]}, None),  # a crash after the rename
        ({"2026-11-25": [1, 2], "2026-11-26": [4, 5]}, "events [3] are in no day archive"),
        ({"2026-11-25": [2, 3]}, "events [1] are in no day archive"),
    ],
    ids=["contiguous", "overlapping", "a-gap", "the-start-missing"],
)
def test_check_archives_cover_when_an_event_is_in_no_archive_raises(
    tmp_path: Path, days: dict[str, list[int]], expect: str | None
) -> None:
    for day, seqs in days.items():
        (tmp_path / day).mkdir()
        lines = "".join(json.dumps({"seq": q, "type": "OrderSubmitted"}) + "\n" for q in seqs)
        (tmp_path / day / "events.jsonl").write_text(lines, encoding="utf-8")

    if expect is None:
        check_archives_cover(tmp_path, "here")
    else:
        with pytest.raises(Violation, match=re.escape(expect)):
            check_archives_cover(tmp_path, "here")


def _snapshot_row(coid: str, remark: str) -> dict[str, object]:
    return {"account_id": "paper", "client_order_id": coid, "remark": remark,
            "status": "FILLED", "filled_qty": 100, "day": DAY.isoformat()}  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "expect"),
    [
        ([_snapshot_row("a1", "a1.XY"), _snapshot_row("b2", "b2.XZ")], None),
        ([_snapshot_row("a1", "a1.XY"), _snapshot_row("a1", "a1.XY")], "reached the terminal 2"),
        ([_snapshot_row("", "junk")], "not ours"),
    ],
    ids=["distinct", "sent-twice", "foreign-remark"],
)
def test_qmt_venue_state_when_terminal_has_order_twice_or_foreign_reports_problem(
    rows: list[dict[str, object]], expect: str | None
) -> None:
    snap = {"orders": rows, "accounts": [{"account_id": "paper", "available": "100",
            "frozen": "5", "holdings": {"600000.SH": [200, 100, 0]}}]}  # fmt: skip
    state = QmtVenueState.from_snapshot(snap)  # type: ignore[arg-type]
    assert [o.status for o in state.orders] == [OrderStatus.FILLED] * len(rows)
    # the shape the ledger check reads
    check_ledger_matches_venue(
        {"600000.SH": {"total_qty": 200, "sellable_qty": 100}},
        {"cash": {"available": "100", "frozen": "5"}}, state, "t",
    )  # fmt: skip
    if expect is None:
        assert state.problems == []
    else:
        assert len(state.problems) == 1
        assert expect in state.problems[0]


def test_qmt_venue_state_reads_an_order_the_close_expired_as_the_terminal_shows_it() -> None:
    # MiniQMT has no "expired": pushed cancelled (54/53), or left reported (50/55) when the
    # terminal does not end orders at the close (the gateway's end of day expires those).
    row = {"account_id": "paper", "remark": "", "filled_qty": 100, "day": "2026-11-25"}
    snap = {"orders": [
        {**row, "client_order_id": "a", "status": "EXPIRED", "terminal_status": 53},
        {**row, "client_order_id": "b", "status": "EXPIRED", "terminal_status": 55},
        {**row, "client_order_id": "c", "status": "REJECTED", "terminal_status": 57},
    ], "accounts": []}  # fmt: skip
    state = QmtVenueState.from_snapshot(snap)  # type: ignore[arg-type]
    assert [o.status for o in state.orders] == [
        OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.REJECTED,
    ]  # fmt: skip
    gateway = {"a": {"status": "CANCELED", "filled_qty": 100},
               "b": {"status": "EXPIRED", "filled_qty": 100},
               "c": {"status": "REJECTED", "filled_qty": 100}}  # fmt: skip
    check_orders_match_venue(gateway, state, "t")
    with pytest.raises(Violation, match="EXPIRED filled 100 in the gateway, CANCELED"):
        check_orders_match_venue({**gateway, "a": {"status": "EXPIRED", "filled_qty": 100}},
                                 state, "t")  # fmt: skip
