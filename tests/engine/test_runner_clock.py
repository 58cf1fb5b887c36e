"""Which clock `serve` runs on: the wall clock in trading hours; outside them, on the
simulator, a simulated clock from the next session's open, or from where the journal's last
simulated run stopped, so that times in the journal never go backwards across a restart."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest

from ashare_exec.clock import CST, SimClock
from ashare_exec.config import default_config
from ashare_exec.engine.runner import choose_clock
from ashare_exec.journal.queries import JOURNAL_FILE, last_event_time
from ashare_exec.refdata import load_calendar
from tests.journal_kit import journal_orders_at

WED_EVENING = datetime(2026, 11, 25, 20, 0, tzinfo=CST)
THU = "2026-11-26"


def _journal(data_dir: Path, *times: datetime) -> None:
    journal_orders_at(data_dir / JOURNAL_FILE, *times)


def _start(data_dir: Path, now: datetime) -> tuple[datetime, str]:
    """Where the chosen simulated clock started (it runs at x1: to the second)."""
    config = dataclasses.replace(default_config(), data_dir=data_dir)
    clock, text = choose_clock(config, load_calendar(config.holidays), SimClock(now))
    assert isinstance(clock, SimClock)
    return clock.now().replace(microsecond=0), text


def test_choose_clock_outside_hours_without_a_journal_starts_at_the_next_open(
    tmp_path: Path,
) -> None:
    start, text = _start(tmp_path, WED_EVENING)

    assert start == datetime(2026, 11, 26, 9, 30, tzinfo=CST)
    assert "next session's open" in text


@pytest.mark.parametrize(
    ("last", "resumed"),
    [
        (f"{THU}T09:31:40.250", f"{THU}T09:31:41"),  # an earlier run this evening
        (f"{THU}T11:40:00", f"{THU}T11:40:01"),  # in the lunch break: carried on from there
        (f"{THU}T15:20:00", "2026-11-27T09:30:00"),  # after its close: the next session
    ],
    ids=["in-the-session", "lunch-break", "after-the-close"],
)
def test_choose_clock_when_a_simulated_run_got_past_the_open_resumes_after_it(
    tmp_path: Path, last: str, resumed: str
) -> None:
    _journal(tmp_path, datetime.fromisoformat(f"{THU}T09:30:05").replace(tzinfo=CST),
             datetime.fromisoformat(last).replace(tzinfo=CST))  # fmt: skip

    start, text = _start(tmp_path, WED_EVENING)

    assert start == datetime.fromisoformat(resumed).replace(tzinfo=CST)
    assert "resuming after the journal's last event" in text


def test_choose_clock_when_the_journal_is_from_an_earlier_day_starts_at_the_next_open(
    tmp_path: Path,
) -> None:
    _journal(tmp_path, datetime(2026, 11, 25, 14, 0, tzinfo=CST))  # a real run today

    start, _text = _start(tmp_path, WED_EVENING)

    assert start == datetime(2026, 11, 26, 9, 30, tzinfo=CST)


def test_choose_clock_in_trading_hours_runs_on_the_wall_clock(tmp_path: Path) -> None:
    _journal(tmp_path, datetime(2026, 11, 25, 9, 31, tzinfo=CST))  # earlier today
    config = dataclasses.replace(default_config(), data_dir=tmp_path)
    wall = SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))

    clock, text = choose_clock(config, load_calendar(config.holidays), wall)

    assert clock is wall
    assert text == "wall clock (trading hours)"


def test_last_event_time_when_no_journal_or_not_a_journal_is_none(tmp_path: Path) -> None:
    assert last_event_time(tmp_path / JOURNAL_FILE) is None
    (tmp_path / JOURNAL_FILE).write_bytes(b"not a database")
    assert last_event_time(tmp_path / JOURNAL_FILE) is None


def test_choose_clock_in_trading_hours_when_a_simulated_run_is_ahead_resumes_after_it(
    tmp_path: Path,
) -> None:
    # An evening's play on the simulator reached Thursday 09:45; on Thursday at 09:35 the
    # wall clock would run behind the journal: the simulated clock carries on instead.
    _journal(tmp_path, datetime(2026, 11, 26, 9, 45, tzinfo=CST))

    start, text = _start(tmp_path, datetime(2026, 11, 26, 9, 35, tzinfo=CST))

    assert start == datetime(2026, 11, 26, 9, 45, 1, tzinfo=CST)
    assert text.startswith("the journal is ahead of the wall clock: SIMULATED clock resuming")


def test_choose_clock_with_a_real_broker_always_runs_on_the_wall_clock(tmp_path: Path) -> None:
    _journal(tmp_path, datetime(2026, 11, 26, 9, 45, tzinfo=CST))
    config = dataclasses.replace(
        default_config(),
        data_dir=tmp_path,
        accounts=(dataclasses.replace(default_config().accounts[0], venue="qmt"),),
    )
    wall = SimClock(WED_EVENING)

    clock, text = choose_clock(config, load_calendar(config.holidays), wall)

    assert (clock, text) == (wall, "wall clock")
