"""The order book's indexes and the internal steps that keep them current.

:class:`BookIndexes` holds the orders by key (``None`` while cold), by broker id and by
exchange id, the open-order set, the cold index and the creation sequence; it re-indexes an
order after an event and builds cold orders. The public API is
:class:`~ashare_exec.oms.book.OrderBook`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ashare_exec.model.identifiers import AccountId, BrokerOrderId, ExchangeOrderId
from ashare_exec.model.order import Order
from ashare_exec.oms.cold import ColdIndex, OrderKey

__all__ = ["BookIndexes"]


class BookIndexes:
    """State and internal steps shared by the book's public methods."""

    __slots__ = (
        "_by_broker",
        "_by_exchange",
        "_cold",
        "_open",
        "_orders",
        "_pos",
        "_seq",
    )

    def __init__(self) -> None:
        self._orders: dict[OrderKey, Order | None] = {}  # None: cold (in ``_cold``)
        self._by_broker: dict[tuple[AccountId, BrokerOrderId], Order] = {}
        self._by_exchange: dict[tuple[AccountId, ExchangeOrderId], Order] = {}
        self._open: dict[OrderKey, Order] = {}
        self._cold = ColdIndex()
        # Creation order by position, for paged listings (positions change at the day roll).
        self._seq: list[OrderKey] = []
        self._pos: dict[OrderKey, int] | None = None  # built when first needed

    # --- cold orders ----------------------------------------------------------------

    def _all(self, account_id: AccountId | None = None) -> Iterable[Order]:
        """Every order (of the account), building the cold ones first."""
        if not self._cold:
            return self._orders.values()  # type: ignore[return-value]
        keys = self._cold.keys(account_id)
        if keys:
            self._thaw(keys)
        return [o for o in self._orders.values() if o is not None]

    def _append(self, key: OrderKey) -> None:
        if self._pos is not None:
            self._pos[key] = len(self._seq)
        self._seq.append(key)

    def _positions(self) -> dict[OrderKey, int]:
        if self._pos is None:
            self._pos = {key: i for i, key in enumerate(self._seq)}
        return self._pos

    def _thaw_key(self, key: OrderKey) -> Order | None:
        if key not in self._cold:
            return None
        return self._thaw([key])[key]

    def _thaw(self, keys: Sequence[OrderKey]) -> dict[OrderKey, Order]:
        loaded, by_broker, by_exchange = self._cold.build(keys)
        self._orders.update(loaded)  # an existing key keeps its place (creation order)
        self._by_broker.update(by_broker)
        self._by_exchange.update(by_exchange)
        self._open.update({k: o for k, o in loaded.items() if o.status.is_open})
        return loaded

    def _reindex(self, key: OrderKey, order: Order) -> None:
        account = key[0]
        if order.broker_order_id is not None:
            self._by_broker[(account, order.broker_order_id)] = order
        if order.exchange_order_id is not None:
            self._by_exchange[(account, order.exchange_order_id)] = order
        if self._cold:  # the later order keeps the ids, even once the cold one is built
            self._cold.drop_claims(account, order.broker_order_id, order.exchange_order_id)
        if order.status.is_open:
            self._open[key] = order
        else:
            self._open.pop(key, None)
