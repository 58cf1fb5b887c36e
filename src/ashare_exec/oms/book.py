"""The order book: every order of the day, indexed by each of its ids."""

from __future__ import annotations

from collections.abc import Iterator

from ashare_exec.errors import InvalidTransition, OrderNotFound
from ashare_exec.model.enums import OrderStatus, Side
from ashare_exec.model.events import OrderDenied, OrderEvent, OrderSubmitted
from ashare_exec.model.identifiers import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    ExchangeOrderId,
    InstrumentId,
    StrategyId,
)
from ashare_exec.model.order import ApplyOutcome, ApplyResult, Order

__all__ = ["OrderBook", "OrderKey"]

OrderKey = tuple[AccountId, ClientOrderId]
"""An order's identity: ``(account_id, client_order_id)``."""


class OrderBook:
    """Orders by ``(account, client_order_id)``, by broker id and by exchange id.

    :meth:`apply` is the door for events: it creates orders from ``OrderSubmitted`` /
    ``OrderDenied``, applies the rest through :meth:`Order.apply`, and keeps the indexes
    and the open-order set current.
    """

    __slots__ = ("_by_broker", "_by_exchange", "_open", "_orders")

    def __init__(self) -> None:
        self._orders: dict[OrderKey, Order] = {}
        self._by_broker: dict[tuple[AccountId, BrokerOrderId], Order] = {}
        self._by_exchange: dict[tuple[AccountId, ExchangeOrderId], Order] = {}
        self._open: dict[OrderKey, Order] = {}

    def __len__(self) -> int:
        return len(self._orders)

    def __iter__(self) -> Iterator[Order]:
        return iter(self._orders.values())

    def __contains__(self, key: object) -> bool:
        return key in self._orders

    # --- lookups --------------------------------------------------------------------

    def get(self, account_id: AccountId, client_order_id: ClientOrderId) -> Order | None:
        """Return the order, or ``None``."""
        return self._orders.get((account_id, client_order_id))

    def require(self, account_id: AccountId, client_order_id: ClientOrderId) -> Order:
        """Return the order.

        Raises:
            OrderNotFound: no such order.
        """
        order = self._orders.get((account_id, client_order_id))
        if order is None:
            raise OrderNotFound(
                f"order {client_order_id!r} was not found in account {account_id!r}",
                context={"client_order_id": client_order_id, "account_id": account_id},
            )
        return order

    def by_broker_id(self, account_id: AccountId, broker_order_id: BrokerOrderId) -> Order | None:
        """Return the order with this broker id, or ``None``."""
        return self._by_broker.get((account_id, broker_order_id))

    def by_exchange_id(
        self, account_id: AccountId, exchange_order_id: ExchangeOrderId
    ) -> Order | None:
        """Return the order with this exchange id, or ``None``."""
        return self._by_exchange.get((account_id, exchange_order_id))

    def find(
        self,
        account_id: AccountId,
        client_order_id: ClientOrderId | None = None,
        broker_order_id: BrokerOrderId | None = None,
        exchange_order_id: ExchangeOrderId | None = None,
    ) -> Order | None:
        """Return the order matching the first id that is known (client, exchange, broker)."""
        if client_order_id:
            order = self._orders.get((account_id, client_order_id))
            if order is not None:
                return order
        if exchange_order_id:
            order = self._by_exchange.get((account_id, exchange_order_id))
            if order is not None:
                return order
        if broker_order_id:
            return self._by_broker.get((account_id, broker_order_id))
        return None

    def open_orders(self, account_id: AccountId | None = None) -> list[Order]:
        """Orders that may still trade (incl. ``PENDING_NEW`` and ``UNKNOWN``)."""
        if account_id is None:
            return list(self._open.values())
        return [o for o in self._open.values() if o.spec.account_id == account_id]

    def orders(
        self,
        account_id: AccountId | None = None,
        *,
        status: OrderStatus | frozenset[OrderStatus] | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: Side | None = None,
        open_only: bool = False,
    ) -> list[Order]:
        """Orders matching every given filter, in creation order."""
        source = self._open.values() if open_only else self._orders.values()
        statuses = frozenset({status}) if isinstance(status, OrderStatus) else status
        return [
            o
            for o in source
            if (account_id is None or o.spec.account_id == account_id)
            and (statuses is None or o.status in statuses)
            and (instrument_id is None or o.spec.instrument_id == instrument_id)
            and (strategy_id is None or o.spec.strategy_id == strategy_id)
            and (side is None or o.spec.side is side)
        ]

    # --- mutation -------------------------------------------------------------------

    def add(self, order: Order) -> None:
        """Insert an order (e.g. rebuilt elsewhere).

        Raises:
            InvalidTransition: an order with the same key exists.
        """
        key = (order.spec.account_id, order.spec.client_order_id)
        if key in self._orders:
            raise InvalidTransition(
                f"order {order.spec.client_order_id!r} already exists",
                context={"client_order_id": order.spec.client_order_id},
            )
        self._orders[key] = order
        self._reindex(key, order)

    def restore(self, orders: list[Order]) -> None:
        """Insert rebuilt orders (in creation order) into this empty book, in bulk.

        Raises:
            InvalidTransition: the book is not empty, or two orders share a key.
        """
        if self._orders:
            raise InvalidTransition("can only restore into an empty book")
        book = self._orders
        for order in orders:
            book[(order.spec.account_id, order.spec.client_order_id)] = order
        if len(book) != len(orders):
            book.clear()
            raise InvalidTransition("restored orders share a client order id")
        for key, order in book.items():
            if order.broker_order_id is not None:
                self._by_broker[(key[0], order.broker_order_id)] = order
            if order.exchange_order_id is not None:
                self._by_exchange[(key[0], order.exchange_order_id)] = order
            if order.status.is_open:
                self._open[key] = order

    def apply(self, event: OrderEvent) -> tuple[Order, ApplyResult]:
        """Apply an event to its order (creating it for a creation event).

        Raises:
            OrderNotFound: the event concerns an order the book does not have.
            InvalidTransition: the order's state machine refuses the event.
        """
        key = (event.account_id, event.client_order_id)
        if type(event) is OrderSubmitted or type(event) is OrderDenied:
            if key in self._orders:
                raise InvalidTransition(
                    f"order {event.client_order_id!r} already exists",
                    context={"client_order_id": event.client_order_id},
                )
            created = Order.create(event)
            self._orders[key] = created
            self._reindex(key, created)
            return created, ApplyResult(ApplyOutcome.APPLIED, created.status, created.status)
        order = self._orders.get(key)
        if order is None:
            raise OrderNotFound(
                f"event {type(event).__name__} for unknown order {event.client_order_id!r}",
                context={"client_order_id": event.client_order_id, "account_id": key[0]},
            )
        ids = (order.broker_order_id, order.exchange_order_id)
        result = order.apply(event)
        if result.status_before is not result.status_after or ids != (
            order.broker_order_id,
            order.exchange_order_id,
        ):
            self._reindex(key, order)
        return order, result

    def evict_done(self, account_id: AccountId) -> list[Order]:
        """Remove the account's terminal orders (at the day roll); return them.

        Client order ids are unique per trading day, so after the roll yesterday's ids
        may be used again; the evicted orders live on in the journal and the archive.
        Open orders (e.g. ``UNKNOWN`` ones still to be resolved) stay.
        """
        done = [
            o
            for o in self._orders.values()
            if o.spec.account_id == account_id and o.status.is_terminal
        ]
        for order in done:
            del self._orders[(account_id, order.spec.client_order_id)]
            if order.broker_order_id is not None:
                self._by_broker.pop((account_id, order.broker_order_id), None)
            if order.exchange_order_id is not None:
                self._by_exchange.pop((account_id, order.exchange_order_id), None)
        return done

    def _reindex(self, key: OrderKey, order: Order) -> None:
        account = key[0]
        if order.broker_order_id is not None:
            self._by_broker[(account, order.broker_order_id)] = order
        if order.exchange_order_id is not None:
            self._by_exchange[(account, order.exchange_order_id)] = order
        if order.status.is_open:
            self._open[key] = order
        else:
            self._open.pop(key, None)
