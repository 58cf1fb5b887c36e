"""The clock's drift while the service runs: measured against NTP now and then.

The start-up check refuses to start on a clock off by more than ``max_drift_ms``; a clock
can drift later (a Windows machine with its time service off, a VM resumed from a pause).
Every ``[checks] ntp_interval_s`` the same SNTP query runs again (off when 0, on a
simulated clock, or with no servers); each measurement feeds ``clock_drift_seconds`` and,
as a :class:`~ashare_exec.observability.alerts.ClockDriftMeasured`, the ``CLOCK_DRIFT``
alert rule. No server answering leaves both as they were.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from ashare_exec.check_items import CheckSettings
from ashare_exec.startup import check_clock

__all__ = ["measure_drift", "watch_drift"]

log = logging.getLogger(__name__)


async def measure_drift(
    servers: Sequence[str], settings: CheckSettings, on_drift: Callable[[float], None]
) -> float | None:
    """Measure once; hand the drift (seconds, positive when this clock is ahead) to
    ``on_drift`` and return it, or ``None`` when no server answered."""
    item = await check_clock(servers, settings)
    offset_ms = item.data.get("offset_ms")
    if not isinstance(offset_ms, int | float):
        log.warning("clock drift not measured: %s", item.detail)
        return None
    drift = -float(offset_ms) / 1000  # NTP's offset is the server's time minus ours
    on_drift(drift)
    return drift


async def watch_drift(
    servers: Sequence[str],
    settings: CheckSettings,
    interval_s: float,
    on_drift: Callable[[float], None],
) -> None:
    """Measure every ``interval_s`` seconds, for ever (a failure is logged, not raised)."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await measure_drift(servers, settings, on_drift)
        except Exception:
            log.exception("clock drift measurement failed")
