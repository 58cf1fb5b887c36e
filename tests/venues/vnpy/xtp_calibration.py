"""The XTP calibration: what an XTP server answers where the emulator only assumes
(:data:`~ashare_exec.venues.vnpy.emulator_wire.XTP_ERRORS`, the reports of an order's life).

:func:`calibrate` drives our real adapter over the real vnpy_xtp gateway. It is run against a
REAL XTP test server by ``test_xtp_live_calibration.py`` (skipped unless configured) and
against the emulator in CI by ``test_xtp_calibration.py``, which checks that the report
reads back what the emulator does: the routine a user runs once per broker is known to
measure what it says.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, replace
from decimal import Decimal

from ashare_exec.errors import BrokerRejected
from ashare_exec.model import (
    ClientOrderId,
    OrderAccepted,
    OrderCanceled,
    OrderRejected,
    OrderSpec,
)
from ashare_exec.venues.base import VenueAdapter, VenueReport

__all__ = ["REFUSALS", "Probes", "calibrate", "probes_from", "xtp_error"]

REFUSALS = ("PRICE_OFF_TICK", "INSUFFICIENT_CASH", "INSUFFICIENT_POSITION")
"""The refusals probed, by the reason code the adapter should give each."""

_XTP_ERROR = re.compile(r"\[XTP (\d+)\] (.*)")


def xtp_error(text: str) -> tuple[int, str] | None:
    """``(error_id, error_msg)`` from the adapter's ``[XTP id] msg`` text, if it is one."""
    m = _XTP_ERROR.search(text)
    return (int(m.group(1)), m.group(2).strip()) if m else None


@dataclass(frozen=True)
class Probes:
    """The orders sent: a passive buy (acknowledged, then canceled) and one order for each
    of :data:`REFUSALS`. (A cancel of a finished order is answered by the adapter itself,
    so XTP's error for it, ``ORDER_ALREADY_DONE``, is not probed.)"""

    passive: OrderSpec
    off_tick: OrderSpec
    unaffordable: OrderSpec
    oversell: OrderSpec


async def _outcome(
    adapter: VenueAdapter, spec: OrderSpec, seen: list[VenueReport], settle_s: float
) -> dict[str, object]:
    """Send ``spec``; what refused it (the XTP error and our reason code), or what came."""
    try:
        await adapter.submit(spec)
    except BrokerRejected as e:
        return {"error": xtp_error(e.message), "reason_code": e.code, "when": "at submit"}
    await asyncio.sleep(settle_s)
    mine = [r for r in seen if getattr(r, "client_order_id", None) == spec.client_order_id]
    for r in mine:
        if isinstance(r, OrderRejected):
            return {"error": xtp_error(r.message), "reason_code": r.reason_code, "when": "pushed"}
    return {"error": None, "reports": [type(r).__name__ for r in mine]}


async def calibrate(
    adapter: VenueAdapter, probes: Probes, *, settle_s: float = 2.0
) -> dict[str, object]:
    """Connect, send the probes, cancel what rests; return the report. Never on a
    real-money account."""
    seen: list[VenueReport] = []
    adapter.set_report_sink(seen.append)
    await adapter.connect()
    report: dict[str, object] = {}
    try:
        passive = probes.passive
        coid = passive.client_order_id
        await adapter.submit(passive)
        await asyncio.sleep(settle_s)
        await adapter.cancel(passive.account_id, coid, None)
        await asyncio.sleep(settle_s)
        mine = [r for r in seen if getattr(r, "client_order_id", None) == coid]
        report["passive_reports"] = [type(r).__name__ for r in mine]
        report["passive_acknowledged"] = any(isinstance(r, OrderAccepted) for r in mine)
        report["passive_canceled"] = any(isinstance(r, OrderCanceled) for r in mine)
        for code, spec in zip(
            REFUSALS, (probes.off_tick, probes.unaffordable, probes.oversell), strict=True
        ):
            report[code] = await _outcome(adapter, spec, seen, settle_s)
    finally:
        await adapter.close()
    return report


def probes_from(passive: OrderSpec, *, held_none: OrderSpec | None = None) -> Probes:
    """The probes around one passive buy: off its tick, far beyond the cash, and a sell of
    ``held_none`` (default: the passive one's instrument, 1,000,000 shares)."""
    price = passive.price
    assert price is not None

    def cid(tag: str) -> ClientOrderId:
        return ClientOrderId(f"{passive.client_order_id}{tag}")

    return Probes(
        passive=passive,
        off_tick=replace(passive, client_order_id=cid("t"), price=price + Decimal("0.005")),
        unaffordable=replace(passive, client_order_id=cid("c"), qty=999_900),
        oversell=held_none
        or replace(passive, client_order_id=cid("s"), side=passive.side.opposite, qty=1_000_000),
    )
