"""The order book: every order of the day, indexed by each of its ids."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from ashare_exec.errors import InvalidTransition, OrderNotFound
from ashare_exec.model.enums import TERMINAL_STATUSES, OrderStatus, Side
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
from ashare_exec.oms.book_index import BookIndexes
from ashare_exec.oms.cold import ColdOrder, OrderKey, OrderLoader
from ashare_exec.oms.listing import PAGE_BUILD_BUDGET, OrderPage, hot_page, matcher, scan

__all__ = ["PAGE_BUILD_BUDGET", "ColdOrder", "OrderBook", "OrderKey", "OrderLoader", "OrderPage"]


class OrderBook(BookIndexes):
    """Orders by ``(account, client_order_id)``, by broker id and by exchange id.

    :meth:`apply` is the door for events: it creates orders from ``OrderSubmitted`` /
    ``OrderDenied``, applies the rest through :meth:`Order.apply`, and keeps the indexes
    and the open-order set current.

    After :meth:`restore` with cold orders, terminal orders may be known by key and ids
    only ("cold"): every lookup that finds one builds it first through the loader, so
    the book behaves as if they were all in memory. Iterating over the orders builds
    every cold order (of the account asked for) at once.
    """

    __slots__ = ()

    def __len__(self) -> int:
        return len(self._orders)

    def __iter__(self) -> Iterator[Order]:
        return iter(self._all())

    def __contains__(self, key: object) -> bool:
        return key in self._orders

    # --- lookups --------------------------------------------------------------------

    def get(self, account_id: AccountId, client_order_id: ClientOrderId) -> Order | None:
        """Return the order, or ``None``."""
        order = self._orders.get((account_id, client_order_id))
        if order is None and self._cold:
            return self._thaw_key((account_id, client_order_id))
        return order

    @property
    def cold_count(self) -> int:
        """Restored terminal orders not built yet (they are built on first use)."""
        return len(self._cold)

    def client_order_ids(self, account_id: AccountId) -> list[ClientOrderId]:
        """The account's client order ids in the book, in creation order (builds nothing)."""
        return [k[1] for k in self._orders if k[0] == account_id]

    def has_orders(self, account_id: AccountId) -> bool:
        """Whether the book holds any order of the account (builds nothing)."""
        return any(k[0] == account_id for k in self._orders)

    def require(self, account_id: AccountId, client_order_id: ClientOrderId) -> Order:
        """Return the order.

        Raises:
            OrderNotFound: no such order.
        """
        order = self.get(account_id, client_order_id)
        if order is None:
            raise OrderNotFound(
                f"order {client_order_id!r} was not found in account {account_id!r}",
                context={"client_order_id": client_order_id, "account_id": account_id},
            )
        return order

    def by_broker_id(self, account_id: AccountId, broker_order_id: BrokerOrderId) -> Order | None:
        """Return the order with this broker id, or ``None``."""
        order = self._by_broker.get((account_id, broker_order_id))
        if order is None and self._cold:
            key = self._cold.key_by_broker((account_id, broker_order_id))
            if key is not None:
                return self._thaw_key(key)
        return order

    def by_exchange_id(
        self, account_id: AccountId, exchange_order_id: ExchangeOrderId
    ) -> Order | None:
        """Return the order with this exchange id, or ``None``."""
        order = self._by_exchange.get((account_id, exchange_order_id))
        if order is None and self._cold:
            key = self._cold.key_by_exchange((account_id, exchange_order_id))
            if key is not None:
                return self._thaw_key(key)
        return order

    def find(
        self,
        account_id: AccountId,
        client_order_id: ClientOrderId | None = None,
        broker_order_id: BrokerOrderId | None = None,
        exchange_order_id: ExchangeOrderId | None = None,
    ) -> Order | None:
        """Return the order matching the first id that is known (client, exchange, broker)."""
        if client_order_id:
            order = self.get(account_id, client_order_id)
            if order is not None:
                return order
        if exchange_order_id:
            order = self.by_exchange_id(account_id, exchange_order_id)
            if order is not None:
                return order
        if broker_order_id:
            return self.by_broker_id(account_id, broker_order_id)
        return None

    def cold(
        self,
        account_id: AccountId,
        client_order_id: ClientOrderId | None = None,
        broker_order_id: BrokerOrderId | None = None,
        exchange_order_id: ExchangeOrderId | None = None,
    ) -> ColdOrder | None:
        """The order :meth:`find` would return, if it is cold (``None`` if it is built or
        unknown); builds nothing."""
        if client_order_id and (account_id, client_order_id) in self._orders:
            return self._cold.get((account_id, client_order_id))
        if exchange_order_id:
            ekey = (account_id, exchange_order_id)
            if ekey in self._by_exchange:
                return None
            key = self._cold.key_by_exchange(ekey)
            if key is not None:
                return self._cold.get(key)
        if broker_order_id:
            bkey = (account_id, broker_order_id)
            if bkey not in self._by_broker:
                key = self._cold.key_by_broker(bkey)
                if key is not None:
                    return self._cold.get(key)
        return None

    def prefetch(
        self,
        account_id: AccountId,
        refs: Iterable[tuple[ClientOrderId | None, BrokerOrderId | None, ExchangeOrderId | None]],
    ) -> int:
        """Build at once the cold orders that :meth:`find` would build one by one for these
        ``(client, broker, exchange)`` ids; return how many. A broker's full list of the
        day's orders after a restart names every one of them: one load instead of one
        per order."""
        if not self._cold:
            return 0
        wanted: dict[OrderKey, None] = {}
        for coid, broker_id, exchange_id in refs:
            cold = self.cold(account_id, coid, broker_id, exchange_id)
            if cold is not None:
                wanted[(cold.account_id, cold.client_order_id)] = None
        if wanted:
            self._thaw(list(wanted))
        return len(wanted)

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
        where: Callable[[Order], bool] | None = None,
    ) -> list[Order]:
        """Orders matching every given filter, in creation order (``where`` is one more
        filter). After a restart this builds every cold order that may match: for the
        newest few, use :meth:`page`."""
        statuses = frozenset({status}) if isinstance(status, OrderStatus) else status
        match = matcher(account_id, statuses, instrument_id, strategy_id, side, where)
        source: Iterable[Order]
        if open_only:
            source = self._open.values()
        elif statuses is not None and statuses.isdisjoint(TERMINAL_STATUSES):
            source = [o for o in self._orders.values() if o is not None]  # cold ones are done
        else:
            source = self._all(account_id)
        return [o for o in source if match(o)]

    def page(
        self,
        account_id: AccountId | None = None,
        *,
        limit: int,
        before: int | None = None,
        status: OrderStatus | frozenset[OrderStatus] | None = None,
        instrument_id: InstrumentId | None = None,
        strategy_id: StrategyId | None = None,
        side: Side | None = None,
        open_only: bool = False,
        where: Callable[[Order], bool] | None = None,
        max_built: int | None = None,
    ) -> OrderPage:
        """The newest ``limit`` matching orders created before position ``before`` (all
        orders when ``None``), and where the next, older page starts.

        A page may hold fewer than ``limit`` orders and still have a ``next_before``: it
        stops early rather than build more than ``max_built`` cold orders
        (:data:`PAGE_BUILD_BUDGET` by default). Positions are stable until the day roll
        evicts finished orders.
        """
        statuses = frozenset({status}) if isinstance(status, OrderStatus) else status
        match = matcher(account_id, statuses, instrument_id, strategy_id, side, where)
        end = len(self._seq) if before is None else max(0, min(before, len(self._seq)))
        if open_only or (statuses is not None and statuses.isdisjoint(TERMINAL_STATUSES)):
            # Only hot orders can match (cold ones are finished): no scan of the day.
            source = self._open if open_only else self._orders
            return hot_page(source, self._positions(), match, limit, end)
        budget = PAGE_BUILD_BUDGET if max_built is None else max_built
        return scan(self._seq, self._orders, self._thaw, account_id, match, limit, end, budget)

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
        self._append(key)
        self._reindex(key, order)

    def restore(self, orders: Sequence[Order | ColdOrder], load: OrderLoader | None = None) -> None:
        """Insert rebuilt orders (in creation order) into this empty book, in bulk.

        A :class:`ColdOrder` (a terminal order known by its key and ids only) is built
        through ``load`` the first time a lookup finds it, or when the orders are listed.

        Raises:
            InvalidTransition: the book is not empty, two orders share a key, or cold
                orders come without ``load``.
        """
        if self._orders:
            raise InvalidTransition("can only restore into an empty book")
        book, cold, opened = self._orders, self._cold, self._open
        by_broker, by_exchange = self._by_broker, self._by_exchange
        add_cold, drop_claims = cold.add, cold.drop_claims
        # One pass in creation order: as in live processing, the later order keeps an id.
        for order in orders:
            if isinstance(order, ColdOrder):
                book[(order.account_id, order.client_order_id)] = None
                bkey, ekey = add_cold(order)
                if bkey is not None and by_broker:
                    by_broker.pop(bkey, None)
                if ekey is not None and by_exchange:
                    by_exchange.pop(ekey, None)
                continue
            acct = order.spec.account_id
            key = (acct, order.spec.client_order_id)
            book[key] = order
            drop_claims(acct, order.broker_order_id, order.exchange_order_id)
            if order.broker_order_id is not None:
                by_broker[(acct, order.broker_order_id)] = order
            if order.exchange_order_id is not None:
                by_exchange[(acct, order.exchange_order_id)] = order
            if order.status.is_open:
                opened[key] = order
        if len(book) != len(orders) or (cold and load is None):
            why = "share a client order id" if len(book) != len(orders) else "need a loader"
            for index in (book, opened, by_broker, by_exchange):
                index.clear()
            cold.clear()
            raise InvalidTransition(f"restored orders {why}")
        cold.load = load
        self._seq = list(book)
        self._pos = None

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
            self._append(key)
            self._reindex(key, created)
            return created, ApplyResult(ApplyOutcome.APPLIED, created.status, created.status)
        order = self._orders.get(key)
        if order is None and self._cold:
            order = self._thaw_key(key)
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

    def evict_done(self, account_id: AccountId) -> list[OrderKey]:
        """Remove the account's terminal orders (at the day roll); return their keys.

        Client order ids are unique per trading day, so after the roll yesterday's ids
        may be used again; the evicted orders live on in the journal and the archive.
        Open orders (e.g. ``UNKNOWN`` ones still to be resolved) stay. Cold orders leave
        without being built.
        """
        done = [
            key
            for key, o in self._orders.items()
            if key[0] == account_id and (o is None or o.status.is_terminal)
        ]
        for key in done:
            order = self._orders.pop(key)
            if order is None:
                self._cold.remove(key)
                continue
            if order.broker_order_id is not None:
                self._by_broker.pop((account_id, order.broker_order_id), None)
            if order.exchange_order_id is not None:
                self._by_exchange.pop((account_id, order.exchange_order_id), None)
        if done:
            self._seq = [k for k in self._seq if k in self._orders]
            self._pos = None
        return done
