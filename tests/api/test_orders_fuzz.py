"""Hypothesis fuzzing of the order endpoints with *near-valid* requests.

Schema-driven generation rarely names a real account or symbol, so it stops at the first
validation. Here bodies use the configured accounts and the sample instruments, with
quantities, prices, price types and ids drawn from the edges (odd lots, zero, huge numbers,
exotic decimal strings, unicode ids), so requests reach the rules, the risk checks, the
journal and the simulator. The same two properties hold: no 5xx, and a refused request
changes nothing.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import ACCOUNTS, Api

SYMBOLS = [
    "600000.SH",
    "688981.SH",
    "000001.SZ",
    "300750.SZ",
    "920163.BJ",
    "510300.SH",
    "113052.SH",
    "204001.SH",
    "000001.SH",
    "600777.SH",
    "999999.SH",
    "600000.SZ",
]
PRICE_TYPES = [
    "LIMIT",
    "BEST5_IOC",
    "BEST5_TO_LIMIT",
    "COUNTERPARTY_BEST",
    "OWN_BEST",
    "IOC",
    "FOK",
    "AFTER_HOURS_FIXED",
    "MARKET",
    "",
    "limit",
]

# Prices of 1e28 and more make /v1/orders/validate answer 500 (test_known_bugs.py): kept out.
prices = st.one_of(
    st.none(),
    st.decimals(min_value=-1, max_value=100_000, places=3, allow_nan=False).map(str),
    st.sampled_from(
        [
            "10.00",
            "10.02",
            "9.5",
            "11.02",
            "0",
            "-0",
            "0.001",
            "1e3",
            "1E-2",
            "NaN",
            "Infinity",
            "-Infinity",
            "sNaN",
            "1e20",
            "10.0000000001",
            " 10 ",
            "",
            "abc",
            "１０",
        ]
    ),
    st.floats(min_value=-1e20, max_value=1e20) | st.sampled_from([math.nan, math.inf]),
    st.integers(min_value=-(10**20), max_value=10**20),
)
qtys = st.one_of(
    st.sampled_from([100, 200, 1000, 10000, 50, 1, 0, -100, 100_000_000]),
    st.integers(),
)
ids = st.one_of(st.none(), st.sampled_from(["fz-1", "fz-2", "fz-1 "]), st.text(max_size=70))

orders = st.fixed_dictionaries(
    {
        "account_id": st.sampled_from([*ACCOUNTS, "nobody"]),
        "symbol": st.sampled_from(SYMBOLS),
        "side": st.sampled_from(["BUY", "SELL"]),
        "qty": qtys,
    },
    optional={
        "price_type": st.sampled_from(PRICE_TYPES),
        "price": prices,
        "protection_price": prices,
        "time_in_force": st.sampled_from(["DAY", "IOC", "FOK"]),
        "client_order_id": ids,
        "strategy_id": st.one_of(st.none(), st.text(max_size=70)),
    },
)

requests = st.one_of(
    orders.map(lambda o: ("POST", "/v1/orders", o)),
    orders.map(lambda o: ("POST", "/v1/orders/validate", o)),
    st.lists(orders, min_size=1, max_size=5).map(
        lambda b: ("POST", "/v1/orders/batch", {"orders": b})
    ),
    st.tuples(st.sampled_from([*ACCOUNTS, "nobody"]), ids.map(lambda i: i or "fz-1")).map(
        lambda a: ("POST", f"/v1/orders/{a[0]}/{quote(a[1], safe='')}/cancel", None)
    ),
    st.fixed_dictionaries(
        {"account_id": st.sampled_from([*ACCOUNTS, "nobody"])},
        optional={"symbol": st.sampled_from(SYMBOLS), "side": st.sampled_from(["BUY", "SELL"])},
    ).map(lambda b: ("POST", "/v1/orders/cancel-all", b)),
)


def _json_safe(value: Any) -> Any:
    # JSON has no NaN/Infinity: send such floats as the strings a client would.
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return str(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


@settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))
@given(request=requests)
def test_orders_when_near_valid_requests_fuzzed_no_5xx_and_refusals_change_nothing(
    api: Api, request: tuple[str, str, Any]
) -> None:
    method, path, body = request
    before = api.snapshot()
    response = api.request(method=method, url=path, json=_json_safe(body), headers=api.auth())
    assert response.status_code < 500, f"{method} {path} {body!r}: {response.text}"
    if 400 <= response.status_code < 500:
        assert api.snapshot() == before, f"{method} {path} {body!r}: {response.text}"
