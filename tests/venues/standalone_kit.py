"""Test kit: a stand-alone venue emulator (MiniQMT or the XTP server) in a process of its
own, started from a small gateway config on a flat market, stopped by closing its stdin."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ashare_exec.testing.wire import ControlClient, Endpoint

START = "2026-11-25T10:00:00+08:00"
FLAT_WALK = "level_lots_min = 100000\nlevel_lots_max = 100000\nmax_step_ticks = 0"
"""A flat market: an order off the price rests all day."""


def emulator_config(
    *,
    start: str,
    account: str,
    venue: str,
    cash: str = "1000000",
    positions: dict[str, int] | None = None,
    walk: str = FLAT_WALK,
) -> str:
    """The gateway config a stand-alone emulator reads: one account on ``venue`` with its
    cash and positions (default 1,000 shares of 600000.SH), ``walk`` the TOML body of
    ``[venues.sim.walk]``."""
    held = positions if positions is not None else {"600000.SH": 1000}
    return "\n".join([
        "[clock]", 'mode = "sim"', f'start = "{start}"', "",
        "[[accounts]]", f'id = "{account}"', f'venue = "{venue}"', f'cash = "{cash}"', "",
        "[accounts.positions]", *(f'"{s}" = {n}' for s, n in held.items()), "",
        "[venues.sim.walk]", walk, "",
    ])  # fmt: skip


@dataclass
class Standalone:
    """A running stand-alone emulator."""

    proc: subprocess.Popen[str]
    endpoint_file: Path
    control: ControlClient

    def sessions(self) -> int:
        """Connected sessions, as the emulator counts them."""
        return int(self.control.call("sessions"))

    def sessions_after_drops(self, within: float = 5.0) -> int:
        """The session count once it reaches 0, or after ``within`` seconds."""
        deadline = time.monotonic() + within
        while (count := self.sessions()) and time.monotonic() < deadline:
            time.sleep(0.02)
        return count


def spawn(
    module: str, folder: Path, account: str, venue: str, *extra: str
) -> subprocess.Popen[str]:
    """Start ``python -m module`` on a one-account config in ``folder`` (endpoint file
    ``folder / "endpoint.json"``)."""
    config = folder / "gateway.toml"
    config.write_text(emulator_config(start=START, account=account, venue=venue), encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-m", module, "--config", str(config),
         "--endpoint", str(folder / "endpoint.json"), *extra],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


@contextlib.contextmanager
def running(
    module: str, folder: Path, account: str, venue: str, *extra: str
) -> Iterator[Standalone]:
    """A stand-alone emulator with a manual market (``--tick 0``), until the block ends
    (``extra``: more options, e.g. ``--reuse-endpoint``)."""
    proc = spawn(module, folder, account, venue, "--tick", "0", "--watch-stdin", *extra)
    endpoint_file = folder / "endpoint.json"
    try:
        deadline = time.monotonic() + 30
        control = None
        while control is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"emulator did not start: {proc.communicate()[0]}")
            time.sleep(0.05)
            # A reused endpoint file is there before the emulator listens: dial to know.
            with contextlib.suppress(OSError, ValueError, EOFError):
                control = ControlClient(Endpoint.read(endpoint_file))
        yield Standalone(proc, endpoint_file, control)
        control.close()
    finally:
        assert proc.stdin is not None
        proc.stdin.close()  # --watch-stdin: the emulator exits
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()
