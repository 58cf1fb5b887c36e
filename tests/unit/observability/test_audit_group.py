"""The group-synced audit log: records reach the disk shortly after, in grouped writes."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from unittest import mock

from ashare_exec.clock import CST
from ashare_exec.observability.audit import GroupSyncedAuditLog, verify

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
