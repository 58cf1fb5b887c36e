#!/usr/bin/env bash
# Install the real `xtquant` wheel (pure Python on Linux except its Windows-only native
# modules) into the ACTIVE environment, without dependencies. The QMT adapter tests run the
# real xtquant.xttrader against the MiniQMT emulator (ashare_exec.testing.miniqmt).
#
# Usage: .ci/install-xtquant.sh            # latest xtquant
#        XTQUANT_VERSION=250807.1.2 .ci/install-xtquant.sh
set -euo pipefail
PY="${PYTHON:-python}"
SPEC="xtquant"
if [[ -n "${XTQUANT_VERSION:-}" ]]; then
    SPEC="xtquant==${XTQUANT_VERSION}"
fi
WHEELS="$(mktemp -d)"
trap 'rm -rf "$WHEELS"' EXIT
# Download first (no deps: xtquant declares none, and the wheel is py3-none-any), then
# install from the local file so a flaky index fails loudly in one place.
"$PY" -m pip download --quiet --no-deps --dest "$WHEELS" "$SPEC"
"$PY" -m pip install --quiet --no-deps --no-index --find-links "$WHEELS" "$SPEC"
# Import check WITHOUT running xtquant/__init__.py (it makes a network call at import time).
"$PY" - <<'PYEOF'
import importlib.util
spec = importlib.util.find_spec("xtquant")
assert spec is not None and spec.submodule_search_locations, "xtquant not installed"
print("xtquant installed at", list(spec.submodule_search_locations)[0])
PYEOF
