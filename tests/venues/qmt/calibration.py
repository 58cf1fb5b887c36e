"""The MiniQMT calibration (``qmt-xtp.md`` §6): measure each knob of
:class:`~ashare_exec.testing.miniqmt.MiniQmtBehaviour` on a terminal through the real
``xtquant.xttrader``.

:func:`calibrate` is run against a REAL MiniQMT simulation account by
``test_qmt_live_calibration.py`` (skipped unless configured), and against the emulator, with
known knobs, by ``test_qmt_calibration.py`` in CI: so the routine a user runs once per broker
is known to measure what it says.
"""

from __future__ import annotations

import atexit
import gc
import threading
import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FIELDS", "KNOBS", "Recorder", "calibrate"]

Events = list[tuple[float, str, dict[str, Any]]]

KNOBS = (
    "push_status_on_subscribe",
    "push_before_response",
    "push_unreported",
    "push_wait_reporting",
    "cancel_echoes_sysid",
    "remark_max_len",
    "early_reject_order_id",
    "reject_duplicate_session",
)
"""The report's keys that are :class:`MiniQmtBehaviour` fields, measured."""


FIELDS = (
    "account_id", "order_id", "order_sysid", "order_status", "order_remark", "seq",
    "error_id", "error_msg", "status", "cancel_result",
)  # fmt: skip
"""The fields of the callbacks' objects the report reads (xttrader.md names)."""


@dataclass
class Recorder:
    """Records every callback with a monotonic stamp."""

    events: Events = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("on_"):
            raise AttributeError(name)

        def record(*args: Any) -> None:
            # By name: ``dir`` of a vendor struct need not list its fields (the emulator's
            # maps them), while ``getattr`` reads them on either.
            payload = {k: getattr(args[0], k, None) for k in FIELDS} if args else {}
            with self.lock:
                self.events.append((time.monotonic(), name, payload))

        return record

    def since(self, start: int) -> Events:
        with self.lock:
            return list(self.events[start:])


_KEPT: list[Any] = []
# As in the adapter's shim (``_RETIRED``): xttrader's ``__del__`` reads ``self.oldloop``, set
# only for traders built on the main thread; ours are built on another, so they are given
# ``oldloop = None`` and kept, then released at exit while imports still work.


def _release_kept() -> None:
    _KEPT.clear()
    gc.collect()


atexit.register(_release_kept)


def _new_trader(xttrader: Any, path: str, session: int, rec: Recorder) -> Any:
    # Built off the calling thread, as the adapter does (xttrader makes its own loop).
    built: list[Any] = []
    maker = threading.Thread(
        target=lambda: built.append(xttrader.XtQuantTrader(path, session, rec))
    )
    maker.start()
    maker.join()
    trader = built[0]
    trader.oldloop = None
    _KEPT.append(trader)
    trader.start()
    return trader


@dataclass(frozen=True)
class _Probe:
    trader: Any
    acc: Any
    rec: Recorder
    symbol: str
    price: float
    settle_s: float

    def order_and_cancel(self, volume: int, remark: str) -> Events:
        """Place a passive buy, wait, cancel it if it got an id, wait; the callbacks seen."""
        mark = len(self.rec.events)
        seq = self.trader.order_stock_async(
            self.acc, self.symbol, 23, volume, 11, self.price, "calib", remark
        )
        time.sleep(self.settle_s)
        events = self.rec.since(mark)
        ids = [e[2].get("order_id") for e in events if e[1] == "on_order_stock_async_response"
               and e[2].get("seq") == seq]  # fmt: skip
        if ids and ids[0] and ids[0] > 0:
            self.trader.cancel_order_stock_async(self.acc, ids[0])
            time.sleep(self.settle_s * 2 / 3)
        return self.rec.since(mark)


def calibrate(
    xttrader: Any,
    xttype: Any,
    *,
    path: str,
    account: str,
    symbol: str,
    price: float,
    settle_s: float = 3.0,
) -> dict[str, object]:
    """Measure the terminal at ``path`` with small passive orders (100 shares at ``price``,
    inside the day's band and below the bid) on ``account``, each canceled; return the
    report (the :data:`KNOBS` and what was observed). Never on a real-money account."""
    session = int(time.time()) % 10**6 * 100 + 99
    rec = Recorder()
    trader = _new_trader(xttrader, path, session, rec)
    report: dict[str, object] = {}
    try:
        if trader.connect() != 0:
            raise RuntimeError(f"MiniQMT not reachable on {path}")
        acc = xttype.StockAccount(account)
        mark = len(rec.events)
        if trader.subscribe(acc) != 0:
            raise RuntimeError(f"subscribe({account}) failed")
        time.sleep(settle_s * 2 / 3)
        report["push_status_on_subscribe"] = any(
            e[1] == "on_account_status" for e in rec.since(mark)
        )
        probe = _Probe(trader, acc, rec, symbol, price, settle_s)
        # 1. push order vs response; 48/49 pushed; does a cancel answer carry the sysid
        events = probe.order_and_cancel(100, "calib.A1")
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
            evs = probe.order_and_cancel(100, remark)
            pushes = [e[2].get("order_remark", "") for e in evs if e[1] == "on_stock_order"]
            echoes[label] = pushes[0] if pushes else ""
        report["remark_max_len"] = len(echoes["ascii30"])
        report["remark_echo_cjk20"] = echoes["cjk20"]
        # 3. the order_id of a request refused before an order exists (volume 0), and
        # what a lot problem (a buy of 150 shares) gets: an id and a 57, or the same?
        evs = probe.order_and_cancel(0, "calib.rej0")
        report["early_reject_order_id"] = next(
            (e[2].get("order_id") for e in evs if e[1] == "on_order_stock_async_response"), None
        )
        report["early_reject_events"] = [e[1] for e in evs]
        evs = probe.order_and_cancel(150, "calib.rej150")
        report["lot_reject_order_id"] = next(
            (e[2].get("order_id") for e in evs if e[1] == "on_order_stock_async_response"), None
        )
        report["lot_reject_events"] = [e[1] for e in evs]
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
    return report
