"""Structured logs: JSON lines, the fixed order fields, and secret redaction."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import structlog

from ashare_exec.clock import CST, SimClock
from ashare_exec.observability.logging import (
    LOG_FILE_NAME,
    ORDER_LOG_FIELDS,
    REDACTED,
    LoggingHandle,
    Redactor,
    configure_logging,
)
from ashare_exec.observability.order_log import bind_order, order_log

T0 = datetime(2026, 11, 25, 9, 31, 0, 123456, tzinfo=CST)
SECRET_TOKEN = "tok-9f8e7d6c5b4a"
WEBHOOK_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[LoggingHandle]:
    handle = configure_logging(
        tmp_path, console=False, level="DEBUG", secrets=[SECRET_TOKEN], clock=SimClock(T0)
    )
    yield handle
    handle.close()


def _lines(handle: LoggingHandle) -> list[dict[str, object]]:
    for h in handle.handlers:
        h.flush()
    text = handle.log_file.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_configure_logging_when_structlog_logs_writes_json_line_with_clock_timestamp(
    logs: LoggingHandle,
) -> None:
    structlog.get_logger("engine").info("started", accounts=2)

    (line,) = _lines(logs)
    assert logs.log_file.name == LOG_FILE_NAME
    assert line["event"] == "started"
    assert line["accounts"] == 2
    assert line["level"] == "info"
    assert line["logger"] == "engine"
    assert line["timestamp"] == "2026-11-25T09:31:00.123456+08:00"


def test_configure_logging_when_stdlib_logger_logs_line_is_json_too(logs: LoggingHandle) -> None:
    logging.getLogger("httpx").warning("HTTP Request: POST %s", "http://x")

    (line,) = _lines(logs)
    assert line["event"] == "HTTP Request: POST http://x"
    assert line["level"] == "warning"


def test_configure_logging_when_level_is_warning_info_is_dropped(tmp_path: Path) -> None:
    handle = configure_logging(tmp_path, console=False, level=logging.WARNING)
    try:
        log = structlog.get_logger("x")
        log.info("quiet")
        log.error("loud")
        assert [line["event"] for line in _lines(handle)] == ["loud"]
    finally:
        handle.close()


def test_order_log_when_order_bound_writes_every_fixed_field(logs: LoggingHandle) -> None:
    log = bind_order(
        structlog.get_logger("oms"),
        account="acc1",
        client_order_id="S1-0001",
        symbol="600000.SH",
        side="BUY",
        price=Decimal("10.01"),
        qty=300,
    )
    log = bind_order(log, broker_order_id="88001")

    order_log(log, action="submit", result="accepted", latency_ms=1.23456)

    (line,) = _lines(logs)
    assert set(ORDER_LOG_FIELDS) <= set(line)
    assert line["account"] == "acc1"
    assert line["client_order_id"] == "S1-0001"
    assert line["broker_order_id"] == "88001"
    assert line["price"] == "10.01"
    assert line["qty"] == 300
    assert line["latency_ms"] == 1.235
    assert line["reason_code"] is None
    assert line["level"] == "info"


def test_order_log_when_nothing_bound_missing_fields_are_null(logs: LoggingHandle) -> None:
    order_log(structlog.get_logger(), action="cancel", result="rejected", reason_code="X")

    (line,) = _lines(logs)
    assert set(ORDER_LOG_FIELDS) <= set(line)
    assert line["broker_order_id"] is None
    assert line["reason_code"] == "X"
    assert line["level"] == "warning"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("token", "abc-plain-token-value"),
        ("api_token", "another-token-value"),
        ("password", "hunter2hunter2"),
        ("smtp_password", "p@ssw0rd-smtp"),
        ("webhook_key", WEBHOOK_KEY),
        ("secret", "SECabcdef0123456789"),
        ("Authorization", "Bearer zzzz-yyyy"),
    ],
)
def test_redaction_when_secret_key_logged_value_never_reaches_file(
    logs: LoggingHandle, field: str, value: str
) -> None:
    structlog.get_logger().info("config loaded", **{field: value})

    text = logs.log_file.read_text(encoding="utf-8")
    assert value not in text
    assert _lines(logs)[0][field] == REDACTED


@pytest.mark.parametrize(
    "emit",
    [
        lambda: structlog.get_logger().info(f"calling with {SECRET_TOKEN}"),
        lambda: structlog.get_logger().info("x", url=f"https://h/send?key={SECRET_TOKEN}"),
        lambda: structlog.get_logger().info("x", nested={"a": [f"v {SECRET_TOKEN}"]}),
        lambda: logging.getLogger("lib").error("boom %s", SECRET_TOKEN),
    ],
)
def test_redaction_when_configured_secret_inside_text_value_is_masked(
    logs: LoggingHandle, emit: object
) -> None:
    emit()  # type: ignore[operator]

    text = logs.log_file.read_text(encoding="utf-8")
    assert SECRET_TOKEN not in text
    assert REDACTED in text


def test_redaction_when_exception_message_carries_secret_traceback_is_masked(
    logs: LoggingHandle,
) -> None:
    try:
        raise RuntimeError(f"login failed for {SECRET_TOKEN}")
    except RuntimeError:
        structlog.get_logger().exception("venue error")

    text = logs.log_file.read_text(encoding="utf-8")
    assert SECRET_TOKEN not in text
    assert "RuntimeError" in text


def test_redaction_when_secret_added_after_start_is_masked(logs: LoggingHandle) -> None:
    logs.redactor.add_secrets(["late-loaded-secret"])

    structlog.get_logger().info("x", note="value late-loaded-secret here")

    assert "late-loaded-secret" not in logs.log_file.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("secrets", "text", "expected"),
    [
        (["abcd", "abcdefgh"], "x abcdefgh y", f"x {REDACTED} y"),
        (["abc"], "abc stays: too short to mask", "abc stays: too short to mask"),
        ([""], "nothing", "nothing"),
    ],
)
def test_redactor_when_masking_text_longest_secret_wins_and_short_ones_ignored(
    secrets: list[str], text: str, expected: str
) -> None:
    assert Redactor(secrets).redact_text(text) == expected


def test_configure_logging_when_called_twice_old_handlers_are_removed(tmp_path: Path) -> None:
    first = configure_logging(tmp_path / "a", console=False)
    second = configure_logging(tmp_path / "b", console=False)
    try:
        structlog.get_logger().info("once")
        assert not first.handlers
        assert len(_lines(second)) == 1
        assert not (tmp_path / "a" / LOG_FILE_NAME).exists()
    finally:
        second.close()


def test_configure_logging_when_console_json_requested_console_gets_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    handle = configure_logging(tmp_path, console=True, console_json=True, secrets=[SECRET_TOKEN])
    try:
        structlog.get_logger().info("hello", token=SECRET_TOKEN)
    finally:
        handle.close()

    err = capsys.readouterr().err
    assert json.loads(err.strip().splitlines()[-1])["event"] == "hello"
    assert SECRET_TOKEN not in err


def test_configure_logging_when_file_exceeds_max_bytes_rotates(tmp_path: Path) -> None:
    handle = configure_logging(tmp_path, console=False, max_bytes=2000, backup_count=3)
    try:
        for i in range(100):
            structlog.get_logger().info("filler", i=i, pad="x" * 50)
    finally:
        handle.close()

    assert (tmp_path / f"{LOG_FILE_NAME}.1").exists()
    assert not (tmp_path / f"{LOG_FILE_NAME}.4").exists()


@pytest.mark.parametrize("background", [False, True])
def test_rotation_when_file_preexists_keeps_every_file_under_max_bytes_and_loses_no_line(
    tmp_path: Path, background: bool
) -> None:
    (tmp_path / LOG_FILE_NAME).write_text('{"event": "old"}\n' * 20, encoding="utf-8")
    handle = configure_logging(
        tmp_path, console=False, max_bytes=3000, backup_count=50, background=background
    )
    try:
        for i in range(200):
            structlog.get_logger().info("filler", i=i, pad="数" * 20)
    finally:
        handle.close()

    files = sorted(tmp_path.glob(f"{LOG_FILE_NAME}*"))
    assert len(files) > 5
    assert all(f.stat().st_size <= 3000 for f in files)
    numbers = sorted(
        json.loads(line)["i"]
        for f in files
        for line in f.read_text(encoding="utf-8").splitlines()
        if json.loads(line)["event"] == "filler"
    )
    assert numbers == list(range(200))
