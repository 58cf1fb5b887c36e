"""Background logging: lines are rendered and written on the logging thread, none lost."""

from __future__ import annotations

import json
from pathlib import Path

import structlog

from ashare_exec.observability.logging import configure_logging, order_log


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
