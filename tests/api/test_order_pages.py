"""``GET /v1/orders`` in pages: ``limit`` newest, ``before`` cursors, bounded work per page;
the SDK follows the cursors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from ashare_exec.client import AsyncClient
from ashare_exec.oms import book as book_module
from tests.api.conftest import TOKEN, Api, running_api


def _submit_resting(api: Api, account: str, coids: list[str]) -> None:
    quote = api.service.core.quotes(_iid("600000.SH"))
    assert quote is not None
    low = str(quote.bid_prices[-1])
    for coid in coids:
        body = {"account_id": account, "symbol": "600000.SH", "side": "BUY", "qty": 100}
        body |= {"price": low, "client_order_id": coid}
        r = api.request(method="POST", url="/v1/orders", json=body, headers=api.auth())
        assert r.status_code == 201, r.text


def _iid(symbol: str) -> Any:
    from ashare_exec.model import InstrumentId

    return InstrumentId.parse(symbol)


def _get(api: Api, **params: Any) -> httpx.Response:
    return api.request(method="GET", url="/v1/orders", params=params, headers=api.auth())


def _follow(api: Api, **params: Any) -> list[list[str]]:
    pages: list[list[str]] = []
    while True:
        body = _get(api, **params).json()
        pages.append([o["client_order_id"] for o in body["orders"]])
        if body["next_before"] is None:
            return pages
        params["before"] = body["next_before"]


def test_list_when_limit_below_the_count_pages_back_through_every_order_once(
    fresh_api: Api,
) -> None:
    coids = [f"p{i:02d}" for i in range(23)]
    _submit_resting(fresh_api, "paper", coids)

    pages = _follow(fresh_api, account_id="paper", limit=10)

    assert pages == [coids[13:], coids[3:13], coids[:3]]


def test_list_when_before_is_negative_is_refused_and_huge_is_clamped(fresh_api: Api) -> None:
    _submit_resting(fresh_api, "paper", ["a", "b"])

    assert _get(fresh_api, before=-1).status_code == 422
    body = _get(fresh_api, before=10**9).json()
    assert ([o["client_order_id"] for o in body["orders"]], body["next_before"]) == (
        ["a", "b"],
        None,
    )


def test_list_after_restart_ends_pages_at_the_build_budget_and_the_sdk_follows_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    coids = [f"c{i:02d}" for i in range(30)]
    with running_api(tmp_path) as api:
        _submit_resting(api, "paper", coids)
        r = api.request(
            method="POST",
            url="/v1/orders/cancel-all",
            json={"account_id": "paper"},
            headers=api.auth(),
        )
        assert r.status_code == 200, r.text
        api.run(api.service.core.drain())
    # A venue that no longer lists them (the start-up reconcile would build every order
    # the broker reports): as after a restart of the simulator.
    for f in (tmp_path / "data" / "sim").glob("state.sqlite3*"):
        f.unlink()
    monkeypatch.setattr(book_module, "PAGE_BUILD_BUDGET", 8)
    with running_api(tmp_path) as api:  # the canceled orders come back cold
        assert api.service.core.state.book.cold_count == 30
        first = _get(api, account_id="paper", status="CANCELED", limit=20).json()
        assert 0 < len(first["orders"]) < 20  # stopped at the budget, not at the limit
        assert first["next_before"] is not None

        async def sdk_orders() -> list[str]:
            transport = httpx.ASGITransport(app=api.app)
            async with AsyncClient("http://testserver", TOKEN, transport=transport) as c:
                listed = await c.orders("paper", status="CANCELED", limit=25)
            return [o.client_order_id for o in listed]

        assert api.run(sdk_orders()) == coids[5:]
