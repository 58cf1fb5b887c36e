"""The ``XtpGateway`` subclass :class:`~.shim.GatewayHost` runs for vnpy_xtp.

vnpy_xtp drops what the adapter needs: the ``order_client_id`` of an order push (our 32-bit
surrogate), error codes, cancel errors, the end of a query, a disconnect's reason. The
subclass's ``td_api`` puts them on the same EventEngine stream, as rows of :mod:`.parsing`
under :data:`~.constants.EVENT_HOST`, tags orders with the surrogate, and leaves logging in
again to the adapter's supervisor. No vendor import here: :mod:`.shim`, the one module
that imports vn.py, passes in the vendor classes it builds on.
"""

from __future__ import annotations

import threading
from typing import Any

from ashare_exec.venues.vnpy import parsing as p
from ashare_exec.venues.vnpy.constants import EVENT_HOST

__all__ = ["hosted_xtp_class"]

_HOSTED: dict[type, type] = {}


def hosted_xtp_class(base: Any, event: Any, td_api: Any) -> Any:
    """An ``XtpGateway`` subclass (of ``base``) whose ``td_api`` reports what vnpy_xtp drops.

    Args:
        base: vnpy_xtp's ``XtpGateway`` (or a class derived from it).
        event: vn.py's ``Event`` class.
        td_api: vnpy_xtp's ``XtpTdApi``.
    """
    if base in _HOSTED:
        return _HOSTED[base]
    ok: dict[str, Any] = {"error_id": 0, "error_msg": ""}

    class HostedXtpTdApi(td_api):  # type: ignore[misc]
        def __init__(self, gateway: Any) -> None:
            super().__init__(gateway)
            self._send_lock = threading.Lock()
            self._rows: dict[int, int] = {}

        def _emit(self, row: object) -> None:
            self.gateway.event_engine.put(event(EVENT_HOST, row))

        def _vt(self, data: dict[str, Any]) -> str:
            return f"{self.gateway_name}.{data.get('order_xtp_id', 0)}"

        def onOrderEvent(self, data: dict[str, Any], error: dict[str, Any], session: int) -> None:
            if data:
                error = error or ok
                self._emit(p.XtpOrderRaw(
                    self._vt(data), int(data.get("order_client_id", 0)),
                    int(data.get("order_status", 0)), int(error.get("error_id", 0)),
                    str(error.get("error_msg", "")),
                ))  # fmt: skip
            super().onOrderEvent(data, error, session)

        def onTradeEvent(self, data: dict[str, Any], session: int) -> None:
            if data:
                self._emit(p.XtpTradeRaw(self._vt(data), int(data.get("order_client_id", 0))))
            super().onTradeEvent(data, session)

        def onCancelOrderError(
            self, data: dict[str, Any], error: dict[str, Any], session: int
        ) -> None:
            if data and error and error.get("error_id"):
                self._emit(p.XtpCancelErrorRow(
                    self._vt(data), int(error["error_id"]), str(error.get("error_msg", ""))
                ))  # fmt: skip
            super().onCancelOrderError(data, error, session)

        def onDisconnected(self, session: int, reason: int) -> None:
            # vnpy_xtp logs in again once, here on the API thread; the adapter's supervisor
            # does it instead, with backoff, from a worker thread.
            self.connect_status = False
            self.login_status = False
            self.gateway.write_log(f"交易服务器连接断开, 原因{reason}")
            self._emit(p.LinkDown(f"XTP trading link dropped (reason {reason})"))

        def _answer(self, kind: str, rid: int, last: bool, found: bool) -> None:
            if found:
                self._rows[rid] = self._rows.get(rid, 0) + 1
            if last:
                self._emit(p.HostQueryDone(kind, rid, self._rows.pop(rid, 0)))

        def onQueryOrderEx(
            self, data: dict[str, Any], error: dict[str, Any], rid: int, last: bool, session: int
        ) -> None:
            found = bool(data and data.get("order_xtp_id"))
            if found:
                self.onOrderEvent(data, ok, session)
            self._answer("orders", rid, last, found)

        def onQueryTrade(
            self, data: dict[str, Any], error: dict[str, Any], rid: int, last: bool, session: int
        ) -> None:
            found = bool(data and data.get("exec_id"))
            if found:
                self.onTradeEvent(data, session)
            self._answer("trades", rid, last, found)

        def onQueryPosition(
            self, data: dict[str, Any], error: dict[str, Any], rid: int, last: bool, session: int
        ) -> None:
            found = bool(data and data.get("market"))  # "no position" is a zeroed row
            if found:
                super().onQueryPosition(data, error, rid, last, session)
            self._answer("positions", rid, last, found)

        def onQueryAsset(
            self, data: dict[str, Any], error: dict[str, Any], rid: int, last: bool, session: int
        ) -> None:
            found = bool(data and "total_asset" in data)
            if found:
                super().onQueryAsset(data, error, rid, last, session)
            self._answer("asset", rid, last, found)

        def send_order_tagged(self, req: Any, client_id: int) -> str:
            """vnpy_xtp's ``send_order`` with ``order_client_id`` added to the native request."""
            with self._send_lock:
                slots: dict[str, Any] = self.__dict__
                own = slots.get("insertOrder")  # a per-instance replacement (tests), if any
                insert = own if own is not None else super().insertOrder

                def tagged(xtp_req: dict[str, Any], session: int) -> Any:
                    xtp_req["order_client_id"] = client_id
                    return insert(xtp_req, session)

                slots["insertOrder"] = tagged
                try:
                    return str(self.send_order(req))
                finally:
                    if own is None:
                        slots.pop("insertOrder", None)
                    else:
                        slots["insertOrder"] = own

    class HostedXtpGateway(base):  # type: ignore[misc]
        def __init__(self, event_engine: Any, gateway_name: str) -> None:
            super().__init__(event_engine, gateway_name)
            self.td_api = HostedXtpTdApi(self)

    HostedXtpGateway.__name__ = f"Hosted{base.__name__}"
    _HOSTED[base] = HostedXtpGateway
    return HostedXtpGateway
