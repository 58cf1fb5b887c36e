"""Continuous matching: each price type against each book shape."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ashare_exec.model import PriceType, Side
from ashare_exec.venues.sim.book import Book, Level, take
from ashare_exec.venues.sim.matching import (
    QueueModel,
    initial_queue_ahead,
    match_incoming,
    passive_fill,
)

P = PriceType


def book(shape: str) -> Book:
    """Named book shapes; asks/bids one tick apart around 10.00/10.01."""
    full_bids = [Level(D("10.00") - D("0.01") * i, 1000) for i in range(5)]
    full_asks = [Level(D("10.01") + D("0.01") * i, 1000) for i in range(7)]
    if shape == "deep":  # seven ask levels: best-5 types must stop at five
        return Book(bids=full_bids, asks=full_asks)
    if shape == "thin":
        return Book(bids=[Level(D("10.00"), 300)], asks=[Level(D("10.01"), 300)])
    if shape == "no_asks":
        return Book(bids=full_bids, asks=[])
    if shape == "no_bids":
        return Book(bids=[], asks=full_asks[:5])
    raise ValueError(shape)


# (price type, price, protection, book shape, qty) -> (fills, rest price, canceled?)
CASES = [
    # limit: takes within the limit, rests at the limit
    (P.LIMIT, D("10.02"), None, "deep", 2500, [("10.01", 1000), ("10.02", 1000)], "10.02"),
    (P.LIMIT, D("9.99"), None, "deep", 500, [], "9.99"),
    (P.LIMIT, D("10.05"), None, "thin", 500, [("10.01", 300)], "10.05"),
    # best five IOC: at most five levels, remainder canceled
    (P.BEST5_IOC, None, None, "deep", 7000, [(f"10.0{i}", 1000) for i in range(1, 6)], None),
    (P.BEST5_IOC, None, None, "thin", 500, [("10.01", 300)], None),
    (P.BEST5_IOC, None, None, "no_asks", 500, [], None),
    (P.BEST5_IOC, None, D("10.02"), "deep", 7000, [("10.01", 1000), ("10.02", 1000)], None),
    # best five to limit: remainder rests at the last fill price, else own best, else cancel
    (
        P.BEST5_TO_LIMIT,
        None,
        None,
        "deep",
        5500,
        [(f"10.0{i}", 1000) for i in range(1, 6)],
        "10.05",
    ),
    (P.BEST5_TO_LIMIT, None, None, "thin", 500, [("10.01", 300)], "10.01"),
    (P.BEST5_TO_LIMIT, None, None, "no_asks", 500, [], "10.00"),
    # counterparty best: a limit at the opposite best
    (P.COUNTERPARTY_BEST, None, None, "deep", 1500, [("10.01", 1000)], "10.01"),
    (P.COUNTERPARTY_BEST, None, None, "no_asks", 500, [], None),
    # own best: rests at the own best, no immediate fill
    (P.OWN_BEST, None, None, "deep", 500, [], "10.00"),
    (P.OWN_BEST, None, None, "no_bids", 500, [], None),
    (P.OWN_BEST, None, D("9.98"), "deep", 500, [], "9.98"),
    # IOC against every displayed level
    (P.IOC, None, None, "deep", 7500, [(f"10.0{i}", 1000) for i in range(1, 8)], None),
    # FOK: all or nothing
    (P.FOK, None, None, "deep", 7000, [(f"10.0{i}", 1000) for i in range(1, 8)], None),
    (P.FOK, None, None, "deep", 7100, [], None),
    (P.FOK, None, None, "thin", 300, [("10.01", 300)], None),
]


@pytest.mark.parametrize(("pt", "price", "protection", "shape", "qty", "fills", "rest"), CASES)
def test_match_incoming_when_buy_then_fills_and_remainder_follow_the_type(
    pt: PriceType,
    price: D | None,
    protection: D | None,
    shape: str,
    qty: int,
    fills: list[tuple[str, int]],
    rest: str | None,
) -> None:
    """Each price type takes what its rule allows and rests or cancels the remainder."""
    b = book(shape)
    shown = b.displayed(Side.SELL)
    plan = match_incoming(b, Side.BUY, qty, pt, price, protection)
    assert [(str(p), n) for p, n in plan.fills] == fills
    filled = sum(n for _, n in plan.fills)
    assert plan.rest_price == (D(rest) if rest is not None else None)
    assert b.displayed(Side.SELL) == shown - filled, "taken volume leaves the book"
    if rest is None and filled < qty:
        assert plan.cancel_text or pt is P.FOK


def test_match_incoming_when_sell_then_mirror_of_buy() -> None:
    """A best-5 IOC sell walks the bids downwards."""
    b = book("deep")
    plan = match_incoming(b, Side.SELL, 1500, P.BEST5_IOC, None)
    assert plan.fills == [(D("10.00"), 1000), (D("9.99"), 500)]
    assert b.bids[0] == Level(D("9.99"), 500)


def test_take_when_qty_exceeds_display_then_never_fills_beyond_it() -> None:
    """Taking stops at the displayed volume."""
    b = book("thin")
    assert take(b, Side.BUY, 10_000, None, None) == [(D("10.01"), 300)]
    assert take(b, Side.BUY, 10_000, None, None) == []


@pytest.mark.parametrize(
    ("model", "fraction", "ahead"),
    [
        (QueueModel.FRONT, D("0.5"), 0),
        (QueueModel.BACK, D("0.5"), 1000),
        (QueueModel.FRACTION, D("0.25"), 250),
    ],
)
def test_initial_queue_ahead_when_model_then_share_of_displayed_size(
    model: QueueModel, fraction: D, ahead: int
) -> None:
    """The queue model decides how much displayed size is ahead of a new passive order."""
    assert initial_queue_ahead(book("deep"), Side.BUY, D("10.00"), model, fraction) == ahead


PASSIVE = [
    # last, traded, queue ahead -> filled qty, queue left
    ("9.99", 400, 1000, 400, 0),  # traded through: fills up to the traded volume
    ("10.00", 400, 1000, 0, 600),  # at our price: works off the queue first
    ("10.00", 1500, 1000, 500, 0),  # ... then fills us
    ("10.02", 5000, 0, 0, 0),  # market moved away: nothing
    ("9.99", 0, 0, 0, 0),  # no volume, no fill
]


@pytest.mark.parametrize(("last", "traded", "ahead", "filled", "left"), PASSIVE)
def test_passive_fill_when_market_trades_then_queue_model_applies(
    last: str, traded: int, ahead: int, filled: int, left: int
) -> None:
    """A resting buy at 10.00 fills only when the market trades at or through it."""
    b = Book(bids=[Level(D("9.99"), 100)], asks=[Level(D("10.02"), 100)], last=D(last))
    pf = passive_fill(b, Side.BUY, D("10.00"), 1000, ahead, traded)
    assert sum(n for _, n in pf.fills) == filled
    assert all(p == D("10.00") for p, _ in pf.fills)
    assert pf.queue_ahead == left


def test_passive_fill_when_book_crosses_order_then_takes_displayed_liquidity() -> None:
    """If the new book shows asks at or below a resting buy, the buy takes them."""
    b = Book(bids=[Level(D("9.98"), 100)], asks=[Level(D("9.99"), 300)], last=D("9.99"))
    pf = passive_fill(b, Side.BUY, D("10.00"), 1000, 0, 0)
    assert pf.fills == [(D("9.99"), 300)]
