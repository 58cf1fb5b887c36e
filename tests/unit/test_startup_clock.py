"""Start-up checks: the clock, by SNTP against local UDP responders (``startup_kit``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ashare_exec.startup import (
    CheckStatus,
    check_clock,
    sntp_query,
)
from tests.unit.startup_kit import FAST, SILENT

# ---- clock ---------------------------------------------------------------------------------


FIXED = 1_795_000_000.25  # both sides read this instant: no network delay in the maths


@pytest.mark.parametrize(
    ("offset", "status"),
    [
        (0.0, CheckStatus.OK),
        (0.099, CheckStatus.OK),
        (-0.0995, CheckStatus.OK),
        (0.1005, CheckStatus.ERROR),
        (-0.25, CheckStatus.ERROR),
        (3600.0, CheckStatus.ERROR),
    ],
)
async def test_check_clock_when_server_offset_known_measures_it(
    ntp: Callable[..., Any], offset: float, status: CheckStatus
) -> None:
    server, _ = await ntp(offset, clock=lambda: FIXED)
    item = await check_clock([server], FAST, now=lambda: FIXED)
    assert item.status is status
    assert item.data["offset_ms"] == pytest.approx(offset * 1000, abs=0.01)


async def test_check_clock_when_real_clocks_used_measures_offset(
    ntp: Callable[..., Any],
) -> None:
    server, _ = await ntp(0.5)
    item = await check_clock([server], FAST)
    assert item.status is CheckStatus.ERROR
    assert item.data["offset_ms"] == pytest.approx(500, abs=50)


async def test_sntp_query_when_answer_valid_returns_offset_delay_and_stratum(
    ntp: Callable[..., Any],
) -> None:
    server, _ = await ntp(0.2)
    answer = await sntp_query(server, timeout_s=3.0)
    assert answer.offset_s == pytest.approx(0.2, abs=0.05)
    assert 0 <= answer.delay_s < 0.1
    assert answer.stratum == 2


async def test_check_clock_when_server_never_answers_warns(ntp: Callable[..., Any]) -> None:
    server, _ = await ntp(None)
    item = await check_clock([server], SILENT)
    assert item.status is CheckStatus.WARNING
    assert "no NTP server answered" in item.detail
    assert "TimeoutError" in item.data["unreachable"][server]


async def test_check_clock_when_one_of_two_answers_uses_it_and_names_the_other(
    ntp: Callable[..., Any],
) -> None:
    silent, _ = await ntp(None)
    good, _ = await ntp(0.01)
    item = await check_clock([silent, good], SILENT)
    assert item.status is CheckStatus.OK
    assert f"no answer from {silent}" in item.detail
    assert list(item.data["servers"]) == [good]


async def test_check_clock_when_servers_disagree_uses_median(ntp: Callable[..., Any]) -> None:
    servers = [(await ntp(off, clock=lambda: FIXED))[0] for off in (0.0, 0.02, 5.0)]
    item = await check_clock(servers, FAST, now=lambda: FIXED)
    assert item.status is CheckStatus.OK
    assert item.data["offset_ms"] == pytest.approx(20, abs=0.01)


@pytest.mark.parametrize(
    ("kw", "problem"),
    [
        ({"first_byte": 0x23}, "mode 3"),  # a client packet, not a server reply
        ({"first_byte": 0xE4}, "leap 3"),  # unsynchronised server
        ({"stratum": 0}, "stratum 0"),  # kiss-o'-death
    ],
)
async def test_sntp_query_when_reply_unusable_raises(
    ntp: Callable[..., Any], kw: dict[str, int], problem: str
) -> None:
    server, _ = await ntp(0.0, **kw)
    with pytest.raises(ValueError, match=problem):
        await sntp_query(server, timeout_s=3.0)


async def test_sntp_query_when_origin_not_echoed_raises(ntp: Callable[..., Any]) -> None:
    server, responder = await ntp(0.0)
    responder.echo = False
    with pytest.raises(ValueError, match="does not match our request"):
        await sntp_query(server, timeout_s=3.0)


async def test_check_clock_when_no_servers_configured_warns() -> None:
    item = await check_clock([], FAST)
    assert item.status is CheckStatus.WARNING
    assert "no NTP servers" in item.detail


async def test_check_clock_when_machine_clock_injected_measures_against_it(
    ntp: Callable[..., Any],
) -> None:
    server, _ = await ntp(0.0, clock=lambda: FIXED)
    item = await check_clock([server], FAST, now=lambda: FIXED - 2.0)
    assert item.status is CheckStatus.ERROR
    assert item.data["offset_ms"] == pytest.approx(2000, abs=0.01)
