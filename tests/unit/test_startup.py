"""Start-up checks: venues on the simulator, the whole run, the report and the CLI.

The clock and storage checks are in ``test_startup_clock.py`` and ``test_startup_storage.py``;
no test contacts a real NTP server (the ``ntp`` fixture's responders are on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.cli import check_cmd
from ashare_exec.clock import CST, SimClock
from ashare_exec.config import GatewayConfig
from ashare_exec.engine.node import build_service
from ashare_exec.engine.service import ExecutionService
from ashare_exec.errors import BrokerUnavailable
from ashare_exec.model import AccountStatus
from ashare_exec.startup import (
    CheckItem,
    CheckReport,
    CheckSettings,
    CheckStatus,
    check_venues,
    run_startup_checks,
)
from tests.unit.startup_kit import FAST, Usage, garbage

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
    garbage(config.data_dir / "journal.sqlite3")
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
    garbage(tmp_path / "data" / "journal.sqlite3")
    assert _run_cli("--config", str(cfg), "--skip", "clock") == 2
    assert "overall: error" in capsys.readouterr().out
