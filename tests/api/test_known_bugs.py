"""Server errors the fuzzers found, one regression test each (all fixed). Each test runs on
a service of its own because some of these requests used to break the service for every
later request.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import Api

VALID = {"account_id": "paper", "symbol": "600000.SH", "side": "BUY", "qty": 100, "price": "10.00"}


@pytest.mark.parametrize(
    "changes",
    [{"no_such_limit": 1}, {"max_order_qty": "many"}, {"duplicate_window_s": -1}],
)
def test_limits_when_change_invalid_answers_4xx_and_changes_nothing(
    fresh_api: Api, changes: dict[str, object]
) -> None:
    before = fresh_api.snapshot()
    r = fresh_api.request(
        method="POST",
        url="/v1/risk/limits",
        json={"account_id": None, "changes": changes},
        headers=fresh_api.auth(),
    )
    assert 400 <= r.status_code < 500, r.text
    assert fresh_api.snapshot() == before


@pytest.mark.parametrize("field", ["price", "protection_price"])
@pytest.mark.parametrize("value", ["1e30", "1e999999", 1e300])
def test_validate_when_price_huge_answers_not_5xx(
    fresh_api: Api, field: str, value: object
) -> None:
    body = {**VALID, field: value}
    r = fresh_api.request(
        method="POST", url="/v1/orders/validate", json=body, headers=fresh_api.auth()
    )
    assert r.status_code < 500, r.text


@pytest.mark.parametrize("qty", [2**63, 10**30, -(2**63) - 1])
def test_submit_when_qty_beyond_int64_is_refused_and_service_keeps_trading(
    fresh_api: Api, qty: int
) -> None:
    r = fresh_api.request(
        method="POST", url="/v1/orders", json={**VALID, "qty": qty}, headers=fresh_api.auth()
    )
    after = fresh_api.request(method="POST", url="/v1/orders", json=VALID, headers=fresh_api.auth())
    assert r.status_code < 500, r.text
    assert after.status_code == 201, after.text
