"""The crash soak on QMT: the MiniQMT emulator in a process of its own.

A real MiniQMT outlives a gateway that is SIGKILLed: it keeps the orders, drops the dead
session and answers the next start's reconciliation (listing orders and trades, matching
ours by remark). The embedded emulator would die with the gateway, so the soak runs
``ashare_exec.testing.miniqmt.standalone`` beside it (one for the whole soak, reading the
same gateway config: the ``qmt`` account, its cash and positions, the ``[venues.sim]``
market) and reads the venue's state from it for the checks. The gateway reaches it through
the real ``xtquant`` client (``[venues.qmt] emulator = '<endpoint file>'``). Across days the
emulator's market closes the old day when the soak moves its clock to the next, and the
terminal then lists only the new day's orders; its snapshot keeps every day's.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from ashare_exec.model import AccountId, OrderStatus
from ashare_exec.testing.miniqmt.remote import ControlClient, Endpoint

__all__ = [
    "QmtVenueState",
    "StandaloneQmt",
    "as_the_terminal_reports",
    "soak_knobs",
    "venue_accounts",
]


def soak_knobs(seed: int) -> dict[str, bool]:
    """The terminal behaviours a soak's seed switches on (each with odds 0.3, as in the QMT
    venue soak), from a stream of their own (the seed's schedule of lives is unchanged)."""
    from tests.reliability.qmt_soak import KNOBS

    rng = random.Random(f"{seed}:qmt-knobs")
    later = ("restart_reuses_ids", "close_leaves_orders_open")  # drawn last: seeds keep theirs
    return {knob: rng.random() < 0.3 for knob in (*KNOBS, *later)}


@dataclass(frozen=True)
class VenueOrder:
    """One order as the emulator's simulator has it (keyed by our client order id)."""

    client_order_id: str
    account_id: AccountId
    status: OrderStatus
    filled_qty: int
    day: date


@dataclass(frozen=True)
class VenueHolding:
    """One position at the emulator."""

    total: int
    sellable: int
    frozen: int


@dataclass(frozen=True)
class VenueAccount:
    """Cash and positions at the emulator."""

    account_id: AccountId
    available: Decimal
    frozen: Decimal
    holdings: dict[str, VenueHolding] = field(default_factory=dict)


@dataclass(frozen=True)
class QmtVenueState:
    """The emulator's state, in the shape the crash checks read the simulator's store in.

    ``problems``: what is wrong at the venue itself, whatever the gateway says — an order
    that reached the terminal twice (two orders with one client id in their remarks), or
    an order whose remark names none of ours."""

    orders: list[VenueOrder]
    accounts: list[VenueAccount]
    problems: list[str]

    @classmethod
    def from_snapshot(cls, snap: dict[str, list[dict[str, object]]]) -> QmtVenueState:
        """Build from the emulator's ``snapshot`` control."""
        rows = snap["orders"]
        counts = Counter(str(r["client_order_id"]) for r in rows)
        problems = [f"order {c} reached the terminal {n} times" for c, n in counts.items() if n > 1]
        problems += [f"terminal order with remark {r['remark']!r} is not ours"
                     for r in rows if not r["client_order_id"]]  # fmt: skip
        orders = [
            VenueOrder(
                client_order_id=str(r["client_order_id"]),
                account_id=AccountId(str(r["account_id"])),
                status=as_the_terminal_reports(OrderStatus(r["status"]), r.get("terminal_status")),
                filled_qty=int(str(r["filled_qty"])),
                day=date.fromisoformat(str(r["day"])),
            )
            for r in rows
        ]
        return cls(orders, venue_accounts(snap["accounts"]), problems)


def venue_accounts(rows: list[dict[str, object]]) -> list[VenueAccount]:
    """The ``accounts`` rows of an emulator's snapshot (``accounts_snapshot``)."""
    return [
        VenueAccount(
            account_id=AccountId(str(a["account_id"])),
            available=Decimal(str(a["available"])),
            frozen=Decimal(str(a["frozen"])),
            holdings={
                sym: VenueHolding(*vals)
                for sym, vals in a["holdings"].items()  # type: ignore[attr-defined]
            },
        )
        for a in rows
    ]


def as_the_terminal_reports(status: OrderStatus, terminal_status: object) -> OrderStatus:
    """The simulator's status as MiniQMT shows it. It has no "expired": an order the close
    ended is listed and pushed cancelled (54, or 53 with fills), so a gateway that
    reconciles with it at the end of day records it ``CANCELED``; unless the terminal
    leaves it reported (``close_leaves_orders_open``), and the gateway's end of day expires
    it itself. (A gateway down at the close expires its open orders itself the next day,
    unseen: ``check_day_archive`` allows for that.)"""
    if status is OrderStatus.EXPIRED and terminal_status in (53, 54):
        return OrderStatus.CANCELED
    return status


class StandaloneQmt:
    """The stand-alone emulator process of one soak (MiniQMT; :attr:`MODULE` names it).

    Args:
        config: the gateway config file (read once, at the emulator's start).
        endpoint_file: where the emulator writes its address and key.
        behaviour: terminal knobs (``MiniQmtBehaviour`` fields) to switch.
    """

    MODULE = "ashare_exec.testing.miniqmt.standalone"

    def __init__(
        self, config: Path, endpoint_file: Path, behaviour: dict[str, object] | None = None
    ) -> None:
        endpoint_file.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.MODULE, "--config",
             str(config), "--endpoint", str(endpoint_file), "--tick", "0", "--watch-stdin",
             "--behaviour", json.dumps(behaviour or {})],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while not endpoint_file.is_file():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"the stand-alone emulator {self.MODULE} did not start")
            time.sleep(0.05)
        self.control = ControlClient(Endpoint.read(endpoint_file))

    def set_time(self, at: datetime) -> None:
        """Move the emulated market's clock (the gateway's clock starts there next life),
        once the terminal has dropped the dead gateway's sessions: each session's requests
        are served in order until its connection ends, so only then has everything that
        gateway sent been done at the old time. (A real terminal serves a request at once;
        here a busy machine may still be serving the last orders of a gateway killed a
        moment ago, and the soak's days are moments apart: an order sent on one day would
        be placed on the next.)"""
        deadline = time.monotonic() + 30
        while self.control.call("sessions"):
            if time.monotonic() > deadline:
                raise RuntimeError("the terminal kept a dead gateway's session for 30 s")
            time.sleep(0.02)
        self.control.call("set_time", at.isoformat())

    def restart(self) -> None:
        """Restart the terminal (while the gateway is down): every order gets a new
        ``order_id``, so the ids the gateway journaled no longer name them."""
        self.control.call("restart")

    def set_online(self, online: bool) -> None:
        """Take the venue out of reach (a gateway's connect fails, as with the terminal not
        running; its sessions drop) or bring it back; the venue keeps its orders."""
        self.control.call("set_online", online)

    def state(self) -> QmtVenueState:
        """What the terminal holds now."""
        return QmtVenueState.from_snapshot(self.control.call("snapshot"))

    def close(self) -> str:
        """Stop the emulator; returns its console output."""
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            self.proc.stdin.close()  # --watch-stdin
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        out = self.proc.stdout.read() if self.proc.stdout is not None else ""
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return out
