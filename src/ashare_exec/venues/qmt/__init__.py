"""QMT / MiniQMT venue adapter over the real ``xtquant`` (imported lazily by :mod:`.shim`)."""

from ashare_exec.venues.qmt.adapter import QmtAdapter
from ashare_exec.venues.qmt.book import QmtAlert
from ashare_exec.venues.qmt.config import QmtConfig
from ashare_exec.venues.qmt.factory import build_qmt_venue, create_qmt_adapter
from ashare_exec.venues.qmt.store import (
    InMemoryIdStore,
    KeyValueIdStore,
    QmtIdStore,
    QmtOrderIds,
)

__all__ = [
    "InMemoryIdStore",
    "KeyValueIdStore",
    "QmtAdapter",
    "QmtAlert",
    "QmtConfig",
    "QmtIdStore",
    "QmtOrderIds",
    "build_qmt_venue",
    "create_qmt_adapter",
]
