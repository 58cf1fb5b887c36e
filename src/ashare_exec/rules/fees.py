"""Fee model (§9): stamp duty, transfer fee, handling fee, CSRC fee and commission, dated.

Statutory rates come from dated tables; a :class:`FeeSchedule` carries the account's
negotiated commission and may override any statutory rate (e.g. a broker that quotes a
commission *including* handling and CSRC fees).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ashare_exec.model import Exchange, Instrument, ProductType, Side
from ashare_exec.model.numbers import money
from ashare_exec.rules.dated import in_force

__all__ = ["FeeSchedule", "Fees", "estimate_fees", "statutory_rates"]

_ZERO = Decimal(0)

# (effective, rate, seller_only) [V] MR:cn.fee.stamp_duty_sell.*
STAMP_DUTY = (
    (date(2008, 4, 24), (Decimal("0.001"), False)),
    (date(2008, 9, 19), (Decimal("0.001"), True)),
    (date(2023, 8, 28), (Decimal("0.0005"), True)),
)
# Transfer fee, each side, of turnover [V] MR:cn.fee.transfer_fee_each_side.*
TRANSFER_FEE = ((date(2015, 8, 1), Decimal("0.00002")), (date(2022, 4, 29), Decimal("0.00001")))
# Exchange handling fee, each side [S] DBL fees.py; funds and bonds use the stock rate [U].
HANDLING_FEE = ((date(2015, 8, 1), Decimal("0.0000487")), (date(2023, 8, 28), Decimal("0.0000341")))
HANDLING_FEE_BSE = (
    (date(2021, 11, 15), Decimal("0.00025")),
    (date(2023, 8, 28), Decimal("0.000125")),
)
# CSRC regulatory fee, each side [S].
CSRC_FEE = ((date(2015, 8, 1), Decimal("0.00002")),)

_STAMP_PRODUCTS = frozenset({ProductType.STOCK, ProductType.CDR, ProductType.B_SHARE})
_TRANSFER_PRODUCTS = frozenset({ProductType.STOCK, ProductType.CDR})


@dataclass(frozen=True, slots=True)
class Fees:
    """Estimated fees of one fill or order, each rounded half-up to the cent."""

    commission: Decimal
    stamp_duty: Decimal
    transfer_fee: Decimal
    handling_fee: Decimal
    csrc_fee: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class FeeSchedule:
    """An account's fee terms. ``None`` rates mean "the statutory rate in force that day".

    Overrides change a rate where the fee applies; they never make a fee apply where the
    law does not (stamp duty on a buy, transfer fee on a fund).
    ``commission_includes_exchange_fees``: the broker's commission already contains the
    handling and CSRC fees (common in China); then they are not charged again. The default
    (False) charges them separately, which over-estimates slightly: the safe side for cash
    checks.
    """

    commission_rate: Decimal = Decimal("0.00025")
    commission_min: Decimal = Decimal(5)
    commission_rate_by_product: Mapping[ProductType, Decimal] = field(
        default_factory=dict, hash=False
    )
    commission_min_by_product: Mapping[ProductType, Decimal] = field(
        default_factory=dict, hash=False
    )
    commission_includes_exchange_fees: bool = False
    stamp_duty_rate: Decimal | None = None
    transfer_fee_rate: Decimal | None = None
    handling_fee_rate: Decimal | None = None
    csrc_fee_rate: Decimal | None = None


def statutory_rates(inst: Instrument, side: Side, day: date) -> dict[str, Decimal]:
    """The statutory rates (fractions of turnover) for ``inst`` on ``side`` on ``day``."""
    product = inst.product
    stamp = _ZERO
    if product in _STAMP_PRODUCTS:
        rate, seller_only = in_force(STAMP_DUTY, day)
        stamp = rate if (side is Side.SELL or not seller_only) else _ZERO
    transfer = in_force(TRANSFER_FEE, day) if product in _TRANSFER_PRODUCTS else _ZERO
    if product in (ProductType.REPO, ProductType.INDEX):
        handling = csrc = _ZERO
    else:
        table = HANDLING_FEE_BSE if inst.instrument_id.exchange is Exchange.BJ else HANDLING_FEE
        handling = in_force(table, day)
        csrc = in_force(CSRC_FEE, day)
    return {
        "stamp_duty": stamp,
        "transfer_fee": transfer,
        "handling_fee": handling,
        "csrc_fee": csrc,
    }


def estimate_fees(
    inst: Instrument,
    side: Side,
    qty: int,
    price: Decimal,
    day: date,
    schedule: FeeSchedule,
) -> Fees:
    """Estimate the fees of trading ``qty`` at ``price`` on ``day`` under ``schedule``.

    Commission is ``max(rate × turnover, minimum)`` (no commission on a zero quantity).
    """
    turnover = price * qty
    rates = statutory_rates(inst, side, day)
    product = inst.product
    c_rate = schedule.commission_rate_by_product.get(product, schedule.commission_rate)
    c_min = schedule.commission_min_by_product.get(product, schedule.commission_min)
    commission = money(max(turnover * c_rate, c_min) if qty > 0 else _ZERO)

    def pick(override: Decimal | None, statutory: Decimal) -> Decimal:
        # An override changes the rate, never whether the fee applies (e.g. stamp duty
        # stays seller-only).
        return statutory if override is None or statutory == 0 else override

    stamp = money(turnover * pick(schedule.stamp_duty_rate, rates["stamp_duty"]))
    transfer = money(turnover * pick(schedule.transfer_fee_rate, rates["transfer_fee"]))
    if schedule.commission_includes_exchange_fees:
        handling = csrc = money(_ZERO)
    else:
        handling = money(turnover * pick(schedule.handling_fee_rate, rates["handling_fee"]))
        csrc = money(turnover * pick(schedule.csrc_fee_rate, rates["csrc_fee"]))
    total = commission + stamp + transfer + handling + csrc
    return Fees(commission, stamp, transfer, handling, csrc, total)
