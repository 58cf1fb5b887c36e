"""Garbage-collector settings for a long-running service.

CPython's cyclic collector walks every tracked object of a generation on each pass. A
gateway keeps a day's orders, events and fills alive, so by the afternoon a full pass walks
millions of objects that will live until the close: a pause of tens to hundreds of
milliseconds in the middle of the order path, and about a tenth of the order path's CPU at
saturation (``docs/benchmarks.md``). Two measures, applied by ``ashare-exec serve`` only
(the test suite starts hundreds of services in one process and keeps the defaults):

* :func:`settle` — collect once, then *freeze*: everything alive (the recovered journal
  state, imports, configuration) moves to the permanent generation that passes skip. Run
  after start-up and again after each end of day, when a pause costs nothing.
* :data:`THRESHOLDS` — fewer, larger young-generation passes: the order path allocates
  many short-lived objects, most freed by reference counting before any pass sees them.
"""

from __future__ import annotations

import gc

__all__ = ["THRESHOLDS", "configure", "settle"]

THRESHOLDS = (50_000, 20, 100)
"""Allocations before a generation-0 pass, and passes before the next generation's."""


def configure() -> tuple[int, int, int]:
    """Apply :data:`THRESHOLDS`; return the previous ones."""
    previous = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    return previous


def settle() -> int:
    """Collect garbage now, then freeze what survives; return the objects now frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
