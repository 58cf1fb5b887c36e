"""``POST /v1/orders/batch``: each result, in the order sent, an order view or an error
object; the answer is plain compact JSON."""

from __future__ import annotations

import json
from typing import Any

from fastapi.encoders import jsonable_encoder

from tests.api.conftest import Api


def _order(coid: str, **over: Any) -> dict[str, Any]:
    body = {"account_id": "paper", "symbol": "600000.SH", "side": "BUY", "qty": 100,
            "price_type": "LIMIT", "price": "10.00", "client_order_id": coid}  # fmt: skip
    return body | over


def test_batch_when_orders_fill_deny_and_fail_answers_each_in_order_as_the_framework_renders(
    fresh_api: Api,
) -> None:
    ask = fresh_api.service.core.quotes(_iid())
    assert ask is not None
    orders = [
        _order("b1", price=str(ask.ask_prices[0])),  # marketable: fills at once
        _order("b2", qty=150),  # not a whole lot: denied by the rules
        _order("b3", symbol="999999.SH"),  # unknown symbol: an error object
        _order("b4", price=str(ask.bid_prices[-1])),  # rests
        _order("b1", price=str(ask.ask_prices[0])),  # the same order again: idempotent
    ]
    r = fresh_api.request(
        method="POST", url="/v1/orders/batch", json={"orders": orders}, headers=fresh_api.auth()
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    results = r.json()["results"]
    assert [x.get("client_order_id") for x in results] == ["b1", "b2", None, "b4", "b1"]
    # The answer comes once the order is journaled; the venue's ack and fill come after.
    assert results[0]["status"] in ("PENDING_NEW", "NEW", "FILLED")
    assert results[1]["status"] == "DENIED"
    assert results[1]["reasons"]
    assert results[2]["error"]["code"] == "UNKNOWN_SYMBOL"
    assert results[3]["status"] in ("PENDING_NEW", "NEW")
    assert results[4]["created"] is False
    # Compact, non-ASCII kept: what json.dumps would send for the same content.
    expected = json.dumps(
        jsonable_encoder(r.json()), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    ).encode()
    assert r.content == expected


def _iid() -> Any:
    from ashare_exec.model import InstrumentId

    return InstrumentId.parse("600000.SH")
