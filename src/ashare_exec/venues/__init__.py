"""Venue adapters: the contract (:mod:`.base`) and the built-in simulator (:mod:`.sim`)."""

from ashare_exec.venues.base import (
    ORDER_REPORT_TYPES,
    ReportSink,
    VenueAdapter,
    VenueCapabilities,
    VenueReport,
)

__all__ = [
    "ORDER_REPORT_TYPES",
    "ReportSink",
    "VenueAdapter",
    "VenueCapabilities",
    "VenueReport",
]
