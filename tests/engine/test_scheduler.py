"""The session scheduler: day actions once per trading day, and the start of each new date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest

from ashare_exec.clock import CST, SimClock
from ashare_exec.engine.scheduler import ActionDeferred, ScheduledAction, SessionScheduler
from tests.engine.conftest import calendar


class Recorder:
    """Collects (name, day) for every action and day start."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, date]] = []

    def action(self, name: str) -> ScheduledAction:
        at = {"pre_open": time(9, 0), "end_of_day": time(15, 35)}[name]

        async def run(day: date) -> None:
            self.calls.append((name, day))

        return ScheduledAction(name, at, run)

    async def on_day(self, day: date) -> None:
        self.calls.append(("day_start", day))


def _scheduler(at: datetime) -> tuple[SessionScheduler, SimClock, Recorder]:
    clock = SimClock(at)
    rec = Recorder()
    actions = [rec.action("pre_open"), rec.action("end_of_day")]
    return SessionScheduler(clock, calendar(), actions, on_day=rec.on_day), clock, rec


async def test_tick_fires_each_action_once_per_trading_day_at_its_time() -> None:
    sched, clock, rec = _scheduler(datetime(2026, 11, 25, 8, 0, tzinfo=CST))
    assert await sched.tick() == []
    clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=CST))
    assert await sched.tick() == ["pre_open"]
    assert await sched.tick() == []
    clock.set(datetime(2026, 11, 25, 15, 35, tzinfo=CST))
    assert await sched.tick() == ["end_of_day"]
    assert rec.calls == [("pre_open", date(2026, 11, 25)), ("end_of_day", date(2026, 11, 25))]


async def test_tick_when_started_after_an_action_skips_it_but_always_runs_the_end_of_day() -> None:
    sched, _, rec = _scheduler(datetime(2026, 11, 25, 16, 0, tzinfo=CST))

    assert await sched.tick() == ["end_of_day"]  # a restart after 15:35 still closes the day
    assert rec.calls == [("end_of_day", date(2026, 11, 25))]


async def test_tick_at_a_change_of_date_starts_the_day_first_even_when_not_a_trading_day() -> None:
    # Brokers and the simulator roll positions at night, weekends included.
    sched, clock, rec = _scheduler(datetime(2026, 11, 27, 16, 0, tzinfo=CST))  # a Friday
    await sched.tick()
    rec.calls.clear()
    clock.set(datetime(2026, 11, 28, 0, 0, 1, tzinfo=CST))  # Saturday: no actions

    assert await sched.tick() == ["day_start"]
    assert await sched.tick() == []
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=CST))  # Monday
    assert await sched.tick() == ["day_start", "pre_open"]
    assert rec.calls == [
        ("day_start", date(2026, 11, 28)),
        ("day_start", date(2026, 11, 30)),
        ("pre_open", date(2026, 11, 30)),
    ]


async def test_tick_on_the_first_date_does_not_start_the_day_the_service_start_did() -> None:
    sched, clock, rec = _scheduler(datetime(2026, 11, 25, 0, 0, tzinfo=CST))
    clock.advance(timedelta(hours=1))

    await sched.tick()

    assert ("day_start", date(2026, 11, 25)) not in rec.calls


async def test_tick_when_the_day_start_fails_logs_it_and_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sched, clock, rec = _scheduler(datetime(2026, 11, 25, 16, 0, tzinfo=CST))
    await sched.tick()

    async def broken(day: date) -> None:
        raise RuntimeError("journal gone")

    sched._on_day = broken
    clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=CST))

    assert await sched.tick() == ["day_start", "pre_open"]
    assert "the start of day 2026-11-26 failed" in caplog.text
    assert rec.calls[-1] == ("pre_open", date(2026, 11, 26))


async def test_tick_when_an_action_defers_runs_it_again_after_the_delay_that_day_only() -> None:
    clock = SimClock(datetime(2026, 11, 25, 15, 0, tzinfo=CST))
    tries: list[datetime] = []

    async def end_of_day(day: date) -> None:
        tries.append(clock.now())
        if len(tries) < 3:
            raise ActionDeferred(30.0, "venue out of reach")

    sched = SessionScheduler(
        clock, calendar(), [ScheduledAction("end_of_day", time(15, 35), end_of_day)]
    )
    clock.set(datetime(2026, 11, 25, 15, 35, tzinfo=CST))

    assert await sched.tick() == ["end_of_day:deferred"]
    clock.advance(timedelta(seconds=29))
    assert await sched.tick() == []  # not before the delay
    clock.advance(timedelta(seconds=1))
    assert await sched.tick() == ["end_of_day:deferred"]
    clock.advance(timedelta(seconds=30))
    assert await sched.tick() == ["end_of_day"]
    clock.advance(timedelta(minutes=5))
    assert await sched.tick() == []  # done: once a day
    assert len(tries) == 3


async def test_tick_when_an_action_still_defers_at_midnight_drops_it_for_the_day_start() -> None:
    clock = SimClock(datetime(2026, 11, 25, 23, 59, 50, tzinfo=CST))
    days: list[date] = []

    async def end_of_day(day: date) -> None:
        raise ActionDeferred(30.0, "venue out of reach")

    async def on_day(day: date) -> None:
        days.append(day)

    sched = SessionScheduler(
        clock, calendar(), [ScheduledAction("end_of_day", time(15, 35), end_of_day)], on_day=on_day
    )
    assert await sched.tick() == ["end_of_day:deferred"]
    clock.advance(timedelta(seconds=40))  # Thursday 00:00:30

    assert await sched.tick() == ["day_start"]  # closing what is left is the day start's
    assert days == [date(2026, 11, 26)]


async def test_retry_deferred_runs_a_deferred_action_at_the_next_tick() -> None:
    clock = SimClock(datetime(2026, 11, 25, 15, 35, tzinfo=CST))
    tries: list[datetime] = []

    async def end_of_day(day: date) -> None:
        tries.append(clock.now())
        if len(tries) < 2:
            raise ActionDeferred(30.0, "venue out of reach")

    sched = SessionScheduler(
        clock, calendar(), [ScheduledAction("end_of_day", time(15, 35), end_of_day)]
    )
    assert await sched.tick() == ["end_of_day:deferred"]
    clock.advance(timedelta(seconds=1))
    assert await sched.tick() == []  # its delay is not over

    sched.retry_deferred()  # the venue is back

    assert await sched.tick() == ["end_of_day"]
    first, second = tries
    assert (first.second, second.second) == (0, 1)  # the second try did not wait 30 s
