"""The only module that imports ``xtquant`` (lazily, on first use).

:class:`XtSession` owns one ``XtQuantTrader`` and the thread it lives on. The trader is built
on that thread because its constructor calls ``asyncio.set_event_loop`` on the constructing
thread (``qmt-xtp.md`` §3.9). Every method here is blocking-free on the native side but is
still meant to run on the session thread (``XtSession.run``); the adapter awaits the result
with a timeout. Only the ``_async`` request APIs are used; ``subscribe`` has no async twin
in xttrader, so it goes through xttrader's own ``common_op_async_with_seq``.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import gc
import importlib
import importlib.util
import sys
import threading
import types
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from ashare_exec.errors import BrokerError, BrokerRejected, BrokerUnavailable

__all__ = [
    "XtSession",
    "fetch_instrument_details",
    "forget_answered_requests",
    "load_xttrader",
    "map_vendor_errors",
    "xtquant_installed",
]

T = TypeVar("T")

_RETIRED: list[Any] = []
# xttrader's __del__ reads ``self.oldloop``, which exists only for traders built on the main
# thread; ours are built on a session thread, so a garbage collection on the main thread
# would raise inside __del__. Retired traders are therefore kept (one small object per
# reconnect) and given ``oldloop = None``; at exit they are released while imports still work.


def _release_retired() -> None:
    _RETIRED.clear()
    gc.collect()


atexit.register(_release_retired)


def xtquant_installed() -> bool:
    """Return whether ``xtquant`` can be imported (without importing it)."""
    return "xtquant" in sys.modules or importlib.util.find_spec("xtquant") is not None


def load_xttrader() -> types.ModuleType:
    """Import ``xtquant.xttrader`` without running ``xtquant/__init__.py``.

    The package ``__init__`` makes an update-check network call at import time; creating the
    package object from its spec skips it while submodules still resolve.

    Raises:
        BrokerUnavailable: xtquant is not installed or its native module cannot load.
    """
    try:
        if "xtquant" not in sys.modules:
            spec = importlib.util.find_spec("xtquant")
            if spec is None:
                raise ImportError("xtquant is not installed")
            sys.modules["xtquant"] = importlib.util.module_from_spec(spec)
        with warnings.catch_warnings():
            # xtbson calls datetime.utcfromtimestamp at import (deprecated on 3.12+).
            warnings.filterwarnings("ignore", ".*utcfromtimestamp.*", DeprecationWarning)
            return importlib.import_module("xtquant.xttrader")
    except ImportError as e:
        raise BrokerUnavailable(f"cannot load xtquant: {e}", code="VENUE_DISCONNECTED") from e


def fetch_instrument_details(codes: list[str]) -> dict[str, Any]:
    """``xtdata.get_instrument_detail_list(codes)``; ``{}`` if xtdata is not usable here.

    xtdata needs MiniQMT's data service (Windows); any failure means "use the CSV master".
    """
    try:
        load_xttrader()  # creates the package without its import-time network call
        xtdata = importlib.import_module("xtquant.xtdata")
        details = xtdata.get_instrument_detail_list(codes)
    except Exception:
        return {}
    return dict(details) if isinstance(details, dict) else {}


@contextlib.contextmanager
def map_vendor_errors(what: str) -> Iterator[None]:
    """Translate any exception raised by xtquant into a :class:`BrokerError` (at the seam)."""
    try:
        yield
    except BrokerError:
        raise
    except TypeError as e:  # pybind11 refused an argument: the request never left
        raise BrokerRejected(
            f"{what}: xtquant refused the arguments: {e}", code="INVALID_REQUEST"
        ) from e
    except Exception as e:
        raise BrokerError(f"{what}: xtquant failed: {e}") from e


class XtSession:
    """One ``XtQuantTrader`` (one MiniQMT session id) on its own thread."""

    def __init__(self, userdata_path: str, session_id: int, callback: object) -> None:
        self.userdata_path = userdata_path
        self.session_id = session_id
        self.callback = callback
        self.trader: Any = None
        self._accounts: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stopped = False
        self._day_seq: int | None = None
        """The newest request seq the trader held at the last day's start."""
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix=f"qmt-session-{session_id}"
        )

    def run(self, fn: Callable[..., T], *args: Any) -> concurrent.futures.Future[T]:
        """Run ``fn(*args)`` on the session thread."""
        return self._executor.submit(fn, *args)

    def build_and_connect(self) -> int:
        """Create, start and connect the trader; return ``connect()`` (0 = connected, -1
        when :meth:`stop` came first or meanwhile: the trader is then stopped here)."""
        xttrader = load_xttrader()
        with map_vendor_errors("connect"):
            trader = xttrader.XtQuantTrader(self.userdata_path, self.session_id, self.callback)
            trader.oldloop = None  # see _RETIRED
            _RETIRED.append(trader)
            with self._lock:
                if self._stopped:
                    return -1
                self.trader = trader
            trader.start()
            rc = int(trader.connect())
        if self._was_stopped():
            # stop() ran while we connected (a connect that timed out, a close during a
            # reconnect): left alone, this trader would hold a MiniQMT session for good.
            _stop_trader(trader)
            return -1
        return rc

    def _was_stopped(self) -> bool:
        with self._lock:
            return self._stopped

    def _account(self, account_id: str) -> Any:
        acc = self._accounts.get(account_id)
        if acc is None:
            xttype = importlib.import_module("xtquant.xttype")
            acc = self._accounts[account_id] = xttype.StockAccount(account_id)
        return acc

    def subscribe_async(self, account_id: str, callback: Callable[[Any], None]) -> int:
        """Subscribe an account's pushes; ``callback(int)`` gets the result (0 = ok)."""
        xtpc = importlib.import_module("xtquant.xtpythonclient")
        acc = self._account(account_id)
        with map_vendor_errors("subscribe"):
            req = xtpc.SubscribeReq()
            req.m_nAccountType = acc.account_type
            req.m_strAccountID = acc.account_id
            client = self.trader.async_client
            seq = client.nextSeq()
            return int(
                self.trader.common_op_async_with_seq(
                    seq, (client.subscribeWithSeq, seq, req), callback
                )
            )

    def order_async(
        self,
        account_id: str,
        stock_code: str,
        order_type: int,
        volume: int,
        price_type: int,
        price: float,
        strategy_name: str,
        remark: str,
    ) -> int:
        """``order_stock_async``; returns the request seq."""
        with map_vendor_errors("order_stock_async"):
            return int(
                self.trader.order_stock_async(
                    self._account(account_id),
                    stock_code,
                    order_type,
                    volume,
                    price_type,
                    price,
                    strategy_name,
                    remark,
                )
            )

    def cancel_async(self, account_id: str, order_id: int) -> int:
        """``cancel_order_stock_async`` by ``order_id``; returns the request seq."""
        with map_vendor_errors("cancel_order_stock_async"):
            return int(self.trader.cancel_order_stock_async(self._account(account_id), order_id))

    def cancel_sysid_async(self, account_id: str, market: str, sysid: str) -> int:
        """``cancel_order_stock_sysid_async`` by market + contract number; returns the seq."""
        with map_vendor_errors("cancel_order_stock_sysid_async"):
            return int(
                self.trader.cancel_order_stock_sysid_async(self._account(account_id), market, sysid)
            )

    def query_async(self, what: str, account_id: str, callback: Callable[[Any], None]) -> None:
        """Run ``query_<what>_async`` (orders, trades, positions, asset, account_status)."""
        with map_vendor_errors(f"query_{what}"):
            if what == "account_status":
                self.trader.query_account_status_async(callback)
            else:
                method = getattr(self.trader, f"query_stock_{what}_async")
                method(self._account(account_id), callback)

    def forget_answered(self) -> None:
        """Drop what the trader keeps of requests long answered (see
        :func:`forget_answered_requests`), and of requests that were already waiting at the
        previous call and never got an answer; for the start of a day."""
        if self.trader is not None:
            self._day_seq = forget_answered_requests(self.trader, unanswered_up_to=self._day_seq)

    def stop(self) -> None:
        """Stop the trader (never from an xtquant callback: it joins the callback thread);
        one still being built and connected stops itself when that is done."""
        with self._lock:
            self._stopped = True
            trader = self.trader
        if trader is not None:
            _stop_trader(trader)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def stop_in_thread(self) -> concurrent.futures.Future[None]:
        """Call :meth:`stop` on a fresh thread (the session thread may be stuck)."""
        done: concurrent.futures.Future[None] = concurrent.futures.Future()

        def work() -> None:
            try:
                self.stop()
            finally:
                done.set_result(None)

        threading.Thread(target=work, name=f"qmt-stop-{self.session_id}", daemon=True).start()
        return done


_ANSWERED = (
    "handled_async_order_stock_order_id",
    "handled_async_cancel_order_stock_order_id",
    "handled_async_cancel_order_stock_order_sys_id",
    "queuing_cancel_errors_by_order_id",
    "queuing_cancel_errors_by_order_sys_id",
)
_ORDER_ERRORS = ("queuing_order_errors_byseq", "queuing_order_errors_byid")


def forget_answered_requests(trader: Any, *, unanswered_up_to: int | None = None) -> int | None:
    """Empty what ``XtQuantTrader`` keeps for good of answered requests; return the newest
    request seq it still holds (``None``: none), for the next day's call.

    xttrader adds the ``order_id`` of every async order, and the id of every async cancel,
    it got a response for to sets it only shrinks when an error for that order comes later,
    and keeps an order error found before its response under two keys, popping one
    (≈ 60 bytes an order, for the life of the process: found by the day soak). They decide
    whether an error that arrives *after* its response is passed on at once, so only what
    belongs to requests of an earlier day may go: call this when a day starts (or when the
    trader is retired), with none of yesterday's requests still in flight. An order error
    whose request is still waiting for its response (its ``seq`` still queued) is kept.

    A request never answered (a hung terminal, a lost answer: our side timed it out) keeps
    its callback in ``cbs``, and an order its seq in ``queuing_order_seq``, for good too.
    Those with a seq up to ``unanswered_up_to`` (what was held at the previous day's start:
    unanswered for a day now) are dropped; ``-1`` drops them all (a retired trader).
    """
    cbs = getattr(trader, "cbs", None)
    queued = getattr(trader, "queuing_order_seq", None)
    if unanswered_up_to is not None:
        if isinstance(cbs, dict):
            for seq in [s for s in list(cbs) if unanswered_up_to < 0 or s <= unanswered_up_to]:
                cbs.pop(seq, None)
        if isinstance(queued, set):
            queued.difference_update(
                [s for s in list(queued) if unanswered_up_to < 0 or s <= unanswered_up_to]
            )
    for name in _ANSWERED:
        kept = getattr(trader, name, None)
        if kept is not None:
            kept.clear()
    waiting = queued if isinstance(queued, set) else set()
    for name in _ORDER_ERRORS:
        errors = getattr(trader, name, None)
        if errors:
            for key in [k for k, e in errors.items() if getattr(e, "seq", None) not in waiting]:
                errors.pop(key, None)
    held = [*(cbs or ()), *waiting]
    return max(held) if held else None


def _stop_trader(trader: Any) -> None:
    with contextlib.suppress(Exception):
        trader.stop()
    with contextlib.suppress(Exception):
        trader.loop.close()  # xttrader never closes the loop it creates
    # Retired traders are kept (_RETIRED): not with the ids of every order they answered.
    with contextlib.suppress(Exception):
        forget_answered_requests(trader, unanswered_up_to=-1)
