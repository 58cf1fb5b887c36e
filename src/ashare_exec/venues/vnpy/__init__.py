"""vn.py venue adapter: any vn.py ``BaseGateway`` (XTP today) behind the venue contract.

vn.py and the gateway package are imported lazily by :mod:`.shim` on connect.
"""

from ashare_exec.venues.vnpy.adapter import VnpyAdapter
from ashare_exec.venues.vnpy.book import VnpyAlert
from ashare_exec.venues.vnpy.config import VnpyConfig
from ashare_exec.venues.vnpy.factory import build_vnpy_venue, create_vnpy_adapter
from ashare_exec.venues.vnpy.store import (
    InMemoryVnpyIdStore,
    KeyValueVnpyIdStore,
    VnpyIdStore,
    VnpyOrderIds,
)
from ashare_exec.venues.vnpy.venue import VnpyVenue

__all__ = [
    "InMemoryVnpyIdStore",
    "KeyValueVnpyIdStore",
    "VnpyAdapter",
    "VnpyAlert",
    "VnpyConfig",
    "VnpyIdStore",
    "VnpyOrderIds",
    "VnpyVenue",
    "build_vnpy_venue",
    "create_vnpy_adapter",
]
