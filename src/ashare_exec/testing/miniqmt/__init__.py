"""A MiniQMT emulator: a fake ``xtquant.xtpythonclient`` under the real ``xtquant``.

Usage in a test::

    from ashare_exec.testing.miniqmt import MiniQmt, install

    qmt = MiniQmt()
    qmt.add_account("A1", cash=1_000_000)
    xttrader = install(qmt)          # real xtquant.xttrader, fake native module
    trader = xttrader.XtQuantTrader("C:/MiniQMT/userdata_mini", 1001, callback)

Knobs live in :class:`MiniQmtBehaviour`; control hooks (``set_price``, ``fill``,
``drop_connections``, ``restart``, ``set_account_status``, ...) on :class:`MiniQmt`.
"""

from ashare_exec.testing.miniqmt.behaviour import MiniQmtBehaviour
from ashare_exec.testing.miniqmt.client import XtQuantAsyncClient
from ashare_exec.testing.miniqmt.loader import (
    current_terminal,
    import_xtquant_quietly,
    install,
    xtquant_available,
)
from ashare_exec.testing.miniqmt.terminal import MiniQmt

__all__ = [
    "MiniQmt",
    "MiniQmtBehaviour",
    "XtQuantAsyncClient",
    "current_terminal",
    "import_xtquant_quietly",
    "install",
    "xtquant_available",
]
