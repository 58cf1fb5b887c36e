"""The crash soak on XTP: the XTP server emulator in a process of its own.

A real XTP trading server outlives a gateway that is SIGKILLed: it keeps the day's orders,
drops the dead session, and answers the next login (replaying the day's pushes to a
RESTART subscription) and the start's reconciliation. The in-process emulator would die
with the gateway, so the soak runs ``ashare_exec.testing.xtp.standalone`` beside it (one
for the whole soak, reading the same gateway config) and reads the venue's state from it
for the checks. The gateway reaches it through the real vnpy_xtp gateway (``[venues.vnpy]
emulator = '<endpoint file>'``).

XTP carries no text of ours with an order, only the 32-bit ``order_client_id`` the
adapter chose (the surrogate). What maps the server's orders back to our client order ids
is therefore the mapping the adapter persisted in the journal *before* sending
(``vnpy.ids/<day>/<account>/<client id>``): an order at the server whose surrogate the
journal does not hold was sent without its mapping (or twice, the first mapping
overwritten), and is reported as a problem at the venue.
"""

from __future__ import annotations

import contextlib
import json
import random
import sqlite3
from collections import Counter
from datetime import date
from pathlib import Path

from ashare_exec.model import AccountId, OrderStatus
from tests.reliability.crash_qmt import (
    QmtVenueState,
    StandaloneQmt,
    VenueOrder,
    venue_accounts,
)

__all__ = ["StandaloneXtp", "journal_surrogates", "xtp_knobs", "xtp_venue_state"]

XTP_CANCELLED = (3, 5)  # XTP_ORDER_STATUS_PARTTRADEDNOTQUEUEING, _CANCELED


def xtp_knobs(seed: int) -> dict[str, object]:
    """How a soak's seed makes the server's pushes travel, as in the XTP venue soak: doubled
    and shuffled (odds 0.3), and delayed by a random jitter; from a stream of their own."""
    rng = random.Random(f"{seed}:xtp-knobs")
    return {"noisy": rng.random() < 0.3, "jitter_s": rng.choice((0.0, 0.0, 0.002, 0.01))}


def journal_surrogates(journal: Path) -> dict[tuple[str, str, int], str]:
    """``(account, day, surrogate) -> client order id`` as the adapter persisted them
    (read-only; the service may be running)."""
    uri = f"{journal.resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=30)) as db:
        rows = db.execute("SELECT key, value FROM state WHERE key LIKE 'vnpy.ids/%'").fetchall()
    out: dict[tuple[str, str, int], str] = {}
    for key, value in rows:
        _, day, _account, coid = str(key).split("/", 3)
        if coid.startswith("#"):  # the day's index rows
            continue
        record = json.loads(value)
        out[(str(record["account_id"]), day, int(record["surrogate"]))] = str(
            record["client_order_id"]
        )
    return out


def xtp_venue_state(
    snap: dict[str, list[dict[str, object]]], surrogates: dict[tuple[str, str, int], str]
) -> QmtVenueState:
    """The stand-alone XTP emulator's ``snapshot``, its orders named by our client ids.

    ``problems``: an order the server holds whose surrogate maps to none of ours that day,
    one of ours the server holds twice, and an order the server took but its simulator
    never got."""
    orders, problems = [], []
    for r in snap["orders"]:
        key = (str(r["account_id"]), str(r["day"]), int(str(r["surrogate"])))
        coid = surrogates.get(key, "")
        if not coid:
            problems.append(f"server order {r['xtp_id']} (surrogate {key}) is not ours")
        if r["status"] is None:
            problems.append(f"server order {r['xtp_id']} never reached the exchange")
            continue
        status = OrderStatus(r["status"])
        if status is OrderStatus.EXPIRED and r["terminal_status"] in XTP_CANCELLED:
            status = OrderStatus.CANCELED  # XTP has no "expired": the close is pushed cancelled
        orders.append(
            VenueOrder(
                client_order_id=coid,
                account_id=AccountId(str(r["account_id"])),
                status=status,
                filled_qty=int(str(r["filled_qty"])),
                day=date.fromisoformat(str(r["day"])),
            )
        )
    counts = Counter((o.account_id, o.day, o.client_order_id) for o in orders if o.client_order_id)
    problems += [
        f"order {c} reached the server {n} times" for (_, _, c), n in counts.items() if n > 1
    ]
    return QmtVenueState(orders, venue_accounts(snap["accounts"]), problems)


class StandaloneXtp(StandaloneQmt):
    """The stand-alone XTP server emulator of one soak.

    Args:
        config: the gateway config file (read once, at the emulator's start).
        endpoint_file: where the emulator writes its address and key.
        behaviour: server knobs (:func:`xtp_knobs`).
        journal: the gateway's journal, where the surrogates map to our client ids.
    """

    MODULE = "ashare_exec.testing.xtp.standalone"

    def __init__(
        self,
        config: Path,
        endpoint_file: Path,
        behaviour: dict[str, object] | None,
        journal: Path,
    ) -> None:
        super().__init__(config, endpoint_file, behaviour)
        self.journal = journal

    def restart(self) -> None:
        """Not modelled: an XTP server is not restarted during the trading day."""
        raise NotImplementedError("the XTP server emulator has no restart")

    def state(self) -> QmtVenueState:
        """What the server holds now (with any failure on its callback threads as a
        problem)."""
        state = xtp_venue_state(self.control.call("snapshot"), journal_surrogates(self.journal))
        errors = self.control.call("errors")
        state.problems.extend(f"server callback thread failed: {e}" for e in errors)
        return state
