"""The only module that imports vn.py and vnpy_xtp (lazily, on :meth:`GatewayHost.start`).

:class:`GatewayHost` owns one vn.py ``EventEngine`` and one gateway. Its handlers run on the
EventEngine thread and do one thing: copy the vendor object into a plain row
(:mod:`.parsing`) and hand it to the loop with ``loop.call_soon_threadsafe``. Every request
method blocks (vendor calls) and is meant for a worker thread.

For vnpy_xtp the host swaps in a thin ``XtpGateway`` subclass (:mod:`.hosted`) that
puts what vnpy_xtp drops on the same EventEngine stream (``order_client_id``, error codes,
cancel errors, query ends, disconnects), tags orders with our 32-bit surrogate, and leaves
reconnecting to the adapter's supervisor.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import importlib.util
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ashare_exec.errors import ConfigError
from ashare_exec.venues.vnpy import parsing as p
from ashare_exec.venues.vnpy.constants import EVENT_HOST, PROFILE_GENERIC, PROFILE_XTP
from ashare_exec.venues.vnpy.hosted import hosted_xtp_class

__all__ = ["GatewayHost", "isolated_vnpy_import", "vnpy_available", "xtp_available"]

_IMPORT_LOCK = threading.Lock()


def vnpy_available() -> bool:
    """Whether ``vnpy`` can be imported (without importing it)."""
    return importlib.util.find_spec("vnpy") is not None


def xtp_available() -> bool:
    """Whether ``vnpy`` and ``vnpy_xtp`` can be imported (without importing them)."""
    return vnpy_available() and importlib.util.find_spec("vnpy_xtp") is not None


@contextlib.contextmanager
def isolated_vnpy_import(data_dir: Path) -> Iterator[None]:
    """Run vn.py's first import with its ``.vntrader`` folder inside ``data_dir``.

    ``vnpy.trader.utility`` picks ``<cwd>/.vntrader`` when it exists, else ``$HOME/.vntrader``
    (creating it), at import time. Both are pointed at ``data_dir`` and restored afterwards;
    the first import in a process decides for the whole process.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / ".vntrader").mkdir(exist_ok=True)
    with _IMPORT_LOCK:
        old_cwd = os.getcwd()
        old_home = os.environ.get("HOME")
        os.environ["HOME"] = str(data_dir)
        os.chdir(data_dir)
        try:
            yield
        finally:
            os.chdir(old_cwd)
            if old_home is None:
                os.environ.pop("HOME", None)
            else:
                os.environ["HOME"] = old_home


def _load_class(spec: str) -> Any:
    module_name, _, class_name = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, class_name)
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"cannot load vn.py gateway {spec!r}: {e}") from e


class GatewayHost:
    """One vn.py gateway and its EventEngine.

    Args:
        spec: ``"module:Class"`` of the gateway.
        gateway_name: vn.py gateway name ("" = the class's ``default_name``).
        data_dir: vn.py's data directory (see :func:`isolated_vnpy_import`).
        interval_s: EventEngine timer period.
        deliver: called **on the loop** with each row.
        loop: the engine loop.
        prepare: called with the new gateway before it connects (tests swap native
            request methods on ``gateway.td_api`` here, qmt-xtp.md §4.6).
    """

    def __init__(
        self,
        spec: str,
        gateway_name: str,
        data_dir: Path,
        interval_s: float,
        deliver: Callable[[object], None],
        loop: asyncio.AbstractEventLoop,
        prepare: Callable[[Any], None] | None = None,
    ) -> None:
        self.spec, self.gateway_name, self.data_dir = spec, gateway_name, data_dir
        self.interval_s, self._deliver, self._loop, self._prepare = (
            interval_s,
            deliver,
            loop,
            prepare,
        )
        self.profile = PROFILE_GENERIC
        self.gateway: Any = None
        self.engine: Any = None
        self.exchanges: frozenset[str] = frozenset()
        self._settings: dict[str, Any] = {}
        self._rid = 1_000_000
        self._rid_lock = threading.Lock()

    def start(self) -> None:
        """Import vn.py (isolated), build the EventEngine and the gateway, start the engine.

        Raises:
            ConfigError: the gateway class cannot be loaded.
        """
        with isolated_vnpy_import(self.data_dir):
            from vnpy.event import EventEngine
            from vnpy.trader import event as ev

            cls = _load_class(self.spec)
        if getattr(cls, "__module__", "").startswith("vnpy_xtp"):
            cls = _hosted_xtp_class(cls)
            self.profile = PROFILE_XTP
        self.gateway_name = self.gateway_name or str(cls.default_name)
        # vn.py creates <.vntrader>/<gateway> with exists()+mkdir(): two logins of one
        # gateway racing on their threads raise FileExistsError. Create it race-free first.
        from vnpy.trader.utility import TEMP_DIR

        Path(TEMP_DIR, self.gateway_name.lower()).mkdir(parents=True, exist_ok=True)
        engine_cls: Any = EventEngine  # its timer accepts a float period (typed int)
        self.engine = engine_cls(self.interval_s)
        self.gateway = cls(self.engine, self.gateway_name)
        if self._prepare is not None:
            self._prepare(self.gateway)
        self.exchanges = frozenset(e.name for e in getattr(cls, "exchanges", []))
        for kind, copy in (
            (ev.EVENT_ORDER, p.copy_order),
            (ev.EVENT_TRADE, p.copy_trade),
            (ev.EVENT_POSITION, p.copy_position),
            (ev.EVENT_ACCOUNT, p.copy_account),
            (ev.EVENT_LOG, p.copy_log),
            (EVENT_HOST, _same_row),
        ):
            self.engine.register(kind, self._handler(copy))
        # vn.py's engine threads are not daemons: if the service dies before stop() (a
        # start-up error), they would keep the process alive, half-dead, forever.
        for name in ("_thread", "_timer"):
            thread = getattr(self.engine, name, None)
            if isinstance(thread, threading.Thread) and not thread.is_alive():
                thread.daemon = True
        self.engine.start()

    def _handler(self, copy: Callable[[Any], object]) -> Callable[[Any], None]:
        def handle(event: Any) -> None:
            row = copy(event.data)
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody listens
                self._loop.call_soon_threadsafe(self._deliver, row)

        return handle

    def connect(self, settings: dict[str, Any]) -> tuple[bool, str]:
        """Log in (blocking); return ``(logged_in, error text)``."""
        self._settings = dict(settings)
        self.gateway.connect(dict(settings))
        return self._login_state()

    def relogin(self) -> tuple[bool, str]:
        """Log in again after a drop (blocking)."""
        if self.profile == PROFILE_XTP:
            self.gateway.td_api.login_server()
            return self._login_state()
        self.gateway.connect(dict(self._settings))
        return True, ""

    def _login_state(self) -> tuple[bool, str]:
        if self.profile != PROFILE_XTP:
            return True, ""
        td = self.gateway.td_api
        if td.login_status:
            return True, f"session {td.session_id}"
        error = td.getApiLastError() or {}
        return False, str(error.get("error_msg", "login failed"))

    def stop(self) -> None:
        """Log out and stop the EventEngine threads (blocking, about a second at most)."""
        if self.gateway is not None:
            with contextlib.suppress(Exception):  # a half-dead vendor API must not block close
                if self.profile == PROFILE_XTP:
                    self.gateway.td_api.close()
                    self.gateway.md_api.close()
                self.gateway.close()
        if self.engine is not None and self.engine._active:
            from vnpy.event import Event

            # Wake the engine thread (it blocks up to 1 s in queue.get) so stop() joins fast.
            self.engine._active = False
            self.engine.put(Event("eAshareWake"))
            self.engine.stop()

    def forget_finished_orders(self) -> int:
        """Drop the finished orders the gateway's ``td_api.orders`` keeps for good (vnpy_xtp
        adds one per order sent or pushed and never removes it: a gateway running for weeks
        kept all of them); return how many. A later push recreates an order it needs.

        For the start of a day, with nothing in flight: it also drops the orders no push
        ever updated (no ``datetime``, which vnpy_xtp sets from the first push). Those are
        dead by then, and most are a vnpy_xtp race: ``send_order`` records the order
        *after* ``insertOrder`` returns, and when the server's pushes win the race (they
        come on the API's thread) the fresh ``SUBMITTING`` record replaces the pushed one,
        and stays ``SUBMITTING`` for good.
        """
        orders = getattr(getattr(self.gateway, "td_api", None), "orders", None)
        if not isinstance(orders, dict):
            return 0
        done = [  # (a snapshot: the gateway's threads add orders meanwhile)
            k for k, o in list(orders.items()) if not o.is_active() or o.datetime is None
        ]
        for key in done:
            orders.pop(key, None)
        return len(done)

    def next_request_id(self) -> int:
        """A request id for one of our queries (the gateway counts its own from 1)."""
        with self._rid_lock:
            self._rid += 1
            return self._rid

    def send_order(
        self,
        symbol: str,
        exchange: str,
        side: str,
        order_type: str,
        volume: int,
        price: float,
        reference: str,
        client_id: int,
    ) -> tuple[str, str]:
        """``send_order``; return ``(vt_orderid, error text when it failed)``."""
        from vnpy.trader.constant import Direction, Exchange, Offset, OrderType
        from vnpy.trader.object import OrderRequest

        req = OrderRequest(
            symbol=symbol,
            exchange=Exchange[exchange],
            direction=Direction[side],
            type=OrderType[order_type],
            volume=float(volume),
            price=price,
            offset=Offset.NONE,
            reference=reference,
        )
        if self.profile == PROFILE_XTP:
            vt_orderid: str = self.gateway.td_api.send_order_tagged(req, client_id)
        else:
            vt_orderid = str(self.gateway.send_order(req))
        error = ""
        if p.failed_orderid(vt_orderid) and self.profile == PROFILE_XTP:
            last = self.gateway.td_api.getApiLastError() or {}
            error = f"[{last.get('error_id', 0)}] {last.get('error_msg', '')}".strip()
        return vt_orderid, error

    def cancel_order(self, orderid: str, symbol: str, exchange: str) -> None:
        """``cancel_order`` by the gateway's own order id."""
        from vnpy.trader.constant import Exchange
        from vnpy.trader.object import CancelRequest

        self.gateway.cancel_order(
            CancelRequest(orderid=orderid, symbol=symbol, exchange=Exchange[exchange])
        )

    def query_account(self, request_id: int) -> None:
        """Ask for the cash (XTP: answered by a ``HostQueryDone('asset', request_id)``)."""
        if self.profile == PROFILE_XTP:
            td = self.gateway.td_api
            td.queryAsset(td.session_id, request_id)
        else:
            self.gateway.query_account()

    def query_position(self, request_id: int) -> None:
        """Ask for the positions (XTP: ends with ``HostQueryDone('positions', ...)``)."""
        if self.profile == PROFILE_XTP:
            td = self.gateway.td_api
            td.queryPosition("", td.session_id, request_id)
        else:
            self.gateway.query_position()

    def query_xtp(self, kind: str, request_id: int, orderid: str = "") -> None:
        """XTP only: replay the day's ``"orders"`` / ``"trades"`` (or one order by id) through
        ``onOrderEvent`` / ``onTradeEvent``; a ``HostQueryDone`` follows the last answer."""
        td = self.gateway.td_api
        if orderid:
            td.queryOrderByXTPIDEx(int(orderid), td.session_id, request_id)
        elif kind == "orders":
            td.queryOrdersEx({}, td.session_id, request_id)
        else:
            td.queryTrades({}, td.session_id, request_id)


def _same_row(data: Any) -> object:
    return data


def _hosted_xtp_class(base: Any) -> Any:
    """vnpy_xtp's gateway class ``base`` as the host runs it (:mod:`.hosted`), given the
    vendor classes it builds on."""
    from vnpy.event import Event
    from vnpy_xtp.gateway.xtp_gateway import XtpTdApi

    return hosted_xtp_class(base, Event, XtpTdApi)
