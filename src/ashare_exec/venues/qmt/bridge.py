"""The thread bridge: xtquant callbacks -> engine loop, and session-id allocation.

:class:`CallbackBridge` is what ``XtQuantTrader`` calls back on its executor thread. Each
method copies the vendor object into a frozen record and enqueues it on the engine loop with
``loop.call_soon_threadsafe`` — nothing else: no locks, no sync xtquant calls, no ``stop()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any

from ashare_exec.venues.qmt import parsing as p
from ashare_exec.venues.qmt.constants import SESSION_ID_LIMIT

__all__ = ["CallbackBridge", "SessionAllocator", "VendorMessage"]

VendorMessage = tuple[int, str, object]
"""(session generation, kind, copied record)."""


class CallbackBridge:
    """xtquant callback object for one session generation."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sink: Callable[[VendorMessage], None],
        generation: int,
        on_thread: Callable[[str], None] | None = None,
    ) -> None:
        self._loop = loop
        self._sink = sink
        self._generation = generation
        self._on_thread = on_thread

    def _put(self, kind: str, record: object) -> None:
        if self._on_thread is not None:  # test hook: which thread delivered
            self._on_thread(threading.current_thread().name)
        with contextlib.suppress(RuntimeError):  # a closed loop: the adapter is gone
            self._loop.call_soon_threadsafe(self._sink, (self._generation, kind, record))

    def on_connected(self) -> None:
        """Never called by xttrader (kept for the callback interface)."""

    def on_disconnected(self) -> None:
        """The link to MiniQMT dropped."""
        self._put("disconnected", None)

    def on_account_status(self, status: Any) -> None:
        """Account login status push."""
        self._put("account_status", p.copy_account_state(status))

    def on_stock_asset(self, asset: Any) -> None:
        """Cash push (ignored: the engine keeps its own ledger)."""

    def on_stock_position(self, position: Any) -> None:
        """Position push (ignored: the engine keeps its own ledger)."""

    def on_stock_order(self, order: Any) -> None:
        """Order status push."""
        self._put("order", p.copy_order(order))

    def on_stock_trade(self, trade: Any) -> None:
        """Trade push."""
        self._put("trade", p.copy_trade(trade))

    def on_order_error(self, error: Any) -> None:
        """Order error push (after the response, when xttrader matched the seq)."""
        self._put("order_error", p.copy_order_failure(error))

    def on_cancel_error(self, error: Any) -> None:
        """Cancel error push."""
        self._put("cancel_error", p.copy_cancel_failure(error))

    def on_order_stock_async_response(self, response: Any) -> None:
        """Answer to ``order_stock_async``."""
        self._put("order_answer", p.copy_order_answer(response))

    def on_cancel_order_stock_async_response(self, response: Any) -> None:
        """Answer to a cancel."""
        self._put("cancel_answer", p.copy_cancel_answer(response))

    def on_smt_appointment_async_response(self, response: Any) -> None:
        """Unused (securities lending)."""

    def on_bank_transfer_async_response(self, response: Any) -> None:
        """Unused."""

    def on_ctp_internal_transfer_async_response(self, response: Any) -> None:
        """Unused."""

    def on_smart_algo_order_async_response(self, response: Any) -> None:
        """Unused."""

    def on_operate_smart_task_async_response(self, response: Any) -> None:
        """Unused."""

    def resolver(
        self, future: asyncio.Future[Any], copy: Callable[[Any], Any]
    ) -> Callable[[Any], None]:
        """Return an xtquant request callback that copies the answer and resolves ``future``."""

        def done(resp: Any) -> None:
            if self._on_thread is not None:
                self._on_thread(threading.current_thread().name)
            value = copy(resp)
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(_resolve, future, value)

        return done


def _resolve(future: asyncio.Future[Any], value: object) -> None:
    if not future.done():
        future.set_result(value)


class SessionAllocator:
    """Hands out MiniQMT session ids; never one used before by this process.

    An id is ``(unix_seconds % 10**6) * 100 + instance_no`` (below 2**31); on a clash with an
    id already handed out it steps by 100 so the instance number stays readable in logs.
    """

    def __init__(self, instance_no: int, now_seconds: Callable[[], int]) -> None:
        self._instance_no = instance_no
        self._now = now_seconds
        self._used: set[int] = set()

    @property
    def used(self) -> frozenset[int]:
        """Every id handed out so far."""
        return frozenset(self._used)

    def allocate(self) -> int:
        """Return a fresh session id."""
        candidate = (self._now() % 10**6) * 100 + self._instance_no
        while candidate in self._used:
            candidate = (candidate + 100) % 10**8
        assert candidate < SESSION_ID_LIMIT
        self._used.add(candidate)
        return candidate
