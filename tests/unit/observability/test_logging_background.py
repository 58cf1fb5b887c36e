"""Background logging: lines are rendered and written on the logging thread, none lost."""

from __future__ import annotations

import io
import json
import logging
import queue
import time
from pathlib import Path

import pytest
import structlog

from ashare_exec.observability.log_sinks import BatchWriter, Console, QueueSink, RotatingFile
from ashare_exec.observability.logging import configure_logging
from ashare_exec.observability.order_log import order_log


def test_background_logging_writes_every_line_redacted_after_close(tmp_path: Path) -> None:
    handle = configure_logging(
        tmp_path, console=False, secrets=["sekret-value-1234"], background=True
    )
    log = structlog.get_logger("t")
    for i in range(200):
        order_log(
            log,
            action="submit",
            result="ok",
            account="a",
            client_order_id=f"c{i}",
            note="sekret-value-1234",
        )
    handle.close()  # drains the queue
    lines = handle.log_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 200
    assert json.loads(lines[-1])["client_order_id"] == "c199"
    assert "sekret-value-1234" not in "\n".join(lines)


class _CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, s: str) -> int:
        self.writes += 1
        return super().write(s)


def _record(msg: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("t", level, __file__, 0, msg, None, None)


def test_batch_writer_when_lines_queued_together_writes_them_in_one_write() -> None:
    stream = _CountingStream()
    sink = Console(stream)
    q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    for i in range(100):
        q.put(_record(f"line {i}"))
    writer = BatchWriter(q, [sink], linger_s=0.01)

    writer.start()
    writer.stop()

    assert stream.getvalue().splitlines() == [f"line {i}" for i in range(100)]
    assert stream.writes == 1


def test_batch_writer_when_running_writes_a_line_without_waiting_for_stop() -> None:
    stream = _CountingStream()
    q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    writer = BatchWriter(q, [Console(stream)], linger_s=0.01)
    writer.start()
    try:
        q.put(_record("soon"))
        deadline = time.monotonic() + 5
        while "soon" not in stream.getvalue() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert stream.getvalue() == "soon\n"
    finally:
        writer.stop()


def test_batch_sink_when_below_its_level_or_unformattable_skips_only_that_record(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = _CountingStream()
    sink = Console(stream)
    sink.setLevel(logging.WARNING)
    reported: list[logging.LogRecord] = []
    monkeypatch.setattr(sink, "handleError", reported.append)
    broken = _record("%d", logging.WARNING)
    broken.args = ("not a number",)

    sink.emit_many([_record("info"), _record("warn", logging.WARNING), broken])
    sink.emit_many([_record("error", logging.ERROR)])

    assert stream.getvalue().splitlines() == ["warn", "error"]
    assert reported == [broken]  # reported through the handler, not raised


def test_rotating_file_when_a_batch_crosses_the_limit_rotates_between_whole_lines(
    tmp_path: Path,
) -> None:
    path = tmp_path / "x.jsonl"
    sink = RotatingFile(path, maxBytes=200, backupCount=10, encoding="utf-8", delay=True)
    lines = [f"line-{i:03d}-" + "x" * 20 for i in range(40)]  # 30 bytes each

    sink.emit_many([_record(m) for m in lines])
    sink.close()

    backups = sorted(tmp_path.glob("x.jsonl.*"), key=lambda p: -int(p.suffix[1:]))
    files = [*backups, path]  # oldest first
    assert len(files) > 5
    written = [line for f in files for line in f.read_text(encoding="utf-8").splitlines()]
    assert written == lines
    assert all(f.stat().st_size <= 200 for f in files)


class _FailingStream(io.StringIO):
    def write(self, s: str) -> int:
        raise OSError(28, "No space left on device")


def test_batch_writer_when_a_sink_cannot_write_keeps_writing_the_others(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken, good = Console(_FailingStream()), Console(io.StringIO())
    reported: list[logging.LogRecord] = []
    monkeypatch.setattr(broken, "handleError", reported.append)
    q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    writer = BatchWriter(q, [broken, good], linger_s=0.001)
    writer.start()

    q.put(_record("first"))
    deadline = time.monotonic() + 5
    while "first" not in good.stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.005)
    q.put(_record("second"))
    writer.stop()

    assert good.stream.getvalue().splitlines() == ["first", "second"]
    assert [r.getMessage() for r in reported] == ["first", "second"]


def test_queue_sink_when_the_thread_falls_behind_drops_and_reports_the_count() -> None:
    q: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    source = QueueSink(q, max_pending=3)
    for i in range(5):
        source.handle(_record(f"line {i}"))
    stream = io.StringIO()

    writer = BatchWriter(q, [Console(stream)], linger_s=0.001, source=source)
    writer.start()
    writer.stop()

    lines = stream.getvalue().splitlines()
    assert lines[:3] == ["line 0", "line 1", "line 2"]  # the newest are the ones dropped
    assert source.dropped == 2
    assert lines[3:] == ["log_lines_dropped: 2 log lines dropped (the logging thread fell behind)"]
