"""Calibration against a REAL MiniQMT (simulation account only): ``qmt-xtp.md`` §6.

Skipped unless configured. On the Windows QMT machine, with MiniQMT logged in::

    set ASHARE_QMT_LIVE_PATH=C:\\国金QMT交易端模拟\\userdata_mini
    set ASHARE_QMT_LIVE_ACCOUNT=55001234
    set ASHARE_QMT_LIVE_SYMBOL=600000.SH        (liquid, not at a limit)
    set ASHARE_QMT_LIVE_PASSIVE_PRICE=7.00      (inside today's band, far below the bid)
    python -m pytest tests/venues/qmt/test_qmt_live_calibration.py -m live -s

It places small passive orders (100 shares) and cancels them, then prints a report whose
keys are :class:`~ashare_exec.testing.miniqmt.MiniQmtBehaviour` fields: copy the observed
values into the emulator defaults. Never point it at a real-money account.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

pytestmark = pytest.mark.live

ENV = ("ASHARE_QMT_LIVE_PATH", "ASHARE_QMT_LIVE_ACCOUNT", "ASHARE_QMT_LIVE_PASSIVE_PRICE")
configured = all(os.environ.get(k) for k in ENV)


@dataclass
class Recorder:
    """Records every callback with a monotonic stamp."""

    events: list[tuple[float, str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("on_"):
            raise AttributeError(name)

        def record(*args: Any) -> None:
            payload = (
                {k: getattr(args[0], k) for k in dir(args[0]) if not k.startswith("_")}
                if args
                else {}
            )
            with self.lock:
                self.events.append((time.monotonic(), name, payload))

        return record

    def since(self, start: int) -> list[tuple[float, str, dict[str, Any]]]:
        with self.lock:
            return list(self.events[start:])


def _wait(seconds: float) -> None:
    time.sleep(seconds)


def _new_trader(xttrader: Any, path: str, session: int, rec: Recorder) -> Any:
    built: list[Any] = []
    maker = threading.Thread(
        target=lambda: built.append(xttrader.XtQuantTrader(path, session, rec))
    )
    maker.start()
    maker.join()
    trader = built[0]
    trader.start()
    return trader


Events = list[tuple[float, str, dict[str, Any]]]


def _order_and_watch(
    trader: Any, acc: Any, rec: Recorder, symbol: str, price: float, volume: int, remark: str
) -> Events:
    mark = len(rec.events)
    seq = trader.order_stock_async(acc, symbol, 23, volume, 11, price, "calib", remark)
    _wait(3.0)
    events = rec.since(mark)
    ids = [e[2].get("order_id") for e in events if e[1] == "on_order_stock_async_response"
           and e[2].get("seq") == seq]  # fmt: skip
    if ids and ids[0] and ids[0] > 0:
        trader.cancel_order_stock_async(acc, ids[0])
        _wait(2.0)
    return events


@pytest.mark.skipif(not configured, reason=f"live calibration needs {', '.join(ENV)}")
def test_live_calibration_when_configured_prints_emulator_defaults() -> None:
    from ashare_exec.venues.qmt.shim import load_xttrader

    native = sys.modules.get("xtquant.xtpythonclient")
    if (
        native is not None
        and native.__name__ == "xtquant.xtpythonclient"
        and hasattr(native, "__doc__")
        and "Fake" in (native.__doc__ or "")
    ):
        pytest.skip("the MiniQMT emulator is loaded in this process; run this module alone")
    xttrader = load_xttrader()
    import xtquant.xttype as xttype  # loaded by load_xttrader, without its network check

    path = os.environ["ASHARE_QMT_LIVE_PATH"]
    account = os.environ["ASHARE_QMT_LIVE_ACCOUNT"]
    symbol = os.environ.get("ASHARE_QMT_LIVE_SYMBOL", "600000.SH")
    price = float(os.environ["ASHARE_QMT_LIVE_PASSIVE_PRICE"])
    session = int(time.time()) % 10**6 * 100 + 99
    rec = Recorder()
    trader = _new_trader(xttrader, path, session, rec)
    report: dict[str, object] = {}
    try:
        assert trader.connect() == 0, "MiniQMT not reachable"
        acc = xttype.StockAccount(account)
        mark = len(rec.events)
        assert trader.subscribe(acc) == 0
        _wait(2.0)
        report["push_status_on_subscribe"] = any(
            e[1] == "on_account_status" for e in rec.since(mark)
        )
        # 1. push order vs response; 48/49 pushed; trade vs order push (needs a fill: n/a)
        events = _order_and_watch(trader, acc, rec, symbol, price, 100, "calib.A1")
        names = [e[1] for e in events]
        first_push = next((i for i, n in enumerate(names) if n == "on_stock_order"), None)
        resp = next((i for i, n in enumerate(names) if n == "on_order_stock_async_response"), None)
        report["push_before_response"] = (
            first_push is not None and resp is not None and first_push < resp
        )
        statuses = [e[2].get("order_status") for e in events if e[1] == "on_stock_order"]
        report["push_unreported"] = 48 in statuses
        report["push_wait_reporting"] = 49 in statuses
        report["observed_statuses"] = statuses
        cancel_resps = [e[2] for e in events if e[1] == "on_cancel_order_stock_async_response"]
        report["cancel_echoes_sysid"] = bool(cancel_resps and cancel_resps[0].get("order_sysid"))
        # 2. remark limit (characters vs bytes)
        echoes: dict[str, str] = {}
        for label, remark in (("ascii30", "R" * 30), ("cjk20", "备" * 20)):
            evs = _order_and_watch(trader, acc, rec, symbol, price, 100, remark)
            pushes = [e[2].get("order_remark", "") for e in evs if e[1] == "on_stock_order"]
            echoes[label] = pushes[0] if pushes else ""
        report["remark_max_len"] = len(echoes["ascii30"])
        report["remark_echo_cjk20"] = echoes["cjk20"]
        # 3. order_id of an early reject (a buy of 150 shares is not a lot)
        evs = _order_and_watch(trader, acc, rec, symbol, price, 150, "calib.rej")
        report["early_reject_order_id"] = next(
            (e[2].get("order_id") for e in evs if e[1] == "on_order_stock_async_response"), None
        )
        report["early_reject_events"] = [e[1] for e in evs]
        # 4. duplicate session id while the first is connected
        twin = _new_trader(xttrader, path, session, Recorder())
        report["reject_duplicate_session"] = twin.connect() != 0
        twin.stop()
        # 5. connect() again on the same object
        report["connect_again_same_object"] = trader.connect()
    finally:
        trader.stop()
    report["order_ids_survive_restart"] = "manual: restart MiniQMT and compare query ids"
    report["set_timeout_effect"] = "manual: needs a dead link"
    print("\n=== MiniQMT calibration report (MiniQmtBehaviour fields) ===")
    for key, value in report.items():
        print(f"{key} = {value!r}")
    assert "push_before_response" in report
