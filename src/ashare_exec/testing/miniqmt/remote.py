"""MiniQMT in a process of its own, reached over a loopback connection.

A real MiniQMT is a separate process: when the gateway dies (even SIGKILLed) the terminal
keeps its sessions' orders, drops the dead session, and answers the gateway's next start.
The embedded emulator lives in the gateway's process and dies with it, so a crash test of
the QMT adapter needs the emulator outside. :class:`TerminalServer` serves a
:class:`~ashare_exec.testing.miniqmt.MiniQmt` on ``127.0.0.1``; :func:`install_remote`
makes the fake native clients of this process connect to it (one connection per
``XtQuantAsyncClient``, like the native client's socket to MiniQMT); a
:class:`ControlClient` drives the terminal's clock and reads its state for the checks.

The wire is :mod:`multiprocessing.connection` (pickled tuples, HMAC-authenticated with a
per-server key written to the endpoint file, loopback only). The native structs travel
as they are; the client's thread model stays the native one: requests from the caller's
thread, callbacks from the client's own delivery thread. For tests, never production.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from multiprocessing import AuthenticationError
from multiprocessing.connection import Connection
from typing import Any

from ashare_exec.testing.miniqmt import structs as s
from ashare_exec.testing.miniqmt.behaviour import MiniQmtBehaviour
from ashare_exec.testing.miniqmt.client import Session
from ashare_exec.testing.miniqmt.terminal import MiniQmt
from ashare_exec.testing.wire import ControlClient, Endpoint, LoopbackServer

__all__ = ["ControlClient", "Endpoint", "RemoteTerminal", "TerminalServer", "install_remote"]

_CONNECT_TIMEOUT_S = 5.0


# ---------------------------------------------------------------------------- server side


class _Peer:
    """The terminal's view of a client in another process (a :class:`Session`)."""

    def __init__(self, conn: Connection, session: int, terminal: MiniQmt) -> None:
        self.conn = conn
        self.session = session
        self.subscribed: set[str] = set()
        self.terminal = terminal
        self.alive = True
        self._send_lock = threading.Lock()

    def send(self, message: tuple[object, ...]) -> None:
        with self._send_lock:
            if not self.alive:
                return
            try:
                self.conn.send(message)
            except (OSError, ValueError):
                # The client's process is gone; its reader sees EOF and says goodbye.
                self.alive = False

    def deliver(self, name: str, *args: object) -> None:
        if not self.terminal.behaviour.mute_pushes:
            self.send(("push", name, args))

    def kill(self) -> None:
        self.send(("kill",))
        self.alive = False


class TerminalServer(LoopbackServer):
    """Serve ``terminal`` on ``host`` (loopback) to fake native clients in other processes.

    Args:
        terminal: the emulated MiniQMT.
        controls: what a :class:`ControlClient` may call, by name.
        host: the address to listen on (keep it loopback).
        port: 0 picks a free port.
        key: the clients' key (hex); ``None`` makes a fresh one.
    """

    def __init__(
        self,
        terminal: MiniQmt,
        controls: Mapping[str, Callable[..., Any]] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        key: str | None = None,
    ) -> None:
        super().__init__(controls, host=host, port=port, key=key)
        self.terminal = terminal

    def serve(self, conn: Connection, hello: object) -> None:
        """A native client's session (``("session", id)``)."""
        if isinstance(hello, tuple) and len(hello) == 2 and hello[0] == "session":
            self._session(_Peer(conn, int(hello[1]), self.terminal))

    def _session(self, peer: _Peer) -> None:
        t = self.terminal
        try:
            while True:
                msg = peer.conn.recv()
                op = msg[0]
                if op == "connect":
                    peer.send(("reply", t.connect(peer)))
                elif op == "disconnect":
                    return
                elif op == "timeout":
                    t.timeouts.append(int(msg[1]))
                elif t.behaviour.unresponsive:
                    continue  # a hung terminal swallows requests
                elif op == "subscribe":
                    t.subscribe(peer, msg[1], msg[2])
                elif op == "order":
                    t.order(peer, msg[1], msg[2])
                elif op == "cancel":
                    t.cancel(peer, msg[1], msg[2])
                elif op == "query":
                    t.query(peer, msg[1], msg[2], msg[3])
        except (EOFError, OSError):
            pass  # the client's process ended (or was killed): MiniQMT drops the session
        finally:
            peer.alive = False
            t.disconnect(peer)


# ---------------------------------------------------------------------------- client side


class RemoteTerminal:
    """The :class:`~ashare_exec.testing.miniqmt.client.Terminal` of one fake native client,
    forwarding to a :class:`TerminalServer` (one connection per client)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        # Knobs apply in the server's terminal; the client's own checks see the defaults.
        self.behaviour = MiniQmtBehaviour()
        self.timeouts: list[int] = []
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._reply: list[int] = []
        self._replied = threading.Event()

    def connect(self, client: Session) -> int:
        """Open the session and connect it; -1 when the terminal cannot be reached."""
        with self._lock:
            if self._conn is None:
                try:
                    conn = self.endpoint.dial()
                    conn.send(("session", client.session))
                except (OSError, EOFError, ValueError, AuthenticationError):
                    return -1
                self._conn = conn
                threading.Thread(
                    target=self._read, args=(conn, client), name="miniqmt-remote", daemon=True
                ).start()
            self._replied.clear()
            if not self._send(("connect",)):
                return -1
        if not self._replied.wait(_CONNECT_TIMEOUT_S) or not self._reply:
            return -1
        return self._reply.pop()

    def disconnect(self, client: Session) -> None:
        """End the session (the client called ``stop()``)."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                with contextlib.suppress(OSError, ValueError):
                    conn.send(("disconnect",))
                conn.close()

    def record_call(self, method: str) -> None:
        """Not recorded across processes."""

    def subscribe(self, client: Session, seq: int, req: s.SubscribeReq) -> None:
        """Forward ``subscribeWithSeq``."""
        self._send(("subscribe", seq, req))

    def order(self, client: Session, seq: int, req: s.OrderStockReq) -> None:
        """Forward ``orderStockWithSeq``."""
        self._send(("order", seq, req))

    def cancel(self, client: Session, seq: int, req: s.CancelOrderStockReq) -> None:
        """Forward ``cancelOrderStockWithSeq``."""
        self._send(("cancel", seq, req))

    def query(self, client: Session, kind: str, seq: int, req: s.NativeStruct) -> None:
        """Forward a query."""
        self._send(("query", kind, seq, req))

    def _send(self, message: tuple[object, ...]) -> bool:
        conn = self._conn
        if conn is None:
            return False
        try:
            with self._send_lock:  # a large message goes out in two writes
                conn.send(message)
        except (OSError, ValueError):
            return False  # a dead link swallows requests, as on a real drop
        return True

    def _read(self, conn: Connection, client: Session) -> None:
        try:
            while True:
                msg = conn.recv()
                if msg[0] == "push":
                    client.deliver(msg[1], *msg[2])
                elif msg[0] == "reply":
                    self._reply.append(int(msg[1]))
                    self._replied.set()
                elif msg[0] == "kill":
                    client.kill()
                    return
        except (EOFError, OSError):
            if self._conn is conn:  # not our own disconnect: the terminal went away
                client.kill()
        finally:
            self._replied.set()


def install_remote(endpoint: Endpoint) -> Any:
    """Make new ``XtQuantTrader`` objects of this process connect to the MiniQMT served at
    ``endpoint``; returns the real ``xtquant.xttrader`` module (see ``loader.install``)."""
    from ashare_exec.testing.miniqmt.loader import install_factory

    return install_factory(lambda: RemoteTerminal(endpoint))
