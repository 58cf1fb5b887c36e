"""The group-synced audit log: records reach the disk shortly after, in grouped writes."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from pathlib import Path
from unittest import mock

from ashare_exec.clock import CST
from ashare_exec.observability.audit import verify
from ashare_exec.observability.audit_sync import GroupSyncedAuditLog

TS = datetime(2026, 11, 25, 10, 0, tzinfo=CST)


def test_group_synced_log_writes_a_verifiable_chain_and_syncs_in_the_background(
    tmp_path: Path,
) -> None:
    path = tmp_path / "audit.jsonl"
    with mock.patch("ashare_exec.observability.audit.os.fsync") as fsync:
        log = GroupSyncedAuditLog(path, interval_s=0.01)
        for i in range(50):
            log.append("command", "t", {"i": i}, TS)
        deadline = time.monotonic() + 5
        while fsync.call_count == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert 1 <= fsync.call_count < 50  # grouped, not one per record
        # On disk within the interval, without a close.
        assert len(path.read_text(encoding="utf-8").splitlines()) == 50
        log.close()
    result = verify(path)
    assert result.ok
    assert result.records == 50


def test_an_append_does_not_wait_for_the_background_fsync(tmp_path: Path) -> None:
    # The appender is the event loop: a slow disk must not stall it.
    path = tmp_path / "audit.jsonl"
    in_fsync = threading.Event()
    release = threading.Event()

    def slow_fsync(fd: int) -> None:
        in_fsync.set()
        release.wait(5)

    with mock.patch("ashare_exec.observability.audit.os.fsync", side_effect=slow_fsync):
        log = GroupSyncedAuditLog(path, interval_s=0.01)
        log.append("command", "t", {"i": 0}, TS)
        assert in_fsync.wait(5)
        t0 = time.monotonic()
        log.append("command", "t", {"i": 1}, TS)
        waited = time.monotonic() - t0
        release.set()
        log.close()
    assert waited < 1.0
    assert verify(path).records == 2
