"""Crash test on XTP: the vn.py adapter and the real vnpy_xtp gateway SIGKILLed under load
against an XTP server emulator in a process of its own (``crash_xtp``), restarted, checked.

The short CI version; ``scripts/crash_soak.py --venue xtp --cycles N --seed S`` runs the
long one.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from ashare_exec.model import OrderStatus
from ashare_exec.venues.vnpy.shim import xtp_available
from tests.reliability.crash_checks import Violation, check_orders_match_venue
from tests.reliability.crash_harness import CrashSoak
from tests.reliability.crash_xtp import journal_surrogates, xtp_knobs, xtp_venue_state

needs_xtp = pytest.mark.skipif(not xtp_available(), reason="vnpy_xtp is not installed")


@needs_xtp
def test_gateway_on_xtp_killed_across_days_loses_nothing_and_matches_the_server(
    tmp_path: Path,
) -> None:
    # Two lives a day over three days. The server keeps what each dead gateway sent and
    # drops its session; each start logs in again (the day's pushes replayed), reconciles,
    # and maps the server's orders back through the surrogates it journaled. Day one
    # closes at the next start (the gateway was down at the close); day two's last life
    # runs the end of day after the close, when the server shows the orders the close
    # ended as cancelled. This seed doubles and shuffles the server's pushes and delays
    # each by up to 10 ms, and kills the gateway during start-ups; the last two lives start
    # while the server refuses logins (back 1.9 and 0.5 s later).
    soak = CrashSoak(tmp_path / "gw", seed=20261131, venue="xtp", day_every=2)
    assert soak.venue_knobs == {"noisy": True, "jitter_s": 0.01}
    try:
        for life in range(5):
            soak.run_life(life)
        final = soak.run_life(5, kill=False)
        assert soak._venue is not None
        at_server = {o.client_order_id for o in soak._venue.state().orders}
    finally:
        soak.close()
    assert [r.end_of_day for r in soak.lives] == [False, False, False, True, False, False]
    assert soak.days_closed == {soak.life_start(0).date(), soak.life_start(2).date()}
    assert final.orders_checked >= 1
    assert any(r.start_killed_after_s for r in soak.lives)
    assert [bool(r.venue_down_s) for r in soak.lives] == [False] * 4 + [True] * 2
    assert sum(r.answered for r in soak.lives) > 10
    # The server's orders all map back to ours (a risk denial or an order killed before it
    # left never reaches it; the soak's checks match each one that did).
    assert len(at_server) > 10
    assert at_server <= {*soak.answered, *soak.given_up, *soak.in_doubt}


# ---- the checks themselves must be able to fail ------------------------------------------------

DAY = "2026-11-25"


def _row(
    surrogate: int, xtp_id: int, status: str | None = "FILLED", terminal: int = 1
) -> dict[str, object]:
    return {"account_id": "paper", "surrogate": surrogate, "xtp_id": xtp_id, "status": status,
            "terminal_status": terminal, "filled_qty": 100, "day": DAY}  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "expect"),
    [
        ([_row(7, 1), _row(8, 2)], None),
        ([_row(7, 1), _row(9, 2)], "surrogate ('paper', '2026-11-25', 9)) is not ours"),
        ([_row(7, 1), _row(7, 2)], "reached the server 2 times"),
        ([_row(7, 1), _row(8, 2, status=None)], "never reached the exchange"),
    ],
    ids=["mapped", "unmapped", "sent-twice", "not-at-exchange"],
)
def test_xtp_venue_state_when_an_order_is_not_ours_twice_or_lost_reports_problem(
    rows: list[dict[str, object]], expect: str | None
) -> None:
    surrogates = {("paper", DAY, 7): "a", ("paper", DAY, 8): "b"}
    state = xtp_venue_state({"orders": rows, "accounts": []}, surrogates)
    if expect is None:
        assert state.problems == []
        assert [o.client_order_id for o in state.orders] == ["a", "b"]
    else:
        assert len(state.problems) == 1
        assert expect in state.problems[0]


def test_xtp_venue_state_reads_an_order_the_close_expired_as_the_server_shows_it() -> None:
    # XTP has no "expired": the close is pushed cancelled (5, or 3 with fills).
    rows = [_row(7, 1, "EXPIRED", 5), _row(8, 2, "EXPIRED", 3), _row(9, 3, "REJECTED", 6)]
    surrogates = {("paper", DAY, 7): "a", ("paper", DAY, 8): "b", ("paper", DAY, 9): "c"}
    state = xtp_venue_state({"orders": rows, "accounts": []}, surrogates)
    assert [o.status for o in state.orders] == [
        OrderStatus.CANCELED, OrderStatus.CANCELED, OrderStatus.REJECTED,
    ]  # fmt: skip
    gateway = {"a": {"status": "CANCELED", "filled_qty": 100},
               "b": {"status": "CANCELED", "filled_qty": 100},
               "c": {"status": "REJECTED", "filled_qty": 100}}  # fmt: skip
    check_orders_match_venue(gateway, state, "t")
    with pytest.raises(Violation, match="EXPIRED filled 100 in the gateway, CANCELED"):
        check_orders_match_venue({**gateway, "a": {"status": "EXPIRED", "filled_qty": 100}},
                                 state, "t")  # fmt: skip


def test_journal_surrogates_reads_each_days_mappings_and_skips_the_index(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    record = {"account_id": "paper", "client_order_id": "c1", "surrogate": 5, "vt_orderid": ""}
    with contextlib.closing(sqlite3.connect(journal)) as db:
        db.execute("CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.executemany("INSERT INTO state VALUES (?, ?)", [
            ("vnpy.ids/2026-11-25/paper/c1", json.dumps(record)),
            ("vnpy.ids/2026-11-26/paper/c1", json.dumps({**record, "surrogate": 9})),
            ("vnpy.ids/2026-11-25/paper/#count", "1"),
            ("vnpy.ids/2026-11-25/paper/#0", "c1\n"),
            ("qmt.ids/2026-11-25/paper/c9", "{}"),
        ])  # fmt: skip
        db.commit()
    assert journal_surrogates(journal) == {
        ("paper", "2026-11-25", 5): "c1",
        ("paper", "2026-11-26", 9): "c1",  # a client id may be used again on a new day
    }


def test_xtp_knobs_are_drawn_from_the_seed_alone() -> None:
    assert xtp_knobs(20261131) == xtp_knobs(20261131)
    drawn = [xtp_knobs(s) for s in range(200)]
    assert 0.2 < sum(bool(k["noisy"]) for k in drawn) / 200 < 0.4
    assert {k["jitter_s"] for k in drawn} == {0.0, 0.002, 0.01}
    assert date(2026, 11, 25).isoformat() == DAY
