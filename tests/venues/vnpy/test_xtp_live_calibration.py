"""Calibration against a REAL XTP test server (a simulation account only).

Skipped unless configured. vnpy_xtp runs on Linux and Windows; with the broker's test
environment details::

    export ASHARE_XTP_LIVE_ACCOUNT=253191001 ASHARE_XTP_LIVE_PASSWORD=...
    export ASHARE_XTP_LIVE_CLIENT_ID=1 ASHARE_XTP_LIVE_KEY=...          (授权码)
    export ASHARE_XTP_LIVE_TRADE=host:port ASHARE_XTP_LIVE_QUOTE=host:port
    export ASHARE_XTP_LIVE_SYMBOL=600000.SH          (liquid, not at a limit)
    export ASHARE_XTP_LIVE_PASSIVE_PRICE=7.00        (inside today's band, far below the bid)
    python -m pytest tests/venues/vnpy/test_xtp_live_calibration.py -m live -s

It sends a 100-share passive buy and cancels it, then one order for each refusal the
emulator assumes an error for (off the tick, beyond the cash, a sell of what is not held),
and prints the report: the XTP ``error_id`` and ``error_msg`` of each, to compare with
``XTP_ERRORS`` in ``venues/vnpy/emulator_wire.py``, and the reason code our adapter gave it.
The routine (``xtp_calibration.py``) runs against the emulator in CI
(``test_xtp_calibration.py``). Never point it at a real-money account.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal
from pathlib import Path

import pytest
from xtp_calibration import calibrate, probes_from
from xtp_kit import needs_xtp

from ashare_exec.clock import WallClock
from ashare_exec.model import AccountId, ClientOrderId, InstrumentId, OrderSpec, PriceType, Side
from ashare_exec.venues.vnpy import VnpyAdapter, VnpyConfig

pytestmark = [pytest.mark.live, needs_xtp]

ENV = (
    "ASHARE_XTP_LIVE_ACCOUNT", "ASHARE_XTP_LIVE_PASSWORD", "ASHARE_XTP_LIVE_CLIENT_ID",
    "ASHARE_XTP_LIVE_KEY", "ASHARE_XTP_LIVE_TRADE", "ASHARE_XTP_LIVE_QUOTE",
    "ASHARE_XTP_LIVE_PASSIVE_PRICE",
)  # fmt: skip
configured = all(os.environ.get(k) for k in ENV)


def _endpoint(name: str) -> tuple[str, int]:
    host, _, port = os.environ[name].rpartition(":")
    return host, int(port)


@pytest.mark.skipif(not configured, reason=f"live calibration needs {', '.join(ENV)}")
async def test_live_xtp_calibration_when_configured_prints_the_servers_answers(
    tmp_path: Path,
) -> None:
    trade_host, trade_port = _endpoint("ASHARE_XTP_LIVE_TRADE")
    quote_host, quote_port = _endpoint("ASHARE_XTP_LIVE_QUOTE")
    account = AccountId(os.environ["ASHARE_XTP_LIVE_ACCOUNT"])
    config = VnpyConfig(
        gateway="vnpy_xtp:XtpGateway",
        settings={
            "账号": account,
            "密码": os.environ["ASHARE_XTP_LIVE_PASSWORD"],
            "客户号": int(os.environ["ASHARE_XTP_LIVE_CLIENT_ID"]),
            "行情地址": quote_host,
            "行情端口": quote_port,
            "交易地址": trade_host,
            "交易端口": trade_port,
            "行情协议": "TCP",
            "日志级别": "INFO",
            "授权码": os.environ["ASHARE_XTP_LIVE_KEY"],
        },
        account=account,
        data_dir=tmp_path,
    )
    tag = f"cal{int(time.time()) % 100_000}"
    passive = OrderSpec(
        account_id=account,
        client_order_id=ClientOrderId(tag),
        instrument_id=InstrumentId.parse(os.environ.get("ASHARE_XTP_LIVE_SYMBOL", "600000.SH")),
        side=Side.BUY,
        qty=100,
        price_type=PriceType.LIMIT,
        price=Decimal(os.environ["ASHARE_XTP_LIVE_PASSIVE_PRICE"]),
    )

    report = await calibrate(VnpyAdapter(config, WallClock()), probes_from(passive))

    print("\n=== XTP calibration report (compare with XTP_ERRORS) ===")
    for key, value in report.items():
        print(f"{key} = {value!r}")
    assert "passive_reports" in report
