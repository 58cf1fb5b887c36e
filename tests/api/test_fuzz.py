"""Schema-driven fuzzing of every endpoint (schemathesis on the OpenAPI document).

For every operation, valid-shaped and invalid requests are generated from the schema and sent
to the app in-process with an admin token. Two properties hold for every request:

* the answer is never a 5xx;
* a refused request (4xx) changes nothing: orders, trades, positions, cash, risk state and
  the journal are the same before and after.
"""

from __future__ import annotations

from typing import Any, cast

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from ashare_exec.api.app import create_app
from ashare_exec.api.auth import Authenticator
from tests.api.conftest import TOKEN, TOKENS, Api


def _openapi() -> dict[str, Any]:
    """The OpenAPI document of the FastAPI app inside the middleware layers."""
    app: Any = create_app(cast(Any, None), Authenticator([]))
    while not isinstance(app, FastAPI):
        app = app.app
    return app.openapi()


# The OpenAPI document does not depend on the service behind the app.
RAW_SCHEMA = _openapi()
schema = schemathesis.openapi.from_dict(RAW_SCHEMA)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
)

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


def send(api: Api, case: schemathesis.Case, token: str | None = TOKEN) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    kwargs.pop("cookies", None)
    if isinstance(kwargs.get("data"), bytes | str):  # raw bodies (requests style) for httpx
        kwargs["content"] = kwargs.pop("data")
    return api.request(**kwargs)


# 5xx answers found by this suite and not fixed yet: (method, path, error code). Each has a
# strict xfail regression test in test_known_bugs.py; remove the entry with the fix.
KNOWN_5XX: set[tuple[str, str, str]] = set()


def known_5xx(case: schemathesis.Case, response: Any) -> bool:
    if response.status_code < 500:
        return False
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return False
    return (case.method.upper(), case.path, code) in KNOWN_5XX


@schema.parametrize()
@FUZZ
def test_endpoint_when_fuzzed_no_5xx_and_refusals_change_nothing(
    api: Api, case: schemathesis.Case
) -> None:
    before = api.snapshot()
    response = send(api, case)
    refused = 400 <= response.status_code < 500 or known_5xx(case, response)
    if not known_5xx(case, response):
        case.validate_response(response, checks=[not_a_server_error])
    if refused:
        assert api.snapshot() == before, f"{case.method} {case.formatted_path} changed state"
    elif case.path == "/v1/risk/trading-state":
        api.resume_trading()


PUBLIC = {"/healthz", "/readyz", "/metrics"}
READ_ONLY_POSTS = {"/v1/orders/validate"}


@schema.parametrize()
@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
def test_endpoint_when_token_missing_wrong_or_short_of_scope_refuses_and_changes_nothing(
    api: Api, case: schemathesis.Case
) -> None:
    for token in (None, "not-a-token", TOKENS["reader"]):
        before = api.snapshot()
        response = send(api, case, token)
        if known_5xx(case, response):
            continue
        case.validate_response(response, checks=[not_a_server_error])
        may_pass = case.path in PUBLIC or (
            token == TOKENS["reader"]
            and (case.method.upper() == "GET" or case.path in READ_ONLY_POSTS)
        )
        if not may_pass:
            assert 400 <= response.status_code < 500, (token, response.text)
        if response.status_code >= 400:
            assert api.snapshot() == before
