"""``POST /v1/orders`` through the hot path answers exactly as the full app does.

Two identical services receive the same requests in the same order: one through the app
``create_app`` returns (hot path in front), the other through the app behind it. Every
answer — status, content type, body bytes — must be the same, and the hot path must have
answered the well-formed ones itself and handed every other one to the app.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ashare_exec.api.hotpath import OrderHotPath
from tests.api.conftest import TOKENS, Api, asgi_post, running_api

ORDER = {"account_id": "paper", "symbol": "600000.SH", "side": "BUY", "qty": 100}
TEN = {"price": "10.00"}
JSON_UTF8 = "application/json; charset=utf-8"


class Twins:
    """The same requests to a service behind the hot path and to a twin behind the app."""

    def __init__(self, hot: Api, full: Api) -> None:
        assert isinstance(hot.app, OrderHotPath)
        self.hot, self.full = hot, full
        self.delegated = 0
        inner = hot.app.app

        async def counting(scope: Any, receive: Any, send: Any) -> None:
            self.delegated += 1
            await inner(scope, receive, send)

        hot.app.app = counting
        transport = httpx.ASGITransport(app=full.app.app, raise_app_exceptions=False)
        self.full_client = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    def send(self, **kwargs: Any) -> tuple[httpx.Response, bool]:
        """Send to both; return the hot path's answer and whether it answered itself."""
        before = self.delegated
        hot = self.hot.request(**kwargs)
        full = self.full.run(self.full_client.request(**kwargs))
        assert hot.status_code == full.status_code, (hot.text, full.text)
        assert hot.headers.get("content-type") == full.headers.get("content-type")
        assert hot.content == full.content
        return hot, self.delegated == before


@pytest.fixture
def twins(tmp_path: Path) -> Iterator[Twins]:
    with running_api(tmp_path / "hot") as hot, running_api(tmp_path / "full") as full:
        pair = Twins(hot, full)
        yield pair
        full.run(pair.full_client.aclose())


def _auth(name: str = "admin") -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[name]}"}


def _post(body: Any, headers: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    h = {"Content-Type": "application/json", **_auth(), **(headers or {})}
    return {"method": "POST", "url": "/v1/orders", "content": content, "headers": h, **kw}


def test_hot_path_when_order_is_well_formed_answers_as_the_app(twins: Twins) -> None:
    price = {"price": str(twins.hot.service.core.quotes(_iid()).ask_prices[0])}  # type: ignore[union-attr]
    first = ORDER | price | {"client_order_id": "h1"}

    created, answered = twins.send(**_post(first))
    again, answered_again = twins.send(**_post(first))
    charset, answered_charset = twins.send(
        **_post(first | {"client_order_id": "h2"}, {"Content-Type": JSON_UTF8})
    )

    assert [answered, answered_again, answered_charset] == [True, True, True]
    assert created.status_code == 201
    assert created.json()["created"] is True
    assert created.json()["status"] == "PENDING_NEW"
    assert again.json()["created"] is False
    assert charset.status_code == 201


def test_hot_path_when_engine_refuses_answers_the_apps_error(twins: Twins) -> None:
    twins.send(**_post(ORDER | {"price": "10.00", "client_order_id": "d1"}))

    cases = {
        "duplicate id, other content": ORDER | TEN | {"qty": 200, "client_order_id": "d1"},
        "risk denial (odd lot)": ORDER | TEN | {"qty": 150, "client_order_id": "d2"},
        "unknown symbol": ORDER | {"symbol": "999999.SH", "price": "10.00"},
        "unknown account": ORDER | {"account_id": "nobody", "price": "10.00"},
        "bad client id": ORDER | {"price": "10.00", "client_order_id": "has space"},
    }
    answers = {name: twins.send(**_post(body)) for name, body in cases.items()}

    assert {name: r.status_code for name, (r, _) in answers.items()} == {
        "duplicate id, other content": 409,
        "risk denial (odd lot)": 201,
        "unknown symbol": 400,
        "unknown account": 400,
        "bad client id": 400,
    }
    assert answers["risk denial (odd lot)"][0].json()["status"] == "DENIED"
    # "unknown account" is refused by the scope check before the engine: the app answers it.
    assert {name for name, (_, hot) in answers.items() if not hot} <= {"unknown account"}


@pytest.mark.parametrize(
    ("name", "request_"),
    [
        ("no token", _post(ORDER, {"Authorization": ""})),
        ("wrong token", _post(ORDER, {"Authorization": "Bearer nope"})),
        ("read-only token", _post(ORDER, _auth("reader"))),
        ("token of another account", _post(ORDER, _auth("other-trader"))),
        ("invalid JSON", _post(b'{"account_id": "paper",')),
        ("JSON array", _post([ORDER])),
        ("missing field", _post({k: v for k, v in ORDER.items() if k != "qty"})),
        ("qty as a float", _post(ORDER | {"qty": 100.0})),
        ("unknown field", _post(ORDER | {"colour": "red"})),
        ("text content type", _post(ORDER, {"Content-Type": "text/plain"})),
        (
            "+json content type",
            _post(ORDER | {"price": "10.00"}, {"Content-Type": "application/x+json"}),
        ),
        ("not UTF-8", _post(b'{"account_id": "\xff"}')),
        ("body over the limit", _post(b" " * ((1 << 20) + 1))),
        ("trailing slash", _post(ORDER) | {"url": "/v1/orders/"}),
        ("GET", {"method": "GET", "url": "/v1/orders", "headers": _auth()}),
    ],
)
def test_hot_path_when_request_is_not_plain_hands_it_to_the_app(
    twins: Twins, name: str, request_: dict[str, Any]
) -> None:
    answer, answered = twins.send(**request_)

    assert not answered, name
    assert answer.status_code != 500


def test_hot_path_when_engine_fails_unexpectedly_answers_500_as_the_app(
    twins: Twins, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(twins.hot.service, "submit", broken)
    monkeypatch.setattr(twins.full.service, "submit", broken)

    answer, answered = twins.send(**_post(ORDER | {"price": "10.00"}))

    assert answered
    assert answer.status_code == 500
    assert answer.text == "Internal Server Error"


def test_hot_path_when_body_arrives_in_chunks_reads_all_of_it(twins: Twins) -> None:
    body = json.dumps(ORDER | {"price": "10.00", "client_order_id": "c1"}).encode()
    hot = twins.hot.app
    assert isinstance(hot, OrderHotPath)

    sent = twins.hot.run(asgi_post(hot, [body[:10], body[10:30], body[30:]]))
    streamed_over = twins.hot.run(asgi_post(hot, [b" " * (1 << 19)] * 3))

    assert sent[0] == 201
    assert json.loads(sent[1])["client_order_id"] == "c1"
    assert streamed_over[0] == 413


def _iid() -> Any:
    from ashare_exec.model import InstrumentId

    return InstrumentId.parse("600000.SH")
