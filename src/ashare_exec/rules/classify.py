"""Instrument classification from the six-digit code and the exchange suffix (fact sheet §1).

The same six digits mean different things on different exchanges (``000001.SH`` is the SSE
Composite index, ``000001.SZ`` is Ping An Bank), so every pattern is keyed on both.
"""

from __future__ import annotations

from dataclasses import dataclass

from ashare_exec.model import Board, Exchange, InstrumentId, ProductType

__all__ = ["Classification", "UnknownCodeError", "classify"]


@dataclass(frozen=True, slots=True)
class Classification:
    """Board and product of a code; ``tradable`` is False for indices."""

    board: Board
    product: ProductType
    tradable: bool = True


class UnknownCodeError(ValueError):
    """The code matches no known pattern for its exchange."""


_B = Board
_P = ProductType

# (exchange, code prefixes, board, product), first match wins; longer prefixes listed first
# where they overlap.
_PATTERNS: tuple[tuple[Exchange, tuple[str, ...], Board, ProductType], ...] = (
    # --- Shanghai
    (Exchange.SH, ("600", "601", "603", "605"), _B.MAIN, _P.STOCK),
    (Exchange.SH, ("688",), _B.STAR, _P.STOCK),
    (Exchange.SH, ("689",), _B.STAR, _P.CDR),
    (Exchange.SH, ("900",), _B.B_SHARE, _P.B_SHARE),
    (Exchange.SH, ("501", "502", "506"), _B.FUND, _P.LOF),
    (Exchange.SH, ("508",), _B.FUND, _P.REIT),
    (Exchange.SH, ("500", "505"), _B.FUND, _P.FUND),
    (Exchange.SH, ("51", "52", "53", "56", "58"), _B.FUND, _P.ETF),
    (Exchange.SH, ("110", "111", "113", "118"), _B.BOND, _P.CONVERTIBLE),
    (Exchange.SH, ("132",), _B.BOND, _P.EXCHANGEABLE),
    (Exchange.SH, ("204",), _B.REPO, _P.REPO),
    (Exchange.SH, ("000",), _B.INDEX, _P.INDEX),
    # --- Shenzhen
    (Exchange.SZ, ("000", "001", "002", "003"), _B.MAIN, _P.STOCK),
    (Exchange.SZ, ("300", "301", "302"), _B.CHINEXT, _P.STOCK),
    (Exchange.SZ, ("200",), _B.B_SHARE, _P.B_SHARE),
    (Exchange.SZ, ("159",), _B.FUND, _P.ETF),
    (Exchange.SZ, ("16",), _B.FUND, _P.LOF),
    (Exchange.SZ, ("180",), _B.FUND, _P.REIT),
    (Exchange.SZ, ("184",), _B.FUND, _P.FUND),
    (Exchange.SZ, ("123", "127", "128"), _B.BOND, _P.CONVERTIBLE),
    (Exchange.SZ, ("120",), _B.BOND, _P.EXCHANGEABLE),
    (Exchange.SZ, ("1318",), _B.REPO, _P.REPO),
    (Exchange.SZ, ("399",), _B.INDEX, _P.INDEX),
    # --- Beijing: all stocks renumbered into 920xxx; legacy NEEQ codes still seen in data
    (Exchange.BJ, ("920", "43", "83", "87", "88"), _B.BSE, _P.STOCK),
    (Exchange.BJ, ("899",), _B.INDEX, _P.INDEX),
)


def classify(iid: InstrumentId) -> Classification:
    """Return the board and product of ``iid``.

    Raises:
        UnknownCodeError: the code matches no pattern of its exchange (e.g. a plain
            government bond, which this gateway does not trade).
    """
    for exchange, prefixes, board, product in _PATTERNS:
        if iid.exchange is exchange and iid.code.startswith(prefixes):
            return Classification(board, product, tradable=product is not ProductType.INDEX)
    raise UnknownCodeError(f"{iid}: code matches no known board or product of {iid.exchange}")
