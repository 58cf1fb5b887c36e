"""Reference data I/O: the instrument master (CSV) and the trading calendar.

The rules themselves are pure (:mod:`ashare_exec.rules`); this module reads files and the
``exchange_calendars`` package and turns them into the rules' types. Every problem is a
:class:`~ashare_exec.errors.ConfigError` naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TypeVar

from ashare_exec.errors import ConfigError
from ashare_exec.model import Board, Instrument, InstrumentId, ProductType
from ashare_exec.model.numbers import to_decimal
from ashare_exec.rules import TradingCalendar, UnknownCodeError, classify

__all__ = [
    "INSTRUMENT_COLUMNS",
    "REQUIRED_COLUMNS",
    "load_calendar",
    "load_holidays_file",
    "load_instruments",
    "packaged_holidays_path",
    "sample_instruments_path",
    "xshg_holidays",
]

REQUIRED_COLUMNS = ("symbol", "name", "prev_close")
INSTRUMENT_COLUMNS = (
    *REQUIRED_COLUMNS,
    "is_st",
    "list_date",
    "t0",
    "suspended",
    "limit_up",
    "limit_down",
    "issue_price",
    "band_20pct",
    "delisting_start",
    "listing_day_index",
    "board",
    "product",
)
T = TypeVar("T")
_TRUE = frozenset({"1", "true", "yes", "y", "t"})
_FALSE = frozenset({"0", "false", "no", "n", "f", ""})


def _data_path(name: str) -> Path:
    return Path(str(resources.files("ashare_exec").joinpath("data", name)))


def sample_instruments_path() -> Path:
    """The instrument master sample shipped inside the package."""
    return _data_path("instruments.sample.csv")


def packaged_holidays_path() -> Path:
    """The holidays file shipped inside the package (a copy of ``config/holidays.txt``)."""
    return _data_path("holidays.txt")


# --- instrument master ------------------------------------------------------------------


def _parse_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"expected 1/0/true/false, got {text!r}")


def _parse_date(text: str) -> date | None:
    t = text.strip()
    if not t:
        return None
    if re.fullmatch(r"\d{8}", t):
        t = f"{t[:4]}-{t[4:6]}-{t[6:]}"
    try:
        return date.fromisoformat(t)
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _parse_price(text: str) -> Decimal | None:
    t = text.strip()
    if not t:
        return None
    d = to_decimal(t)
    if d <= 0:
        raise ValueError(f"must be positive, got {text!r}")
    return d


def _parse_int(text: str) -> int | None:
    t = text.strip()
    if not t:
        return None
    if not t.isdigit() or int(t) < 1:
        raise ValueError(f"expected a positive integer, got {text!r}")
    return int(t)


E = TypeVar("E", Board, ProductType)


def _parse_enum(kind: type[E], text: str) -> E | None:
    t = text.strip().upper()
    if not t:
        return None
    try:
        return kind(t)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise ValueError(f"expected one of {allowed}, got {text!r}") from None


def _row_to_instrument(path: Path, line: int, row: dict[str, str]) -> Instrument:
    def fail(column: str, problem: str) -> ConfigError:
        return ConfigError(
            f"{path}:{line}: column {column!r}: {problem}",
            context={"file": str(path), "line": line, "column": column},
        )

    def get(column: str, parse: Callable[[str], T]) -> T:
        try:
            return parse(row.get(column) or "")
        except ValueError as e:
            raise fail(column, str(e)) from None

    def parse_board(text: str) -> Board | None:
        return _parse_enum(Board, text)

    def parse_product(text: str) -> ProductType | None:
        return _parse_enum(ProductType, text)

    iid = get("symbol", InstrumentId.parse)
    name = (row.get("name") or "").strip()
    if not name:
        raise fail("name", "must not be empty")
    prev_close = get("prev_close", _parse_price)
    if prev_close is None:
        raise fail("prev_close", "must not be empty")
    board = get("board", parse_board)
    product = get("product", parse_product)
    if board is None or product is None:
        try:
            cls = classify(iid)
        except UnknownCodeError as e:
            raise fail("symbol", f"{e}; give the board and product columns") from None
        board = cls.board if board is None else board
        product = cls.product if product is None else product
    return Instrument(
        instrument_id=iid,
        name=name,
        board=board,
        product=product,
        prev_close=prev_close,
        is_st=get("is_st", _parse_bool),
        list_date=get("list_date", _parse_date),
        t0=get("t0", _parse_bool),
        suspended=get("suspended", _parse_bool),
        limit_up=get("limit_up", _parse_price),
        limit_down=get("limit_down", _parse_price),
        issue_price=get("issue_price", _parse_price),
        band_20pct=get("band_20pct", _parse_bool),
        delisting_start=get("delisting_start", _parse_date),
        listing_day_index=get("listing_day_index", _parse_int),
    )


def load_instruments(path: Path) -> dict[InstrumentId, Instrument]:
    """Load the instrument master CSV at ``path``.

    Columns: ``symbol,name,prev_close`` (required) and optionally ``is_st, list_date, t0,
    suspended, limit_up, limit_down, issue_price, band_20pct, delisting_start,
    listing_day_index, board, product`` (see ``docs/rules.md``). Lines starting with ``#``
    are comments. Board and product come from :func:`ashare_exec.rules.classify` unless given.

    Raises:
        ConfigError: unreadable file, unknown or missing column, bad value, duplicate symbol.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read instrument file: {e.strerror or e}") from None
    lines = [
        (n, ln) for n, ln in enumerate(text.splitlines(), 1) if not ln.lstrip().startswith("#")
    ]
    lines = [(n, ln) for n, ln in lines if ln.strip()]
    if not lines:
        raise ConfigError(f"{path}: empty instrument file (needs a header line)")
    header_line, header_text = lines[0]
    header = [h.strip().lower() for h in next(csv.reader([header_text]))]
    for column in header:
        if column not in INSTRUMENT_COLUMNS:
            raise ConfigError(
                f"{path}:{header_line}: unknown column {column!r} "
                f"(known: {', '.join(INSTRUMENT_COLUMNS)})"
            )
    for column in REQUIRED_COLUMNS:
        if column not in header:
            raise ConfigError(f"{path}:{header_line}: missing required column {column!r}")
    out: dict[InstrumentId, Instrument] = {}
    for line, raw in lines[1:]:
        cells = next(csv.reader([raw]))
        if len(cells) > len(header):
            raise ConfigError(
                f"{path}:{line}: {len(cells)} values for {len(header)} columns",
                context={"file": str(path), "line": line},
            )
        row = dict(zip(header, cells, strict=False))
        inst = _row_to_instrument(path, line, row)
        if inst.instrument_id in out:
            raise ConfigError(
                f"{path}:{line}: column 'symbol': duplicate symbol {inst.symbol}",
                context={"file": str(path), "line": line, "column": "symbol"},
            )
        out[inst.instrument_id] = inst
    return out


# --- calendar ---------------------------------------------------------------------------


def load_holidays_file(path: Path) -> tuple[frozenset[date], frozenset[int]]:
    """Read a holidays file: ``(holidays, complete_years)``.

    One ``YYYY-MM-DD`` per line (a trailing ``# comment`` is allowed); ``complete YYYY``
    declares the list complete for that year, which extends the calendar's coverage.

    Raises:
        ConfigError: unreadable file or a bad line (names file and line).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read holidays file: {e.strerror or e}") from None
    days: set[date] = set()
    years: set[int] = set()
    for n, raw in enumerate(text.splitlines(), 1):
        content = raw.split("#", 1)[0].strip()
        if not content:
            continue
        m = re.fullmatch(r"complete\s+(\d{4})", content, flags=re.IGNORECASE)
        if m:
            years.add(int(m.group(1)))
            continue
        try:
            days.add(date.fromisoformat(content))
        except ValueError:
            raise ConfigError(
                f"{path}:{n}: expected a date YYYY-MM-DD or 'complete YYYY', got {content!r}",
                context={"file": str(path), "line": n},
            ) from None
    return frozenset(days), frozenset(years)


@lru_cache(maxsize=1)
def xshg_holidays() -> tuple[frozenset[date], date]:
    """Weekday closures of ``exchange_calendars``' XSHG and the last date it covers.

    Cached: the package's data is fixed for the life of the process.
    """
    try:
        import exchange_calendars as xcals
    except ImportError as e:  # a declared dependency; a broken install deserves a clear word
        raise ConfigError(
            f"exchange_calendars is not importable ({e}); reinstall ashare-exec"
        ) from e

    cal = xcals.get_calendar("XSHG", start="1991-01-01")
    first: date = cal.first_session.date()
    last: date = cal.last_session.date()
    sessions = {ts.date() for ts in cal.sessions}
    holidays: set[date] = set()
    cur = first
    while cur <= last:
        if cur.weekday() < 5 and cur not in sessions:
            holidays.add(cur)
        cur += timedelta(days=1)
    end_of_year = date(last.year, 12, 31)
    return frozenset(holidays), end_of_year if last >= date(last.year, 12, 24) else last


def load_calendar(extra_holidays: Path | None = None) -> TradingCalendar:
    """Build the trading calendar: XSHG holidays plus a holidays file.

    ``extra_holidays`` defaults to the packaged copy of ``config/holidays.txt``. Coverage
    runs to the end of the ``exchange_calendars`` data (2026-12-31 for 4.13), extended by
    each following year the file declares ``complete``. Past the coverage the calendar still
    answers (weekdays minus known holidays; never a weekend) and
    :meth:`TradingCalendar.coverage_warning` gives the text to log loudly.

    Raises:
        ConfigError: the holidays file is unreadable or malformed.
    """
    holidays, covered_until = xshg_holidays()
    file_days, complete_years = load_holidays_file(
        extra_holidays if extra_holidays is not None else packaged_holidays_path()
    )
    while covered_until.year + 1 in complete_years:
        covered_until = date(covered_until.year + 1, 12, 31)
    return TradingCalendar(holidays | file_days, covered_until)
