"""Exact numbers: prices and money are :class:`~decimal.Decimal`, quantities are ``int`` shares.

Nothing in the core uses ``float``. Conversions from wire formats happen at the edges via
:func:`to_decimal`, which refuses floats that are not exactly representable as a short decimal.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
CENT = Decimal("0.01")
MILLI = Decimal("0.001")
FEN = CENT


def to_decimal(value: object) -> Decimal:
    """Convert ``str``, ``int`` or ``Decimal`` (or a float via its shortest repr) to ``Decimal``.

    Raises:
        ValueError: not a finite number.
    """
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        # repr() gives the shortest string that round-trips, e.g. 10.01 -> "10.01".
        d = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation as e:
            raise ValueError(f"not a number: {value!r}") from e
    else:
        raise ValueError(f"not a number: {value!r}")
    if not d.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return d


def round_half_up(value: Decimal, tick: Decimal) -> Decimal:
    """Round to the nearest multiple of ``tick``, halves away from zero (exchange rounding)."""
    return (value / tick).quantize(Decimal(1), rounding=ROUND_HALF_UP) * tick


def floor_to_tick(value: Decimal, tick: Decimal) -> Decimal:
    """Round down (toward zero) to a multiple of ``tick``."""
    return (value / tick).quantize(Decimal(1), rounding=ROUND_DOWN) * tick


def ceil_to_tick(value: Decimal, tick: Decimal) -> Decimal:
    """Round up (away from zero) to a multiple of ``tick``."""
    return (value / tick).quantize(Decimal(1), rounding=ROUND_UP) * tick


def is_on_tick(value: Decimal, tick: Decimal) -> bool:
    """Return whether ``value`` is an exact multiple of ``tick`` (False when not computable)."""
    try:
        return (value % tick) == 0
    except InvalidOperation:  # beyond the context precision: certainly not a valid price
        return False


def money(value: Decimal) -> Decimal:
    """Quantize an amount of money to the cent, half-up (fees, cash)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
