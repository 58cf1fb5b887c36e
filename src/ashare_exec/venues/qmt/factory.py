"""Build the QMT adapter from the service configuration (``venue = "qmt"``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.model import AccountId
from ashare_exec.venues.qmt.adapter import QmtAdapter
from ashare_exec.venues.qmt.config import QmtConfig
from ashare_exec.venues.qmt.store import QmtIdStore

__all__ = ["create_qmt_adapter"]


def create_qmt_adapter(
    settings: Mapping[str, Any],
    *,
    accounts: tuple[AccountId, ...],
    clock: Clock,
    store: QmtIdStore | None = None,
    on_alert: Callable[[Any], None] | None = None,
) -> QmtAdapter:
    """Return a :class:`QmtAdapter` for the ``[venues.qmt]`` table and the qmt accounts.

    xtquant is not imported here: it loads on :meth:`QmtAdapter.connect`.

    Raises:
        ConfigError: the settings are invalid.
    """
    config = QmtConfig.from_mapping(settings, accounts)
    return QmtAdapter(config, clock, store=store, on_alert=on_alert)
