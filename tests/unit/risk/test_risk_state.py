"""Persistence: to_state / restore keeps trading state, counters and protections."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from risk_helpers import T0, engine, inst, order, quote

from ashare_exec.model import TradingState
from ashare_exec.risk import InMemoryAccount, RiskEngine


def _restart(e: RiskEngine) -> RiskEngine:
    blob = json.dumps(e.to_state())  # what the journal stores
    fresh = RiskEngine(e.config)
    fresh.restore(json.loads(blob))
    return fresh


def test_restore_when_restarted_keeps_trading_states() -> None:
    e = engine()
    e.set_trading_state("acc1", TradingState.HALTED, actor="ops", now=T0, reason="drill")
    e.set_trading_state("*", TradingState.REDUCE_ONLY, actor="ops", now=T0)

    r = _restart(e)

    assert r.trading_state("acc1") is TradingState.HALTED
    assert r.trading_state("acc2") is TradingState.REDUCE_ONLY
    assert r.to_state() == e.to_state()


def test_restore_when_restarted_keeps_stops_and_they_still_fire(
    account: InMemoryAccount,
) -> None:
    e = engine(order_ttl_s=60)
    e.stops.set_stop("acc1", "600000.SH", stop_loss=Decimal("9.50"), take_profit=Decimal("12"))
    e.watch_order(order(), "c1", T0)

    r = _restart(e)

    assert r.stops.stops == e.stops.stops
    assert len(r.on_quote(quote(last="9.40"), inst(), {"acc1": account}, T0).actions) == 1
    assert len(r.on_time(T0 + timedelta(seconds=60)).actions) == 1


def test_restore_when_restarted_keeps_daily_counts_and_cooldown(
    account: InMemoryAccount,
) -> None:
    e = engine(max_daily_orders=2)
    e.check_order(order(price="10.00"), inst(), quote(), account, T0)
    e.check_order(order(price="10.01"), inst(), quote(), account, T0)

    r = _restart(e)
    d = r.check_order(order(price="10.02"), inst(), quote(), account, T0 + timedelta(seconds=5))

    assert d.reasons == ("DAILY_COUNT_LIMIT",)
    assert r.evidence("acc1", "2026-11-25").orders == 2
