"""``python main.py --exec-service [serve options]`` starts the execution service.

The original design (§12) asks for this entry point; it is the same as ``ashare-exec serve``.
"""

from __future__ import annotations

import sys

from ashare_exec.cli.main import main

if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--exec-service" in argv:
        argv = ["serve", *[a for a in argv if a != "--exec-service"]]
    raise SystemExit(main(argv))
