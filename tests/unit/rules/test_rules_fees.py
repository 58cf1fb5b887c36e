"""The dated fee model (fact sheet §9)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rules_helpers import inst

from ashare_exec.model import ProductType, Side
from ashare_exec.rules import FeeSchedule, estimate_fees

D = Decimal
BASE = FeeSchedule()


# turnover 100,000 = 10,000 x 10.00
@pytest.mark.parametrize(
    ("symbol", "side", "day", "stamp"),
    [
        ("600000.SH", Side.SELL, date(2023, 8, 25), "100.00"),  # 0.1% before 2023-08-28
        ("600000.SH", Side.SELL, date(2023, 8, 28), "50.00"),  # 0.05% from 2023-08-28
        ("600000.SH", Side.BUY, date(2023, 8, 25), "0.00"),  # seller only
        ("600000.SH", Side.BUY, date(2026, 11, 25), "0.00"),
        ("600000.SH", Side.BUY, date(2008, 5, 5), "100.00"),  # both sides until 2008-09-19
        ("600000.SH", Side.BUY, date(2008, 9, 19), "0.00"),
        ("900901.SH", Side.SELL, date(2026, 11, 25), "50.00"),  # B shares pay stamp duty
        ("510300.SH", Side.SELL, date(2026, 11, 25), "0.00"),  # funds do not
        ("113052.SH", Side.SELL, date(2026, 11, 25), "0.00"),  # bonds do not
    ],
)
def test_estimate_fees_when_date_and_side_given_applies_dated_stamp_duty(
    symbol: str, side: Side, day: date, stamp: str
) -> None:
    fees = estimate_fees(inst(symbol), side, 10_000, D("10.00"), day, BASE)
    assert fees.stamp_duty == D(stamp)


@pytest.mark.parametrize(
    ("symbol", "day", "transfer", "handling", "csrc"),
    [
        ("600000.SH", date(2022, 4, 28), "2.00", "4.87", "2.00"),
        ("600000.SH", date(2022, 4, 29), "1.00", "4.87", "2.00"),
        ("000001.SZ", date(2023, 8, 28), "1.00", "3.41", "2.00"),
        ("920163.BJ", date(2023, 8, 25), "1.00", "25.00", "2.00"),
        ("920163.BJ", date(2023, 8, 28), "1.00", "12.50", "2.00"),
        ("510300.SH", date(2026, 11, 25), "0.00", "3.41", "2.00"),
        ("204001.SH", date(2026, 11, 25), "0.00", "0.00", "0.00"),
    ],
)
def test_estimate_fees_when_date_given_applies_dated_exchange_fees(
    symbol: str, day: date, transfer: str, handling: str, csrc: str
) -> None:
    fees = estimate_fees(inst(symbol), Side.BUY, 10_000, D("10.00"), day, BASE)
    assert (fees.transfer_fee, fees.handling_fee, fees.csrc_fee) == (
        D(transfer),
        D(handling),
        D(csrc),
    )


@pytest.mark.parametrize(
    ("qty", "price", "commission"),
    [
        (10_000, "10.00", "25.00"),  # 0.025% of 100,000
        (100, "10.00", "5.00"),  # minimum 5
        (0, "10.00", "0"),  # nothing traded, nothing charged
    ],
)
def test_estimate_fees_when_turnover_small_charges_minimum_commission(
    qty: int, price: str, commission: str
) -> None:
    fees = estimate_fees(inst("600000.SH"), Side.BUY, qty, D(price), date(2026, 11, 25), BASE)
    assert fees.commission == D(commission)


def test_estimate_fees_when_total_computed_equals_sum_of_parts() -> None:
    f = estimate_fees(inst("600000.SH"), Side.SELL, 1234, D("12.34"), date(2026, 11, 25), BASE)
    assert f.total == f.commission + f.stamp_duty + f.transfer_fee + f.handling_fee + f.csrc_fee
    assert f.total > f.commission


def test_estimate_fees_when_account_overrides_given_uses_them() -> None:
    schedule = FeeSchedule(
        commission_rate=D("0.0001"),
        commission_min=D("0.1"),
        commission_rate_by_product={ProductType.ETF: D("0.00005")},
        commission_min_by_product={ProductType.ETF: D("0")},
        commission_includes_exchange_fees=True,
        stamp_duty_rate=D("0.001"),
    )
    day = date(2026, 11, 25)
    etf = estimate_fees(inst("510300.SH"), Side.BUY, 1000, D("4.000"), day, schedule)
    assert (etf.commission, etf.handling_fee, etf.csrc_fee) == (D("0.20"), D("0.00"), D("0.00"))
    sell = estimate_fees(inst("600000.SH"), Side.SELL, 1000, D("10.00"), day, schedule)
    assert (sell.commission, sell.stamp_duty) == (D("1.00"), D("10.00"))
    buy = estimate_fees(inst("600000.SH"), Side.BUY, 1000, D("10.00"), day, schedule)
    assert buy.stamp_duty == D("0.00")  # an override never makes stamp duty apply to buys
