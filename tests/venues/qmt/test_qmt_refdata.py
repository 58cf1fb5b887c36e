"""Instrument data from QMT's xtdata detail dicts, over the CSV master."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ashare_exec.model import Board, Instrument, InstrumentId, ProductType
from ashare_exec.venues.qmt.refdata import instrument_from_detail, merge_qmt_instruments

PUFA = InstrumentId.parse("600000.SH")
MASTER = Instrument(PUFA, "浦发银行", Board.MAIN, ProductType.STOCK, Decimal("10.00"), t0=False)


@pytest.mark.parametrize(
    ("detail", "field", "expected"),
    [
        ({"PreClose": 10.32}, "prev_close", Decimal("10.32")),
        ({"PreClose": 10.32, "UpStopPrice": 11.35}, "limit_up", Decimal("11.35")),
        ({"PreClose": 10.32, "DownStopPrice": 9.29}, "limit_down", Decimal("9.29")),
        ({"PreClose": 10.32, "UpStopPrice": 1.7976931348623157e308}, "limit_up", None),
        ({"PreClose": 10.32, "InstrumentStatus": 1}, "suspended", True),
        ({"PreClose": 10.32, "InstrumentStatus": 0}, "suspended", False),
        ({"PreClose": 10.32, "InstrumentName": "*ST浦发"}, "is_st", True),
        ({"PreClose": 10.32, "OpenDate": "19991110"}, "list_date", date(1999, 11, 10)),
        ({"PreClose": 10.32, "OpenDate": "0"}, "list_date", None),
        ({}, "prev_close", Decimal("10.00")),
    ],
)
def test_instrument_from_detail_when_field_given_overrides_master(
    detail: dict[str, Any], field: str, expected: object
) -> None:
    inst = instrument_from_detail(PUFA, detail, MASTER)
    assert inst is not None
    assert getattr(inst, field) == expected
    assert inst.board is Board.MAIN


def test_instrument_from_detail_when_no_master_classifies_code() -> None:
    inst = instrument_from_detail(InstrumentId.parse("688981.SH"), {"PreClose": 80.5})
    assert inst is not None
    assert (inst.board, inst.prev_close) == (Board.STAR, Decimal("80.500"))


def test_instrument_from_detail_when_no_price_anywhere_none() -> None:
    assert instrument_from_detail(InstrumentId.parse("000001.SZ"), {"PreClose": 0}) is None


def test_merge_when_details_partial_keeps_master_for_the_rest() -> None:
    other = InstrumentId.parse("000001.SZ")
    ping_an = Instrument(other, "平安银行", Board.MAIN, ProductType.STOCK, Decimal("12.00"))
    master = {PUFA: MASTER, other: ping_an}
    merged = merge_qmt_instruments(
        master, {"600000.SH": {"PreClose": 10.5}, "bad": {}, "000001.SZ": None}
    )
    assert merged[PUFA].prev_close == Decimal("10.5")
    assert merged[other] == master[other]


def test_load_qmt_details_when_no_data_service_empty_quickly() -> None:
    from ashare_exec.venues.qmt.refdata import load_qmt_details

    assert load_qmt_details(["600000.SH"]) == {}
