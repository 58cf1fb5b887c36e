"""RiskEngine.check_order: all reasons, switches, recording, never raising."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from risk_helpers import T0, StubView, engine, inst, order, quote

from ashare_exec.model import PriceType, Side
from ashare_exec.risk import InMemoryAccount, PositionView


def test_check_order_when_valid_allows(account: InMemoryAccount) -> None:
    d = engine().check_order(order(), inst(), quote(), account, T0)

    assert d.allowed
    assert d.reasons == ()


def test_check_order_when_many_rules_break_returns_every_reason() -> None:
    view = StubView(cash=Decimal(10), pos=PositionView())
    e = engine(max_order_qty=100, blacklist=["600000.SH"])

    d = e.check_order(order(qty=150, price="10.60"), inst(), quote(), view, T0)

    assert not d.allowed
    assert set(d.reasons) >= {
        "QTY_NOT_LOT_MULTIPLE",
        "BLACKLISTED",
        "ORDER_QTY_LIMIT",
        "PRICE_DEVIATION",
        "INSUFFICIENT_CASH",
    }
    assert len(d.reasons) == len(set(d.reasons))
    assert len(d.messages) >= 4


def test_check_order_when_oversell_reports_insufficient_position_once(
    account: InMemoryAccount,
) -> None:
    d = engine().check_order(order(side=Side.SELL, qty=2000), inst(), quote(), account, T0)

    assert d.reasons.count("INSUFFICIENT_POSITION") == 1


def test_check_order_when_check_disabled_skips_it(account: InMemoryAccount) -> None:
    e = engine(max_order_qty=100, disabled_checks=["order_qty"])

    assert e.check_order(order(qty=200), inst(), quote(), account, T0).allowed


def test_check_order_when_view_raises_denies_without_raising() -> None:
    class Broken(StubView):
        def available_cash(self) -> Decimal:
            raise RuntimeError("ledger gone")

    d = engine().check_order(order(), inst(), quote(), Broken(), T0)

    assert not d.allowed
    assert d.reasons == ("RISK_CHECK_ERROR",)


def test_check_order_when_position_call_raises_denies_without_raising() -> None:
    class Broken(StubView):
        def position(self, instrument_id: object) -> PositionView | None:
            raise KeyError(instrument_id)

    d = engine().check_order(order(), inst(), quote(), Broken(), T0)

    assert d.reasons == ("RISK_CHECK_ERROR",)


def test_check_order_when_market_buy_prices_cash_at_limit_up() -> None:
    view = StubView(cash=Decimal("1099"))
    cmd = order(price=None, price_type=PriceType.BEST5_IOC)

    d = engine().check_order(cmd, inst(), quote(), view, T0)

    assert "INSUFFICIENT_CASH" in d.reasons  # 100 × 11.00 + fees > 1099


def test_check_order_when_identical_orders_repeat_denies_the_fourth(
    account: InMemoryAccount,
) -> None:
    e = engine()
    results = [
        e.check_order(order(), inst(), quote(), account, T0 + timedelta(milliseconds=100 * i))
        for i in range(4)
    ]

    assert [r.allowed for r in results] == [True, True, True, False]
    assert results[3].reasons == ("DUPLICATE_ORDER",)


def test_check_order_when_record_false_does_not_count(account: InMemoryAccount) -> None:
    e = engine(max_msgs_per_second=1)
    e.check_order(order(), inst(), quote(), account, T0, record=False)

    d = e.check_order(order(), inst(), quote(), account, T0)

    assert d.allowed


def test_check_order_when_denied_counts_denials_in_evidence(account: InMemoryAccount) -> None:
    e = engine(max_order_qty=100)
    e.check_order(order(qty=200), inst(), quote(), account, T0)

    pack = e.evidence("acc1", "2026-11-25")

    assert pack.denials == {"ORDER_QTY_LIMIT": 1}
    assert pack.orders == 0
