#!/usr/bin/env bash
# Install vn.py and vnpy_xtp HEADLESS into the ACTIVE environment, so the vn.py adapter tests
# (tests/venues/vnpy) run the real vnpy_xtp gateway instead of skipping.
#
# Why not `pip install vnpy vnpy_xtp`: vnpy declares its GUI stack (PySide6==6.8.2.1,
# pyqtgraph, plotly, ...) as hard dependencies. A gateway host needs none of it, so both are
# installed with --no-deps plus the five small runtime imports (see docs/vnpy.md):
#   numpy, ta-lib (vnpy.trader.utility imports talib; 0.8.x ships manylinux wheels),
#   tzlocal, loguru, importlib_metadata (imported by vnpy_xtp/__init__.py, undeclared).
# vnpy_xtp is an sdist: pip builds its C++ extension with meson-python + pybind11 (fetched
# from PyPI into the build environment) and a C++ compiler (g++ >= 9). About 15-30 s.
#
# Usage: .ci/install-vnpy.sh
#        VNPY_VERSION=4.5.0 VNPY_XTP_VERSION=2.2.32.2.3 .ci/install-vnpy.sh
set -euo pipefail
PY="${PYTHON:-python}"
VNPY="vnpy${VNPY_VERSION:+==${VNPY_VERSION}}"
VNPY_XTP="vnpy_xtp${VNPY_XTP_VERSION:+==${VNPY_XTP_VERSION}}"

command -v "${CXX:-g++}" >/dev/null || { echo "a C++ compiler (g++) is required to build vnpy_xtp" >&2; exit 1; }
"$PY" -m pip install --quiet "numpy>=2.2" "ta-lib>=0.6.4" "tzlocal>=5.3" "loguru>=0.7.3" importlib_metadata
"$PY" -m pip install --quiet --no-deps "$VNPY" "$VNPY_XTP"

# Import check in a throw-away HOME/cwd: importing vnpy creates .vntrader/ at import time.
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && HOME="$TMP" "$PY" -c "
from vnpy.event import EventEngine
from vnpy_xtp import XtpGateway
from vnpy_xtp.api import TdApi
TdApi()
print('vnpy + vnpy_xtp import OK:', XtpGateway.default_name)
")
