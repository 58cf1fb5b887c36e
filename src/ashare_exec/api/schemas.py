"""Wire formats of requests (pydantic). Responses are plain JSON dicts built by the engine.

Prices travel as strings (or JSON numbers, converted exactly at this edge); quantities are
integers. Unknown fields are refused.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ashare_exec.model.numbers import to_decimal

MAX_PRICE = Decimal("1e9")
MAX_QTY = 10**12


def _dec(value: object) -> Decimal | None:
    if value is None:
        return None
    d = to_decimal(value)
    # No listed security trades near CNY 10^9; bounding here keeps absurd input out of the
    # exact-arithmetic core (and out of the journal).
    if abs(d) >= MAX_PRICE or d.as_tuple().exponent < -6:  # type: ignore[operator]
        raise ValueError(f"price out of range: {value!r}")
    return d


DecimalIn = Annotated[Decimal, BeforeValidator(_dec)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OrderIn(_Strict):
    """Submit (or validate) one order."""

    account_id: str = Field(min_length=1, max_length=32)
    symbol: str = Field(min_length=1, max_length=16, examples=["600000.SH"])
    side: Literal["BUY", "SELL"]
    qty: int = Field(strict=True, ge=-MAX_QTY, le=MAX_QTY)
    price_type: str = "LIMIT"
    price: DecimalIn | None = Field(default=None, examples=["10.00"])
    protection_price: DecimalIn | None = None
    time_in_force: Literal["DAY", "IOC", "FOK"] = "DAY"
    client_order_id: str | None = Field(default=None, max_length=64)
    strategy_id: str | None = Field(default=None, max_length=64)


class BatchIn(_Strict):
    """Submit several orders; each is processed independently."""

    orders: list[OrderIn] = Field(min_length=1, max_length=1000)


class CancelAllIn(_Strict):
    """Cancel all working orders of an account, optionally filtered."""

    account_id: str = Field(min_length=1, max_length=32)
    symbol: str | None = None
    side: Literal["BUY", "SELL"] | None = None
    strategy_id: str | None = None


class TradingStateIn(_Strict):
    """Set the kill-switch state of an account, or globally when ``account_id`` is null."""

    state: Literal["ACTIVE", "REDUCE_ONLY", "HALTED"]
    account_id: str | None = None
    cancel_working: bool = False
    reason: str = Field(default="", max_length=200)


class LimitsIn(_Strict):
    """Change risk limits at run time (audited)."""

    account_id: str | None = None
    changes: dict[str, object]
