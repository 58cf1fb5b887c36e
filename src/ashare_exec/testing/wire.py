"""The loopback wire the stand-alone venue emulators share (MiniQMT and the XTP server).

An emulator in a process of its own serves its clients and a control connection on
``127.0.0.1``. The wire is :mod:`multiprocessing.connection`: pickled tuples,
HMAC-authenticated with a per-server key that the endpoint file carries. This module has
the endpoint file, the control protocol (``("control",)``, then ``(name, args)`` →
``("ok", value)`` or ``("error", text)``) and its client. For tests, never production.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import socket
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener
from pathlib import Path
from typing import Any

from ashare_exec.clock import SimClock
from ashare_exec.model import AccountId

__all__ = [
    "ControlClient",
    "EmulatorStart",
    "Endpoint",
    "LoopbackServer",
    "exit_on_eof",
    "no_delay",
    "parse_emulator_args",
    "serve_controls",
    "serve_until_stopped",
]


@dataclass(frozen=True)
class Endpoint:
    """Where an emulator listens, and its key (the endpoint file)."""

    host: str
    port: int
    key: str

    def write(self, path: Path) -> None:
        """Write the endpoint file (atomically: a reader never sees half of it)."""
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"host": self.host, "port": self.port, "key": self.key}))
        tmp.replace(path)

    @classmethod
    def read(cls, path: Path) -> Endpoint:
        """Read an endpoint file.

        Raises:
            OSError: the file cannot be read. ValueError: it is not an endpoint.
        """
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict) or set(raw) != {"host", "port", "key"}:
            raise ValueError(f"{path}: not an emulator endpoint file")
        return cls(str(raw["host"]), int(raw["port"]), str(raw["key"]))

    def dial(self) -> Connection:
        """Open an authenticated connection (raises ``OSError`` when nobody listens)."""
        conn = Client((self.host, self.port), authkey=bytes.fromhex(self.key))
        no_delay(conn)
        return conn


def no_delay(conn: Connection) -> None:
    """Send each message at once (``TCP_NODELAY``), on both ends of a connection.

    Without it a request / answer wire with pushes in between stalls: the server's answer
    waits (Nagle) for the client to acknowledge the push before it, and the client delays
    that acknowledgement (up to 40 ms on Linux) because it has nothing to send.
    """
    try:
        sock = socket.fromfd(conn.fileno(), socket.AF_INET, socket.SOCK_STREAM)
    except (OSError, ValueError, AttributeError):
        return  # not a socket we can reach: keep the default
    # A duplicate of the descriptor: the option applies to the socket both share.
    with sock, contextlib.suppress(OSError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class LoopbackServer:
    """Accepts authenticated connections on ``host`` (loopback) with a fresh key, each
    served by :meth:`serve` on a thread of its own; ``("control",)`` connections get the
    ``controls``.

    Args:
        controls: what a :class:`ControlClient` may call, by name.
        host: the address to listen on (keep it loopback).
        port: 0 picks a free port.
        key: the key (hex) clients must prove; ``None`` makes a fresh one.
    """

    def __init__(
        self,
        controls: Mapping[str, Callable[..., Any]] | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        key: str | None = None,
    ) -> None:
        self.controls = dict(controls or {})
        authkey = secrets.token_bytes(16) if key is None else bytes.fromhex(key)
        self._listener = Listener((host, port), authkey=authkey)
        bound_host, bound_port = self._listener.address
        self.endpoint = Endpoint(str(bound_host), int(bound_port), authkey.hex())
        self.stopped = threading.Event()

    def start(self) -> None:
        """Accept connections on a background thread."""
        name = f"{type(self).__name__}-accept"
        threading.Thread(target=self._accept, name=name, daemon=True).start()

    def close(self) -> None:
        """Stop accepting (connected clients end with their processes)."""
        self.stopped.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn = self._listener.accept()
            except (OSError, EOFError, AuthenticationError):
                if self.stopped.is_set():
                    return
                continue  # a caller that failed the handshake
            no_delay(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: Connection) -> None:
        try:
            hello = conn.recv()
            if hello == ("control",):
                serve_controls(conn, self.controls)
            else:
                self.serve(conn, hello)
        except (EOFError, OSError):
            pass
        finally:
            conn.close()

    def serve(self, conn: Connection, hello: object) -> None:
        """Serve a client whose first message was ``hello`` until it goes away (returning
        or raising ``EOFError`` / ``OSError``); the connection is closed after."""
        raise NotImplementedError


def serve_controls(conn: Connection, controls: Mapping[str, Callable[..., Any]]) -> None:
    """Answer control calls on ``conn`` until it closes (``EOFError`` / ``OSError``)."""
    while True:
        name, args = conn.recv()
        fn = controls.get(name)
        if fn is None:
            conn.send(("error", f"unknown control {name!r}"))
            continue
        try:
            conn.send(("ok", fn(*args)))
        except Exception as e:
            conn.send(("error", f"{type(e).__name__}: {e}"))


class ControlClient:
    """Calls an emulator's controls (one call at a time)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self._conn = endpoint.dial()
        self._conn.send(("control",))
        self._lock = threading.Lock()

    def call(self, name: str, *args: object) -> Any:
        """Call control ``name``; raises ``RuntimeError`` with the server's message."""
        with self._lock:
            self._conn.send((name, args))
            status, value = self._conn.recv()
        if status != "ok":
            raise RuntimeError(str(value))
        return value

    def close(self) -> None:
        """Close the control connection."""
        self._conn.close()


def exit_on_eof(stopped: threading.Event) -> None:
    """Set ``stopped`` once stdin closes (``--watch-stdin``: a parent that dies takes the
    emulator with it). Start it on a daemon thread."""
    sys.stdin.read()
    stopped.set()


@dataclass(frozen=True)
class EmulatorStart:
    """What a stand-alone emulator's command line gives it."""

    args: argparse.Namespace
    config: Any
    """The gateway's :class:`~ashare_exec.config.GatewayConfig`."""
    clock: SimClock
    accounts: list[AccountId]
    """The config's accounts on the emulated venue."""
    knobs: dict[str, object]
    listen: dict[str, Any]
    """Where to listen: ``{}`` (a free loopback port, a fresh key), or with
    ``--reuse-endpoint`` the ``host``, ``port`` and ``key`` of the endpoint file."""


def parse_emulator_args(
    argv: list[str] | None,
    description: str,
    venue: str,
    knobs: Callable[[str], dict[str, object]],
    behaviour_help: str,
) -> EmulatorStart:
    """Parse ``--config --endpoint [--reuse-endpoint] [--start] [--tick] [--watch-stdin]
    [--behaviour]``, load the config and start the market clock; exits with the reason
    (status 2) on bad input.

    Args:
        venue: the accounts' venue in the config (``qmt``, ``vnpy``).
        knobs: checks ``--behaviour`` (raises ``ValueError`` with the reason).
    """
    from ashare_exec.config import load_config

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--config", type=Path, required=True, help="the gateway's config file")
    p.add_argument("--endpoint", type=Path, required=True, help="endpoint file to write")
    p.add_argument(
        "--reuse-endpoint",
        action="store_true",
        help="listen where the endpoint file says, with its key (a terminal started again "
        "where gateways already look for it)",
    )
    p.add_argument("--start", default=None, help="market clock start (ISO, with offset)")
    p.add_argument("--tick", type=float, default=0.5, help="real seconds between market moves")
    p.add_argument("--watch-stdin", action="store_true", help="exit when stdin closes")
    p.add_argument("--behaviour", default="{}", help=behaviour_help)
    args = p.parse_args(argv)
    try:
        checked = knobs(args.behaviour)
    except ValueError as e:
        p.error(f"--behaviour: {e}")
    config = load_config(args.config)
    start = datetime.fromisoformat(args.start) if args.start else config.clock.start
    if start is None:
        p.error("--start is required when the config's [clock] has no start")
    accounts = [AccountId(a.account_id) for a in config.accounts if a.venue == venue]
    if not accounts:
        p.error(f'{args.config}: no [[accounts]] with venue = "{venue}"')
    listen: dict[str, Any] = {}
    if args.reuse_endpoint:
        try:
            known = Endpoint.read(args.endpoint)
        except (OSError, ValueError) as e:
            p.error(f"--reuse-endpoint: cannot read {args.endpoint}: {e}")
        listen = {"host": known.host, "port": known.port, "key": known.key}
    return EmulatorStart(args, config, SimClock(start), accounts, checked, listen)


def serve_until_stopped(
    server: LoopbackServer, args: argparse.Namespace, start_ticker: Callable[[float], None]
) -> None:
    """Serve (with a ``stop`` control), start the market's ticker, write the endpoint file,
    and return once stopped: by ``stop``, Ctrl-C, or (``--watch-stdin``) stdin closing."""
    server.controls["stop"] = server.stopped.set
    server.start()
    if args.tick > 0:
        start_ticker(args.tick)
    server.endpoint.write(args.endpoint)
    if args.watch_stdin:
        threading.Thread(target=exit_on_eof, args=(server.stopped,), daemon=True).start()
    with contextlib.suppress(KeyboardInterrupt):
        server.stopped.wait()
    server.close()
