"""Install everything the test suite needs into the current Python environment.

    python scripts/dev_setup.py && python -m pytest

* the package in editable mode with its ``test`` extra (pytest, hypothesis, mypy, ruff, and
  the real ``xtquant``, whose pure-Python trader the QMT tests drive over the emulator);
* the ``xtp`` extra plus ``vnpy`` and ``vnpy_xtp`` **without their dependencies**: vnpy
  declares its Qt GUI stack as hard requirements, which a headless gateway (and CI) must not
  pull in. ``vnpy_xtp`` builds a C++ extension (a C++ compiler is needed; ~30 s).

Works on Linux, macOS and Windows (no shell features used).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR_NO_DEPS = ["vnpy==4.5.0", "vnpy_xtp==2.2.32.2.3"]


def pip(*args: str) -> None:
    """Run ``python -m pip ...`` in this interpreter; stop on failure."""
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", *args]
    print("+", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def main() -> int:
    """Install; return the exit code."""
    pip("-e", ".[test,xtp]")
    pip("--no-deps", *VENDOR_NO_DEPS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
