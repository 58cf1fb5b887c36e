"""The packaged sample recording, and the rebuild of a day's reports from durable state."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ashare_exec.model import (
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderRejected,
    OrderStatus,
)
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.sim.state import SimFill, SimOrder

__all__ = ["rebuild_reports", "sample_replay_path"]


def sample_replay_path() -> Path:
    """Path of the packaged sample recording (``sim_replay.sample.csv``)."""
    return Path(str(resources.files("ashare_exec") / "data" / "sim_replay.sample.csv"))


def rebuild_reports(orders: list[SimOrder], fills: list[SimFill]) -> list[VenueReport]:
    """Every report the venue emitted today for ``orders``, rebuilt in emission order.

    Per order: the acknowledgement (or rejection), its fills, then how it ended.
    """
    by_order: dict[str, list[SimFill]] = {}
    for f in fills:
        by_order.setdefault(f.client_order_id, []).append(f)
    out: list[VenueReport] = []
    for o in sorted(orders, key=lambda o: o.seq):
        if o.status is OrderStatus.REJECTED:
            out.append(
                OrderRejected(
                    account_id=o.account_id,
                    client_order_id=o.client_order_id,
                    ts_event=o.ts_created,
                    reason_code=o.reason_code or "BROKER_REJECTED",
                    message=o.message,
                    broker_order_id=o.broker_order_id,
                )
            )
            continue
        out.append(
            OrderAccepted(
                account_id=o.account_id,
                client_order_id=o.client_order_id,
                ts_event=o.ts_created,
                broker_order_id=o.broker_order_id,
                exchange_order_id=o.exchange_order_id,
            )
        )
        out += [f.report() for f in by_order.get(o.client_order_id, [])]
        if o.status is OrderStatus.CANCELED:
            out.append(
                OrderCanceled(
                    account_id=o.account_id,
                    client_order_id=o.client_order_id,
                    ts_event=o.ts_updated,
                    message=o.message,
                )
            )
        elif o.status is OrderStatus.EXPIRED:
            out.append(
                OrderExpired(
                    account_id=o.account_id,
                    client_order_id=o.client_order_id,
                    ts_event=o.ts_updated,
                )
            )
    return out
