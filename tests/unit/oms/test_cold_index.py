"""ColdIndex: finished orders known by key and ids, built through the loader on demand."""

from __future__ import annotations

from collections.abc import Sequence

import oms_stubs as st
import pytest

from ashare_exec.errors import InvalidTransition
from ashare_exec.model import AccountId, BrokerOrderId, ClientOrderId, ExchangeOrderId
from ashare_exec.model.order import Order
from ashare_exec.oms.book import OrderBook
from ashare_exec.oms.cold import ColdIndex, ColdOrder, OrderKey

ACC = AccountId(st.ACC)


def _key(coid: str) -> OrderKey:
    return (ACC, ClientOrderId(coid))


def _cold(coid: str, broker: str | None = None, exch: str | None = None) -> ColdOrder:
    return ColdOrder(
        ACC,
        ClientOrderId(coid),
        BrokerOrderId(broker) if broker else None,
        ExchangeOrderId(exch) if exch else None,
    )


def _orders(*coids: str) -> dict[OrderKey, Order]:
    book = OrderBook()
    for c in coids:
        book.apply(st.submitted(c))
    return {_key(c): o for c in coids if (o := book.get(ACC, ClientOrderId(c))) is not None}


def test_a_later_cold_order_takes_over_a_broker_id() -> None:
    index = ColdIndex()
    index.add(_cold("C1", broker="B1"))
    claimed = index.add(_cold("C2", broker="B1", exch="E2"))
    assert claimed == ((ACC, "B1"), (ACC, "E2"))
    assert index.key_by_broker((ACC, BrokerOrderId("B1"))) == _key("C2")
    assert index.key_by_exchange((ACC, ExchangeOrderId("E2"))) == _key("C2")


def test_a_built_order_carrying_the_ids_drops_the_cold_claims() -> None:
    index = ColdIndex()
    index.add(_cold("C1", broker="B1", exch="E1"))
    index.drop_claims(ACC, BrokerOrderId("B1"), ExchangeOrderId("E1"))
    assert index.key_by_broker((ACC, BrokerOrderId("B1"))) is None
    assert index.key_by_exchange((ACC, ExchangeOrderId("E1"))) is None
    assert _key("C1") in index  # the order itself stays cold


def test_build_hands_over_only_the_ids_each_order_still_owns() -> None:
    index = ColdIndex()
    index.add(_cold("C1", broker="B1"))
    index.add(_cold("C2", broker="B1"))  # took B1
    index.add(_cold("C3", broker="B3"))
    index.load = lambda keys: _orders(*(k[1] for k in keys))
    built, by_broker, _by_exchange = index.build([_key("C1")])
    assert set(built) == {_key("C1")}
    assert by_broker == {}  # B1 belongs to C2
    assert index.key_by_broker((ACC, BrokerOrderId("B1"))) == _key("C2")
    built, by_broker, _ = index.build([_key("C2")])
    assert list(by_broker) == [(ACC, "B1")]
    assert by_broker[(ACC, "B1")] is built[_key("C2")]
    assert index.load is not None
    assert len(index) == 1


def test_build_of_every_cold_order_empties_the_index_and_drops_the_loader() -> None:
    index = ColdIndex()
    index.add(_cold("C1", broker="B1"))
    index.add(_cold("C2", exch="E2"))
    index.load = lambda keys: _orders(*(k[1] for k in keys))
    built, by_broker, by_exchange = index.build([_key("C1"), _key("C2")])
    assert set(built) == {_key("C1"), _key("C2")}
    assert set(by_broker) == {(ACC, "B1")}
    assert set(by_exchange) == {(ACC, "E2")}
    assert not index
    assert index.load is None


def test_build_keeps_only_the_orders_asked_for_when_the_loader_returns_more() -> None:
    index = ColdIndex()
    index.add(_cold("C1"))
    index.add(_cold("C2"))
    index.load = lambda _keys: _orders("C1", "C2", "X9")
    built, _, _ = index.build([_key("C1")])
    assert set(built) == {_key("C1")}


def test_a_loader_that_misses_a_key_raises_and_leaves_every_order_cold() -> None:
    index = ColdIndex()
    index.add(_cold("C1", broker="B1"))
    index.add(_cold("C2"))

    def loader(keys: Sequence[OrderKey]) -> dict[OrderKey, Order]:
        return _orders("C2")

    index.load = loader
    with pytest.raises(InvalidTransition, match="could not be loaded"):
        index.build([_key("C1"), _key("C2")])
    assert len(index) == 2
    assert index.key_by_broker((ACC, BrokerOrderId("B1"))) == _key("C1")


def test_build_without_a_loader_raises() -> None:
    index = ColdIndex()
    index.add(_cold("C1"))
    with pytest.raises(InvalidTransition, match="need a loader"):
        index.build([_key("C1")])


def test_remove_forgets_the_order_and_only_the_ids_it_still_owns() -> None:
    index = ColdIndex()
    index.add(_cold("C1", broker="B1", exch="E1"))
    index.add(_cold("C2", broker="B1"))
    index.remove(_key("C1"))
    assert _key("C1") not in index
    assert index.key_by_exchange((ACC, ExchangeOrderId("E1"))) is None
    assert index.key_by_broker((ACC, BrokerOrderId("B1"))) == _key("C2")
