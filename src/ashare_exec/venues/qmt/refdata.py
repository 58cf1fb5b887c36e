"""Instrument data from QMT (``xtdata.get_instrument_detail``), with the CSV master as fallback.

:func:`instrument_from_detail` is pure: it turns one xtdata detail dict into an
:class:`~ashare_exec.model.Instrument`, keeping the master's fields where QMT says nothing.
:func:`merge_qmt_instruments` applies it to a whole master; :func:`load_qmt_details` (through
the shim) asks xtdata and returns ``{}`` when the data service is not reachable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from ashare_exec.model import Instrument, InstrumentId
from ashare_exec.model.numbers import to_decimal
from ashare_exec.rules import UnknownCodeError, classify

__all__ = ["instrument_from_detail", "load_qmt_details", "merge_qmt_instruments"]


def _price(detail: Mapping[str, Any], key: str) -> Decimal | None:
    value = detail.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    # xtdata reports e.g. 1.7976931348623157e+308 for "no limit": treat as unknown.
    if value > 1e9:
        return None
    return to_decimal(round(float(value), 4)).normalize().quantize(Decimal("0.001"))


def _date(text: object) -> date | None:
    if not isinstance(text, str | int) or len(str(text)) != 8 or not str(text).isdigit():
        return None
    s = str(text)
    try:
        return date(int(s[:4]), int(s[4:6]), int(s[6:]))
    except ValueError:
        return None


def instrument_from_detail(
    iid: InstrumentId, detail: Mapping[str, Any], base: Instrument | None = None
) -> Instrument | None:
    """Build the instrument of ``iid`` from an xtdata detail dict (``None`` if unusable).

    QMT's ``PreClose``, ``UpStopPrice``, ``DownStopPrice``, ``InstrumentName``,
    ``InstrumentStatus`` (>0: suspended) and ``OpenDate`` (listing date) override the
    master record ``base``; everything else (``t0``, fund flags, ...) comes from ``base``.
    """
    prev_close = _price(detail, "PreClose") or (base.prev_close if base else None)
    if prev_close is None:
        return None
    name = detail.get("InstrumentName")
    name = name if isinstance(name, str) and name else (base.name if base else str(iid))
    status = detail.get("InstrumentStatus")
    suspended = status > 0 if isinstance(status, int) and not isinstance(status, bool) else None
    if base is None:
        try:
            cls = classify(iid)
        except UnknownCodeError:
            return None
        base = Instrument(iid, name, cls.board, cls.product, prev_close)
    return dataclasses.replace(
        base,
        name=name,
        prev_close=prev_close,
        is_st="ST" in name.upper() or base.is_st,
        limit_up=_price(detail, "UpStopPrice") or base.limit_up,
        limit_down=_price(detail, "DownStopPrice") or base.limit_down,
        suspended=base.suspended if suspended is None else suspended,
        list_date=_date(detail.get("OpenDate")) or base.list_date,
    )


def merge_qmt_instruments(
    master: Mapping[InstrumentId, Instrument], details: Mapping[str, Mapping[str, Any] | None]
) -> dict[InstrumentId, Instrument]:
    """The master with every instrument QMT knows updated from its detail."""
    out = dict(master)
    for code, detail in details.items():
        try:
            iid = InstrumentId.parse(code)
        except ValueError:
            continue
        if detail:
            merged = instrument_from_detail(iid, detail, master.get(iid))
            if merged is not None:
                out[iid] = merged
    return out


def load_qmt_details(codes: Iterable[str]) -> dict[str, Mapping[str, Any] | None]:
    """Ask xtdata for instrument details; ``{}`` when xtquant or its data service is absent."""
    from ashare_exec.venues.qmt.shim import fetch_instrument_details

    return fetch_instrument_details(list(codes))
