"""``POST /v1/orders`` answered without the web framework's per-request machinery.

A single order through FastAPI passes about a dozen ASGI layers (its error, exception,
exit-stack, telemetry and body-limit middlewares, the router, dependency solving) before
and after the engine: roughly a third of the event loop's time per HTTP order
(``docs/benchmarks.md``). :class:`OrderHotPath` sits in front of the app and answers the
common case itself — an authorised, well-formed JSON order — with the same model, the
same engine call and the same response bytes.

Anything else goes to the app unchanged, with the body it has already read replayed:
a request this path does not fully understand (another route, a missing or foreign
content type, bad JSON, a validation error, a missing token or scope, an oversized body)
is answered by the app, so error answers stay exactly the framework's.
``tests/api/test_hotpath.py`` sends the same requests to both and compares the answers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ashare_exec.api.auth import Authenticator, Principal
from ashare_exec.api.schemas import OrderIn
from ashare_exec.errors import GatewayError

if TYPE_CHECKING:
    from ashare_exec.engine.service import ExecutionService

__all__ = ["OrderHotPath"]

_JSON = b"application/json"


class OrderHotPath:
    """Answer well-formed, authorised ``POST /v1/orders`` requests directly; hand every
    other request to ``app``.

    Args:
        app: the full application (it answers everything this path does not).
        service: the engine the app is bound to.
        auth: the app's authenticator.
        max_body: the body limit the app enforces (a larger body goes to the app).
        error_response: the app's answer to a gateway error raised by the engine.
    """

    def __init__(
        self,
        app: ASGIApp,
        service: ExecutionService,
        auth: Authenticator,
        max_body: int,
        error_response: Callable[[GatewayError], Response],
    ) -> None:
        self.app = app
        self.service = service
        self.auth = auth
        self.max_body = max_body
        self.error_response = error_response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != "/v1/orders"
            or scope["method"] != "POST"
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        authorization = content_type = None
        for name, value in scope["headers"]:  # the first of a repeated header, as Starlette
            if name == b"authorization":
                authorization = value if authorization is None else authorization
            elif name == b"content-type":
                content_type = value if content_type is None else content_type
            elif name == b"content-length" and (not value.isdigit() or int(value) > self.max_body):
                await self.app(scope, receive, send)
                return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            msg = await receive()
            if msg["type"] != "http.request":
                await self.app(scope, _replay(chunks, True, receive, msg), send)
                return
            chunk = msg.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = msg.get("more_body", False)
            if size > self.max_body:
                await self.app(scope, _replay(chunks, more, receive), send)
                return
        body = b"".join(chunks)
        order = self._accept(authorization, content_type, body)
        if order is None:
            await self.app(scope, _replay([body], False, receive), send)
            return
        principal, order_in = order
        service = self.service
        t0 = time.perf_counter()
        try:
            view = await service.submit(order_in, actor=principal.name)
        except GatewayError as e:
            await self.error_response(e)(scope, receive, send)
            return
        except Exception:
            # As the framework's outermost error middleware: a plain 500, then re-raise so
            # that the server logs the traceback.
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
            raise
        service.observe_api("submit", time.perf_counter() - t0)
        await JSONResponse(view, status_code=201)(scope, receive, send)

    def _accept(
        self, authorization: bytes | None, content_type: bytes | None, body: bytes
    ) -> tuple[Principal, OrderIn] | None:
        """The caller and the order, or ``None`` for anything the app should answer."""
        # The framework also takes ``application/*+json``; those go to it.
        if content_type is None or content_type.split(b";", 1)[0].strip().lower() != _JSON:
            return None
        try:
            principal = self.auth.authenticate(
                authorization.decode("latin-1") if authorization is not None else None
            )
            data = json.loads(body)
            if not isinstance(data, dict):
                return None
            order = OrderIn.model_validate(data)
            principal.require("trade", order.account_id)
        except Exception:  # whatever went wrong, the app finds it again and answers it
            return None
        return principal, order


def _replay(
    chunks: list[bytes], more: bool, receive: Receive, pending: Message | None = None
) -> Receive:
    """A ``receive`` that first returns the body read so far, then carries on."""
    first: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": more}]
    if pending is not None:
        first.append(pending)

    async def replayed() -> Message:
        if first:
            return first.pop(0)
        return await receive()

    return replayed
