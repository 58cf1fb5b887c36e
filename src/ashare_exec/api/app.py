"""The ASGI application: ``create_app(engine, authenticator)``. No globals.

Every route authenticates the bearer token, checks the scope and account, calls the engine
on its loop, and answers JSON. Errors are ``{"error": {"code", "message", "reasons"}}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ashare_exec import __version__
from ashare_exec.api.auth import Authenticator, AuthError, Principal
from ashare_exec.api.hotpath import OrderHotPath
from ashare_exec.api.schemas import BatchIn, CancelAllIn, LimitsIn, OrderIn, TradingStateIn
from ashare_exec.errors import (
    BrokerError,
    BrokerRejected,
    BrokerTimeout,
    BrokerUnavailable,
    ConfigError,
    DuplicateClientOrderId,
    GatewayError,
    InvalidRequest,
    InvalidTransition,
    JournalError,
    OrderNotFound,
    OrderRefused,
    ServiceUnavailable,
)

if TYPE_CHECKING:
    from ashare_exec.engine.service import ExecutionService

__all__ = ["ERROR_STATUS", "create_app", "error_status"]

log = logging.getLogger(__name__)


# Every class of the error tree (``errors.py``) has its row; a subclass defined elsewhere
# answers as its nearest listed ancestor. ``tests/api/test_errors.py`` holds this to it.
ERROR_STATUS: dict[type[GatewayError], int] = {
    GatewayError: 500,
    ConfigError: 400,
    InvalidRequest: 400,
    OrderRefused: 422,
    DuplicateClientOrderId: 409,
    OrderNotFound: 404,
    InvalidTransition: 500,
    BrokerError: 502,
    BrokerUnavailable: 503,
    BrokerTimeout: 504,
    BrokerRejected: 502,
    JournalError: 503,
    ServiceUnavailable: 503,
}


def error_status(e: GatewayError) -> int:
    """The HTTP status for a gateway error (``ERROR_STATUS``, by the nearest listed class)."""
    if isinstance(e, OrderRefused) and e.code == "ORDER_ALREADY_DONE":
        return 409
    for cls in type(e).__mro__:
        status = ERROR_STATUS.get(cls)
        if status is not None:
            return status
    return 500


def _error(status: int, code: str, message: str, reasons: tuple[str, ...] = ()) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "reasons": list(reasons or (code,))}}
    return JSONResponse(body, status_code=status)


def _gateway_error_response(e: GatewayError) -> JSONResponse:
    status = error_status(e)
    if status == 500:
        log.error("request failed: %s", e, exc_info=e)
    reasons = getattr(e, "reasons", (e.code,))
    return _error(status, e.code, e.message, tuple(reasons))


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 (also without Content-Length)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await _error(413, "INVALID_REQUEST", "request body too large")(scope, receive, send)
                return
        seen = 0
        started = answered = False

        # A body that turns out too large while it streams in (no Content-Length) is
        # answered here, and the app is told that the client left: an exception raised
        # from ``receive`` would be turned by the framework into its own 400.
        async def limited() -> Message:
            nonlocal seen, answered
            if answered:
                return {"type": "http.disconnect"}
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > self.limit and not started:
                    answered = True
                    too_large = _error(413, "INVALID_REQUEST", "request body too large")
                    await too_large(scope, receive, send)
                    return {"type": "http.disconnect"}
            return msg

        async def guarded(msg: Message) -> None:
            nonlocal started
            if not answered:
                started = True
                await send(msg)

        await self.app(scope, limited, guarded)


def create_app(service: ExecutionService, auth: Authenticator, *, max_body: int = 1 << 20) -> Any:
    """Build the FastAPI app bound to a running :class:`ExecutionService`."""
    app = FastAPI(
        title="ashare-exec",
        version=__version__,
        description="Order-execution gateway for China A-shares. Authenticate with "
        "`Authorization: Bearer <token>`. Prices are decimal strings.",
    )
    engine = service

    @app.exception_handler(GatewayError)
    async def _gateway_error(_: Request, e: GatewayError) -> JSONResponse:
        return _gateway_error_response(e)

    @app.exception_handler(AuthError)
    async def _auth_error(_: Request, e: AuthError) -> JSONResponse:
        return _error(e.status, e.code, e.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, e: RequestValidationError) -> JSONResponse:
        parts = []
        for err in e.errors()[:5]:
            loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            parts.append(f"{loc}: {err.get('msg', 'invalid')}")
        return _error(422, "INVALID_REQUEST", "; ".join(parts) or "invalid request")

    def principal(request: Request) -> Principal:
        return auth.authenticate(request.headers.get("authorization"))

    # ---- orders -------------------------------------------------------------------------
    @app.post("/v1/orders", status_code=201, tags=["orders"])
    async def submit_order(body: OrderIn, request: Request) -> Any:
        """Submit one order. A risk denial answers 201 with ``status: DENIED`` and its reasons;
        resubmitting the same ``client_order_id`` with the same content returns the order."""
        p = principal(request)
        p.require("trade", body.account_id)
        t0 = time.perf_counter()
        view = await engine.submit(body, actor=p.name)
        engine.observe_api("submit", time.perf_counter() - t0)
        return view

    @app.post("/v1/orders/batch", tags=["orders"])
    async def submit_batch(body: BatchIn, request: Request) -> Any:
        """Submit several orders; each result is an order or an error object."""
        p = principal(request)
        for o in body.orders:
            p.require("trade", o.account_id)
        return {"results": await engine.submit_batch(body.orders, actor=p.name)}

    @app.post("/v1/orders/validate", tags=["orders"])
    async def validate_order(body: OrderIn, request: Request) -> Any:
        """Dry run: the normalised order and every reason that applies; nothing is sent."""
        principal(request).require("read", body.account_id)
        return engine.validate(body)

    @app.post("/v1/orders/cancel-all", tags=["orders"])
    async def cancel_all(body: CancelAllIn, request: Request) -> Any:
        """Cancel every working order of an account (optionally by symbol / side / strategy)."""
        principal(request).require("trade", body.account_id)
        return {"canceled": await engine.cancel_all(body, actor=principal(request).name)}

    @app.post("/v1/orders/{account_id}/{client_order_id}/cancel", tags=["orders"])
    async def cancel_order(account_id: str, client_order_id: str, request: Request) -> Any:
        """Cancel one order by its client order id."""
        p = principal(request)
        p.require("trade", account_id)
        return await engine.cancel(account_id, client_order_id, actor=p.name)

    @app.get("/v1/orders", tags=["orders"])
    async def list_orders(
        request: Request,
        account_id: str | None = None,
        status: str | None = None,
        symbol: str | None = None,
        strategy: str | None = None,
        open_only: bool = False,
        limit: int = Query(1000, ge=1, le=100_000),
        before: int | None = Query(None, ge=0),
    ) -> Any:
        """The newest ``limit`` matching orders of the day, oldest first; ``next_before``,
        when not null, is the ``before`` of the next, older page (a page may stop short of
        ``limit`` to bound its work, so follow ``next_before`` until it is null)."""
        p = principal(request)
        p.require("read", account_id)
        return engine.order_page(
            account_id,
            status,
            symbol,
            strategy,
            open_only,
            limit=limit,
            before=before,
            visible=p.may_see,
        )

    @app.get("/v1/orders/{account_id}/{client_order_id}", tags=["orders"])
    async def get_order(account_id: str, client_order_id: str, request: Request) -> Any:
        """One order with its fills and its event log."""
        principal(request).require("read", account_id)
        return engine.get_order(account_id, client_order_id, with_events=True)

    # ---- portfolio ----------------------------------------------------------------------
    @app.get("/v1/trades", tags=["portfolio"])
    async def list_trades(request: Request, account_id: str) -> Any:
        """Today's fills of an account."""
        principal(request).require("read", account_id)
        return {"trades": engine.list_trades(account_id)}

    @app.get("/v1/positions", tags=["portfolio"])
    async def list_positions(request: Request, account_id: str) -> Any:
        """Positions of an account (total, sellable, frozen, average cost)."""
        principal(request).require("read", account_id)
        return {"positions": engine.list_positions(account_id)}

    @app.get("/v1/accounts/{account_id}", tags=["portfolio"])
    async def get_account(account_id: str, request: Request) -> Any:
        """Cash (available, frozen), account status and trading state."""
        principal(request).require("read", account_id)
        return engine.account_view(account_id)

    @app.get("/v1/quotes/{symbol}", tags=["portfolio"])
    async def get_quote(symbol: str, request: Request) -> Any:
        """The latest quote the gateway knows (five levels) and today's price limits."""
        principal(request).require("read")
        return engine.quote(symbol)

    # ---- risk and control ---------------------------------------------------------------
    @app.get("/v1/risk", tags=["risk"])
    async def risk_state(request: Request) -> Any:
        """Trading states, limits and in-trade counters."""
        principal(request).require("read")
        return engine.risk_view()

    @app.get("/v1/risk/evidence", tags=["risk"])
    async def evidence(
        request: Request, account_id: str, day: str | None = None, format: str = "json"
    ) -> Any:
        """Programmatic-trading evidence pack (max orders+cancels per second, daily counts,
        cancel ratio, thresholds, every control that fired) as JSON or CSV."""
        principal(request).require("read", account_id)
        pack = engine.evidence(account_id, day)
        if format == "csv":
            return Response(pack.to_csv(), media_type="text/csv")
        return pack.to_dict()

    @app.post("/v1/risk/trading-state", tags=["risk"])
    async def set_trading_state(body: TradingStateIn, request: Request) -> Any:
        """Halt, switch to reduce-only or resume an account or the whole service (audited)."""
        p = principal(request)
        p.require("admin", body.account_id)
        return await engine.set_trading_state(
            body.account_id,
            body.state,
            actor=p.name,
            cancel_working=body.cancel_working,
            reason=body.reason,
        )

    @app.post("/v1/risk/limits", tags=["risk"])
    async def update_limits(body: LimitsIn, request: Request) -> Any:
        """Change risk limits at run time (audited)."""
        p = principal(request)
        p.require("admin", body.account_id)
        return engine.update_limits(body.account_id, body.changes, actor=p.name)

    # ---- service ------------------------------------------------------------------------
    @app.get("/v1/status", tags=["service"])
    async def status(request: Request) -> Any:
        """Readiness, venues, clock, phase and trading states."""
        principal(request).require("read")
        return engine.status()

    @app.get("/healthz", tags=["service"])
    async def healthz() -> Any:
        """The process is alive (no token needed)."""
        return {"ok": True}

    @app.get("/readyz", tags=["service"])
    async def readyz() -> Any:
        """Ready to trade: venue connected, account OK, journal writable, reconciled."""
        ready, reasons = engine.readiness()
        return JSONResponse({"ready": ready, "reasons": reasons}, status_code=200 if ready else 503)

    @app.get("/metrics", tags=["service"])
    async def metrics() -> Response:
        """Prometheus metrics (text exposition format)."""
        body, content_type = engine.metrics_exposition()
        return Response(body, media_type=content_type)

    @app.websocket("/v1/stream")
    async def stream(ws: WebSocket) -> None:
        """Order events, fills, account updates and alerts; ``?from_seq=N`` replays after N."""
        header = ws.headers.get("authorization") or ws.query_params.get("token")
        try:
            p = auth.authenticate(header)
            p.require("read")
        except AuthError as e:
            await ws.close(code=4401 if e.status == 401 else 4403, reason=e.code)
            return
        from_seq_raw = ws.query_params.get("from_seq")
        kinds_raw = ws.query_params.get("kinds")
        try:
            from_seq = int(from_seq_raw) if from_seq_raw else None
        except ValueError:
            await ws.close(code=4400, reason="INVALID_REQUEST")
            return
        kinds = frozenset(kinds_raw.split(",")) if kinds_raw else None
        await ws.accept()
        sub = engine.bus.subscribe(from_seq=from_seq, accounts=p.accounts, kinds=kinds)

        async def wait_disconnect() -> None:
            while True:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    return

        reader = asyncio.create_task(wait_disconnect())
        try:
            while not reader.done():
                get = asyncio.create_task(sub.queue.get())
                done, _ = await asyncio.wait({get, reader}, return_when=asyncio.FIRST_COMPLETED)
                if get not in done:
                    get.cancel()
                    break
                await ws.send_text(engine.bus.text(get.result()))
                while not sub.queue.empty():
                    await ws.send_text(engine.bus.text(sub.queue.get_nowait()))
                if sub.overflowed:
                    await ws.close(code=4008, reason="SUBSCRIBER_OVERFLOW")
                    break
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            engine.bus.unsubscribe(sub)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    return OrderHotPath(BodyLimit(app, max_body), engine, auth, max_body, _gateway_error_response)
