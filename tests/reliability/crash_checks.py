"""The crash soak's invariant checks: pure functions on the gateway's JSON views, its logs,
its day archives and the venue's own record (the simulator's store, or what a stand-alone
MiniQMT holds: ``crash_qmt.QmtVenueState``). Each raises :class:`Violation`.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from ashare_exec.engine.closing import CLOSED_UNSEEN
from tests.reliability.dst_checks import archives_gap

__all__ = [
    "ACCOUNT",
    "Violation",
    "check_archives_cover",
    "check_day_archive",
    "check_ledger_matches_venue",
    "check_no_order_lost",
    "check_orders_match_venue",
    "check_sent_at_most_once",
    "every_order",
    "ok",
    "sent_counts",
]

ACCOUNT = "paper"


class Violation(AssertionError):
    """An invariant did not hold after a restart (message says which and where)."""


def ok(r: httpx.Response) -> Any:
    if r.status_code != 200:
        raise Violation(f"{r.request.method} {r.request.url} answered {r.status_code}: {r.text}")
    body = r.json()
    return body["positions"] if isinstance(body, dict) and "positions" in body else body


def check_no_order_lost(
    answered: dict[str, dict[str, Any]], orders: dict[str, dict[str, Any]], where: str
) -> None:
    """Every answered order exists with the content the client asked for."""
    for coid, body in answered.items():
        got = orders.get(coid)
        if got is None:
            raise Violation(f"{where}: order {coid} was answered but is lost after restart")
        for key in ("symbol", "side", "qty", "price_type"):
            if got[key] != body[key]:
                raise Violation(f"{where}: order {coid} {key} {got[key]!r} != {body[key]!r}")
        if Decimal(got["price"]) != Decimal(body["price"]):
            raise Violation(f"{where}: order {coid} price {got['price']} != {body['price']}")


def every_order(http: httpx.Client) -> list[dict[str, Any]]:
    """Every order of the day, following ``GET /v1/orders``'s pages (a page ends early,
    with a cursor, rather than build more than a few thousand restored orders)."""
    orders: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100_000}
    while True:
        body = ok(http.get("/v1/orders", params=params))
        orders.extend(body["orders"])
        if body["next_before"] is None:
            return orders
        params["before"] = body["next_before"]


def sent_counts(log_dir: Path) -> Counter[str]:
    """``send_sent`` lines per client order id over every life's log files."""
    counts: Counter[str] = Counter()
    for path in sorted(log_dir.glob("ashare-exec.jsonl*")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if '"send_sent"' not in line:
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by SIGKILL
            if rec.get("action") == "send_sent":
                counts[str(rec.get("client_order_id"))] += 1
    return counts


def check_sent_at_most_once(log_dir: Path, orders: dict[str, dict[str, Any]], where: str) -> None:
    """No order reached the venue twice, and none was refused as a duplicate id."""
    for coid, n in sent_counts(log_dir).items():
        if n > 1:
            raise Violation(f"{where}: order {coid} was sent to the venue {n} times")
    for coid, o in orders.items():
        if "DUPLICATE_CLIENT_ORDER_ID" in (o.get("reasons") or []):
            raise Violation(f"{where}: order {coid} ended as DUPLICATE_CLIENT_ORDER_ID")


def check_orders_match_venue(
    orders: dict[str, dict[str, Any]], venue: Any, where: str, today: date | None = None
) -> None:
    """Each order is terminal or working exactly as the venue has it; every venue order
    (of ``today``, when given) is known."""
    at_venue = {o.client_order_id: o for o in venue.orders if o.account_id == ACCOUNT}
    for coid, o in orders.items():
        v = at_venue.get(coid)
        if v is None:
            if o["status"] not in ("REJECTED", "DENIED"):
                raise Violation(
                    f"{where}: order {coid} is {o['status']} but the venue never got it"
                )
            continue
        if o["status"] != v.status.value or o["filled_qty"] != v.filled_qty:
            raise Violation(
                f"{where}: order {coid} is {o['status']} filled {o['filled_qty']} in the gateway,"
                f" {v.status.value} filled {v.filled_qty} at the venue"
            )
    missing = {c for c, o in at_venue.items() if today is None or o.day == today} - set(orders)
    if missing:
        raise Violation(f"{where}: venue orders unknown to the gateway: {sorted(missing)[:5]}")


def check_ledger_matches_venue(
    positions: dict[str, dict[str, Any]], account: dict[str, Any], venue: Any, where: str
) -> None:
    """Positions (total, sellable) and cash (available, frozen) equal the venue's."""
    acct = next(a for a in venue.accounts if a.account_id == ACCOUNT)
    held = {str(i): h for i, h in acct.holdings.items() if h.total or h.frozen}
    for symbol in sorted(set(held) | set(positions)):
        h = held.get(symbol)
        p = positions.get(symbol)
        mine = (p["total_qty"], p["sellable_qty"]) if p else (0, 0)
        theirs = (h.total, h.sellable) if h else (0, 0)
        if mine != theirs:
            raise Violation(
                f"{where}: position {symbol} (total, sellable) {mine} != venue {theirs}"
            )
    cash = account["cash"]
    mine_cash = (Decimal(cash["available"]), Decimal(cash["frozen"]))
    if mine_cash != (acct.available, acct.frozen):
        raise Violation(
            f"{where}: cash (available, frozen) {mine_cash} != venue"
            f" {(acct.available, acct.frozen)}"
        )


def check_archives_cover(root: Path, where: str) -> None:
    """The day archives together hold every journaled event up to the newest they hold."""
    gap = archives_gap(root)
    if gap:
        raise Violation(f"{where}: {gap}")


def check_day_archive(
    folder: Path, answered: dict[str, dict[str, Any]], venue: Any, day: date, where: str
) -> None:
    """An earlier day was closed: its archive exists, holds every order answered that day
    with its content, and every order the venue got that day as the venue ended it.

    Except one the service closed unseen at start (it was down at the close, see
    ``engine/closing.py``): fills after its last report are not known then, so it is
    archived EXPIRED with at most the venue's fills, and says so in its message."""
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        raise Violation(f"{where}: the day was not archived ({manifest} is missing)")
    rows = [
        json.loads(line)
        for line in (folder / "orders.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    archived = {
        r["client_order_id"]: {
            **r,
            "symbol": r["instrument"],
            "reasons": r["reasons"].split(",") if r["reasons"] else [],
        }
        for r in rows
        # An earlier day's order settled on this day is archived again here, as settled.
        if r["account"] == ACCOUNT and r["day"] == day.isoformat()
    }
    check_no_order_lost(answered, archived, where)
    at_venue = [o for o in venue.orders if o.account_id == ACCOUNT and o.day == day]
    for v in at_venue:
        got = archived.get(v.client_order_id)
        if got is None:
            raise Violation(f"{where}: venue order {v.client_order_id} is not in the archive")
        if CLOSED_UNSEEN in (got.get("message") or ""):
            if got["status"] != "EXPIRED" or got["filled_qty"] > v.filled_qty:
                raise Violation(
                    f"{where}: order {v.client_order_id} closed unseen is archived "
                    f"{got['status']} filled {got['filled_qty']}, the venue ended it "
                    f"{v.status.value} filled {v.filled_qty}"
                )
            continue
        if got["status"] != v.status.value or got["filled_qty"] != v.filled_qty:
            raise Violation(
                f"{where}: order {v.client_order_id} is archived {got['status']} filled "
                f"{got['filled_qty']}, the venue ended it {v.status.value} filled {v.filled_qty}"
            )
    sent = {v.client_order_id for v in at_venue}
    for coid, o in archived.items():
        if coid in sent or o["status"] in ("REJECTED", "DENIED"):
            continue
        if not (CLOSED_UNSEEN in (o.get("message") or "") and o["filled_qty"] == 0):
            raise Violation(f"{where}: {coid} is archived {o['status']}, the venue never got it")
