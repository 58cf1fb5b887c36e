"""Fixtures shared across the suite."""

from __future__ import annotations

import asyncio
import contextlib
import io
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def fast_dir(tmp_path: Path) -> Iterator[Path]:
    """A folder on tmpfs when there is one (the simulator's store fsyncs every change)."""
    shm = Path("/dev/shm")
    if shm.is_dir():
        with tempfile.TemporaryDirectory(dir=shm) as d:
            yield Path(d)
    else:
        yield tmp_path


HANG_REPORT_S = 240.0
"""A test still running after this long has its threads and asyncio tasks printed (once),
so a hang leaves evidence in the CI log. One hang was seen once (session 17, the QMT venue
soak in a long combined run, idle in its event loop) and was not reproduced in 20 runs."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    plugins = item.config.pluginmanager
    timer = threading.Timer(
        HANG_REPORT_S,
        _report_hang,
        args=(
            item.nodeid,
            plugins.get_plugin("terminalreporter"),
            plugins.get_plugin("capturemanager"),
        ),
    )
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def _report_hang(nodeid: str, reporter: Any, capture: Any) -> None:
    out = io.StringIO()
    out.write(f"\n=== {nodeid} still running after {HANG_REPORT_S:.0f} s ===\n")
    frames = sys._current_frames()
    for thread in threading.enumerate():
        frame = frames.get(thread.ident or -1)
        if frame is not None:
            out.write(f"--- thread {thread.name}\n{''.join(traceback.format_stack(frame))}")
    for task in list(getattr(asyncio.tasks, "_all_tasks", ())):
        with contextlib.suppress(Exception):
            out.write(f"--- task {task!r}\n")
            task.print_stack(file=out)
    # Past the test's output capture, to the terminal (the test may never finish to show it).
    quiet = capture.global_and_fixture_disabled() if capture else contextlib.nullcontext()
    with quiet:
        if reporter is not None:
            reporter.write_line(out.getvalue())
        else:
            sys.__stderr__.write(out.getvalue())
