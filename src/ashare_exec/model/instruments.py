"""The instrument master record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ashare_exec.model.enums import Board, ProductType
from ashare_exec.model.identifiers import InstrumentId


@dataclass(frozen=True, slots=True)
class Instrument:
    """Static data for one security on one trading day.

    ``board`` and ``product`` are derived from the code by :func:`ashare_exec.rules.classify`
    unless the master says otherwise. ``t0`` (same-day round trip allowed) comes from the
    master, never from the code. ``limit_up`` / ``limit_down`` when given are the exchange's
    published limits and override the computation.
    """

    instrument_id: InstrumentId
    name: str
    board: Board
    product: ProductType
    prev_close: Decimal
    is_st: bool = False
    list_date: date | None = None
    t0: bool = False
    suspended: bool = False
    limit_up: Decimal | None = None
    limit_down: Decimal | None = None
    issue_price: Decimal | None = None
    band_20pct: bool = False
    """Fund flagged by the exchange as a 20%-band fund (tracks STAR/ChiNext)."""
    delisting_start: date | None = None
    """First day of the delisting arrangement period (退市整理期), if in it."""
    listing_day_index: int | None = None
    """1 on the listing day, 2 the next trading day, ...; else computed from ``list_date``."""

    @property
    def symbol(self) -> str:
        """The ``600000.SH`` rendering of the id."""
        return str(self.instrument_id)
