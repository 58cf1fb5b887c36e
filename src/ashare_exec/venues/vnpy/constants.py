"""Constants of the vn.py venue adapter (no vendor import)."""

from __future__ import annotations

__all__ = [
    "EVENT_HOST",
    "PROFILE_GENERIC",
    "PROFILE_XTP",
    "SURROGATE_BITS",
    "VENUE_PREFIX",
    "XTP_FAILED_ORDERID",
    "XTP_GATEWAY_CLASS",
]

VENUE_PREFIX = "vnpy"
"""Venue names are ``vnpy:<gateway_name>``, e.g. ``vnpy:XTP``."""

EVENT_HOST = "eAshareHost"
"""The vn.py event type our XTP hooks put on the gateway's EventEngine (same FIFO stream)."""

PROFILE_XTP = "xtp"
"""vnpy_xtp's ``XtpGateway``: surrogate ids, raw error codes, order/trade queries, link hooks."""

PROFILE_GENERIC = "generic"
"""Any other ``BaseGateway``: only what the vn.py contract offers."""

XTP_GATEWAY_CLASS = "vnpy_xtp:XtpGateway"

XTP_FAILED_ORDERID = "0"
"""``insertOrder`` returns 0 on failure; vnpy_xtp still returns ``"XTP.0"`` (qmt-xtp.md §4.5)."""

SURROGATE_BITS = 24
"""Low bits of the 32-bit ``order_client_id`` that count orders; the high 8 hold ``instance_no``."""
