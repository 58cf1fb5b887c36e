"""Reconciliation with the venue (the broker is the source of truth).

Runs at start, after every reconnect, on a timer, at end of day, and whenever the report
path asks (a quarantined report, a fills gap). For one account it queries the venue's
orders, trades, positions and cash; applies the missing fills and status changes; adopts
orders placed outside the gateway; settles our in-flight orders the venue does not know;
sets the ledger to the broker's figures (each correction journaled, alerted above the
tolerance); and keeps the diff as a JSON report under ``<data_dir>/reconcile/``.

The broker's balances count only the orders it has received: the freezes of our orders
still in flight (or that it reports ended before we know) are taken off its figures first
(:func:`~ashare_exec.oms.snapshot.unseen_freezes`), judged against the order list of the
same pass. That list and the balances are separate queries, so when a correction is due
the order list is queried again after the balances: where something moved in between (an
order arrived, a fill, a cancel), the balances may or may not include it. The positions of
the instruments whose orders moved, and cash, are then left as they are for this pass;
the other positions are corrected. When a due correction was held back, another reconcile
is requested (at most :data:`MAX_DEFERRALS` in a row; then the timer's next run tries
again). When the balances agree there is nothing to defer, and no second query: under a
steady flow of orders the list always moves.
"""

from __future__ import annotations

import asyncio
import logging
import operator
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TypeVar

from ashare_exec.clock import CST
from ashare_exec.engine.core import ExecutionCore
from ashare_exec.engine.reconcile_reports import (
    balance_mismatch,
    mismatch_counts,
    unexplained,
    write_report,
)
from ashare_exec.errors import BrokerTimeout, BrokerUnavailable
from ashare_exec.model import (
    AccountId,
    CashReport,
    ClientOrderId,
    InstrumentId,
    OrderEvent,
    OrderRestated,
    OrderStatus,
    OrderStatusReport,
    PositionReport,
)
from ashare_exec.model.portfolio import T1_RELEASE
from ashare_exec.observability.alerts import ReconciliationMismatch
from ashare_exec.oms.reconcile import ReconcileReport, SettledKey, never_acknowledged, reconcile
from ashare_exec.oms.snapshot import moved_instruments, unseen_freezes
from ashare_exec.oms.state import StateChange
from ashare_exec.venues.base import VenueAdapter

__all__ = ["MAX_DEFERRALS", "Reconciler"]

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_DEFERRALS = 3
"""Reconciles in a row that may skip the ledger correction and ask for another at once."""
_LAST_TRADE = time(15, 30)
"""The end of after-hours fixed-price trading: no buy of the day is booked later."""


class Reconciler:
    """Reconciles accounts through the core's venues; one at a time per account."""

    def __init__(
        self,
        core: ExecutionCore,
        *,
        report_dir: Path | None,
        grace_s: float = 10.0,
    ) -> None:
        self.core = core
        self.report_dir = report_dir
        self.grace_s = grace_s
        self._locks: dict[AccountId, asyncio.Lock] = {}
        self._pending: set[AccountId] = set()
        self.last_reports: dict[AccountId, ReconcileReport] = {}
        self.on_first_reconcile: Callable[[AccountId], None] = lambda _a: None
        """Called once per account, after its first reconcile that succeeds."""
        self.on_run: Callable[[AccountId, str], None] = lambda _a, _why: None
        """Called as each reconcile starts on a connected venue, with why it runs."""
        self.runs = 0
        self._deferrals: dict[AccountId, int] = {}
        # Per account, the finished orders the last reconcile found settled, and its day.
        self._settled: dict[AccountId, tuple[date | None, dict[ClientOrderId, SettledKey]]] = {}

    def request(self, account_id: AccountId, why: str) -> None:
        """Ask for a reconcile of ``account_id`` soon (coalesced)."""
        if account_id in self._pending:
            return
        self._pending.add(account_id)
        log.info("reconcile of %s requested: %s", account_id, why)

        async def later() -> None:
            await asyncio.sleep(0)
            self._pending.discard(account_id)
            try:
                await self.reconcile(account_id, why)
            except Exception:
                log.exception("reconcile of %s failed", account_id)

        asyncio.get_running_loop().create_task(later(), name=f"reconcile-{account_id}")

    async def run_timer(self, interval_s: float) -> None:
        """Reconcile every account every ``interval_s`` seconds (real time)."""
        while True:
            await asyncio.sleep(interval_s)
            for account_id in list(self.core.accounts):
                try:
                    await self.reconcile(account_id, "timer")
                except Exception:
                    log.exception("timed reconcile of %s failed", account_id)

    async def _query(self, venue: VenueAdapter, fn: Callable[[], Awaitable[T]]) -> T:
        delay = 0.1
        for attempt in range(6):
            try:
                result = await fn()
                # A venue in this process (the simulator) answers without suspending: let
                # the loop serve between queries, as it does while a broker answers.
                await asyncio.sleep(0)
                return result
            except (BrokerUnavailable, BrokerTimeout):
                # A link that went down gives up at once: retrying would hold the account's
                # reconcile (the end of day's waits behind it) for seconds, and the reconnect
                # reconciles again anyway.
                if attempt == 5 or not venue.is_connected:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
        raise AssertionError("unreachable")

    def has_reconciled(self, account_id: AccountId) -> bool:
        """Whether a reconcile of the account has succeeded since the service started."""
        return account_id in self.last_reports

    def settled_for(self, account_id: AccountId) -> Mapping[ClientOrderId, SettledKey] | None:
        """The finished orders the last reconcile found settled, if it ran on the ledger's
        current trading day (what the next reconcile skips while unchanged)."""
        day, memo = self._settled.get(account_id, (None, None))
        return memo if day == self.core.state.ledger.trading_day(account_id) else None

    async def reconcile(self, account_id: AccountId, why: str) -> ReconcileReport | None:
        """Reconcile one account now; return the diff (``None`` if the venue is down)."""
        lock = self._locks.setdefault(account_id, asyncio.Lock())
        async with lock:
            return await self._reconcile(account_id, why)

    async def _reconcile(self, account_id: AccountId, why: str) -> ReconcileReport | None:
        core = self.core
        rt = core.accounts[account_id]
        venue = rt.venue
        if not venue.is_connected:
            return None
        self.on_run(account_id, why)
        await core.drain()
        try:
            orders = await self._query(venue, lambda: venue.query_orders(account_id))
            trades = await self._query(venue, lambda: venue.query_trades(account_id))
            positions = await self._query(venue, lambda: venue.query_positions(account_id))
            cash = await self._query(venue, lambda: venue.query_cash(account_id))
            status = await self._query(venue, lambda: venue.query_account_status(account_id))
        except (BrokerUnavailable, BrokerTimeout) as e:
            log.warning("reconcile of %s skipped: %s", account_id, e)
            return None
        # Reports that arrived while we queried are applied first; the diff then only
        # contains what the pushes did not tell us.
        await core.drain()
        now = core.clock.now()
        state = core.state
        # On a brand-new journal the broker's figures are the opening balance, not a drift:
        # at the first reconcile that succeeds, at start or when a venue down at start is up.
        initial = (
            not self.has_reconciled(account_id)
            and not state.book.has_orders(account_id)
            and not state.ledger.positions(account_id)
            and state.ledger.cash(account_id).total == 0
        )
        memo = self.settled_for(account_id)
        rep = reconcile(
            state.book, state.ledger, account_id, now, orders=orders, trades=trades, settled=memo
        )
        self._settled[account_id] = (state.ledger.trading_day(account_id), rep.settled)
        changes = core.apply_internal(rep.events)
        settled, found = await self._settle_missing(account_id, rep.missing_at_venue, why)
        changes += settled
        # The last await before the correction: from here on nothing moves our state.
        unsure, held_back = (
            (None, True) if found else await self._unsure(account_id, orders, positions, cash, now)
        )
        if held_back:
            rep.balances_deferred = True
            self._defer(account_id)
        else:
            self._deferrals.pop(account_id, None)
        correction_changes = []
        if unsure is not None:
            unseen = unseen_freezes(state.book, state.ledger, account_id, orders)
            rep.unseen_freezes = dict(unseen.orders)
            correction_changes = state.apply_broker_snapshot(
                account_id,
                positions,
                None if unsure else cash,
                now,
                unseen=unseen,
                after_close=self._closed(account_id, now),
                skip=unsure,
            )
        corrections: list[Any] = [c.event for c in correction_changes]
        drifts = [c for c in corrections if c.reason != T1_RELEASE]
        if len(drifts) < len(corrections):
            log.info(
                "%s: the broker released today's buys before our next day started (%s)",
                account_id,
                ", ".join(str(c.instrument_id) for c in corrections if c.reason == T1_RELEASE),
            )
        rep.position_mismatches.extend(
            balance_mismatch(c) for c in drifts if c.instrument_id is not None
        )
        rep.cash_mismatches.extend(balance_mismatch(c) for c in drifts if c.instrument_id is None)
        await core.commit_many([*changes, *correction_changes])
        rt.status = status
        rt.reconciled = True
        self.runs += 1
        first = account_id not in self.last_reports
        self.last_reports[account_id] = rep
        if first:
            self.on_first_reconcile(account_id)
        self._keep(rep, why, len(changes), corrections)
        counts = {} if initial else mismatch_counts(rep, drifts)
        for kind, (count, exceeds) in counts.items():
            core.on_signal(
                ReconciliationMismatch(
                    account_id=str(account_id),
                    kind=kind,
                    detail=f"reconciliation ({why}) corrected {count} {kind}",
                    ts_event=now,
                    count=count,
                    exceeds_tolerance=exceeds,
                )
            )
        # Balance drifts page once, through the alert rule fed by the signals above; this
        # alert is for what the venue's data left unexplained.
        found_unexplained = unexplained(rep)
        if not initial and found_unexplained:
            core._alert(
                "error",
                "RECONCILE_MISMATCH",
                f"{account_id}: reconciliation ({why}) found {found_unexplained}",
                {"account_id": account_id},
            )
        return rep

    def _closed(self, account_id: AccountId, now: datetime) -> bool:
        """Whether the ledger's trading day has closed, so the broker may release its buys."""
        local = now.astimezone(CST)
        day = self.core.state.ledger.trading_day(account_id) or local.date()
        return local.date() > day or local.time() >= _LAST_TRADE

    async def _unsure(
        self,
        account_id: AccountId,
        orders: list[OrderStatusReport],
        positions: list[PositionReport],
        cash: CashReport | None,
        now: datetime,
    ) -> tuple[frozenset[InstrumentId] | None, bool]:
        """Which balances may not match ``orders``, and whether a due correction is held
        back for them.

        Only when a correction is due is the order list queried again (under a steady flow
        of orders the list always moves, and every reconcile would defer). The instruments
        whose orders moved since ``orders`` are unsure, and so is cash once anything moved;
        ``None``: all of them (the list could not be queried again).
        """
        state = self.core.state
        due = state.ledger.apply_broker_snapshot(
            account_id,
            positions,
            cash,
            now,
            unseen=unseen_freezes(state.book, state.ledger, account_id, orders),
            after_close=self._closed(account_id, now),
            dry_run=True,
        )
        if not due:
            return frozenset(), False
        moved = await self._moved(account_id, orders)
        if moved is None:
            return None, True
        held_back = any(c.instrument_id is None or c.instrument_id in moved for c in due)
        return moved, bool(moved) and held_back

    async def _moved(
        self, account_id: AccountId, before: list[OrderStatusReport]
    ) -> frozenset[InstrumentId] | None:
        """The instruments whose orders at the venue changed since ``before`` (``None``:
        the list cannot be queried)."""
        venue = self.core.accounts[account_id].venue
        # Let the loop serve first: what it applies meanwhile is in the list asked for next.
        # (Not after it: a change applied then would be missing from that list.)
        await asyncio.sleep(0)
        try:
            after = await venue.query_orders(account_id)
        except (BrokerUnavailable, BrokerTimeout):
            return None
        if len(after) == len(before) and all(map(operator.is_, after, before)):
            return frozenset()  # the very same reports (a venue that lists unchanged orders as is)
        return moved_instruments(before, after)

    def _defer(self, account_id: AccountId) -> None:
        count = self._deferrals.get(account_id, 0) + 1
        self._deferrals[account_id] = count
        if count <= MAX_DEFERRALS:
            self.request(account_id, "the venue's orders moved while its balances were read")
        else:
            log.warning(
                "reconcile of %s: balances not corrected %d times in a row (orders moving)",
                account_id,
                count,
            )

    async def _settle_missing(
        self, account_id: AccountId, missing: list[ClientOrderId], why: str
    ) -> tuple[list[StateChange], bool]:
        """Our open orders the venue does not list: in-flight ones wait; older ones end.

        Also says whether one of them was found by a single-order query after all (it
        reached the venue after the list was taken: the balances may include it or not).
        """
        core = self.core
        now = core.clock.now()
        events: list[OrderEvent] = []
        found_any = False
        for coid in missing:
            order = core.state.book.get(account_id, coid)
            if order is None or order.is_terminal:
                continue
            young = now - order.ts_updated < timedelta(seconds=self.grace_s)
            if young and why != "end_of_day":
                continue
            try:
                found = await core.accounts[account_id].venue.query_order(account_id, coid)
            except (BrokerUnavailable, BrokerTimeout):
                continue
            if found is not None:
                core.on_report(found)
                found_any = True
                continue
            if order.ts_created.astimezone(CST).date() < now.date():
                # A day order of an earlier day: the venue ended it at that day's close
                # (and lists only today's); fills it got after our last report, if any,
                # are in the balances this reconcile takes from the broker.
                status = OrderStatus.EXPIRED
                text = "an order of an earlier day the venue no longer lists: it ended then"
            elif never_acknowledged(order):
                status = OrderStatus.REJECTED
                text = "the venue has no such order: it never arrived (never resent)"
            else:
                status = OrderStatus.CANCELED
                text = "the venue no longer lists this order"
            events.append(
                OrderRestated(
                    account_id=account_id,
                    client_order_id=coid,
                    ts_event=now,
                    status=status,
                    message=text,
                )
            )
            core._alert(
                "warning",
                "ORDER_NOT_AT_VENUE",
                f"{coid}: {text}",
                {"account_id": account_id, "client_order_id": coid},
            )
        return core.apply_internal(events), found_any

    def _keep(self, rep: ReconcileReport, why: str, applied: int, corrections: list[Any]) -> None:
        if self.report_dir is None or (rep.clean and not corrections and why == "timer"):
            return
        write_report(self.report_dir, rep, why, applied, corrections)
