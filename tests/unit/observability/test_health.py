"""Readiness checks for /readyz."""

from __future__ import annotations

import pytest

from ashare_exec.observability.health import DEFAULT_CHECKS, Readiness


def test_readiness_when_nothing_reported_is_not_ready_with_reasons() -> None:
    report = Readiness().report()

    assert not report.ready
    assert report.reasons() == [f"{n}: not reported yet" for n in DEFAULT_CHECKS]


def test_readiness_when_every_check_ok_is_ready() -> None:
    readiness = Readiness()
    for name in DEFAULT_CHECKS:
        readiness.set(name, True, "ignored when ok")

    report = readiness.report()

    assert report.ready
    assert report.to_dict()["reasons"] == []
    assert report.to_dict()["checks"] == {n: {"ok": True, "reason": ""} for n in DEFAULT_CHECKS}


@pytest.mark.parametrize(
    ("failing", "reason"),
    [("venue", "disconnected: heartbeat lost"), ("journal", "disk full"), ("reconciled", "")],
)
def test_readiness_when_one_check_fails_reports_it(failing: str, reason: str) -> None:
    readiness = Readiness()
    for name in DEFAULT_CHECKS:
        readiness.set(name, name != failing, reason)

    report = readiness.report()

    assert not report.ready
    assert report.reasons() == [f"{failing}: {reason or 'failing'}"]


def test_readiness_when_extra_check_required_it_must_pass_too() -> None:
    readiness = Readiness(["venue"])
    readiness.set("venue", True)
    readiness.require("account:acc1")

    assert not readiness.report().ready
    readiness.set("account:acc1", True)
    assert readiness.report().ready
