"""End-to-end fixtures: the real service in its own process, on a free loopback port.

Each test gets a fresh data folder and a config file; the service runs on the simulator
with a simulated clock starting in continuous trading, driven through the SDK.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ashare_exec.client import Client

TOKEN = "e2e-admin-token-0123456789"
READ_TOKEN = "e2e-read-token-0123456789"
PAPER_TOKEN = "e2e-paper-trader-0123456789"

BASE_CONFIG = """
[service]
data_dir = "data"
log_dir = "logs"

[api]
host = "127.0.0.1"
port = 0

[[api.tokens]]
name = "reader"
env = "E2E_READ_TOKEN"
scopes = ["read"]

[[api.tokens]]
name = "paper-trader"
env = "E2E_PAPER_TOKEN"
scopes = ["trade"]
accounts = ["paper"]

[clock]
mode = "sim"
start = "{start}"
speed = {speed}

[sessions]
reconcile_interval_s = 2.0
inflight_timeout_s = 2.0
{sessions}

[journal]
durability = "{durability}"

[[accounts]]
id = "paper"
venue = "{venue}"
cash = "1000000"
positions = {{ "600000.SH" = 10000 }}

[[accounts]]
id = "other"
venue = "{venue}"
cash = "500000"

{extra}
"""


EMULATORS = {
    "qmt": "\n[venues.qmt]\nemulator = true\n",
    "vnpy": "\n[venues.vnpy]\nemulator = true\n",
}


@dataclass
class Service:
    """A running service process."""

    proc: subprocess.Popen[str]
    url: str
    folder: Path
    banner: str

    def client(self, token: str = TOKEN) -> Client:
        return Client(self.url, token, timeout=10)

    drainer: threading.Thread | None = None
    lines: list[str] | None = None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(5)
        if self.drainer is not None:
            self.drainer.join(5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return code

    def log(self) -> str:
        return "".join(self.lines or [])

    def output(self) -> str:
        return self.banner


def service_env() -> dict[str, str]:
    """The environment the config's tokens are read from (and unbuffered output)."""
    env = dict(os.environ)
    env.update(
        ASHARE_EXEC_TOKEN=TOKEN,
        E2E_READ_TOKEN=READ_TOKEN,
        E2E_PAPER_TOKEN=PAPER_TOKEN,
        PYTHONUNBUFFERED="1",
    )
    return env


def spawn_service(folder: Path) -> subprocess.Popen[str]:
    """Run ``ashare-exec serve`` on ``folder``'s config (written already); don't wait."""
    env = service_env()
    cfg = folder / "config" / "gateway.toml"
    return subprocess.Popen(
        [sys.executable, "-m", "ashare_exec.cli", "serve", "--config", str(cfg)],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def start_service(
    folder: Path,
    *,
    start: str = "2026-11-25T10:00:00+08:00",
    speed: float = 1.0,
    durability: str = "fast",
    extra: str = "",
    sessions: str = "",
    venue: str = "sim",
    timeout: float = 60.0,
    wait_ready: bool = True,
) -> Service:
    """Start ``ashare-exec serve`` in ``folder`` and wait for its banner (and, unless told
    otherwise, for ``/readyz``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config").mkdir(exist_ok=True)
    cfg = folder / "config" / "gateway.toml"
    if not cfg.exists():
        cfg.write_text(
            BASE_CONFIG.format(
                start=start,
                speed=speed,
                durability=durability,
                extra=extra + EMULATORS.get(venue, ""),
                sessions=sessions,
                venue=venue,
            ),
            encoding="utf-8",
        )
    proc = spawn_service(folder)
    assert proc.stdout is not None
    lines: list[str] = []
    fresh: queue.SimpleQueue[str | None] = queue.SimpleQueue()

    # One reader for the whole life of the process, so the pipe never fills up and the
    # start-up wait below keeps its deadline even if the process hangs without a word.
    def drain() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            fresh.put(line)
        fresh.put(None)

    drainer = threading.Thread(target=drain, daemon=True)
    drainer.start()
    deadline = time.monotonic() + timeout
    url = None
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = fresh.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            break
        m = re.search(r"API:\s+(http://127\.0\.0\.1:\d+)/v1", line)
        if m:
            url = m.group(1)
        if "stop:" in line and url:
            break
    if url is None:
        proc.kill()
        proc.wait(10)
        drainer.join(5)
        proc.stdout.close()
        raise RuntimeError("service did not start:\n" + "".join(lines))
    svc = Service(proc, url, folder, "".join(lines), drainer, lines)
    if wait_ready:
        wait_until_ready(svc)
    return svc


def wait_until_ready(svc: Service, timeout: float = 30.0) -> None:
    """Wait for ``/readyz`` to answer 200."""
    deadline = time.monotonic() + timeout
    with svc.client() as c:
        while time.monotonic() < deadline:
            r = c._http.get("/readyz")
            if r.status_code == 200:
                return
            time.sleep(0.05)
    raise RuntimeError("service never became ready")


@pytest.fixture(params=["sim", "qmt", "vnpy"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Service]:
    """The service on the simulator, on QMT (real xtquant over the MiniQMT emulator) and on
    vn.py/XTP (real vnpy_xtp over the XTP server emulator)."""
    svc = start_service(tmp_path / "svc", venue=request.param)
    yield svc
    svc.stop()
