"""Cold orders: finished orders restored by key, ids and a summary, built on first use.

After a restart the day's terminal orders need not be rebuilt from their events up front
(333k of them take seconds). :class:`ColdIndex` keeps each as a :class:`ColdOrder` with its
ids; the book asks it whenever a lookup misses, and it builds the orders asked for through
the loader the journal gave it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from ashare_exec.errors import InvalidTransition
from ashare_exec.model.identifiers import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    ExchangeOrderId,
)
from ashare_exec.model.order import Order

__all__ = ["ColdIndex", "ColdOrder", "OrderKey", "OrderLoader"]

OrderKey = tuple[AccountId, ClientOrderId]
"""An order's identity: ``(account_id, client_order_id)``."""

OrderLoader = Callable[[Sequence[OrderKey]], dict[OrderKey, Order]]
"""Loads restored-but-not-built orders by key; returns every key asked for, or raises."""

BrokerKey = tuple[AccountId, BrokerOrderId]
ExchangeKey = tuple[AccountId, ExchangeOrderId]


class ColdOrder(NamedTuple):
    """A terminal order restored by key, ids and a summary only; built on first use (see
    ``OrderBook.restore``). The summary (``instrument`` as rendered, ``side`` by value,
    ``qty``, ``filled_qty``) lets reconciliation check a broker's report of a finished
    order without building it; ``instrument`` is empty when there is none."""

    account_id: AccountId
    client_order_id: ClientOrderId
    broker_order_id: BrokerOrderId | None
    exchange_order_id: ExchangeOrderId | None
    instrument: str = ""
    side: str = ""
    qty: int = 0
    filled_qty: int = 0


class ColdIndex:
    """The cold orders by key, and the broker and exchange ids each one still owns.

    An id belongs to the latest order that carried it (as in live processing): a later
    order, cold or built, takes it over (:meth:`add`, :meth:`drop_claims`).
    """

    __slots__ = ("_broker", "_exchange", "_orders", "load")

    def __init__(self) -> None:
        self._orders: dict[OrderKey, ColdOrder] = {}
        self._broker: dict[BrokerKey, OrderKey] = {}
        self._exchange: dict[ExchangeKey, OrderKey] = {}
        self.load: OrderLoader | None = None
        """Builds cold orders (``None`` when there are none left)."""

    def __bool__(self) -> bool:
        return bool(self._orders)

    def __len__(self) -> int:
        return len(self._orders)

    def __contains__(self, key: object) -> bool:
        return key in self._orders

    def get(self, key: OrderKey) -> ColdOrder | None:
        """The cold order with this key, or ``None``."""
        return self._orders.get(key)

    def keys(self, account_id: AccountId | None = None) -> list[OrderKey]:
        """Keys of the cold orders (of the account)."""
        return [k for k in self._orders if account_id is None or k[0] == account_id]

    def key_by_broker(self, bkey: BrokerKey) -> OrderKey | None:
        """The cold order that owns this broker id, or ``None``."""
        return self._broker.get(bkey)

    def key_by_exchange(self, ekey: ExchangeKey) -> OrderKey | None:
        """The cold order that owns this exchange id, or ``None``."""
        return self._exchange.get(ekey)

    def add(self, cold: ColdOrder) -> tuple[BrokerKey | None, ExchangeKey | None]:
        """Keep ``cold``; it takes over its ids. Returns the id keys it claimed, for the
        book to take them from the built orders."""
        acct = cold.account_id
        key = (acct, cold.client_order_id)
        self._orders[key] = cold
        bkey = ekey = None
        if cold.broker_order_id is not None:
            bkey = (acct, cold.broker_order_id)
            self._broker[bkey] = key
        if cold.exchange_order_id is not None:
            ekey = (acct, cold.exchange_order_id)
            self._exchange[ekey] = key
        return bkey, ekey

    def drop_claims(
        self,
        account_id: AccountId,
        broker_order_id: BrokerOrderId | None,
        exchange_order_id: ExchangeOrderId | None,
    ) -> None:
        """A later, built order carries these ids: no cold order owns them any more."""
        if broker_order_id is not None and self._broker:
            self._broker.pop((account_id, broker_order_id), None)
        if exchange_order_id is not None and self._exchange:
            self._exchange.pop((account_id, exchange_order_id), None)

    def remove(self, key: OrderKey) -> None:
        """Forget a cold order (evicted at the day roll) and the ids it still owns."""
        ids = self._orders.pop(key)
        if ids.broker_order_id is not None:
            bkey = (key[0], ids.broker_order_id)
            if self._broker.get(bkey) == key:
                del self._broker[bkey]
        if ids.exchange_order_id is not None:
            ekey = (key[0], ids.exchange_order_id)
            if self._exchange.get(ekey) == key:
                del self._exchange[ekey]

    def clear(self) -> None:
        """Forget every cold order and the loader."""
        for index in (self._orders, self._broker, self._exchange):
            index.clear()
        self.load = None

    def build(
        self, keys: Sequence[OrderKey]
    ) -> tuple[dict[OrderKey, Order], dict[BrokerKey, Order], dict[ExchangeKey, Order]]:
        """Build the cold orders ``keys`` (distinct, all cold) and forget them here.

        Returns the built orders, and the broker and exchange ids they still owned (the
        book's indexes take these over).

        Raises:
            InvalidTransition: there is no loader, or it did not return every key (nothing
                is forgotten then).
        """
        if self.load is None:
            raise InvalidTransition("restored orders need a loader")
        loaded = self.load(keys)
        missing = [k for k in keys if k not in loaded]
        if missing:
            raise InvalidTransition(f"cold orders could not be loaded: {missing[:3]}")
        if len(keys) == len(self._orders):  # every cold order: in bulk
            by_broker = {bk: loaded[k] for bk, k in self._broker.items()}
            by_exchange = {ek: loaded[k] for ek, k in self._exchange.items()}
            self.clear()
            return loaded, by_broker, by_exchange
        built = {k: loaded[k] for k in keys}
        by_broker, by_exchange = {}, {}
        for key in keys:
            order = built[key]
            ids = self._orders.pop(key)
            # Only the ids this order still owns: a later order may have taken one.
            if ids.broker_order_id is not None:
                bkey = (key[0], ids.broker_order_id)
                if self._broker.get(bkey) == key:
                    del self._broker[bkey]
                    by_broker[bkey] = order
            if ids.exchange_order_id is not None:
                ekey = (key[0], ids.exchange_order_id)
                if self._exchange.get(ekey) == key:
                    del self._exchange[ekey]
                    by_exchange[ekey] = order
        if not self._orders:
            self.load = None
        return built, by_broker, by_exchange
