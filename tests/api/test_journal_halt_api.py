"""A journal halt over HTTP: what a client sees when the journal stops writing.

New orders answer 503 ``TRADING_HALTED`` (and the one that hit the failure reads
``REJECTED``, not sent); cancels and the kill switch still work; ``/readyz`` says why and
what to do; a resume is refused while the journal still cannot write, and lifts the halt
once it can (``engine/halts.py``, ``tests/reliability/test_journal_halt.py``)."""

from __future__ import annotations

import asyncio

import httpx

from tests.api.conftest import Api
from tests.reliability.fault_kit import FAULTS

ORDER = {"account_id": "paper", "symbol": "600000.SH", "side": "BUY", "qty": 100}


def _submit(api: Api, coid: str) -> tuple[int, dict[str, object]]:
    body = ORDER | {"price": "9.50", "client_order_id": coid}
    r = api.request(method="POST", url="/v1/orders", json=body, headers=api.auth())
    return r.status_code, r.json()


async def _break_journal(api: Api) -> None:
    """Break the journal so that the next write to fail is the next order's: the reports
    of earlier orders journaled, the risk state saved."""
    for _ in range(3):
        await asyncio.sleep(0)
        await api.service.core.drain()
    api.service.pretrade.persist()
    FAULTS["read-only"](api.service)


def test_journal_halt_over_http_refuses_orders_but_cancels_and_says_why(fresh_api: Api) -> None:
    api = fresh_api
    assert _submit(api, "h1")[0] == 201
    api.run(_break_journal(api))

    status, body = _submit(api, "h2")
    again, _ = _submit(api, "h3")
    h2 = api.request(method="GET", url="/v1/orders/paper/h2", headers=api.auth()).json()
    cancel = api.request(method="POST", url="/v1/orders/paper/h1/cancel", headers=api.auth())
    ready = api.request(method="GET", url="/readyz")
    halt = api.request(
        method="POST",
        url="/v1/risk/trading-state",
        json={"state": "HALTED", "account_id": "paper", "cancel_working": True},
        headers=api.auth(),
    )

    assert (status, body["error"]["code"]) == (503, "TRADING_HALTED")  # type: ignore[index]
    assert again == 503
    assert (h2["status"], h2["reason_code"]) == ("REJECTED", "TRADING_HALTED")
    assert cancel.status_code == 200
    assert cancel.json()["status"] == "PENDING_CANCEL"
    assert ready.status_code == 503
    assert any("journal not writable" in r for r in ready.json()["reasons"])
    assert halt.status_code == 200
    assert halt.json()["persisted"] is False


def test_journal_halt_over_http_a_resume_lifts_it_once_the_journal_writes_again(
    fresh_api: Api,
) -> None:
    api = fresh_api
    assert _submit(api, "h1")[0] == 201
    api.run(_break_journal(api))
    assert _submit(api, "h2")[0] == 503

    def resume() -> httpx.Response:
        return api.request(
            method="POST",
            url="/v1/risk/trading-state",
            json={"state": "ACTIVE", "reason": "disk freed"},
            headers=api.auth(),
        )

    early = resume()
    api.service.core.journal._conn.execute("PRAGMA query_only = OFF")  # type: ignore[attr-defined]
    late = resume()
    ready = api.request(method="GET", url="/readyz")
    after = _submit(api, "h3")

    assert early.status_code == 503
    assert early.json()["error"]["code"] == "JOURNAL_ERROR"
    assert "still cannot write" in early.json()["error"]["message"]
    assert late.status_code == 200
    assert late.json()["resumed_engine"] is True
    assert late.json()["persisted"] is True
    assert not any("journal" in r for r in ready.json().get("reasons", []))
    assert after[0] == 201
