"""A simulator-backed MiniQMT emulator in a process of its own.

::

    python -m ashare_exec.testing.miniqmt.standalone --config gateway.toml \\
        --endpoint miniqmt.json [--start 2026-11-25T09:35:00+08:00] [--watch-stdin] \\
        [--behaviour '{"push_before_response": true}']

It builds the emulator ``[venues.qmt] emulator = true`` would embed (the ``qmt`` accounts
of the gateway config, the simulator as counter, ``[venues.sim]`` ``seed`` / ``walk``),
serves it on a free loopback port and writes the endpoint file. A gateway whose
``[venues.qmt] emulator`` names that file connects to it and survives being killed like a
gateway in front of a real MiniQMT: the terminal keeps the orders and drops the session.

Its market runs on a manual clock (``--start``, default the config's ``[clock] start``),
moved by the ``set_time`` control. Controls (:class:`~.remote.ControlClient`):
``set_time(iso)``, ``tick()``, ``snapshot()`` (orders by client order id, cash and
positions, as the simulator holds them), ``quote(symbol)`` (see :func:`quote_row`),
``sessions()`` (connected clients), ``restart()``
(drop every session and renumber the orders' ids, as a MiniQMT restart does), ``stop()``.
``--watch-stdin`` exits when stdin closes (a parent that dies takes the emulator with it).
For tests and demos, never production.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from ashare_exec.clock import Clock
from ashare_exec.model import InstrumentId
from ashare_exec.testing.miniqmt.behaviour import MiniQmtBehaviour
from ashare_exec.testing.miniqmt.embedded import build_sim_miniqmt, start_ticker
from ashare_exec.testing.miniqmt.remote import TerminalServer
from ashare_exec.testing.miniqmt.terminal import MiniQmt
from ashare_exec.testing.wire import parse_emulator_args, serve_until_stopped
from ashare_exec.venues.qmt.parsing import decode_remark
from ashare_exec.venues.sim.exchange import SimExchange

__all__ = ["accounts_snapshot", "main", "quote_row", "snapshot"]


def snapshot(terminal: MiniQmt) -> dict[str, Any]:
    """What the venue holds, in plain data: every order the simulator got, on every day
    (keyed back to the gateway's client order id through the remark it carried; the
    terminal itself lists only the current day's), cash and positions.

    ``orders`` rows: ``account_id``, ``client_order_id`` (``""`` for a remark that is not
    one of ours), ``remark``, ``status`` (the simulator's ``OrderStatus`` value),
    ``terminal_status`` (the MiniQMT status code the terminal shows, e.g. 54),
    ``filled_qty``, ``day``. ``accounts`` rows: ``account_id``, ``available``, ``frozen``
    (decimal strings) and ``holdings`` (``symbol -> [total, sellable, frozen]``).
    """
    sim = terminal.sim
    if sim is None:
        raise RuntimeError("snapshot needs the simulator as counter")
    core = sim.exchange
    with terminal.lock:
        by_key = {o.key: o for orders in terminal.orders.values() for o in orders}
        today = [(o, by_key.get(str(key))) for (_, key), o in core.orders.items()]
        orders = []
        for o, emu in [*terminal.past_orders, *today]:
            remark = emu.remark if emu is not None else ""
            orders.append(
                {
                    "account_id": str(o.account_id),
                    "client_order_id": decode_remark(remark) or "",
                    "remark": remark,
                    "status": o.status.value,
                    "terminal_status": emu.status if emu is not None else None,
                    "filled_qty": o.filled_qty,
                    "day": o.day.isoformat(),
                }
            )
        return {"orders": orders, "accounts": accounts_snapshot(core)}


def accounts_snapshot(exchange: SimExchange) -> list[dict[str, Any]]:
    """The simulator's accounts in plain data (the ``accounts`` rows of a snapshot):
    ``account_id``, ``available``, ``frozen`` (decimal strings) and ``holdings``
    (``symbol -> [total, sellable, frozen]``). Call it under the emulator's lock."""
    return [
        {
            "account_id": str(a.account_id),
            "available": str(a.available),
            "frozen": str(a.frozen),
            "holdings": {str(i): [h.total, h.sellable, h.frozen] for i, h in a.holdings.items()},
        }
        for a in exchange.accounts.values()
    ]


def quote_row(exchange: SimExchange, clock: Clock, symbol: str) -> list[str] | None:
    """The emulated market's best bid and ask of ``symbol`` now, as decimal strings
    (``None`` without both): what a test prices its orders by when the gateway's own quotes
    come from a broker in another process. Call it under the emulator's lock."""
    q = exchange.quote(InstrumentId.parse(symbol), clock.now())
    if q is None or q.best_bid is None or q.best_ask is None:
        return None
    return [str(q.best_bid), str(q.best_ask)]


def main(argv: list[str] | None = None) -> int:
    """Run the emulator until ``stop``, Ctrl-C, or (``--watch-stdin``) stdin closing."""
    run = parse_emulator_args(
        argv, __doc__.split("\n\n")[0], "qmt", _knobs,
        "knobs of MiniQmtBehaviour as JSON, e.g. '{\"push_before_response\": true}'",
    )  # fmt: skip
    clock = run.clock
    terminal = build_sim_miniqmt(run.config, clock, run.accounts)
    for knob, value in run.knobs.items():
        setattr(terminal.behaviour, knob, value)

    def set_time(iso: str) -> str:
        clock.set(datetime.fromisoformat(iso))
        terminal.tick()
        return clock.now().isoformat()

    server = TerminalServer(
        terminal,
        {
            "set_time": set_time,
            "tick": terminal.tick,
            "snapshot": lambda: snapshot(terminal),
            "quote": lambda symbol: _quote(terminal, clock, symbol),
            "sessions": lambda: len(terminal.clients),
            "restart": terminal.restart,
            "set_online": terminal.set_online,
        },
        **run.listen,
    )
    serve_until_stopped(server, run.args, lambda tick_s: start_ticker(terminal, tick_s))
    terminal.ticker_stop.set()
    return 0


def _quote(terminal: MiniQmt, clock: Clock, symbol: str) -> list[str] | None:
    if terminal.sim is None:
        raise RuntimeError("quote needs the simulator as counter")
    with terminal.lock:
        return quote_row(terminal.sim.exchange, clock, symbol)


def _knobs(text: str) -> dict[str, object]:
    """The ``--behaviour`` knobs, checked against :class:`MiniQmtBehaviour`'s fields."""
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("must be a JSON object")
    fields = {f.name: f for f in dataclasses.fields(MiniQmtBehaviour)}
    for knob, value in raw.items():
        if knob not in fields:
            raise ValueError(f"unknown knob {knob!r} (known: {sorted(fields)})")
        default = fields[knob].default
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ValueError(f"{knob} must be true or false, was {value!r}")
    return raw


if __name__ == "__main__":
    raise SystemExit(main())
