"""Journal test fixtures; the event factories live in ``tests/unit/oms/oms_stubs.py``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oms"))

from ashare_exec.journal import Journal


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    """A fresh journal in fast mode."""
    j = Journal.open(tmp_path / "journal.db", durability="fast")
    yield j
    j.close()
