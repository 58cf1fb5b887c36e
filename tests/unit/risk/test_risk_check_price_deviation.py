"""check_price_deviation: fat-finger guard against the last price (else previous close)."""

from __future__ import annotations

import pytest
from risk_helpers import ctx, order, quote

from ashare_exec.model import PriceType, Side
from ashare_exec.risk.checks import check_price_deviation


@pytest.mark.parametrize(
    ("price", "last", "max_dev", "ok"),
    [
        ("10.50", "10.00", "0.05", True),  # exactly 5%
        ("10.51", "10.00", "0.05", False),
        ("9.50", "10.00", "0.05", True),
        ("9.49", "10.00", "0.05", False),
        ("10.90", "10.00", False, True),  # switched off
        ("10.80", "10.40", "0.05", True),  # measured from last, not prev close
    ],
)
def test_price_deviation_when_price_moves_from_reference_denies_beyond_limit(
    price: str, last: str, max_dev: object, ok: bool
) -> None:
    c = ctx(order(price=price), quote=quote(last=last), limits={"max_price_deviation": max_dev})

    r = check_price_deviation(c)

    assert r.ok is ok
    assert r.reason_code == (None if ok else "PRICE_DEVIATION")


def test_price_deviation_when_no_quote_uses_previous_close() -> None:
    r = check_price_deviation(ctx(order(price="10.60"), quote=None))

    assert r.reason_code == "PRICE_DEVIATION"


def test_price_deviation_when_market_order_without_protection_passes() -> None:
    cmd = order(side=Side.SELL, price=None, price_type=PriceType.BEST5_IOC)

    assert check_price_deviation(ctx(cmd)).ok
