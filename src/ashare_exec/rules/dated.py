"""Dated rule tables: ``((effective_date, value), ...)`` sorted by date.

A value is in force from its effective date (inclusive) until the next row's date. Dates
before the first row evaluate under the first row (the library models no earlier regime).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TypeVar

T = TypeVar("T")

DatedTable = Sequence[tuple[date, T]]


def in_force(table: Sequence[tuple[date, T]], day: date) -> T:
    """Return the value of ``table`` in force on ``day``."""
    if not table:
        raise ValueError("empty dated table")
    value = table[0][1]
    for effective, v in table:
        if effective <= day:
            value = v
        else:
            break
    return value


def since(effective: date, day: date) -> bool:
    """Return whether a rule effective on ``effective`` is in force on ``day``."""
    return day >= effective
