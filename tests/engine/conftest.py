"""Fixtures: an execution core on the real journal and OMS, with a scripted venue."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.clock import CST, SimClock
from ashare_exec.engine.account_view import OmsAccountView
from ashare_exec.engine.core import AccountRuntime, ExecutionCore
from ashare_exec.engine.pretrade import RulesAndRisk
from ashare_exec.journal.sqlite import Journal
from ashare_exec.model import AccountId, CashReport
from ashare_exec.oms.idempotency import ClientOrderIdMinter
from ashare_exec.oms.state import OmsState
from ashare_exec.refdata import load_calendar, load_instruments, sample_instruments_path
from ashare_exec.risk.engine import RiskEngine
from ashare_exec.rules import FeeSchedule, TradingCalendar, estimate_fees
from tests.engine.fakes import ScriptedVenue

ACC = AccountId("acc")
_CAL: list[TradingCalendar] = []


def calendar() -> TradingCalendar:
    if not _CAL:
        _CAL.append(load_calendar())
    return _CAL[0]


@dataclass
class Rig:
    clock: SimClock
    core: ExecutionCore
    venue: ScriptedVenue
    journal: Journal
    alerts: list[tuple[str, str, str, dict[str, Any]]] = field(default_factory=list)
    reconciles: list[tuple[str, str]] = field(default_factory=list)
    published: list[Any] = field(default_factory=list)


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    clock = SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST))
    instruments = load_instruments(sample_instruments_path())
    schedule = FeeSchedule()

    def fee(iid: Any, side: Any, qty: int, px: Decimal) -> Decimal:
        return estimate_fees(instruments[iid], side, qty, px, clock.now().date(), schedule).total

    state = OmsState.new(fee)
    cash = CashReport(account_id=ACC, available=Decimal(1_000_000), frozen=Decimal(0))
    state.ledger.apply_broker_snapshot(ACC, [], cash, clock.now())
    journal = Journal.open(tmp_path / "journal.sqlite3", durability="fast")
    venue = ScriptedVenue(clock, (ACC,))
    views = {ACC: OmsAccountView(state, ACC, instruments, lambda _i: None)}
    risk = RiskEngine(calendar=calendar(), fee_schedule=schedule)
    pretrade = RulesAndRisk(calendar(), risk, views, instruments)
    alerts: list[Any] = []
    reconciles: list[Any] = []
    published: list[Any] = []
    core = ExecutionCore(
        clock=clock,
        state=state,
        journal=journal,
        accounts={ACC: AccountRuntime(ACC, venue, ClientOrderIdMinter(clock.now().date()))},
        instruments=instruments,
        pretrade=pretrade,
        quotes=lambda _i: None,
        publish=published.append,
        alert=lambda *a: alerts.append(a),
        request_reconcile=lambda a, why: reconciles.append((a, why)),
        inflight_timeout_s=0.05,
    )
    venue.set_report_sink(core.on_report)
    core.start()
    await venue.connect()
    await core.drain()
    core.accounts[ACC].reconciled = True
    core.accepting = True
    rig = Rig(clock, core, venue, journal, alerts, reconciles, published)
    yield rig
    await core.stop()
    journal.close()
