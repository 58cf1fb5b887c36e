"""Closing a day the service was down for: the next start expires and archives it, then
starts today (T+1 roll, finished orders leave the book); the end of day no longer rolls.

The whole service in-process on the simulator and a simulated clock; each "restart" builds
a new service on the same data folder, as a new process would.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.api.schemas import OrderIn
from ashare_exec.clock import CST, SimClock
from ashare_exec.config import AccountConfig, default_config
from ashare_exec.engine.closing import CLOSED_UNSEEN
from ashare_exec.engine.node import build_service
from ashare_exec.engine.scheduler import ActionDeferred
from ashare_exec.engine.service import ExecutionService
from ashare_exec.model import AccountId, ClientOrderId, InstrumentId, OrderFilled, OrderStatus
from ashare_exec.observability.alerts import ReconciliationMismatch
from ashare_exec.venues.sim.adapter import SimVenue

PAPER = AccountId("paper")
PF = InstrumentId.parse("600000.SH")
WED = date(2026, 11, 25)

Start = Callable[..., Awaitable[tuple[ExecutionService, list[tuple[str, str]]]]]
"""``start(at, sim={...})``: ``sim`` is the ``[venues.sim]`` table."""


@pytest.fixture
async def start(tmp_path: Path) -> AsyncIterator[Start]:
    """Start a service on one data folder at a given instant; alerts as (severity, code)."""
    running: list[ExecutionService] = []

    async def run(
        at: datetime, sim: dict[str, Any] | None = None
    ) -> tuple[ExecutionService, list[tuple[str, str]]]:
        for old in running:
            if old.started:
                await old.stop()
        cfg = dataclasses.replace(
            default_config(),
            data_dir=tmp_path / "data",
            log_dir=tmp_path / "logs",
            accounts=(AccountConfig(PAPER, positions={"600000.SH": 1000}),),
            venues={"sim": sim or {}},
        )
        svc = build_service(cfg, SimClock(at))
        alerts: list[tuple[str, str]] = []
        seen = svc.hooks.on_alert

        def on_alert(severity: str, code: str, message: str, context: dict[str, Any]) -> None:
            alerts.append((severity, code))
            seen(severity, code, message, context)

        svc.hooks.on_alert = on_alert
        await svc.start()
        running.append(svc)
        return svc, alerts

    yield run
    for svc in running:
        if svc.started:
            await svc.stop()


async def _settle(svc: ExecutionService) -> None:
    for _ in range(5):
        await asyncio.sleep(0.01)
        await svc.core.drain()


async def _trade(svc: ExecutionService) -> None:
    """A resting buy (below the bid) and a buy that fills at once (above the ask)."""
    quote = svc.core.quotes(PF)
    assert quote is not None
    assert quote.best_bid is not None
    assert quote.best_ask is not None
    for coid, price in (("rest", quote.best_bid - Decimal("0.05")), ("fill", quote.best_ask)):
        body = OrderIn(
            account_id=PAPER, symbol=str(PF), side="BUY", qty=100, price=price, client_order_id=coid
        )
        await svc.submit(body)
    await _settle(svc)
    assert _status(svc, "rest") is OrderStatus.NEW
    assert _status(svc, "fill") is OrderStatus.FILLED


async def _trade_and_close_wednesday(start: Start) -> None:
    """Wednesday: trade, then the scheduled end of day runs (reconcile, expire, archive)."""
    svc, _ = await start(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
    await _trade(svc)
    await svc.end_of_day(WED)


def _status(svc: ExecutionService, coid: str) -> OrderStatus | None:
    order = svc.core.state.book.get(PAPER, ClientOrderId(coid))
    return None if order is None else order.status


def _archived(tmp_path: Path, day: date) -> dict[str, dict[str, Any]]:
    folder = tmp_path / "data" / "archive" / day.isoformat()
    lines = (folder / "orders.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["client_order_id"]: r for r in map(json.loads, lines)}


async def test_start_after_a_missed_close_expires_and_archives_that_day_then_starts_today(
    start: Start, tmp_path: Path
) -> None:
    svc, _ = await start(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
    await _trade(svc)  # then the service is stopped before the end of day (15:35)

    svc, alerts = await start(datetime(2026, 11, 26, 9, 20, tzinfo=CST))

    assert ("warning", "MISSED_CLOSE") in alerts
    archived = _archived(tmp_path, WED)
    assert archived["rest"]["status"] == "EXPIRED"
    assert archived["rest"]["message"] == CLOSED_UNSEEN
    assert archived["fill"]["status"] == "FILLED"
    assert (tmp_path / "data" / "archive" / "2026-11-25" / "audit-2026-11-25.jsonl").is_file()
    # today started: finished orders of the day before left the book
    assert _status(svc, "rest") is None
    assert _status(svc, "fill") is None
    assert svc.core.state.ledger.trading_day(PAPER) == date(2026, 11, 26)
    # The resting buy may have filled at the venue while the service was down (the venue
    # lists only today's orders, so its record says EXPIRED): the start-up reconcile sets
    # the position to the venue's, and yesterday's shares are sellable today (T+1).
    position = svc.core.state.ledger.position(PAPER, PF)
    held = svc.core.accounts[PAPER].venue.exchange.accounts[PAPER].holdings[PF]  # type: ignore[attr-defined]
    assert position.total == held.total >= 1100
    assert position.sellable == held.sellable == position.total


async def test_end_of_day_keeps_the_day_listed_and_t1_shares_locked_until_the_next_day(
    start: Start,
) -> None:
    # Brokers and the simulator roll positions at night: rolling at the close made every
    # reconcile of the evening "correct" the day's bought shares back to not sellable.
    svc, alerts = await start(datetime(2026, 11, 25, 14, 50, tzinfo=CST))
    await _trade(svc)
    assert isinstance(svc.clock, SimClock)
    svc.clock.set(datetime(2026, 11, 25, 15, 1, tzinfo=CST))  # closed; the scheduler waits
    await svc.core.accounts[PAPER].venue.sync()  # type: ignore[attr-defined]
    await _settle(svc)

    await svc.end_of_day(WED)
    report = await svc.reconciler.reconcile(PAPER, "timer")  # as the evening's timer does

    assert report is not None
    assert report.clean
    assert not {"RECONCILIATION_MISMATCH", "RECONCILE_MISMATCH"} & {c for _, c in alerts}
    position = svc.core.state.ledger.position(PAPER, PF)
    assert position.total >= 1100
    assert position.sellable == 1000  # the day's buys: sellable tomorrow
    assert _status(svc, "fill") is OrderStatus.FILLED  # still listed after the close

    await svc.start_day(date(2026, 11, 26))

    position = svc.core.state.ledger.position(PAPER, PF)
    assert position.sellable == position.total
    assert _status(svc, "fill") is None


async def test_evening_when_broker_releases_t1_before_our_midnight_no_drift_no_double_release(
    start: Start,
) -> None:
    # Some brokers' night clearing comes before our midnight: the evening's reconcile sees
    # the day's buys sellable. Not a drift (no alert); our roll then must not add them again.
    svc, alerts = await start(
        datetime(2026, 11, 25, 14, 50, tzinfo=CST), sim={"t1_release_at": "20:00"}
    )
    signals: list[Any] = []
    observe = svc.core.on_signal
    svc.core.on_signal = lambda e: (signals.append(e), observe(e))  # type: ignore[func-returns-value]
    await _trade(svc)
    venue: Any = svc.core.accounts[PAPER].venue
    svc.clock.set(datetime(2026, 11, 25, 15, 1, tzinfo=CST))  # type: ignore[attr-defined]
    await venue.sync()
    await _settle(svc)
    await svc.end_of_day(WED)
    await venue.advance_to(datetime(2026, 11, 25, 20, 30, tzinfo=CST))

    report = await svc.reconciler.reconcile(PAPER, "timer")

    held = venue.exchange.accounts[PAPER].holdings[PF]
    position = svc.core.state.ledger.position(PAPER, PF)
    assert report is not None
    assert report.clean
    assert not [e for e in signals if isinstance(e, ReconciliationMismatch)]
    assert not {"RECONCILIATION_MISMATCH", "RECONCILE_MISMATCH"} & {c for _, c in alerts}
    assert position.total == held.total >= 1100
    assert position.sellable == held.sellable == position.total  # released, by the broker

    await svc.start_day(date(2026, 11, 26))

    position = svc.core.state.ledger.position(PAPER, PF)
    assert position.sellable == held.sellable == position.total  # not released twice


async def _link_down_at_the_close(start: Start) -> tuple[ExecutionService, Any, list[Any]]:
    """Wednesday: trade at 14:50, the venue out of reach from 14:55; the end of day waits."""
    svc, alerts = await start(datetime(2026, 11, 25, 14, 50, tzinfo=CST))
    await _trade(svc)
    venue: Any = svc.core.accounts[PAPER].venue
    venue.disconnect("client closed", auto_reconnect=False)
    await venue.advance_to(datetime(2026, 11, 25, 15, 35, tzinfo=CST))  # the close: unseen
    await _settle(svc)

    with pytest.raises(ActionDeferred):
        await svc.end_of_day(WED)
    with pytest.raises(ActionDeferred):  # the scheduler's retry, still out of reach
        await svc.end_of_day(WED)

    assert [c for _, c in alerts].count("END_OF_DAY_DEFERRED") == 1
    assert not svc.is_archived(WED)
    assert svc.status()["end_of_day_waiting"] == "2026-11-25"
    assert _status(svc, "rest") is OrderStatus.NEW  # not expired blind
    return svc, venue, alerts


async def test_end_of_day_when_venue_out_of_reach_waits_and_closes_with_it_when_back(
    start: Start, tmp_path: Path
) -> None:
    svc, venue, _ = await _link_down_at_the_close(start)
    venue.reconnect()
    await _settle(svc)

    await svc.end_of_day(WED)

    assert svc.status()["end_of_day_waiting"] is None
    archived = _archived(tmp_path, WED)
    at_venue = {str(o.client_order_id): o for o in venue.exchange.order_reports(PAPER)}
    assert archived["rest"]["status"] == "EXPIRED"
    assert archived["rest"]["message"] != CLOSED_UNSEEN  # the venue's own expiry
    assert {k: (v["status"], v["filled_qty"]) for k, v in archived.items()} == {
        k: (o.status.value, o.filled_qty) for k, o in at_venue.items()
    }


async def test_end_of_day_waiting_for_the_venue_runs_as_soon_as_it_is_back(
    start: Start, tmp_path: Path
) -> None:
    svc, venue, _ = await _link_down_at_the_close(start)
    at = svc.clock.now()

    venue.reconnect()  # the scheduler's retry is 30 s of the clock away; it does not wait
    for _ in range(100):
        if svc.is_archived(WED):
            break
        await asyncio.sleep(0.02)

    assert svc.clock.now() == at
    assert svc.is_archived(WED)
    assert _archived(tmp_path, WED)["rest"]["message"] != CLOSED_UNSEEN


async def test_end_of_day_when_venue_out_of_reach_until_midnight_the_day_start_closes_it(
    start: Start, tmp_path: Path
) -> None:
    svc, _, alerts = await _link_down_at_the_close(start)
    svc.clock.set(datetime(2026, 11, 26, 0, 0, 1, tzinfo=CST))  # type: ignore[attr-defined]

    await svc.begin_day(date(2026, 11, 26))

    archived = _archived(tmp_path, WED)
    assert (archived["rest"]["status"], archived["rest"]["message"]) == ("EXPIRED", CLOSED_UNSEEN)
    assert archived["fill"]["status"] == "FILLED"
    assert ("warning", "MISSED_CLOSE") in alerts
    assert svc.status()["end_of_day_waiting"] is None
    assert svc.core.state.ledger.trading_day(PAPER) == date(2026, 11, 26)
    assert _status(svc, "rest") is None  # the new day started: the old orders left the book


async def test_day_start_when_a_report_dated_the_new_day_came_first_still_closes_the_old_day(
    start: Start, tmp_path: Path
) -> None:
    # The venue comes back just after midnight and tells of a fill of yesterday's resting
    # order before the day start runs: an event dated today must not hide the day to close.
    svc, _, alerts = await _link_down_at_the_close(start)
    svc.clock.set(datetime(2026, 11, 26, 0, 0, 1, tzinfo=CST))  # type: ignore[attr-defined]
    svc.core.on_report(_late_fill(svc, "rest", datetime(2026, 11, 26, 0, 0, 1, tzinfo=CST)))
    await svc.core.drain()
    assert svc.last_active_day() == date(2026, 11, 26)

    await svc.begin_day(date(2026, 11, 26))

    assert ("warning", "MISSED_CLOSE") in alerts
    assert _archived(tmp_path, WED)["fill"]["status"] == "FILLED"
    assert svc.core.state.ledger.trading_day(PAPER) == date(2026, 11, 26)


async def test_start_when_the_venue_reports_while_connecting_closes_the_missed_day_first(
    start: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc, _ = await start(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
    await _trade(svc)  # then stopped before the end of day
    thursday = datetime(2026, 11, 26, 9, 20, tzinfo=CST)
    connect = SimVenue.connect
    reports: list[Any] = []

    async def connect_and_report(venue: SimVenue) -> None:
        # A terminal that replays a push of yesterday's order as the session comes up.
        await connect(venue)
        reports.append(_late_fill(svc, "rest", thursday))
        sink = venue._sink
        assert sink is not None
        sink(reports[-1])

    monkeypatch.setattr(SimVenue, "connect", connect_and_report)

    svc, alerts = await start(thursday)

    assert reports
    assert ("warning", "MISSED_CLOSE") in alerts
    assert _archived(tmp_path, WED)["rest"]["message"] == CLOSED_UNSEEN
    assert svc.core.state.ledger.trading_day(PAPER) == date(2026, 11, 26)


def _late_fill(svc: ExecutionService, coid: str, at: datetime) -> OrderFilled:
    order = svc.core.state.book.get(PAPER, ClientOrderId(coid))
    assert order is not None
    assert order.spec.price is not None
    return OrderFilled(account_id=PAPER, client_order_id=ClientOrderId(coid), ts_event=at,
                       trade_id="LATE1", instrument_id=PF, side=order.spec.side, last_qty=100,
                       last_px=order.spec.price, fee=Decimal("5"))  # fmt: skip


async def test_end_of_day_when_venue_out_of_reach_and_no_orders_today_closes_at_once(
    start: Start,
) -> None:
    svc, alerts = await start(datetime(2026, 11, 25, 15, 30, tzinfo=CST))
    venue: Any = svc.core.accounts[PAPER].venue
    venue.disconnect("client closed", auto_reconnect=False)

    await svc.end_of_day(WED)

    assert svc.is_archived(WED)
    assert "END_OF_DAY_DEFERRED" not in [c for _, c in alerts]


async def test_start_today_when_today_has_activity_does_not_roll_in_the_middle_of_it(
    start: Start,
) -> None:
    # A journal written by a version that rolled at the end of day: its last roll is
    # yesterday's, yet a restart in the middle of today must not evict today's orders
    # (their ids would become reusable) or release today's buys.
    svc, _ = await start(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
    await _trade(svc)
    svc.core.state.ledger._day[PAPER] = date(2026, 11, 24)

    await svc.start_today()

    assert _status(svc, "fill") is OrderStatus.FILLED
    assert svc.core.state.ledger.position(PAPER, PF).sellable == 1000
    assert svc.core.state.ledger.trading_day(PAPER) == date(2026, 11, 24)


async def test_start_on_the_same_day_after_a_stop_closes_nothing(
    start: Start, tmp_path: Path
) -> None:
    svc, _ = await start(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
    await _trade(svc)

    svc, alerts = await start(datetime(2026, 11, 25, 10, 30, tzinfo=CST))

    assert "MISSED_CLOSE" not in {code for _, code in alerts}
    assert not (tmp_path / "data" / "archive" / "2026-11-25").exists()
    # still today's order, as the venue has it (it may have filled meanwhile), not expired
    venue = svc.core.accounts[PAPER].venue
    at_venue = await venue.query_order(PAPER, ClientOrderId("rest"))
    assert at_venue is not None
    assert _status(svc, "rest") is at_venue.status is not OrderStatus.EXPIRED


async def test_start_after_a_normal_end_of_day_closes_nothing_again(
    start: Start, tmp_path: Path
) -> None:
    await _trade_and_close_wednesday(start)
    assert _archived(tmp_path, WED)["rest"]["status"] == "EXPIRED"

    svc, alerts = await start(datetime(2026, 11, 26, 9, 20, tzinfo=CST))

    assert "MISSED_CLOSE" not in {code for _, code in alerts}
    assert svc.missed_close() is None


async def test_start_when_the_day_expired_but_its_archive_is_missing_writes_the_archive(
    start: Start, tmp_path: Path
) -> None:
    # A crash between the expiries (journaled) and the archive (files) at the end of day.
    await _trade_and_close_wednesday(start)
    shutil.rmtree(tmp_path / "data" / "archive" / "2026-11-25")

    svc, alerts = await start(datetime(2026, 11, 26, 9, 20, tzinfo=CST))

    assert ("warning", "MISSED_CLOSE") in alerts
    archived = _archived(tmp_path, WED)
    assert archived["rest"]["status"] == "EXPIRED"
    assert archived["rest"]["message"] != CLOSED_UNSEEN  # expired by the real end of day
    assert svc.missed_close() is None


async def test_start_when_the_day_was_archived_but_its_audit_not_sealed_seals_it(
    start: Start, tmp_path: Path
) -> None:
    # A crash between the archive and the audit seal at the end of day.
    await _trade_and_close_wednesday(start)
    folder = tmp_path / "data" / "archive" / "2026-11-25"
    sealed = sorted(p.name for p in folder.iterdir())
    for name in ("audit-2026-11-25.jsonl", "audit-2026-11-25.seal.json"):
        (folder / name).unlink()

    svc, alerts = await start(datetime(2026, 11, 26, 9, 20, tzinfo=CST))

    assert ("warning", "MISSED_CLOSE") in alerts
    assert sorted(p.name for p in folder.iterdir()) == sealed
    assert "AUDIT_FAILED" not in {code for _, code in alerts}
    assert svc.missed_close() is None


async def test_missed_close_when_journal_is_empty_is_none(start: Start) -> None:
    svc, alerts = await start(datetime(2026, 11, 26, 9, 20, tzinfo=CST))

    assert svc.missed_close() is None
    assert "MISSED_CLOSE" not in {code for _, code in alerts}
    assert svc.core.state.ledger.trading_day(PAPER) == date(2026, 11, 26)  # started today


async def test_start_after_a_weekend_run_closes_the_friday_not_the_saturday(
    start: Start, tmp_path: Path
) -> None:
    # Friday: trades, then down at the close. Saturday: a start closes Friday and its
    # reconcile journals corrections dated Saturday. Monday: nothing is left to close.
    svc, _ = await start(datetime(2026, 11, 27, 10, 0, tzinfo=CST))
    await _trade(svc)
    svc, alerts = await start(datetime(2026, 11, 28, 10, 0, tzinfo=CST))
    assert ("warning", "MISSED_CLOSE") in alerts
    assert svc.last_active_day() == date(2026, 11, 28)  # the reconcile's corrections

    svc, alerts = await start(datetime(2026, 11, 30, 9, 20, tzinfo=CST))

    assert "MISSED_CLOSE" not in {code for _, code in alerts}
    assert sorted(p.name for p in (tmp_path / "data" / "archive").iterdir()) == ["2026-11-27"]


async def test_start_after_a_missed_close_lets_yesterdays_client_order_ids_be_used_again(
    start: Start,
) -> None:
    # Ids are unique per account and trading day (strategies often restart their counters
    # each morning): yesterday's "fill" must not answer for today's order of the same id.
    svc, _ = await start(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
    await _trade(svc)
    svc, _ = await start(datetime(2026, 11, 26, 9, 35, tzinfo=CST))
    quote = svc.core.quotes(PF)
    assert quote is not None
    assert quote.best_ask is not None
    body = OrderIn(
        account_id=PAPER,
        symbol=str(PF),
        side="BUY",
        qty=100,
        price=quote.best_ask,
        client_order_id="fill",
    )

    view = await svc.submit(body)

    assert view["created"] is True
    await _settle(svc)
    order = svc.core.state.book.get(PAPER, ClientOrderId("fill"))
    assert order is not None
    assert order.ts_created.date() == date(2026, 11, 26)


async def test_end_of_day_when_the_archive_cannot_be_written_alerts_and_tries_again(
    start: Start, tmp_path: Path
) -> None:
    svc, alerts = await start(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
    await _trade(svc)
    svc.clock.set(datetime(2026, 11, 25, 15, 35, tzinfo=CST))  # type: ignore[attr-defined]
    blocker = tmp_path / "data" / "archive"
    blocker.write_text("not a folder", encoding="utf-8")  # the archive cannot be written

    with pytest.raises(ActionDeferred):
        await svc.end_of_day(WED)
    with pytest.raises(ActionDeferred):
        await svc.end_of_day(WED)

    assert [c for _, c in alerts].count("ARCHIVE_FAILED") == 1
    assert not svc.is_archived(WED)
    assert svc.status()["end_of_day_waiting"] == "2026-11-25"
    blocker.unlink()  # the operator frees the path: the next try completes the day

    await svc.end_of_day(WED)

    assert svc.is_archived(WED)
    assert _archived(tmp_path, WED)["fill"]["status"] == "FILLED"
    assert svc.status()["end_of_day_waiting"] is None


async def test_archive_takes_the_reconciliation_reports_written_since_the_previous_one(
    start: Start, tmp_path: Path
) -> None:
    reports = tmp_path / "data" / "reconcile"
    svc, _ = await start(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
    await _trade(svc)
    await svc.end_of_day(WED)
    wednesday = sorted((tmp_path / "data" / "archive" / "2026-11-25" / "reconcile").iterdir())
    await svc.reconciler.reconcile(PAPER, "operator")  # in the evening, after the archive
    evening = sorted(p.name for p in reports.glob("*.json"))

    svc, _ = await start(datetime(2026, 11, 26, 15, 40, tzinfo=CST))
    await svc.end_of_day(date(2026, 11, 26))

    assert any(p.name.endswith("-start.json") for p in wednesday)  # the morning's start-up
    assert all(p.stat().st_mode & 0o222 == 0 for p in wednesday)  # read-only, as the archive
    assert [n for n in evening if n.endswith("-operator.json")] == evening  # only the new one
    thursday = tmp_path / "data" / "archive" / "2026-11-26" / "reconcile"
    assert set(evening) <= {p.name for p in thursday.iterdir()}
    assert not {p.name for p in thursday.iterdir()} & {p.name for p in wednesday}
    assert list(reports.glob("*")) == []  # nothing left behind, no half-written file


async def test_archive_when_the_end_of_day_runs_again_its_report_joins_the_days_archive(
    start: Start, tmp_path: Path
) -> None:
    # A restart in the evening runs the end of day again (so may the scheduler, beside an
    # operator's call): the archive is not written twice, but that run's report is filed.
    svc, _ = await start(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
    await _trade(svc)
    await svc.end_of_day(WED)
    svc.clock.set(datetime(2026, 11, 25, 16, 0, tzinfo=CST))  # type: ignore[attr-defined]
    await svc.end_of_day(WED)

    filed = [p.name for p in (tmp_path / "data" / "archive" / "2026-11-25" / "reconcile").iterdir()]
    assert sum(name.endswith("-end_of_day.json") for name in filed) == 2
    assert list((tmp_path / "data" / "reconcile").glob("*")) == []
