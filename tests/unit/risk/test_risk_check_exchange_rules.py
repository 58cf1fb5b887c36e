"""check_exchange_rules: every reason of rules.validate_order passes through the engine."""

from __future__ import annotations

from datetime import datetime

import pytest
from risk_helpers import T0, ctx, engine, inst, order, quote

from ashare_exec.clock import CST
from ashare_exec.model import Side
from ashare_exec.risk import InMemoryAccount
from ashare_exec.risk.checks import check_exchange_rules

AUCTION = datetime(2026, 11, 25, 9, 20, tzinfo=CST)


@pytest.mark.parametrize(
    ("cmd", "now", "expected"),
    [
        (order(qty=100, price="10.00"), T0, ()),
        (order(qty=150, price="10.00"), T0, ("QTY_NOT_LOT_MULTIPLE",)),
        (order(qty=100, price="10.005"), T0, ("PRICE_OFF_TICK",)),
        (order(qty=100, price="11.01"), T0, ("PRICE_ABOVE_LIMIT_UP",)),
        (order(qty=100, price="11.00"), AUCTION, ()),  # limit-up itself; no cage in auction
        (
            order(qty=100, price="10.00"),
            datetime(2026, 11, 28, 10, 0, tzinfo=CST),
            ("MARKET_CLOSED",),
        ),  # a Saturday
        (order(side=Side.SELL, qty=50, price="10.00"), T0, ("ODD_LOT_SELL_NOT_WHOLE",)),
    ],
)
def test_exchange_rules_when_order_breaks_rule_engine_returns_its_code(
    cmd: object, now: datetime, expected: tuple[str, ...], account: InMemoryAccount
) -> None:
    e = engine(max_price_deviation=False, disabled_checks=["duplicate"])

    d = e.check_order(cmd, inst(), quote(), account, now)  # type: ignore[arg-type]

    for code in expected:
        assert code in d.reasons
    assert d.allowed is (expected == ())


def test_exchange_rules_when_several_rules_break_returns_all_codes() -> None:
    r = check_exchange_rules(ctx(exchange_reasons=("PRICE_OFF_TICK", "QTY_BELOW_MIN")))

    assert r.codes == ("PRICE_OFF_TICK", "QTY_BELOW_MIN")


def test_exchange_rules_when_disabled_engine_skips_validator(account: InMemoryAccount) -> None:
    e = engine(disabled_checks=["exchange_rules"])

    d = e.check_order(order(qty=150), inst(), quote(), account, T0)

    assert d.allowed


def test_exchange_rules_when_suspended_denies(account: InMemoryAccount) -> None:
    d = engine().check_order(order(), inst(suspended=True), quote(), account, T0)

    assert "SYMBOL_SUSPENDED" in d.reasons
