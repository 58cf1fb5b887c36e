"""The XTP server emulator in a process of its own.

::

    python -m ashare_exec.testing.xtp.standalone --config gateway.toml \\
        --endpoint xtp.json [--start 2026-11-25T09:35:00+08:00] [--tick 0.5] \\
        [--watch-stdin] [--behaviour '{"noisy": true, "jitter_s": 0.002}']

It builds the servers ``[venues.vnpy] emulator = true`` would embed (one per ``vnpy``
account of the gateway config, over one simulated exchange with the accounts' cash and
positions and the ``[venues.sim]`` ``seed`` / ``walk``), serves them on a free loopback
port and writes the endpoint file. A gateway whose ``[venues.vnpy] emulator`` names that
file logs in to them through the real vnpy_xtp gateway and survives being killed like a
gateway in front of a real XTP server: the server keeps the day's orders and drops the
session.

Its market runs on a manual clock (``--start``, default the config's ``[clock] start``),
moved by the ``set_time`` control. Controls
(:class:`~ashare_exec.testing.wire.ControlClient`): ``set_time(iso)``, ``tick()``,
``snapshot()``, ``quote(symbol)`` (best bid and ask, as with MiniQMT's), ``sessions()``
(logged-in sessions), ``errors()`` (failures on the
servers' callback threads, and requests they could not take), ``clear_errors()``,
``stop()``. ``--behaviour`` sets the servers' ``noisy``
(pushes doubled and shuffled) and ``jitter_s`` (a random delay before each push).
``--watch-stdin`` exits when stdin closes. For tests and demos, never production.
"""

from __future__ import annotations

import json
import threading
from datetime import date, datetime
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.model import AccountId, ClientOrderId
from ashare_exec.testing.miniqmt.standalone import accounts_snapshot, quote_row
from ashare_exec.testing.wire import parse_emulator_args, serve_until_stopped
from ashare_exec.testing.xtp.remote import XtpServerHost
from ashare_exec.venues.vnpy.emulator import XtpServer

__all__ = ["build_servers", "main", "snapshot"]

BEHAVIOUR = {"noisy": bool, "jitter_s": float}
"""The ``--behaviour`` knobs (attributes of :class:`XtpServer`)."""

OFFLINE_TEXT = "[XTP:1]connect server failed.[OS:111]Connection refused"
"""The login error of a server that is down (``set_online(False)``)."""


def build_servers(config: Any, clock: Clock, accounts: list[AccountId]) -> list[XtpServer]:
    """One :class:`XtpServer` per account, over one simulated exchange (the accounts' cash
    and positions from ``config``), sharing one lock.

    Raises:
        ConfigError: ``venues.sim.seed``, ``walk`` or ``t1_release_at`` is invalid.
    """
    from ashare_exec.venues.sim.factory import build_emulated_exchange

    exchange = build_emulated_exchange(config, accounts)
    lock = threading.RLock()
    peers: list[XtpServer] = []
    return [XtpServer(exchange, clock, a, lock=lock, peers=peers) for a in accounts]


def snapshot(servers: list[XtpServer]) -> dict[str, Any]:
    """What the servers hold, in plain data: every order they took, on every day (a real
    server lists only the current day's), cash and positions.

    ``orders`` rows: ``account_id``, ``surrogate`` (the ``order_client_id`` the gateway
    sent: what maps an order back to ours), ``xtp_id``, ``status`` (the simulator's
    ``OrderStatus`` value; ``None`` for an order the simulator never got),
    ``terminal_status`` (the XTP ``order_status`` the server shows), ``filled_qty``,
    ``day``. ``accounts`` rows: see :func:`accounts_snapshot`.
    """
    core = servers[0].exchange
    with servers[0].lock:
        orders = []
        for server in servers:
            today = [
                (core.orders.get((server.account, ClientOrderId(f"x{xtp_id}"))), row)
                for xtp_id, row in server.orders.items()
            ]
            for sim, row in [*server.past_orders, *today]:
                day = sim.day if sim is not None else _stamp_day(row["insert_time"])
                orders.append(
                    {
                        "account_id": str(server.account),
                        "surrogate": int(row["order_client_id"]),
                        "xtp_id": int(row["order_xtp_id"]),
                        "status": sim.status.value if sim is not None else None,
                        "terminal_status": int(row["order_status"]),
                        "filled_qty": sim.filled_qty if sim is not None else row["qty_traded"],
                        "day": day.isoformat(),
                    }
                )
        return {"orders": orders, "accounts": accounts_snapshot(core)}


def _stamp_day(stamp: int) -> date:
    text = str(stamp)
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def main(argv: list[str] | None = None) -> int:
    """Run the servers until ``stop``, Ctrl-C, or (``--watch-stdin``) stdin closing."""
    run = parse_emulator_args(
        argv, __doc__.split("\n\n")[0], "vnpy", _knobs, "e.g. '{\"noisy\": true}'"
    )
    clock = run.clock
    servers = build_servers(run.config, clock, run.accounts)
    for server in servers:
        for knob, value in run.knobs.items():
            setattr(server, knob, value)

    def set_time(iso: str) -> str:
        clock.set(datetime.fromisoformat(iso))
        servers[0].advance()  # the market moves (and closes a past day) for every account
        return clock.now().isoformat()

    host = XtpServerHost(
        {str(s.account): s for s in servers},
        {
            "set_time": set_time,
            "tick": servers[0].advance,
            "snapshot": lambda: snapshot(servers),
            "quote": lambda symbol: _quote(servers, clock, symbol),
            "sessions": lambda: sum(len(s.sessions) for s in servers),
            "errors": lambda: [repr(e) for s in servers for e in s.errors],
            "clear_errors": lambda: _clear_errors(servers),
            "set_online": lambda online: _set_online(servers, online),
        },
        **run.listen,
    )
    serve_until_stopped(host, run.args, servers[0].start_ticker)
    for server in servers:
        server.stop()
    return 0


def _set_online(servers: list[XtpServer], online: bool) -> None:
    """Take the server down (logins refused, as XTP answers when it cannot be reached;
    sessions dropped) or bring it back."""
    for server in servers:
        server.refuse_login = "" if online else OFFLINE_TEXT
        if not online:
            server.drop_connections()


def _quote(servers: list[XtpServer], clock: Clock, symbol: str) -> list[str] | None:
    with servers[0].lock:
        return quote_row(servers[0].exchange, clock, symbol)


def _clear_errors(servers: list[XtpServer]) -> None:
    for server in servers:
        server.errors.clear()


def _knobs(text: str) -> dict[str, object]:
    """The ``--behaviour`` knobs, checked against :data:`BEHAVIOUR`."""
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("must be a JSON object")
    for knob, value in raw.items():
        kind = BEHAVIOUR.get(knob)
        if kind is None:
            raise ValueError(f"unknown knob {knob!r} (known: {sorted(BEHAVIOUR)})")
        if isinstance(value, bool) is not (kind is bool) or not isinstance(value, int | float):
            raise ValueError(f"{knob} must be a {kind.__name__}, was {value!r}")
    return {k: float(v) if BEHAVIOUR[k] is float else v for k, v in raw.items()}


if __name__ == "__main__":
    raise SystemExit(main())
