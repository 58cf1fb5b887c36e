"""Load the real ``xtquant`` on any OS with the emulator standing in for its native module.

``xtquant/__init__.py`` makes a network call at import time (an update check against PyPI).
:func:`import_xtquant_quietly` creates the package object from its spec **without running**
``__init__.py``; submodules still resolve through the package ``__path__``. Nothing in the
real package is patched; only ``xtquant.__version__`` is missing.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
import warnings
from collections.abc import Callable

from ashare_exec.testing.miniqmt import structs
from ashare_exec.testing.miniqmt.client import Terminal, XtQuantAsyncClient
from ashare_exec.testing.miniqmt.terminal import MiniQmt

NATIVE = "xtquant.xtpythonclient"

_current: list[MiniQmt] = []


def xtquant_available() -> bool:
    """Return whether the real ``xtquant`` package is installed (without importing it)."""
    return importlib.util.find_spec("xtquant") is not None


def import_xtquant_quietly() -> types.ModuleType:
    """Return the ``xtquant`` package object, creating it without executing ``__init__``.

    Raises:
        ImportError: ``xtquant`` is not installed.
    """
    existing = sys.modules.get("xtquant")
    if existing is not None:
        return existing
    spec = importlib.util.find_spec("xtquant")
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError("xtquant is not installed (pip install --no-deps xtquant)")
    package = importlib.util.module_from_spec(spec)
    sys.modules["xtquant"] = package
    return package


def _fake_native_module() -> types.ModuleType:
    module = types.ModuleType(NATIVE, "Fake xtpythonclient (ashare_exec.testing.miniqmt).")
    for cls in (*structs.REQUEST_TYPES, structs.OrderStockResp, structs.CancelOrderStockResp):
        setattr(module, cls.__name__, cls)
    module.XtQuantAsyncClient = XtQuantAsyncClient  # type: ignore[attr-defined]
    return module


def install(terminal: MiniQmt) -> types.ModuleType:
    """Make ``terminal`` the MiniQMT that new ``XtQuantTrader`` objects connect to.

    Installs the fake native module (once per process) and imports the real
    ``xtquant.xttrader`` against it. Returns the ``xtquant.xttrader`` module.

    Raises:
        ImportError: ``xtquant`` is not installed, or a real native module is loaded already.
    """
    module = install_factory(_current_terminal)
    _current[:] = [terminal]
    return module


def install_factory(factory: Callable[[], Terminal]) -> types.ModuleType:
    """Like :func:`install`, with each new client getting ``factory()`` as its terminal
    (``remote.install_remote`` gives each one a connection to a MiniQMT elsewhere)."""
    package = import_xtquant_quietly()
    native = sys.modules.get(NATIVE)
    if native is None:
        native = _fake_native_module()
        sys.modules[NATIVE] = native
        package.xtpythonclient = native  # type: ignore[attr-defined]
    elif getattr(native, "XtQuantAsyncClient", None) is not XtQuantAsyncClient:
        raise ImportError("a real xtquant.xtpythonclient is loaded; cannot emulate MiniQMT")
    _current.clear()
    XtQuantAsyncClient.terminal_factory = factory
    with warnings.catch_warnings():
        # xtbson calls datetime.utcfromtimestamp at import (deprecated on 3.12+).
        warnings.filterwarnings("ignore", ".*utcfromtimestamp.*", DeprecationWarning)
        return importlib.import_module("xtquant.xttrader")


def _current_terminal() -> MiniQmt:
    return _current[0]


def current_terminal() -> MiniQmt | None:
    """The :class:`MiniQmt` that new traders connect to (``None`` before :func:`install`)."""
    return _current[0] if _current else None
