"""The venue adapter contract: what every venue (simulator, QMT, vn.py/XTP) implements.

A venue adapter is the seam between the engine and one broker connection. It is small on
purpose: connect/close, submit, cancel, the queries, a stream of typed reports and a
day-start hook.

Threads and the loop
--------------------
* Every public method is called **on the engine's asyncio loop thread** and is a coroutine
  (except :meth:`VenueAdapter.set_report_sink` and :attr:`VenueAdapter.is_connected`).
* Methods **never block the loop**. Blocking vendor calls (xtquant, vn.py) run in a worker
  thread (``asyncio.to_thread`` / an executor) with a timeout.
* Reports are pushed by calling the sink given to :meth:`VenueAdapter.set_report_sink`.
  The sink **must only be called on the loop thread**: vendor callback threads copy the data
  and hand it over with ``loop.call_soon_threadsafe(...)`` and nothing else.
* Reports are **never** delivered synchronously from inside :meth:`VenueAdapter.submit` or
  :meth:`VenueAdapter.cancel`; they arrive later (``loop.call_soon`` at the earliest), so the
  engine has journaled what it sent before it hears back.
* Pushed report objects are immutable; the engine may keep them.

Submitting
----------
* :meth:`VenueAdapter.submit` hands the order over and returns once the venue has taken it
  (or the request is known to have failed). The outcome comes as reports: ``OrderAccepted``
  or ``OrderRejected``, then ``OrderFilled`` (one per trade id), then ``OrderCanceled`` /
  ``OrderExpired`` for an unfilled remainder.
* The client order id travels with the order (QMT ``order_remark``, XTP surrogate, simulator
  field) so that reports and queries can be matched after a restart.
* An adapter **never resubmits on its own**. If the answer is lost the order stays in doubt
  and the engine settles it by :meth:`VenueAdapter.query_order`, never by a blind resend.

Errors
------
Vendor errors are mapped **at the seam** to :mod:`ashare_exec.errors` (``raise ... from e``):

* :class:`~ashare_exec.errors.BrokerUnavailable` – not connected / link down: the order
  certainly did not leave;
* :class:`~ashare_exec.errors.BrokerTimeout` – the request may or may not have arrived;
* :class:`~ashare_exec.errors.BrokerRejected` – a synchronous business refusal.

A rejection known only asynchronously arrives as an ``OrderRejected`` report with a reason
code from ``reason-codes.md`` and the venue's own text in ``message``.

Connectivity
------------
* :meth:`VenueAdapter.connect` establishes the session; :meth:`VenueAdapter.close` ends it
  and stops every background task the adapter started.
* When the link drops the adapter pushes ``VenueDisconnected``, **reconnects on its own with
  backoff**, and pushes ``VenueConnected`` when it is back. The engine then reconciles via
  the queries. Account status changes (login lost, restored) come as
  ``AccountStatusChanged``.

Queries
-------
The broker is the source of truth. Queries return the venue's current view of the account
for the trading day (orders, trades, positions, cash, status); they raise
:class:`~ashare_exec.errors.BrokerUnavailable` when not connected.

Required and optional methods
-----------------------------
=========================  ========  =====================================================
method                     required  note
=========================  ========  =====================================================
``set_report_sink``        yes       called once before ``connect``
``connect`` / ``close``    yes       idempotent
``is_connected``           yes       property, cheap, no I/O
``submit`` / ``cancel``    yes
``query_order``            yes       by our client order id (carried in the remark)
``query_orders``           yes       every order of the day, ours and external ones
``query_trades``           yes       every fill of the day, as ``OrderFilled``
``query_positions``        yes
``query_cash``             yes
``query_account_status``   yes
=========================  ========  =====================================================

The conformance suite (``ashare_exec.venues.conformance``) checks every adapter against the
same numbered scenarios.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from ashare_exec.model import (
    AccountId,
    AccountStatus,
    AccountStatusChanged,
    BrokerOrderId,
    CashReport,
    ClientOrderId,
    Exchange,
    OrderAccepted,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSpec,
    OrderStatusReport,
    PositionReport,
    PriceType,
    VenueConnected,
    VenueDisconnected,
)

__all__ = [
    "ORDER_REPORT_TYPES",
    "ReportSink",
    "VenueAdapter",
    "VenueCapabilities",
    "VenueReport",
]

VenueReport = (
    OrderAccepted
    | OrderRejected
    | OrderFilled
    | OrderCanceled
    | OrderCancelRejected
    | OrderExpired
    | OrderStatusReport
    | VenueConnected
    | VenueDisconnected
    | AccountStatusChanged
)
"""Everything an adapter pushes to the engine."""

ORDER_REPORT_TYPES: tuple[type, ...] = (
    OrderAccepted,
    OrderRejected,
    OrderFilled,
    OrderCanceled,
    OrderCancelRejected,
    OrderExpired,
)
"""The report types that are order events (they carry ``client_order_id``)."""

ReportSink = Callable[[VenueReport], None]
"""Receives reports; called on the engine loop thread only."""


@dataclass(frozen=True, slots=True)
class VenueCapabilities:
    """What a venue supports.

    Attributes:
        name: the venue's name (``"sim"``, ``"qmt"``, ``"vnpy:XTP"``).
        exchanges: exchanges it can route to.
        price_types: order price types it can send (the ``rules`` still decide per board).
        accounts: the accounts this connection trades.
    """

    name: str
    exchanges: frozenset[Exchange]
    price_types: frozenset[PriceType]
    accounts: tuple[AccountId, ...]

    def supports(self, exchange: Exchange, price_type: PriceType) -> bool:
        """Return whether an order of ``price_type`` on ``exchange`` can be sent here."""
        return exchange in self.exchanges and price_type in self.price_types


class VenueAdapter(ABC):
    """Base class of every venue adapter (see the module docstring for the contract)."""

    name: str
    capabilities: VenueCapabilities

    @abstractmethod
    def set_report_sink(self, sink: ReportSink) -> None:
        """Set the callable that receives every report (called on the loop thread only)."""
        raise NotImplementedError("set_report_sink")

    @abstractmethod
    async def connect(self) -> None:
        """Open the session and push ``VenueConnected`` when it is up.

        A failed connect leaves nothing behind and may be called again (the service does,
        for a venue down at start); the adapter reconnects on its own only after a first
        successful connect.

        Raises:
            BrokerUnavailable: the venue cannot be reached.
        """
        raise NotImplementedError("connect")

    @abstractmethod
    async def close(self) -> None:
        """Close the session and stop background tasks. Idempotent."""
        raise NotImplementedError("close")

    @property
    @abstractmethod
    def is_connected(self) -> bool:
        """Whether the link is up now (no I/O)."""
        raise NotImplementedError("is_connected")

    @abstractmethod
    async def submit(self, spec: OrderSpec) -> None:
        """Hand one order to the venue; the outcome arrives as reports.

        Never resubmits on its own and never calls the sink synchronously.

        Raises:
            BrokerUnavailable: not connected; the order certainly did not leave.
            BrokerTimeout: no answer in time; the order is in doubt.
            BrokerRejected: refused synchronously for a business reason.
        """
        raise NotImplementedError("submit")

    @abstractmethod
    async def cancel(
        self,
        account_id: AccountId,
        client_order_id: ClientOrderId,
        broker_order_id: BrokerOrderId | None,
    ) -> None:
        """Ask the venue to cancel an order; the outcome arrives as ``OrderCanceled`` or
        ``OrderCancelRejected``.

        Raises:
            BrokerUnavailable: not connected.
            BrokerTimeout: no answer in time.
        """
        raise NotImplementedError("cancel")

    @abstractmethod
    async def query_order(
        self, account_id: AccountId, client_order_id: ClientOrderId
    ) -> OrderStatusReport | None:
        """Return the venue's view of one order by our client id, or ``None`` if unknown."""
        raise NotImplementedError("query_order")

    @abstractmethod
    async def query_orders(self, account_id: AccountId) -> list[OrderStatusReport]:
        """Return every order of the trading day (ours and external)."""
        raise NotImplementedError("query_orders")

    @abstractmethod
    async def query_trades(self, account_id: AccountId) -> list[OrderFilled]:
        """Return every fill of the trading day."""
        raise NotImplementedError("query_trades")

    @abstractmethod
    async def query_positions(self, account_id: AccountId) -> list[PositionReport]:
        """Return every position of the account."""
        raise NotImplementedError("query_positions")

    @abstractmethod
    async def query_cash(self, account_id: AccountId) -> CashReport:
        """Return the account's cash balances."""
        raise NotImplementedError("query_cash")

    @abstractmethod
    async def query_account_status(self, account_id: AccountId) -> AccountStatus:
        """Return the account's status at the broker."""
        raise NotImplementedError("query_account_status")

    def start_day(self, day: date) -> None:
        """The engine started trading day ``day`` (at each change of date; at start-up the
        adapter is built for the day). An adapter that keeps orders of its own forgets
        those of earlier days here: a venue lists only today's, and the engine lets client
        order ids be used again on a new day. Nothing by default."""
        del day  # the simulator rolls its own day
