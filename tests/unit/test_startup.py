"""Start-up checks: SNTP against a local UDP responder, journal, disk, venues on the simulator.

No test contacts a real NTP server: every server is a responder on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sqlite3
import struct
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, cast

import pytest

from ashare_exec.cli import check_cmd
from ashare_exec.clock import CST, SimClock
from ashare_exec.config import GatewayConfig
from ashare_exec.engine.node import build_service
from ashare_exec.engine.service import ExecutionService
from ashare_exec.errors import BrokerUnavailable
from ashare_exec.journal.sqlite import Journal
from ashare_exec.model import AccountStatus
from ashare_exec.startup import (
    CheckItem,
    CheckReport,
    CheckSettings,
    CheckStatus,
    check_clock,
    check_disk,
    check_journal,
    check_venues,
    run_startup_checks,
    sntp_query,
)
from tests.journal_kit import journal_orders_at

EPOCH_1900 = 2_208_988_800
FAST = CheckSettings(ntp_timeout_s=0.3)


def ntp_bytes(t: float) -> bytes:
    return struct.pack("!II", int(t) + EPOCH_1900, int((t % 1) * 2**32))


class Responder(asyncio.DatagramProtocol):
    """An SNTP server on loopback whose clock is ours plus ``offset`` (None: never answers)."""

    def __init__(
        self,
        offset: float | None,
        first_byte: int = 0x24,
        stratum: int = 2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.offset = offset
        self.clock = clock
        self.first_byte = first_byte
        self.stratum = stratum
        self.echo = True
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: Any) -> None:
        if self.offset is None or self.transport is None:
            return
        now = ntp_bytes(self.clock() + self.offset)
        origin = data[40:48] if self.echo else bytes(8)
        reply = bytes([self.first_byte, self.stratum, 4, 0xEC]) + bytes(20) + origin + now + now
        self.transport.sendto(reply, addr)


@pytest.fixture
async def ntp() -> AsyncIterator[Callable[..., Any]]:
    transports: list[asyncio.DatagramTransport] = []

    async def start(offset: float | None, **kw: Any) -> tuple[str, Responder]:
        loop = asyncio.get_running_loop()
        transport, proto = await loop.create_datagram_endpoint(
            lambda: Responder(offset, **kw), local_addr=("127.0.0.1", 0)
        )
        transports.append(transport)
        port = transport.get_extra_info("sockname")[1]
        return f"127.0.0.1:{port}", proto

    yield start
    for t in transports:
        t.close()


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
    answer = await sntp_query(server, timeout_s=0.5)
    assert answer.offset_s == pytest.approx(0.2, abs=0.05)
    assert 0 <= answer.delay_s < 0.1
    assert answer.stratum == 2


async def test_check_clock_when_server_never_answers_warns(ntp: Callable[..., Any]) -> None:
    server, _ = await ntp(None)
    item = await check_clock([server], FAST)
    assert item.status is CheckStatus.WARNING
    assert "no NTP server answered" in item.detail
    assert "TimeoutError" in item.data["unreachable"][server]


async def test_check_clock_when_one_of_two_answers_uses_it_and_names_the_other(
    ntp: Callable[..., Any],
) -> None:
    silent, _ = await ntp(None)
    good, _ = await ntp(0.01)
    item = await check_clock([silent, good], FAST)
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
        await sntp_query(server, timeout_s=0.5)


async def test_sntp_query_when_origin_not_echoed_raises(ntp: Callable[..., Any]) -> None:
    server, responder = await ntp(0.0)
    responder.echo = False
    with pytest.raises(ValueError, match="does not match our request"):
        await sntp_query(server, timeout_s=0.5)


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


# ---- journal -------------------------------------------------------------------------------


def test_check_journal_when_file_missing_is_ok(tmp_path: Path) -> None:
    item = check_journal(tmp_path / "journal.sqlite3")
    assert item.status is CheckStatus.OK
    assert "none yet" in item.detail


def test_check_journal_when_intact_reports_version_and_events(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal.open(path).close()
    item = check_journal(path)
    assert item.status is CheckStatus.OK
    assert item.data["events"] == 0
    assert item.data["schema_version"] >= 1


def test_check_journal_after_a_clean_close_may_skip_the_full_read(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal.open(path).close()

    quick = check_journal(path, always_check=False)
    full = check_journal(path)

    assert quick.status is CheckStatus.OK
    assert quick.data["integrity_checked"] is False
    assert "closed cleanly" in quick.detail
    assert full.data["integrity_checked"] is True  # `ashare-exec check` always reads it all


@pytest.mark.parametrize(
    ("behind_s", "status"), [(30, CheckStatus.OK), (120, CheckStatus.WARNING)],
    ids=["a-broker-stamp-ahead", "the-clock-set-back"],
)  # fmt: skip
def test_check_journal_when_its_last_event_is_ahead_of_the_clock_warns_past_a_minute(
    tmp_path: Path, behind_s: int, status: CheckStatus
) -> None:
    path = tmp_path / "journal.sqlite3"
    last = datetime(2026, 11, 25, 10, 0, tzinfo=CST)
    journal_orders_at(path, last)

    item = check_journal(path, now=last - timedelta(seconds=behind_s))

    assert item.status is status
    if status is CheckStatus.WARNING:
        assert item.data["ahead_s"] == behind_s
        assert "was the clock set back?" in item.detail


def test_check_journal_left_open_runs_the_full_read(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    journal = Journal.open(path)  # a running (or crashed) service: no clean-close marker

    item = check_journal(path, always_check=False)
    journal.close()

    assert item.status is CheckStatus.OK
    assert item.data["integrity_checked"] is True
    assert "intact" in item.detail


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database" * 300)


def _torn_pages(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT)")
    conn.execute("CREATE INDEX ev_body ON events(body)")
    conn.executemany(
        "INSERT INTO events(body) VALUES (?)", [(f"row{i:05d}" * 20,) for i in range(2000)]
    )
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for p in range(3, len(data) // page - 1, 2):
        data[p * page + 100 : p * page + 400] = b"\xff" * 300
    path.write_bytes(bytes(data))


def _newer_schema(path: Path) -> None:
    Journal.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_version(version) VALUES (9999)")
    conn.commit()
    conn.close()


def _foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE something_else (x)")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (_garbage, "unreadable"),
        (_torn_pages, "integrity check failed|unreadable"),
        (_newer_schema, "newer than this release"),
        (_foreign, "not an ashare-exec journal"),
    ],
)
def test_check_journal_when_file_damaged_is_error(
    tmp_path: Path, damage: Callable[[Path], None], problem: str
) -> None:
    path = tmp_path / "journal.sqlite3"
    damage(path)
    item = check_journal(path)
    assert item.status is CheckStatus.ERROR
    assert item.detail.startswith(str(path))
    assert re.search(problem, item.detail)


# ---- disk ----------------------------------------------------------------------------------


class Usage(NamedTuple):
    total: int
    used: int
    free: int


MIB = 1024 * 1024


@pytest.mark.parametrize(
    ("free", "status"),
    [
        (5 * 1024 * MIB, CheckStatus.OK),
        (1024 * MIB, CheckStatus.OK),
        (1024 * MIB - 1, CheckStatus.WARNING),
        (200 * MIB, CheckStatus.WARNING),
        (200 * MIB - 1, CheckStatus.ERROR),
        (0, CheckStatus.ERROR),
    ],
)
def test_check_disk_when_free_space_given_applies_thresholds(
    tmp_path: Path, free: int, status: CheckStatus
) -> None:
    item = check_disk(tmp_path, disk_usage=lambda _p: Usage(10**12, 0, free))
    assert item.status is status
    assert item.data["free_bytes"] == free


def test_check_disk_when_data_dir_missing_measures_nearest_parent(tmp_path: Path) -> None:
    seen: list[Path] = []

    def usage(p: Path) -> Usage:
        seen.append(p)
        return Usage(1, 0, 10**12)

    check_disk(tmp_path / "not" / "yet", disk_usage=usage)
    assert seen == [tmp_path]


def test_check_disk_when_usage_unreadable_is_error(tmp_path: Path) -> None:
    def usage(_p: Path) -> Usage:
        raise PermissionError("denied")

    item = check_disk(tmp_path, disk_usage=usage)
    assert item.status is CheckStatus.ERROR
    assert "denied" in item.detail


def test_check_disk_when_real_disk_used_reports_free_bytes(tmp_path: Path) -> None:
    item = check_disk(tmp_path, CheckSettings(disk_warn_bytes=0, disk_error_bytes=0))
    assert item.status is CheckStatus.OK
    assert item.data["free_bytes"] > 0


# ---- venues --------------------------------------------------------------------------------


def sim_config(tmp_path: Path) -> GatewayConfig:
    return GatewayConfig(data_dir=tmp_path / "data", log_dir=tmp_path / "logs")


def sim_clock() -> SimClock:
    return SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))


async def test_check_venues_when_simulator_up_venue_and_account_ok(tmp_path: Path) -> None:
    service = build_service(sim_config(tmp_path), sim_clock())
    try:
        items = await check_venues(service)
    finally:
        await service.stop()
    assert [(i.name, i.status) for i in items] == [
        ("venue:sim", CheckStatus.OK),
        ("account:paper", CheckStatus.OK),
    ]
    venue = next(iter(service.core.accounts.values())).venue
    assert not venue.is_connected


def _patched(**attrs: Any) -> Callable[[GatewayConfig, Any], ExecutionService]:
    def build(config: GatewayConfig, clock: Any) -> ExecutionService:
        service = build_service(config, clock)
        venue = next(iter(service.core.accounts.values())).venue
        for name, value in attrs.items():
            setattr(venue, name, value)
        return service

    return build


async def _refuse() -> None:
    raise BrokerUnavailable("login refused")


def _status(status: AccountStatus) -> Callable[[Any], Any]:
    async def query(_account: Any) -> AccountStatus:
        return status

    return query


async def _hang(*_: Any) -> None:
    await asyncio.sleep(30)


@pytest.mark.parametrize(
    ("attrs", "expected"),
    [
        (
            {"connect": _refuse},
            [
                ("venue:sim", CheckStatus.ERROR, "login refused"),
                ("account:paper", CheckStatus.ERROR, "not checked"),
            ],
        ),
        (
            {"query_account_status": _status(AccountStatus.DOWN)},
            [
                ("venue:sim", CheckStatus.OK, "connected"),
                ("account:paper", CheckStatus.ERROR, "DOWN"),
            ],
        ),
        (
            {"query_account_status": _status(AccountStatus.TRANSIENT)},
            [
                ("venue:sim", CheckStatus.OK, "connected"),
                ("account:paper", CheckStatus.WARNING, "TRANSIENT"),
            ],
        ),
        (
            {"query_account_status": _hang},
            [
                ("venue:sim", CheckStatus.OK, "connected"),
                ("account:paper", CheckStatus.ERROR, "timed out"),
            ],
        ),
    ],
)
async def test_run_checks_when_venue_misbehaves_reports_it(
    tmp_path: Path, attrs: dict[str, Any], expected: list[tuple[str, CheckStatus, str]]
) -> None:
    report = await run_startup_checks(
        sim_config(tmp_path),
        ntp_servers=[],
        clock=sim_clock(),
        build=_patched(**attrs),
        settings=CheckSettings(venue_timeout_s=0.2),
        skip={"clock", "journal", "disk"},
    )
    got = [(i.name, i.status) for i in report.items]
    assert got == [(name, status) for name, status, _ in expected]
    for item, (_, _, text) in zip(report.items, expected, strict=True):
        assert text in item.detail


async def test_run_checks_when_all_healthy_every_item_ok(
    tmp_path: Path, ntp: Callable[..., Any]
) -> None:
    server, _ = await ntp(0.0)
    report = await run_startup_checks(
        sim_config(tmp_path),
        ntp_servers=[server],
        clock=sim_clock(),
        settings=FAST,
        disk_usage=lambda _p: Usage(1, 0, 10**12),
    )
    assert [i.name for i in report.items] == [
        "clock",
        "journal",
        "disk",
        "venue:sim",
        "account:paper",
    ]
    assert report.status is CheckStatus.OK
    assert report.exit_code(strict=True) == 0


async def test_run_checks_when_journal_corrupt_venues_not_built(tmp_path: Path) -> None:
    config = sim_config(tmp_path)
    config.data_dir.mkdir(parents=True)
    _garbage(config.data_dir / "journal.sqlite3")
    built: list[object] = []

    def build(c: GatewayConfig, clock: Any) -> ExecutionService:
        built.append(c)
        return build_service(c, clock)

    report = await run_startup_checks(
        config, ntp_servers=[], clock=sim_clock(), build=build, skip={"clock", "disk"}
    )
    assert [(i.name, i.status) for i in report.items] == [
        ("journal", CheckStatus.ERROR),
        ("venues", CheckStatus.ERROR),
    ]
    assert built == []


async def test_run_checks_when_build_fails_reports_venues_error(tmp_path: Path) -> None:
    def build(_c: GatewayConfig, _clock: Any) -> ExecutionService:
        raise RuntimeError("bad venue config")

    report = await run_startup_checks(
        sim_config(tmp_path), ntp_servers=[], clock=sim_clock(), build=build, skip={"clock"}
    )
    venues = report.items[-1]
    assert (venues.name, venues.status) == ("venues", CheckStatus.ERROR)
    assert "bad venue config" in venues.detail


# ---- report --------------------------------------------------------------------------------


def _report(*statuses: CheckStatus) -> CheckReport:
    return CheckReport(tuple(CheckItem(f"c{i}", s, "d") for i, s in enumerate(statuses)))


OK, WARN, ERR = CheckStatus.OK, CheckStatus.WARNING, CheckStatus.ERROR


@pytest.mark.parametrize(
    ("statuses", "strict", "code"),
    [
        ((), False, 0),
        ((OK, OK), False, 0),
        ((OK, WARN), False, 0),
        ((OK, WARN), True, 1),
        ((WARN, ERR, OK), False, 2),
        ((ERR,), True, 2),
    ],
)
def test_report_exit_code_when_statuses_given_follows_severity(
    statuses: tuple[CheckStatus, ...], strict: bool, code: int
) -> None:
    assert _report(*statuses).exit_code(strict=strict) == code


def test_report_when_rendered_table_and_json_carry_every_item() -> None:
    report = CheckReport(
        (
            CheckItem("clock", OK, "offset +1.0 ms", {"offset_ms": 1.0}),
            CheckItem("disk", WARN, "900 MiB free"),
        )
    )
    lines = report.table().splitlines()
    assert lines[1].split()[:2] == ["clock", "ok"]
    assert lines[2].split()[:2] == ["disk", "warning"]
    assert lines[-1] == "overall: warning"
    assert report.to_dict() == {
        "status": "warning",
        "items": [
            {
                "name": "clock",
                "status": "ok",
                "detail": "offset +1.0 ms",
                "data": {"offset_ms": 1.0},
            },
            {"name": "disk", "status": "warning", "detail": "900 MiB free", "data": {}},
        ],
    }


# ---- CLI -----------------------------------------------------------------------------------


def _run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    check_cmd.register(parser.add_subparsers())
    args = parser.parse_args(["check", *argv])
    code: int = args.handler(args)
    return code


def _cli_config(tmp_path: Path) -> Path:
    cfg = tmp_path / "config" / "gateway.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text('[clock]\nmode = "sim"\nstart = "2026-11-25T10:00:00+08:00"\n', encoding="utf-8")
    return cfg


async def test_cli_when_checks_pass_prints_json_and_exits_0(
    tmp_path: Path, ntp: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    server, _ = await ntp(0.0)
    cfg = _cli_config(tmp_path)
    # The CLI runs its own event loop; the NTP responder lives on this test's loop.
    code = await asyncio.to_thread(
        _run_cli,
        "--config",
        str(cfg),
        "--ntp-server",
        server,
        "--disk-warn-mb",
        "0",
        "--disk-error-mb",
        "0",
        "--json",
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["status"] == "ok"
    assert [i["name"] for i in out["items"]] == [
        "clock",
        "journal",
        "disk",
        "venue:sim",
        "account:paper",
    ]


@pytest.mark.parametrize(("strict", "code"), [(False, 0), (True, 1)])
async def test_cli_when_ntp_silent_warns_and_strict_exits_1(
    tmp_path: Path,
    ntp: Callable[..., Any],
    capsys: pytest.CaptureFixture[str],
    strict: bool,
    code: int,
) -> None:
    server, _ = await ntp(None)
    cfg = _cli_config(tmp_path)
    argv = ["--config", str(cfg), "--ntp-server", server, "--ntp-timeout", "0.2"]
    argv += ["--disk-warn-mb", "0", "--disk-error-mb", "0", "--skip", "venues"]
    if strict:
        argv.append("--strict")
    assert await asyncio.to_thread(_run_cli, *argv) == code
    out = capsys.readouterr().out
    assert "clock" in out
    assert "overall: warning" in out


def test_cli_when_journal_corrupt_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = _cli_config(tmp_path)
    (tmp_path / "data").mkdir()
    _garbage(tmp_path / "data" / "journal.sqlite3")
    assert _run_cli("--config", str(cfg), "--skip", "clock") == 2
    assert "overall: error" in capsys.readouterr().out
