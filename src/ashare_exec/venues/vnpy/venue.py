"""Several vn.py logins (one per account) behind one venue.

A vn.py gateway is one login, so a ``vnpy`` venue with several accounts runs one
:class:`~.adapter.VnpyAdapter` per account and routes by ``account_id``. Connectivity is
aggregated: ``VenueDisconnected`` when the first login drops, ``VenueConnected`` once every
login is up again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import Any

from ashare_exec.errors import BrokerRejected
from ashare_exec.model import (
    AccountId,
    AccountStatus,
    BrokerOrderId,
    CashReport,
    ClientOrderId,
    OrderFilled,
    OrderSpec,
    OrderStatusReport,
    PositionReport,
    VenueConnected,
    VenueDisconnected,
)
from ashare_exec.venues.base import ReportSink, VenueAdapter, VenueCapabilities, VenueReport
from ashare_exec.venues.vnpy.adapter import VnpyAdapter

__all__ = ["VnpyVenue"]


class VnpyVenue(VenueAdapter):
    """One venue over several :class:`VnpyAdapter` logins (they share the gateway class).

    Args:
        logins: one adapter per account, all of the same gateway class.
    """

    def __init__(self, logins: Sequence[VnpyAdapter]) -> None:
        if not logins:
            raise ValueError("a vnpy venue needs at least one login")
        self.logins = {a.config.account: a for a in logins}
        first = logins[0]
        self.name = first.name
        self.capabilities = VenueCapabilities(
            name=first.name,
            exchanges=first.capabilities.exchanges,
            price_types=first.capabilities.price_types,
            accounts=tuple(self.logins),
        )
        self._sink: ReportSink | None = None
        self._down: set[AccountId] = set(self.logins)
        self._announced = False
        for account, adapter in self.logins.items():
            adapter.set_report_sink(self._from(account))

    def _from(self, account: AccountId) -> ReportSink:
        def sink(report: VenueReport) -> None:
            if isinstance(report, VenueConnected):
                self._down.discard(account)
                if self._down or self._announced:
                    return
                self._announced = True
            elif isinstance(report, VenueDisconnected):
                first = not self._down
                self._down.add(account)
                if not first:
                    return
                self._announced = False
                report = VenueDisconnected(venue=self.name, ts_event=report.ts_event,
                                           reason=f"{account}: {report.reason}")  # fmt: skip
            if self._sink is not None:
                self._sink(report)

        return sink

    @property
    def emulator(self) -> Any:
        """The first login's in-process XTP server (``emulator = true``), else ``None``."""
        return next(iter(self.logins.values())).emulator

    def set_report_sink(self, sink: ReportSink) -> None:
        """Set the callable that receives every login's reports (on the loop thread)."""
        self._sink = sink

    @property
    def is_connected(self) -> bool:
        """Whether every login is up."""
        return all(a.is_connected for a in self.logins.values())

    def login(self, account_id: AccountId) -> VnpyAdapter:
        """The adapter of one account.

        Raises:
            BrokerRejected: the account is not traded here.
        """
        adapter = self.logins.get(account_id)
        if adapter is None:
            raise BrokerRejected(f"account {account_id} is not on {self.name}",
                                 code="UNKNOWN_ACCOUNT")  # fmt: skip
        return adapter

    async def connect(self) -> None:
        """Log every account in; if one fails, close the others and raise its error."""
        results = await asyncio.gather(
            *(a.connect() for a in self.logins.values()), return_exceptions=True
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            await self.close()
            raise errors[0]

    async def close(self) -> None:
        """Close every login. Idempotent."""
        await asyncio.gather(*(a.close() for a in self.logins.values()))

    def start_day(self, day: date) -> None:
        """Every login forgets the orders of earlier days (:meth:`VnpyAdapter.start_day`)."""
        for adapter in self.logins.values():
            adapter.start_day(day)

    async def submit(self, spec: OrderSpec) -> None:
        """Submit through the account's login."""
        await self.login(spec.account_id).submit(spec)

    async def cancel(
        self,
        account_id: AccountId,
        client_order_id: ClientOrderId,
        broker_order_id: BrokerOrderId | None,
    ) -> None:
        """Cancel through the account's login."""
        await self.login(account_id).cancel(account_id, client_order_id, broker_order_id)

    async def query_order(
        self, account_id: AccountId, client_order_id: ClientOrderId
    ) -> OrderStatusReport | None:
        """See :meth:`VnpyAdapter.query_order`."""
        return await self.login(account_id).query_order(account_id, client_order_id)

    async def query_orders(self, account_id: AccountId) -> list[OrderStatusReport]:
        """See :meth:`VnpyAdapter.query_orders`."""
        return await self.login(account_id).query_orders(account_id)

    async def query_trades(self, account_id: AccountId) -> list[OrderFilled]:
        """See :meth:`VnpyAdapter.query_trades`."""
        return await self.login(account_id).query_trades(account_id)

    async def query_positions(self, account_id: AccountId) -> list[PositionReport]:
        """See :meth:`VnpyAdapter.query_positions`."""
        return await self.login(account_id).query_positions(account_id)

    async def query_cash(self, account_id: AccountId) -> CashReport:
        """See :meth:`VnpyAdapter.query_cash`."""
        return await self.login(account_id).query_cash(account_id)

    async def query_account_status(self, account_id: AccountId) -> AccountStatus:
        """See :meth:`VnpyAdapter.query_account_status`."""
        return await self.login(account_id).query_account_status(account_id)
