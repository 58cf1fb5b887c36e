"""The service's event loop: uvloop where installed (never on Windows), asyncio on request."""

from __future__ import annotations

import asyncio
import importlib.util
import sys

import pytest

from ashare_exec.engine.runner import LOOP_ENV, loop_name, run_loop

HAS_UVLOOP = importlib.util.find_spec("uvloop") is not None and sys.platform != "win32"


async def _which() -> tuple[str, int]:
    await asyncio.sleep(0)
    return loop_name(), 42


def test_run_loop_when_forced_to_asyncio_runs_on_the_standard_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(LOOP_ENV, "asyncio")
    assert run_loop(_which()) == ("asyncio", 42)


def test_run_loop_when_uvloop_installed_uses_it_else_asyncio(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(LOOP_ENV, raising=False)
    expected = "uvloop" if HAS_UVLOOP else "asyncio"
    assert run_loop(_which()) == (expected, 42)


def test_run_loop_when_on_windows_never_tries_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOOP_ENV, raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    assert run_loop(_which()) == ("asyncio", 42)
