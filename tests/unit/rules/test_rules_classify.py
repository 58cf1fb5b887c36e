"""Classification by code and exchange suffix (fact sheet §1)."""

from __future__ import annotations

import pytest

from ashare_exec.model import Board, InstrumentId, ProductType
from ashare_exec.rules import UnknownCodeError, classify

CASES = [
    ("600000.SH", Board.MAIN, ProductType.STOCK, True),
    ("601318.SH", Board.MAIN, ProductType.STOCK, True),
    ("603288.SH", Board.MAIN, ProductType.STOCK, True),
    ("605499.SH", Board.MAIN, ProductType.STOCK, True),
    ("688981.SH", Board.STAR, ProductType.STOCK, True),
    ("689009.SH", Board.STAR, ProductType.CDR, True),
    ("000001.SZ", Board.MAIN, ProductType.STOCK, True),
    ("001979.SZ", Board.MAIN, ProductType.STOCK, True),
    ("002594.SZ", Board.MAIN, ProductType.STOCK, True),
    ("003816.SZ", Board.MAIN, ProductType.STOCK, True),
    ("300750.SZ", Board.CHINEXT, ProductType.STOCK, True),
    ("301269.SZ", Board.CHINEXT, ProductType.STOCK, True),
    ("302132.SZ", Board.CHINEXT, ProductType.STOCK, True),
    ("920163.BJ", Board.BSE, ProductType.STOCK, True),
    ("430047.BJ", Board.BSE, ProductType.STOCK, True),
    ("838163.BJ", Board.BSE, ProductType.STOCK, True),
    ("872925.BJ", Board.BSE, ProductType.STOCK, True),
    ("889999.BJ", Board.BSE, ProductType.STOCK, True),
    ("900901.SH", Board.B_SHARE, ProductType.B_SHARE, True),
    ("200596.SZ", Board.B_SHARE, ProductType.B_SHARE, True),
    ("510300.SH", Board.FUND, ProductType.ETF, True),
    ("511010.SH", Board.FUND, ProductType.ETF, True),
    ("518880.SH", Board.FUND, ProductType.ETF, True),
    ("560010.SH", Board.FUND, ProductType.ETF, True),
    ("588000.SH", Board.FUND, ProductType.ETF, True),
    ("159915.SZ", Board.FUND, ProductType.ETF, True),
    ("501018.SH", Board.FUND, ProductType.LOF, True),
    ("161725.SZ", Board.FUND, ProductType.LOF, True),
    ("508000.SH", Board.FUND, ProductType.REIT, True),
    ("180101.SZ", Board.FUND, ProductType.REIT, True),
    ("113052.SH", Board.BOND, ProductType.CONVERTIBLE, True),
    ("118000.SH", Board.BOND, ProductType.CONVERTIBLE, True),
    ("110059.SH", Board.BOND, ProductType.CONVERTIBLE, True),
    ("123107.SZ", Board.BOND, ProductType.CONVERTIBLE, True),
    ("127045.SZ", Board.BOND, ProductType.CONVERTIBLE, True),
    ("128136.SZ", Board.BOND, ProductType.CONVERTIBLE, True),
    ("132018.SH", Board.BOND, ProductType.EXCHANGEABLE, True),
    ("120001.SZ", Board.BOND, ProductType.EXCHANGEABLE, True),
    ("204001.SH", Board.REPO, ProductType.REPO, True),
    ("131810.SZ", Board.REPO, ProductType.REPO, True),
    ("000001.SH", Board.INDEX, ProductType.INDEX, False),
    ("000300.SH", Board.INDEX, ProductType.INDEX, False),
    ("399001.SZ", Board.INDEX, ProductType.INDEX, False),
    ("899050.BJ", Board.INDEX, ProductType.INDEX, False),
]


@pytest.mark.parametrize(("symbol", "board", "product", "tradable"), CASES)
def test_classify_when_code_and_suffix_given_returns_board_and_product(
    symbol: str, board: Board, product: ProductType, tradable: bool
) -> None:
    c = classify(InstrumentId.parse(symbol))
    assert (c.board, c.product, c.tradable) == (board, product, tradable)


def test_classify_when_same_digits_on_two_exchanges_differs() -> None:
    assert classify(InstrumentId.parse("000001.SH")).board is Board.INDEX
    assert classify(InstrumentId.parse("000001.SZ")).board is Board.MAIN


@pytest.mark.parametrize(
    "symbol", ["920163.SH", "600000.SZ", "300750.SH", "019547.SH", "100000.BJ"]
)
def test_classify_when_code_unknown_for_exchange_raises(symbol: str) -> None:
    with pytest.raises(UnknownCodeError, match=symbol.split(".")[0]):
        classify(InstrumentId.parse(symbol))
