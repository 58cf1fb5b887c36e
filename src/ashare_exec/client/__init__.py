"""Python SDK for strategies: sync and async clients over one core.

Example::

    from ashare_exec.client import Client

    with Client("http://127.0.0.1:8000", token="...") as c:
        h = c.submit("paper", "600000.SH", "BUY", 100, "10.00")
        print(h.wait().status)
"""

from ashare_exec.client._core import (
    ApiError,
    AuthError,
    ConflictError,
    NotFoundError,
    OrderInfo,
    RefusedError,
    UnavailableError,
    build_order_body,
)
from ashare_exec.client.async_ import AsyncClient, AsyncOrderHandle
from ashare_exec.client.sync import Client, OrderHandle

__all__ = [
    "ApiError",
    "AsyncClient",
    "AsyncOrderHandle",
    "AuthError",
    "Client",
    "ConflictError",
    "NotFoundError",
    "OrderHandle",
    "OrderInfo",
    "RefusedError",
    "UnavailableError",
    "build_order_body",
]
