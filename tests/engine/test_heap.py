"""Collector settings of the long-running service (engine/heap.py, applied by serve)."""

from __future__ import annotations

import gc
import weakref
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
    heap.reset(before)
    gc.unfreeze()


def test_configure_when_called_sets_thresholds_and_returns_previous() -> None:
    gc.set_threshold(700, 10, 10)
    assert heap.configure() == (700, 10, 10)
    assert gc.get_threshold() == heap.THRESHOLDS


def _in_a_generation(obj: object) -> bool:
    return any(o is obj for g in range(3) for o in gc.get_objects(g))


class _Node:
    """A container the collector tracks (a plain list of strings may be untracked)."""

    def __init__(self) -> None:
        self.other: object = None


def test_configure_when_a_pass_runs_freezes_its_survivors() -> None:
    heap.configure()
    survivor = _Node()
    assert _in_a_generation(survivor)

    gc.collect(0)  # what an automatic young pass does

    assert not _in_a_generation(survivor)  # frozen: no later pass walks it
    assert gc.get_freeze_count() > 0


def test_reset_when_called_leaves_survivors_to_age_normally() -> None:
    previous = heap.configure()
    heap.reset(previous)
    gc.unfreeze()
    survivor = _Node()

    gc.collect(0)

    assert _in_a_generation(survivor)
    assert gc.get_threshold() == previous


def test_settle_full_when_a_frozen_cycle_died_reclaims_it() -> None:
    heap.configure()
    a, b = _Node(), _Node()
    a.other, b.other = b, a  # a cycle, alive at the next pass: frozen with it
    gc.collect(0)
    probe = weakref.ref(a)
    del a, b
    heap.settle()
    assert probe() is not None  # a plain settle leaves frozen objects alone

    heap.settle(full=True)

    assert probe() is None


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


def test_tune_heap_when_day_ends_reclaims_cycles_frozen_during_the_day() -> None:
    service = _Service()
    _tune_heap(service)  # type: ignore[arg-type]
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    gc.collect(0)
    probe = weakref.ref(a)
    del a, b

    service.hooks.on_end_of_day(date(2026, 11, 25))

    assert probe() is None
