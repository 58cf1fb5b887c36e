"""Request bodies over the limit are refused with 413 and a reason code."""

from __future__ import annotations

import json

from tests.api.conftest import Api, asgi_post


def test_body_limit_when_chunked_body_grows_over_the_limit_answers_413(fresh_api: Api) -> None:
    behind_hot_path = fresh_api.app.app  # the app without the order hot path in front
    chunks = [b" " * (1 << 19)] * 3  # 1.5 MiB, no Content-Length

    for app in (fresh_api.app, behind_hot_path):
        status, body = fresh_api.run(asgi_post(app, list(chunks)))
        assert status == 413
        assert json.loads(body)["error"]["code"] == "INVALID_REQUEST"
    status, _ = fresh_api.run(asgi_post(fresh_api.app, list(chunks), path="/v1/orders/batch"))
    assert status == 413
    assert fresh_api.snapshot()["orders"] == []
