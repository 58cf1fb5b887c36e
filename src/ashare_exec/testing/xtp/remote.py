"""The XTP server emulator in a process of its own, reached over a loopback connection.

A real XTP trading server is remote: when the gateway dies (even SIGKILLed) the server
keeps the day's orders, drops the dead session, and answers the next login. The in-process
:class:`~ashare_exec.venues.vnpy.emulator.XtpServer` dies with the gateway, so a crash test
of the vn.py adapter needs it outside. :class:`XtpServerHost` serves one or more servers
on ``127.0.0.1``; :class:`RemoteXtp` attaches the real vnpy_xtp gateways of another
process to them: each gateway's native trader requests (:data:`TRADER_REQUESTS`) travel
over one connection per ``XtpTdApi`` and are answered by the server as if attached in
process; its ``on*`` callbacks travel back and run on a callback thread of the client's
(as the native API's own thread runs them), never on the thread reading the socket: a
callback may call the API again (vnpy_xtp's ``onDisconnected`` logs in).

The wire is :mod:`ashare_exec.testing.wire` (pickled tuples, authenticated, loopback
only): ``("session", account)`` opens a trader session; ``("call", seq, name, args)`` is
answered by ``("ret", seq, value)``; ``("cb", name, args)`` is a callback. For tests and
demos, never production.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable, Mapping
from multiprocessing import AuthenticationError
from multiprocessing.connection import Connection
from typing import Any

from ashare_exec.testing.wire import Endpoint, LoopbackServer
from ashare_exec.venues.vnpy.emulator import XtpServer
from ashare_exec.venues.vnpy.emulator_wire import TRADER_REQUESTS, stub_quote_api

__all__ = ["UNREACHABLE", "RemoteXtp", "XtpServerHost"]

_log = logging.getLogger(__name__)
_CALL_TIMEOUT_S = 10.0
UNREACHABLE: dict[str, Any] = {"error_id": 10200002, "error_msg": "trading server unreachable"}
"""``getApiLastError`` after a request the server never got (ASSUMPTION: XTP's own code
for a lost connection is not documented)."""
_DISCONNECTED_REASON = 10060  # the socket error vnpy_xtp logs on a dropped link


# ---------------------------------------------------------------------------- server side


class _RemoteTd:
    """The server's stand-in for an ``XtpTdApi`` in another process: the server attaches
    its request methods here (:meth:`XtpServer.attach_trader`), and every ``on*`` callback
    it calls is sent to the client."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._send_lock = threading.Lock()
        self.alive = True

    def __getattr__(self, name: str) -> Callable[..., None]:
        if not name.startswith("on"):
            raise AttributeError(name)

        def forward(*args: Any) -> None:
            self.send(("cb", name, args))

        return forward

    def send(self, message: tuple[object, ...]) -> None:
        """Send one message; a client that is gone swallows it (its session is dropped
        once its reader sees the end of the connection)."""
        with self._send_lock:
            if not self.alive:
                return
            try:
                self._conn.send(message)
            except (OSError, ValueError):
                self.alive = False


class XtpServerHost(LoopbackServer):
    """Serve ``servers`` (by account) to :class:`RemoteXtp` clients in other processes.

    Args:
        servers: the XTP server emulator of each account.
        controls: what a :class:`~ashare_exec.testing.wire.ControlClient` may call.
        host: the address to listen on (keep it loopback).
        port: 0 picks a free port.
        key: the clients' key (hex); ``None`` makes a fresh one.
    """

    def __init__(
        self,
        servers: Mapping[str, XtpServer],
        controls: Mapping[str, Callable[..., Any]] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        key: str | None = None,
    ) -> None:
        super().__init__(controls, host=host, port=port, key=key)
        self.servers = dict(servers)

    def serve(self, conn: Connection, hello: object) -> None:
        """A trader session (``("session", account)``)."""
        if isinstance(hello, tuple) and len(hello) == 2 and hello[0] == "session":
            server = self.servers.get(str(hello[1]))
            if server is not None:
                self._session(conn, server)

    @staticmethod
    def _session(conn: Connection, server: XtpServer) -> None:
        td = _RemoteTd(conn)
        server.attach_trader(td)
        try:
            while True:
                msg = conn.recv()
                if not (isinstance(msg, tuple) and len(msg) == 4):
                    continue  # not a request of ours
                op, seq, name, args = msg
                value = None
                if op == "call" and name in TRADER_REQUESTS:
                    try:
                        value = getattr(td, name)(*args)
                    except Exception as e:  # kept (the `errors` control); the session goes on
                        server.errors.append(e)
                td.send(("ret", seq, value))
        except (EOFError, OSError):
            pass  # the gateway's process ended (or was killed): the server drops its session
        finally:
            td.alive = False
            td.exit()


# ---------------------------------------------------------------------------- client side


class _Waiter:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.answered = False


class _TraderLink:
    """One ``XtpTdApi``'s connection to the server (dialled at its first request)."""

    def __init__(self, endpoint: Endpoint, account: str, td: Any) -> None:
        self.endpoint, self.account, self.td = endpoint, account, td
        self.errors: list[BaseException] = []
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._seq = itertools.count(1)
        self._waiters: dict[int, _Waiter] = {}
        self._sessions: set[int] = set()
        self._unreachable = False
        self._callbacks: queue.Queue[tuple[str, tuple[Any, ...]]] = queue.Queue()
        threading.Thread(target=self._run_callbacks, name="xtp-remote-cb", daemon=True).start()

    def caller(self, name: str) -> Callable[..., Any]:
        """The request method ``name`` of the ``XtpTdApi``."""
        return lambda *args: self.call(name, args)

    def call(self, name: str, args: tuple[Any, ...]) -> Any:
        """Send one request and wait for its answer; a request the server cannot get is
        answered as the native API answers one over a dead link (0, or -1 for a query)."""
        if name == "getApiLastError" and self._unreachable:
            return dict(UNREACHABLE)
        conn = self._connection()
        waiter = _Waiter()
        seq = next(self._seq)
        self._waiters[seq] = waiter
        try:
            if conn is not None:
                with self._send_lock:
                    conn.send(("call", seq, name, args))
                waiter.done.wait(_CALL_TIMEOUT_S)
        except (OSError, ValueError):
            pass
        finally:
            self._waiters.pop(seq, None)
        self._unreachable = not waiter.answered
        if not waiter.answered:
            return -1 if name.startswith("query") else 0
        if name == "login" and waiter.value:
            self._sessions.add(int(waiter.value))
        return waiter.value

    def _connection(self) -> Connection | None:
        with self._lock:
            if self._conn is None:
                try:
                    conn = self.endpoint.dial()
                    conn.send(("session", self.account))
                except (OSError, EOFError, ValueError, AuthenticationError):
                    return None
                self._conn = conn
                threading.Thread(
                    target=self._read, args=(conn,), name="xtp-remote", daemon=True
                ).start()
            return self._conn

    def _read(self, conn: Connection) -> None:
        try:
            while True:
                msg = conn.recv()
                if msg[0] == "ret":
                    waiter = self._waiters.get(msg[1])
                    if waiter is not None:
                        waiter.value, waiter.answered = msg[2], True
                        waiter.done.set()
                elif msg[0] == "cb":
                    self._callbacks.put((msg[1], msg[2]))
        except (EOFError, OSError):
            pass
        with self._lock:
            self._conn = None
        conn.close()
        for waiter in list(self._waiters.values()):
            waiter.done.set()
        for sid in sorted(self._sessions):  # the server went away: the native API says so
            self._callbacks.put(("onDisconnected", (sid, _DISCONNECTED_REASON)))
        self._sessions.clear()

    def _run_callbacks(self) -> None:
        while True:
            name, args = self._callbacks.get()
            try:
                getattr(self.td, name)(*args)
            except Exception as e:  # vnpy's callback failed: keep it, as the native API logs it
                self.errors.append(e)
                _log.exception("XTP callback %s failed", name)


class RemoteXtp:
    """Attaches vnpy_xtp gateways of this process to the server of ``account`` served at
    ``endpoint`` (use :meth:`attach` as the adapter's ``prepare_gateway``)."""

    def __init__(self, endpoint: Endpoint, account: str) -> None:
        self.endpoint, self.account = endpoint, account
        self.links: list[_TraderLink] = []

    def attach(self, gateway: Any) -> None:
        """Replace ``gateway``'s native trader requests by calls to the remote server."""
        link = _TraderLink(self.endpoint, self.account, gateway.td_api)
        self.links.append(link)
        for name in TRADER_REQUESTS:
            setattr(gateway.td_api, name, link.caller(name))
        stub_quote_api(gateway.md_api)
