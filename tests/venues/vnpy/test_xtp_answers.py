"""How long the vn.py adapter waits for a query's answer (through the REAL vnpy_xtp).

XTP answers a query on the session's one callback thread, after whatever it is already
delivering: a login with a RESTART subscription replays the whole day's pushes first, so
on a busy day the answers to the start's reconciliation come only after thousands of
pushes. The answer's deadline counts silence, not time: while the server keeps
delivering, the query waits on (up to ``ANSWER_PATIENCE`` times its timeout).
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from xtp_kit import XtpDriver, needs_xtp

from ashare_exec.errors import BrokerUnavailable
from ashare_exec.model import ClientOrderId, OrderStatus
from ashare_exec.venues.vnpy import VnpyAdapter
from ashare_exec.venues.vnpy.link import ANSWER_PATIENCE

pytestmark = needs_xtp


def _adapter(driver: XtpDriver, **overrides: Any) -> VnpyAdapter:
    config = dataclasses.replace(driver.config, **overrides)
    return VnpyAdapter(config, driver.clock, store=driver.store,
                       prepare_gateway=driver.server.attach)  # fmt: skip


async def test_connect_when_the_days_replay_outlasts_the_query_timeout_waits_while_it_flows(
    tmp_path: Path,
) -> None:
    driver = XtpDriver(tmp_path)
    first = _adapter(driver)
    await first.connect()
    for i in range(60):
        await first.submit(driver.passive_buy(ClientOrderId(f"B{i}")))
    await driver.settle()
    await first.close()
    # Each push now waits up to 20 ms on the server's callback thread: the replay of the
    # day's 60 pushes to the next login takes ~0.6 s, four times the query timeout, and
    # the reconciliation's answers come after it.
    driver.server.jitter_s = 0.02
    second = _adapter(driver, query_timeout_s=0.15)
    started = time.monotonic()
    try:
        await second.connect()
        took = time.monotonic() - started
        orders = await second.query_orders(driver.account_id)
    finally:
        await second.close()
        driver.server.stop()
    assert took > 0.15  # it did wait past one timeout
    assert len(orders) == 60
    assert {o.status for o in orders} == {OrderStatus.NEW}
    assert driver.server.errors == []


async def test_connect_when_the_server_never_answers_gives_up_after_the_timeout_of_silence(
    tmp_path: Path,
) -> None:
    driver = XtpDriver(tmp_path)
    real_attach = driver.server.attach

    def attach_deaf(gateway: Any) -> None:  # logs in, then swallows every order query
        real_attach(gateway)
        gateway.td_api.queryOrdersEx = lambda req, session, rid: 0

    adapter = VnpyAdapter(
        dataclasses.replace(driver.config, query_timeout_s=0.2), driver.clock,
        store=driver.store, prepare_gateway=attach_deaf,
    )  # fmt: skip
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable, match="no answer to query"):
        await adapter.connect()
    took = time.monotonic() - started
    await adapter.close()
    driver.server.stop()
    assert took < 0.2 * ANSWER_PATIENCE  # silence ends the wait, not the patience cap
    assert adapter.host is None  # nothing left logged in behind a failed connect
    assert driver.server.sessions == {}


def test_emulator_when_a_session_is_dropped_skips_its_queued_pushes_without_their_delay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A gateway killed during its login's replay leaves that replay queued: a real server
    # drops it with the session. The emulator used to sleep its jitter before each dead
    # push, so the next login's replay started seconds late (the XTP crash soak, seed 124).
    driver = XtpDriver(tmp_path)
    server = driver.server
    delays: list[float] = []
    monkeypatch.setattr("ashare_exec.venues.vnpy.emulator.time.sleep", delays.append)
    server.jitter_s = 0.01
    hold = threading.Event()
    ran: list[int] = []

    def busy() -> None:
        hold.wait()

    server._queue.put((None, busy))  # keep the callback thread busy meanwhile
    server.sessions[7] = object()
    for i in range(50):
        server._queue.put(server._live(7, functools.partial(ran.append, i)))
    del server.sessions[7]  # the session is dropped while its pushes wait
    hold.set()
    server.drain()
    server.stop()
    assert ran == []
    assert len(delays) <= 2  # the holder's and the drain's own, none for the 50 dead pushes
