"""``python -m ashare_exec.cli``."""

from ashare_exec.cli.main import main

raise SystemExit(main())
