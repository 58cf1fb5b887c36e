"""Garbage-collector settings for a long-running service.

CPython's cyclic collector walks every tracked object of a generation on each pass. A
gateway keeps a day's orders, events, fills and order-log entries alive (about 17 tracked
objects per order), so a generation-1 pass in the afternoon walks every order since the
previous one: 440 ms in the middle of the order path after ~42,000 orders at CPython's
usual ratios (``docs/benchmarks.md``). Three measures, applied by ``ashare-exec serve``
only (the test suite starts hundreds of services in one process and keeps the defaults):

* :data:`THRESHOLDS` — young-generation passes sized for a short pause: a pass costs about
  half a microsecond per object that survived since the previous one.
* **Survivors frozen** — after every pass, what survived moves to the permanent generation
  that passes skip, so no pass ever walks the day's state again. Reference counting still
  frees those objects; only *cyclic* garbage among them waits for the next full settle.
  Requests and orders create none (``tests/api/test_no_cyclic_garbage.py`` checks it), so
  what waits is the odd cycle of an error path that was alive at a pass.
* :func:`settle` — collect once, then freeze: after start-up, and with ``full=True`` after
  each end of day, when a pause costs nothing, which also reclaims those cycles.
"""

from __future__ import annotations

import gc
from typing import Any

__all__ = ["THRESHOLDS", "configure", "reset", "settle"]

THRESHOLDS = (10_000, 20, 100)
"""Net allocations before a generation-0 pass, and passes before the next generation's."""


def _freeze_survivors(phase: str, _info: dict[str, Any]) -> None:
    if phase == "stop":
        gc.freeze()


def configure() -> tuple[int, int, int]:
    """Apply :data:`THRESHOLDS` and freeze the survivors of every pass from now on;
    return the previous thresholds."""
    previous = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)
    return previous


def reset(thresholds: tuple[int, int, int]) -> None:
    """Undo :func:`configure`: ``thresholds`` back, survivors left to age normally."""
    gc.set_threshold(*thresholds)
    while _freeze_survivors in gc.callbacks:
        gc.callbacks.remove(_freeze_survivors)


def settle(*, full: bool = False) -> int:
    """Collect garbage now, then freeze what survives; return the objects now frozen.

    ``full`` first returns the frozen objects to the collector, so that this pass also
    reclaims cyclic garbage that was frozen while still alive (it walks the whole heap:
    run it only when a pause of a second costs nothing, as after the close).
    """
    if full:
        gc.unfreeze()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
