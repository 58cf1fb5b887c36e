"""Builders shared by the rules tests."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ashare_exec.clock import CST
from ashare_exec.model import AccountId, Instrument, InstrumentId, PriceType, Side, SubmitOrder
from ashare_exec.rules import TradingCalendar, classify

# The 2026 weekday closures (fact sheet §7.2); complete through 2026.
HOLIDAYS_2026 = frozenset(
    date.fromisoformat(d)
    for d in [
        "2026-01-01",
        "2026-01-02",
        "2026-02-16",
        "2026-02-17",
        "2026-02-18",
        "2026-02-19",
        "2026-02-20",
        "2026-02-23",
        "2026-04-06",
        "2026-05-01",
        "2026-05-04",
        "2026-05-05",
        "2026-06-19",
        "2026-09-25",
        "2026-10-01",
        "2026-10-02",
        "2026-10-05",
        "2026-10-06",
        "2026-10-07",
    ]
)
CAL = TradingCalendar(HOLIDAYS_2026, date(2026, 12, 31))


def inst(symbol: str, prev_close: str = "10.00", **kw: Any) -> Instrument:
    """An instrument classified from its code."""
    iid = InstrumentId.parse(symbol)
    c = classify(iid)
    kw.setdefault("board", c.board)
    kw.setdefault("product", c.product)
    return Instrument(iid, kw.pop("name", symbol), prev_close=Decimal(prev_close), **kw)


def order(
    symbol: str,
    side: Side = Side.BUY,
    qty: int = 100,
    price: str | None = "10.00",
    price_type: PriceType = PriceType.LIMIT,
    protection: str | None = None,
) -> SubmitOrder:
    """A SubmitOrder."""
    return SubmitOrder(
        AccountId("acc"),
        InstrumentId.parse(symbol),
        side,
        qty,
        price_type=price_type,
        price=None if price is None else Decimal(price),
        protection_price=None if protection is None else Decimal(protection),
    )


def at(text: str) -> datetime:
    """``2026-11-25 10:00`` in CST."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)
