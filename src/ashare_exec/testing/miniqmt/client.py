"""The fake native client ``xtquant.xtpythonclient.XtQuantAsyncClient``.

It keeps the exact shape of the pybind11 boundary that ``xttrader.py`` uses: the constructor
``(path: bytes, name: str, session: int)``, ``bind<Name>Callback(fn)`` for every callback,
``init/start/stop/connect/setTimeout/nextSeq`` and the ``<request>WithSeq(seq, req)`` methods.
Callbacks run on one delivery thread per client, in FIFO order, and never before ``start()``.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from typing import Any, Protocol

from ashare_exec.testing.miniqmt import structs as s
from ashare_exec.testing.miniqmt.behaviour import MiniQmtBehaviour

_QUERIES: dict[str, tuple[type[s.NativeStruct], str]] = {
    "queryStockAssetWithSeq": (s.QueryStockAssetReq, "OnQueryStockAsset"),
    "queryStockOrdersWithSeq": (s.QueryStockOrdersReq, "OnQueryStockOrders"),
    "queryStockTradesWithSeq": (s.QueryStockTradesReq, "OnQueryStockTrades"),
    "queryStockPositionsWithSeq": (s.QueryStockPositionsReq, "OnQueryStockPositions"),
    "queryAccountStatusWithSeq": (s.QueryAccountStatusReq, "OnQueryAccountStatus"),
    "queryAccountInfosWithSeq": (s.QueryAccountInfosReq, "OnQueryAccountInfos"),
}
_STOP = ("", ())


class Session(Protocol):
    """What the terminal sees of a connected client (a fake native client in this process,
    or the stand-in of one in another process: ``remote``)."""

    session: int
    subscribed: set[str]

    def deliver(self, name: str, *args: object) -> None:
        """Queue a callback for the client."""

    def kill(self) -> None:
        """The terminal dropped the client."""


class Terminal(Protocol):
    """What a fake native client calls on its MiniQMT (:class:`MiniQmt`, or
    ``remote.RemoteTerminal`` for one in another process)."""

    behaviour: MiniQmtBehaviour
    timeouts: list[int]

    def connect(self, client: Session) -> int: ...
    def disconnect(self, client: Session) -> None: ...
    def record_call(self, method: str) -> None: ...
    def subscribe(self, client: Session, seq: int, req: s.SubscribeReq) -> None: ...
    def order(self, client: Session, seq: int, req: s.OrderStockReq) -> None: ...
    def cancel(self, client: Session, seq: int, req: s.CancelOrderStockReq) -> None: ...
    def query(self, client: Session, kind: str, seq: int, req: s.NativeStruct) -> None: ...


def _require(value: object, kind: type, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{what}: incompatible function arguments ({type(value).__name__})")


class XtQuantAsyncClient:
    """Fake of the native async client, bound to the :class:`MiniQmt` installed at creation."""

    terminal_factory: Callable[[], Terminal] | None = None

    def __init__(self, path: bytes, name: str, session: int) -> None:
        _require(path, bytes, "XtQuantAsyncClient(path)")
        _require(name, str, "XtQuantAsyncClient(name)")
        _require(session, int, "XtQuantAsyncClient(session)")
        if not 0 <= session < 2**31:  # ASSUMPTION: a 32-bit signed field
            raise TypeError(f"session id out of range: {session}")
        factory = type(self).terminal_factory
        if factory is None:
            raise RuntimeError("no MiniQmt installed; use ashare_exec.testing.miniqmt.install()")
        self.terminal: Terminal = factory()
        self.path = path
        self.session = session
        self.subscribed: set[str] = set()
        self._callbacks: dict[str, Callable[..., Any]] = {}
        self._seq = itertools.count(1)
        self._queue: queue.Queue[tuple[str, tuple[object, ...]]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._alive = True
        self._inited = False
        self._connected = False

    def __getattr__(self, name: str) -> Callable[[Callable[..., Any]], None]:
        if name.startswith("bind") and name.endswith("Callback"):
            key = name[4 : -len("Callback")]

            def bind(fn: Callable[..., Any]) -> None:
                if not callable(fn):
                    raise TypeError(f"{name}: a callable is required")
                self._callbacks[key] = fn

            return bind
        raise AttributeError(f"'XtQuantAsyncClient' object has no attribute '{name}'")

    # -------------------------------------------------------------- lifecycle
    def init(self) -> int:
        """Native ``init()``."""
        self._inited = True
        return 0

    def start(self) -> int:
        """Native ``start()``: starts the delivery (I/O) thread."""
        if not self._inited:
            raise RuntimeError("start() before init()")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"miniqmt-io-{self.session}", daemon=True
            )
            self._thread.start()
        return 0

    def stop(self) -> int:
        """Native ``stop()``: leaves the terminal and ends the delivery thread."""
        self._alive = False
        self._connected = False
        self.terminal.disconnect(self)
        self._queue.put(_STOP)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        return 0

    def connect(self) -> int:
        """Native ``connect()``: 0 when connected."""
        if not self._alive:
            return -1
        result = self.terminal.connect(self)
        self._connected = result == 0
        return result

    def setTimeout(self, timeout: int) -> None:
        """Native ``setTimeout``: stored only (its effect on MiniQMT is unknown)."""
        _require(timeout, int, "setTimeout")
        self.terminal.timeouts.append(timeout)

    def nextSeq(self) -> int:
        """Native ``nextSeq``: per-client sequence numbers."""
        return next(self._seq)

    # -------------------------------------------------------------- requests
    def subscribeWithSeq(self, seq: int, req: s.SubscribeReq) -> None:
        """Native subscribe."""
        if self._accept("subscribeWithSeq", seq, req, s.SubscribeReq):
            self.terminal.subscribe(self, seq, req)

    def unsubscribeWithSeq(self, seq: int, req: s.UnsubscribeReq) -> None:
        """Native unsubscribe."""
        if self._accept("unsubscribeWithSeq", seq, req, s.UnsubscribeReq):
            self.subscribed.discard(req.m_strAccountID)
            self.deliver("OnUnsubscribeResp", seq, 0)

    def orderStockWithSeq(self, seq: int, req: s.OrderStockReq) -> None:
        """Native order placement."""
        if self._accept("orderStockWithSeq", seq, req, s.OrderStockReq):
            self.terminal.order(self, seq, req)

    def cancelOrderStockWithSeq(self, seq: int, req: s.CancelOrderStockReq) -> None:
        """Native cancel (by id or by sysid)."""
        if self._accept("cancelOrderStockWithSeq", seq, req, s.CancelOrderStockReq):
            self.terminal.cancel(self, seq, req)

    def _query(self, method: str, seq: int, req: s.NativeStruct) -> None:
        kind, push = _QUERIES[method]
        if self._accept(method, seq, req, kind):
            self.terminal.query(self, push, seq, req)

    def queryStockAssetWithSeq(self, seq: int, req: s.QueryStockAssetReq) -> None:
        """Native asset query."""
        self._query("queryStockAssetWithSeq", seq, req)

    def queryStockOrdersWithSeq(self, seq: int, req: s.QueryStockOrdersReq) -> None:
        """Native orders query."""
        self._query("queryStockOrdersWithSeq", seq, req)

    def queryStockTradesWithSeq(self, seq: int, req: s.QueryStockTradesReq) -> None:
        """Native trades query."""
        self._query("queryStockTradesWithSeq", seq, req)

    def queryStockPositionsWithSeq(self, seq: int, req: s.QueryStockPositionsReq) -> None:
        """Native positions query."""
        self._query("queryStockPositionsWithSeq", seq, req)

    def queryAccountStatusWithSeq(self, seq: int, req: s.QueryAccountStatusReq) -> None:
        """Native account-status query."""
        self._query("queryAccountStatusWithSeq", seq, req)

    def queryAccountInfosWithSeq(self, seq: int, req: s.QueryAccountInfosReq) -> None:
        """Native account-info query."""
        self._query("queryAccountInfosWithSeq", seq, req)

    def _accept(self, method: str, seq: int, req: object, kind: type) -> bool:
        _require(seq, int, method)
        if not isinstance(req, kind):
            raise TypeError(f"{method}: incompatible function arguments ({type(req).__name__})")
        self.terminal.record_call(method)
        # A dead link swallows requests: the caller never hears back (as on a real drop).
        return self._alive and self._connected and not self.terminal.behaviour.unresponsive

    # -------------------------------------------------------------- delivery
    def deliver(self, name: str, *args: object) -> None:
        """Queue a callback for the delivery thread (dropped once the client is dead)."""
        if self._alive and not self.terminal.behaviour.mute_pushes:
            self._queue.put((name, args))

    def kill(self) -> None:
        """The terminal dropped this client: deliver ``OnDisconnected`` and go dead."""
        self._connected = False
        self._queue.put(("OnDisconnected", ()))
        self._alive = False

    def _run(self) -> None:
        while True:
            name, args = self._queue.get()
            if not name:
                return
            fn = self._callbacks.get(name)
            if fn is not None:
                fn(*args)
