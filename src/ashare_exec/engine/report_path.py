"""The report path of :class:`~ashare_exec.engine.core.ExecutionCore`.

Adapters push reports through :meth:`ReportPathMixin.on_report` (loop thread); one consumer
task drains them in arrival order, applies each through the OMS state (the order state
machine de-duplicates and absorbs), journals the batch with one commit, then publishes.
Reports that cannot be applied are quarantined, alerted and trigger a reconcile of their
account — never dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.engine.contracts import AccountRuntime, Journal
from ashare_exec.errors import GatewayError, InvalidTransition, JournalError, OrderNotFound
from ashare_exec.model import (
    AccountId,
    AccountStatus,
    AccountStatusChanged,
    OrderEvent,
    OrderStatus,
    OrderStatusReport,
    OrderSubmitted,
    VenueConnected,
    VenueDisconnected,
)
from ashare_exec.model.portfolio import LedgerEvent
from ashare_exec.oms.reports import plan_status_report
from ashare_exec.oms.state import OmsState, StateChange
from ashare_exec.venues.base import VenueReport

__all__ = ["ReportPathMixin"]

# The core's logger: report-path lines keep the logger name they always had.
log = logging.getLogger("ashare_exec.engine.core")


class ReportPathMixin:
    """Venue reports in, applied state changes out (journaled, then published)."""

    clock: Clock
    state: OmsState
    journal: Journal
    accounts: dict[AccountId, AccountRuntime]
    quarantine: list[tuple[datetime, str, object]]
    _reports: asyncio.Queue[VenueReport]
    _venue_up: dict[str, bool]
    on_venue_connected: Callable[[str], None]
    on_signal: Callable[[object], None]
    _alert: Callable[[str, str, str, dict[str, Any]], None]
    _request_reconcile: Callable[[AccountId, str], None]

    def _apply(self, event: OrderEvent | LedgerEvent) -> StateChange:  # pragma: no cover
        raise NotImplementedError  # see core

    def _after(self, change: StateChange) -> None:  # pragma: no cover - see core
        raise NotImplementedError

    def journal_failed(self, e: JournalError) -> None:  # pragma: no cover - see core
        raise NotImplementedError

    def on_report(self, report: VenueReport) -> None:
        """The venue sink: enqueue (runs on the loop thread; never blocks)."""
        self._reports.put_nowait(report)

    async def _consume(self) -> None:
        while True:
            batch = [await self._reports.get()]
            while not self._reports.empty() and len(batch) < 512:
                batch.append(self._reports.get_nowait())
            try:
                await self._apply_reports(batch)
            except GatewayError as e:
                self._alert("critical", e.code, f"report processing failed: {e}", {})
                log.exception("report processing failed")
            except Exception:
                log.exception("report processing crashed")
                self._alert("critical", "INTERNAL_ERROR", "report processing crashed", {})
            finally:
                for _ in batch:
                    self._reports.task_done()
            # Waiting for the next report, hold nothing of this batch: the last one of the
            # day (the close's expiries) kept its orders alive overnight, past the roll.
            del batch

    async def _apply_reports(self, batch: list[VenueReport]) -> None:
        changes: list[StateChange] = []
        for report in batch:
            changes.extend(self._handle(report))
        if changes:
            try:
                await self.journal.append_many_async(changes)
            except JournalError as e:
                self.journal_failed(e)  # halts new orders; the venue is still followed
            for change in changes:
                self._after(change)

    def _handle(self, report: VenueReport) -> list[StateChange]:
        if isinstance(report, VenueConnected | VenueDisconnected | AccountStatusChanged):
            self.on_signal(report)
        if isinstance(report, VenueConnected):
            self._venue_up[report.venue] = True
            self.on_venue_connected(report.venue)
            return []
        if isinstance(report, VenueDisconnected):
            self._venue_up[report.venue] = False
            for rt in self.accounts.values():
                if rt.venue.name == report.venue:
                    rt.reconciled = False
            self._alert("error", "VENUE_DISCONNECTED", f"{report.venue}: {report.reason}", {})
            return []
        if isinstance(report, AccountStatusChanged):
            acct = self.accounts.get(report.account_id)
            if acct is not None:
                acct.status = report.status
                if report.status is not AccountStatus.OK:
                    self._alert(
                        "error",
                        "ACCOUNT_NOT_READY",
                        f"account {report.account_id} is {report.status.value}: {report.message}",
                        {"account_id": report.account_id},
                    )
            return []
        if isinstance(report, OrderStatusReport):
            return self._apply_status_report(report)
        return self._apply_order_event(report)

    def _apply_order_event(self, event: OrderEvent) -> list[StateChange]:
        book = self.state.book
        # An ``OrderSubmitted`` here adopts an order we did not send (a status report's or a
        # reconcile's plan): it is what makes the order known, so it is not refused as one
        # we do not know (it was, so adoption never happened: quarantined at every reconcile).
        if (
            type(event) is not OrderSubmitted
            and book.get(event.account_id, event.client_order_id) is None
        ):
            broker_id = getattr(event, "broker_order_id", None)
            found = book.by_broker_id(event.account_id, broker_id) if broker_id else None
            if found is None:
                self._quarantine(event, "report for an order we do not know")
                return []
            event = replace(event, client_order_id=found.spec.client_order_id)
        try:
            change = self._apply(event)
        except (InvalidTransition, OrderNotFound) as e:
            self._quarantine(event, str(e))
            return []
        owner = self.accounts.get(event.account_id)
        if (
            owner is not None
            and change.order is not None
            and change.order.status
            not in (
                OrderStatus.PENDING_NEW,
                OrderStatus.PENDING_CANCEL,
            )
        ):
            handle = owner.inflight.pop(event.client_order_id, None)
            if handle is not None:
                handle.cancel()
        if change.result is not None and change.result.overfill:
            self._alert(
                "critical",
                "OVERFILL",
                f"order {event.client_order_id} over-filled: {change.result.note}",
                {"account_id": event.account_id, "client_order_id": event.client_order_id},
            )
        return [change]

    def _apply_status_report(self, report: OrderStatusReport) -> list[StateChange]:
        plan = plan_status_report(self.state.book, report)
        if plan.quarantine_reason is not None:
            self._quarantine(report, plan.quarantine_reason)
            return []
        changes = []
        for event in plan.events:
            changes.extend(self._apply_order_event(event))
        if plan.fills_gap > 0:
            # A status report cannot invent fills: fetch the venue's trades.
            self._request_reconcile(report.account_id, f"fills gap of {plan.fills_gap}")
        return changes

    def apply_internal(self, events: Sequence[OrderEvent | LedgerEvent]) -> list[StateChange]:
        """Apply engine-made events (reconciliation, expiry); journal with :meth:`commit_many`."""
        out = []
        for event in events:
            if isinstance(event, OrderEvent):
                out.extend(self._apply_order_event(event))
            else:
                out.append(self._apply(event))
        return out

    async def commit_many(self, changes: Sequence[StateChange]) -> None:
        """Journal already-applied changes, then publish them.

        Raises:
            JournalError: the journal failed: trading halts (``engine/halts.py``) and the
                changes, applied already, are published all the same; the caller stops.
        """
        if not changes:
            return
        try:
            await self.journal.append_many_async(changes)
        except JournalError as e:
            self.journal_failed(e)
            for change in changes:
                self._after(change)
            raise
        for change in changes:
            self._after(change)

    def _quarantine(self, report: object, why: str) -> None:
        self.quarantine.append((self.clock.now(), why, report))
        account = str(getattr(report, "account_id", ""))
        self._alert(
            "warning",
            "REPORT_QUARANTINED",
            f"{type(report).__name__} kept aside: {why}",
            {"account_id": account, "client_order_id": getattr(report, "client_order_id", None)},
        )
        if account:
            self._request_reconcile(AccountId(account), why)
