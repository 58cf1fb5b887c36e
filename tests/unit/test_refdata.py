"""Instrument master and calendar loaders (the I/O around the pure rules)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ashare_exec.errors import ConfigError
from ashare_exec.model import Board, InstrumentId, ProductType
from ashare_exec.refdata import (
    load_calendar,
    load_holidays_file,
    load_instruments,
    packaged_holidays_path,
    sample_instruments_path,
    xshg_holidays,
)

REPO = Path(__file__).resolve().parents[2]
HEADER = "symbol,name,prev_close,is_st,list_date,t0,suspended,limit_up,limit_down,issue_price"


def write(tmp_path: Path, text: str, name: str = "master.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_instruments_when_loaded_cover_every_board() -> None:
    master = load_instruments(sample_instruments_path())
    assert {i.board for i in master.values()} == set(Board)
    products = {i.product for i in master.values()}
    assert products >= set(ProductType) - {ProductType.FUND, ProductType.EXCHANGEABLE}
    assert len(master) >= 20


def test_sample_instruments_when_loaded_carry_flags_from_master() -> None:
    master = load_instruments(sample_instruments_path())
    assert master[InstrumentId.parse("511010.SH")].t0 is True  # bond ETF: T+0
    assert master[InstrumentId.parse("510300.SH")].t0 is False  # equity ETF: T+1
    assert master[InstrumentId.parse("159915.SZ")].band_20pct is True
    assert master[InstrumentId.parse("600777.SH")].is_st is True
    assert master[InstrumentId.parse("600000.SH")].name == "浦发银行"
    assert master[InstrumentId.parse("113052.SH")].issue_price == Decimal(100)


@pytest.mark.parametrize(
    ("packaged", "shipped"),
    [
        (sample_instruments_path(), REPO / "config" / "instruments.sample.csv"),
        (packaged_holidays_path(), REPO / "config" / "holidays.txt"),
    ],
)
def test_packaged_data_when_compared_with_config_copies_is_identical(
    packaged: Path, shipped: Path
) -> None:
    assert packaged.read_bytes() == shipped.read_bytes()


def test_load_instruments_when_minimal_columns_classifies_from_code(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeff# comment\nsymbol,name,prev_close\n300750.sz,宁德时代,380.00\n\n")
    master = load_instruments(path)
    inst = master[InstrumentId.parse("300750.SZ")]
    assert (inst.board, inst.product, inst.prev_close) == (
        Board.CHINEXT,
        ProductType.STOCK,
        Decimal("380.00"),
    )
    assert (inst.is_st, inst.t0, inst.suspended, inst.list_date) == (False, False, False, None)


def test_load_instruments_when_optional_columns_given_parses_them(tmp_path: Path) -> None:
    text = (
        "symbol,name,prev_close,is_st,list_date,t0,suspended,limit_up,limit_down,issue_price,"
        "band_20pct,delisting_start,listing_day_index,board,product\n"
        "600777.SH,ST新潮,2.86,yes,19961108,TRUE,1,3.15,2.57,1.00,0,2026-11-24,7,,\n"
        "019547.SH,国债,100.00,0,,1,0,,,,,,,BOND,EXCHANGEABLE\n"
    )
    master = load_instruments(write(tmp_path, text))
    st = master[InstrumentId.parse("600777.SH")]
    assert (st.is_st, st.t0, st.suspended) == (True, True, True)
    assert st.list_date == date(1996, 11, 8)
    assert (st.limit_up, st.limit_down, st.issue_price) == (
        Decimal("3.15"),
        Decimal("2.57"),
        Decimal("1.00"),
    )
    assert (st.delisting_start, st.listing_day_index) == (date(2026, 11, 24), 7)
    bond = master[InstrumentId.parse("019547.SH")]
    assert (bond.board, bond.product) == (Board.BOND, ProductType.EXCHANGEABLE)


@pytest.mark.parametrize(
    ("row", "line", "column"),
    [
        ("60000.SH,浦发银行,10.00", 3, "symbol"),
        ("600000.SS,浦发银行,10.00", 3, "symbol"),
        ("600000.SH,,10.00", 3, "name"),
        ("600000.SH,浦发银行,", 3, "prev_close"),
        ("600000.SH,浦发银行,abc", 3, "prev_close"),
        ("600000.SH,浦发银行,-1", 3, "prev_close"),
        ("600000.SH,浦发银行,10.00,maybe", 3, "is_st"),
        ("600000.SH,浦发银行,10.00,0,2026-13-01", 3, "list_date"),
        ("600000.SH,浦发银行,10.00,0,,x", 3, "t0"),
        ("600000.SH,浦发银行,10.00,0,,0,0,0", 3, "limit_up"),
        ("019547.SH,国债,100.00", 3, "symbol"),
        ("000001.SZ,平安银行,11.60", 4, "symbol"),  # duplicate of line 3
    ],
)
def test_load_instruments_when_row_bad_names_file_line_and_column(
    tmp_path: Path, row: str, line: int, column: str
) -> None:
    first = "000001.SZ,平安银行,11.60" if line == 4 else row
    rows = f"{first}\n{row}\n" if line == 4 else f"{row}\n"
    path = write(tmp_path, f"# master\n{HEADER}\n{rows}")
    with pytest.raises(ConfigError) as err:
        load_instruments(path)
    assert f"{path}:{line}: column {column!r}" in str(err.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("symbol,name\n600000.SH,浦发银行\n", "missing required column 'prev_close'"),
        ("symbol,name,prev_close,colour\n", "unknown column 'colour'"),
        ("symbol,name,prev_close\n600000.SH,浦发银行,10.00,1\n", "4 values for 3 columns"),
        ("# nothing\n", "empty instrument file"),
    ],
)
def test_load_instruments_when_structure_bad_raises_config_error(
    tmp_path: Path, text: str, fragment: str
) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_instruments(write(tmp_path, text))


def test_load_instruments_when_file_missing_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read instrument file"):
        load_instruments(tmp_path / "nope.csv")


def test_xshg_holidays_when_2026_read_matches_published_closures() -> None:
    holidays, covered_until = xshg_holidays()
    assert covered_until == date(2026, 12, 31)
    file_days, _years = load_holidays_file(packaged_holidays_path())
    published = {d for d in file_days if d.year == 2026}
    assert {d for d in holidays if d.year == 2026} == published
    assert len(published) == 19


def test_load_calendar_when_default_file_covers_2026_and_warns_after() -> None:
    cal = load_calendar()
    assert cal.covered_until == date(2026, 12, 31)
    assert not cal.is_trading_day(date(2026, 1, 4))  # Sunday make-up workday
    assert not cal.is_trading_day(date(2026, 10, 6))
    assert cal.is_trading_day(date(2026, 11, 25))
    assert cal.coverage_warning(date(2027, 3, 1)) is not None


def test_load_calendar_when_file_declares_next_year_complete_extends_coverage(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "2027-01-01  # New Year\n2027-02-08\ncomplete 2027\n", "h.txt")
    cal = load_calendar(path)
    assert cal.covered_until == date(2027, 12, 31)
    assert cal.coverage_warning(date(2027, 6, 1)) is None
    assert not cal.is_trading_day(date(2027, 2, 8))
    assert not cal.is_trading_day(date(2026, 10, 1))  # XSHG data still applies


def test_load_calendar_when_year_not_declared_complete_keeps_warning(tmp_path: Path) -> None:
    cal = load_calendar(write(tmp_path, "2027-01-01\n", "h.txt"))
    assert cal.covered_until == date(2026, 12, 31)
    assert not cal.is_trading_day(date(2027, 1, 1))
    assert cal.coverage_warning(date(2027, 1, 4)) is not None


def test_load_calendar_when_complete_year_skips_a_gap_does_not_extend(tmp_path: Path) -> None:
    cal = load_calendar(write(tmp_path, "complete 2028\n", "h.txt"))
    assert cal.covered_until == date(2026, 12, 31)


@pytest.mark.parametrize("bad", ["2027-02-30", "next friday", "complete 27"])
def test_load_holidays_file_when_line_bad_names_file_and_line(tmp_path: Path, bad: str) -> None:
    path = write(tmp_path, f"# header\n2027-01-01\n{bad}\n", "h.txt")
    with pytest.raises(ConfigError, match=r"h\.txt:3: expected a date"):
        load_holidays_file(path)


def test_load_calendar_when_file_missing_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read holidays file"):
        load_calendar(tmp_path / "missing.txt")


def test_xshg_holidays_when_package_missing_raises_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    xshg_holidays.cache_clear()
    monkeypatch.setitem(sys.modules, "exchange_calendars", None)
    try:
        with pytest.raises(ConfigError, match="exchange_calendars is not importable"):
            xshg_holidays()
    finally:
        xshg_holidays.cache_clear()
