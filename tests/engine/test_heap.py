"""Collector settings of the long-running service (engine/heap.py, applied by serve)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import pytest

from ashare_exec.engine import heap
from ashare_exec.engine.runner import _tune_heap
from ashare_exec.engine.service import ServiceHooks


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


def test_configure_when_called_sets_thresholds_and_returns_previous() -> None:
    gc.set_threshold(700, 10, 10)
    assert heap.configure() == (700, 10, 10)
    assert gc.get_threshold() == heap.THRESHOLDS


def test_settle_when_called_freezes_the_live_objects() -> None:
    gc.unfreeze()
    alive = [{"kept": "across the settle"}]
    assert any(o is alive for o in gc.get_objects())
    frozen = heap.settle()
    assert frozen > 1000  # at least the interpreter's and pytest's own objects
    # Frozen objects sit in the permanent generation, outside every collected one.
    assert not any(o is alive for g in range(3) for o in gc.get_objects(g))


@dataclass
class _Service:
    hooks: ServiceHooks = field(default_factory=ServiceHooks)


def test_tune_heap_when_day_ends_runs_the_old_hook_then_settles_again() -> None:
    seen: list[date] = []
    service = _Service(ServiceHooks(on_end_of_day=seen.append))
    _tune_heap(service)  # type: ignore[arg-type]
    gc.unfreeze()
    assert gc.get_freeze_count() == 0

    service.hooks.on_end_of_day(date(2026, 11, 25))

    assert seen == [date(2026, 11, 25)]
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == heap.THRESHOLDS
