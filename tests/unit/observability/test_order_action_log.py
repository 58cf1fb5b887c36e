"""The order path's fast order-action writer produces the same line as ``order_log``."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import structlog

from ashare_exec.clock import CST, SimClock
from ashare_exec.model import InstrumentId, Side
from ashare_exec.observability.logging import (
    ORDER_LOG_FIELDS,
    LoggingHandle,
    configure_logging,
)
from ashare_exec.observability.order_log import OrderActionLog, order_log

T0 = datetime(2026, 11, 25, 9, 31, 0, 123456, tzinfo=CST)
SECRET = "tok-9f8e7d6c5b4a"

FIELDS = {
    "account": "acc1",
    "client_order_id": "S1-0001",
    "broker_order_id": None,
    "symbol": "600000.SH",
    "side": "BUY",
    "price": "10.01",
    "qty": 300,
}


def _lines(handle: LoggingHandle) -> list[dict[str, object]]:
    handle.close()
    text = handle.log_file.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("background", [False, True])
@pytest.mark.parametrize(
    ("result", "reason", "level"),
    [("accepted", None, "info"), ("rejected", "PRICE_OUT_OF_BAND", "warning")],
)
def test_order_action_log_when_written_matches_the_structlog_line(
    tmp_path: Path, background: bool, result: str, reason: str | None, level: str
) -> None:
    clock = SimClock(T0)
    handle = configure_logging(
        tmp_path, console=False, level="INFO", clock=clock, background=background
    )
    fast = OrderActionLog("ashare_exec.orders", clock)
    fast(
        action="ack",
        result=result,
        reason_code=reason,
        latency_ms=1.23456,
        status="ACCEPTED",
        **FIELDS,
    )
    order_log(
        structlog.get_logger("ashare_exec.orders"),
        action="ack",
        result=result,
        reason_code=reason,
        latency_ms=1.23456,
        status="ACCEPTED",
        **FIELDS,
    )

    fast_line, slow_line = _lines(handle)
    assert fast_line == slow_line
    assert set(ORDER_LOG_FIELDS) <= set(fast_line)
    assert fast_line["level"] == level
    assert fast_line["timestamp"] == "2026-11-25T09:31:00.123456+08:00"
    assert fast_line["latency_ms"] == 1.235


def test_order_action_log_when_level_is_warning_drops_ok_lines_keeps_refusals(
    tmp_path: Path,
) -> None:
    clock = SimClock(T0)
    handle = configure_logging(tmp_path, console=False, level="WARNING", clock=clock)
    fast = OrderActionLog("ashare_exec.orders", clock)
    fast(action="submit", result="ok", reason_code=None, latency_ms=None, **FIELDS)
    fast(action="submit", result="denied", reason_code="RATE_LIMITED", latency_ms=None, **FIELDS)

    (line,) = _lines(handle)
    assert line["reason_code"] == "RATE_LIMITED"


def test_order_action_log_when_a_value_holds_a_secret_it_is_masked(tmp_path: Path) -> None:
    clock = SimClock(T0)
    handle = configure_logging(
        tmp_path, console=False, secrets=[SECRET], clock=clock, background=True
    )
    fast = OrderActionLog("ashare_exec.orders", clock)
    fields = {**FIELDS, "account": f"acc-{SECRET}"}
    fast(action="submit", result="ok", reason_code=None, latency_ms=None, **fields)

    (line,) = _lines(handle)
    assert SECRET not in json.dumps(line)
    assert line["account"] == "acc-***"


def test_order_action_log_when_extra_fields_are_secret_or_typed_renders_as_structlog(
    tmp_path: Path,
) -> None:
    clock = SimClock(T0)
    handle = configure_logging(
        tmp_path, console=False, secrets=[SECRET], clock=clock, background=True
    )
    fast = OrderActionLog("ashare_exec.orders", clock)
    extra = {
        "api_token": "plain-but-secret-by-name",  # masked by its key
        "note": f"from {SECRET}",  # masked by its value
        "px": Decimal("10.010"),
        "symbol_id": InstrumentId.parse("600000.SH"),
        "when": T0,
        "side_enum": Side.SELL,
    }
    fast(action="submit", result="ok", reason_code=None, latency_ms=None, **FIELDS, **extra)
    order_log(
        structlog.get_logger("ashare_exec.orders"),
        action="submit",
        result="ok",
        **FIELDS,
        **extra,
    )

    fast_line, slow_line = _lines(handle)
    assert fast_line == slow_line
    assert (fast_line["api_token"], fast_line["note"]) == ("***", "from ***")
    assert (fast_line["px"], fast_line["side_enum"]) == ("10.010", "SELL")
    assert fast_line["when"] == "2026-11-25T09:31:00.123456+08:00"


def test_order_action_log_when_an_extra_field_is_nested_masks_inside_it(tmp_path: Path) -> None:
    handle = configure_logging(tmp_path, console=False, secrets=[SECRET], background=True)
    fast = OrderActionLog("ashare_exec.orders", SimClock(T0))
    detail = {"password": "hunter2", "items": [f"x{SECRET}", Decimal("1.5")]}
    fast(action="submit", result="ok", reason_code=None, latency_ms=None, **FIELDS, detail=detail)

    (line,) = _lines(handle)
    assert line["detail"] == {"password": "***", "items": ["x***", "1.5"]}


def test_order_action_log_on_a_human_console_matches_the_structlog_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = SimClock(T0)
    handle = configure_logging(
        tmp_path, console=True, console_json=False, secrets=[SECRET], clock=clock
    )
    fast = OrderActionLog("ashare_exec.orders", clock)
    fields = {**FIELDS, "account": f"acc-{SECRET}", "api_key": "by-its-name"}
    fast(action="ack", result="accepted", reason_code=None, latency_ms=1.5, **fields)
    order_log(
        structlog.get_logger("ashare_exec.orders"),
        action="ack",
        result="accepted",
        latency_ms=1.5,
        **fields,
    )
    handle.close()

    fast_line, slow_line = capsys.readouterr().err.splitlines()
    assert fast_line == slow_line
    assert "acc-***" in fast_line
    assert "api_key=***" in fast_line
    assert SECRET not in fast_line
