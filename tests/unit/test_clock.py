"""The clock module's shared time rendering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ashare_exec import clock
from ashare_exec.clock import CST, iso


def test_iso_renders_as_isoformat() -> None:
    ts = datetime(2026, 11, 26, 9, 30, 0, 123456, tzinfo=CST)

    assert iso(ts) == ts.isoformat() == "2026-11-26T09:30:00.123456+08:00"
    assert iso(ts) == ts.isoformat()  # remembered


def test_iso_when_the_same_instant_is_in_another_zone_renders_that_zone() -> None:
    local = datetime(2026, 11, 26, 9, 30, tzinfo=CST)
    utc = local.astimezone(UTC)
    other = local.astimezone(timezone(timedelta(hours=8)))  # same offset, another object
    assert local == utc == other

    assert iso(local) == "2026-11-26T09:30:00+08:00"
    assert iso(utc) == "2026-11-26T01:30:00+00:00"
    assert iso(other) == "2026-11-26T09:30:00+08:00"
    assert iso(local) == "2026-11-26T09:30:00+08:00"


def test_iso_when_naive_renders_without_offset() -> None:
    assert iso(datetime(2026, 11, 26, 9, 30)) == "2026-11-26T09:30:00"


def test_iso_memory_is_bounded() -> None:
    start = datetime(2026, 11, 26, 9, 30, tzinfo=CST)
    for i in range(clock._ISO_MAX + 10):
        ts = start + timedelta(microseconds=i)
        assert iso(ts) == ts.isoformat()

    assert len(clock._ISO) <= clock._ISO_MAX
