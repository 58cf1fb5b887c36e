"""Session phases, cancel windows, order acceptance and order types (fact sheet §5, §7.1)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from rules_helpers import CAL, at, inst

from ashare_exec.model import Exchange, PriceType, ProductType, TradingPhase
from ashare_exec.rules import (
    RulesConfig,
    accepts_orders,
    allowed_price_types,
    cancel_allowed,
    phase_at,
)

P = TradingPhase
SH, SZ, BJ = Exchange.SH, Exchange.SZ, Exchange.BJ

PHASES: list[tuple[Exchange, str, ProductType | None, TradingPhase]] = [
    (SH, "2026-11-25 09:00", None, P.PRE_OPEN),
    (SH, "2026-11-25 09:15", None, P.OPENING_AUCTION),
    (SZ, "2026-11-25 09:19:59", None, P.OPENING_AUCTION),
    (SZ, "2026-11-25 09:20", None, P.OPENING_AUCTION_NO_CANCEL),
    (BJ, "2026-11-25 09:24:59", None, P.OPENING_AUCTION_NO_CANCEL),
    (SH, "2026-11-25 09:25", None, P.PRE_CONTINUOUS),
    (SH, "2026-11-25 09:30", None, P.CONTINUOUS),
    (SH, "2026-11-25 11:29:59", None, P.CONTINUOUS),
    (SH, "2026-11-25 11:30", None, P.LUNCH_BREAK),
    (SZ, "2026-11-25 12:59:59", None, P.LUNCH_BREAK),
    (SZ, "2026-11-25 13:00", None, P.CONTINUOUS),
    (SZ, "2026-11-25 14:56:59", None, P.CONTINUOUS),
    (SZ, "2026-11-25 14:57", None, P.CLOSING_AUCTION),
    (SH, "2026-11-25 14:59:59", None, P.CLOSING_AUCTION),
    (BJ, "2026-11-25 14:58", None, P.CLOSING_AUCTION),
    (SH, "2026-11-25 15:00", None, P.AFTER_HOURS),
    (SH, "2026-11-25 15:30", None, P.POST_CLOSE),
    # SSE funds: closing auction only from 2026-07-06; SSE stocks from 2018-08-20
    (SH, "2026-07-03 14:58", ProductType.ETF, P.CONTINUOUS),
    (SH, "2026-07-06 14:58", ProductType.ETF, P.CLOSING_AUCTION),
    (SZ, "2026-07-03 14:58", ProductType.ETF, P.CLOSING_AUCTION),
    (SH, "2018-08-17 14:58", ProductType.STOCK, P.CONTINUOUS),
    (SH, "2018-08-20 14:58", ProductType.STOCK, P.CLOSING_AUCTION),
    # reverse repo trades continuously until 15:30
    (SH, "2026-11-25 15:10", ProductType.REPO, P.CONTINUOUS),
    # weekends, make-up weekends and holidays are closed all day
    (SH, "2026-11-28 10:00", None, P.CLOSED),
    (SH, "2026-01-04 10:00", None, P.CLOSED),
    (SZ, "2026-10-01 10:00", None, P.CLOSED),
]


@pytest.mark.parametrize(("exchange", "ts", "product", "phase"), PHASES)
def test_phase_at_when_time_given_returns_session_phase(
    exchange: Exchange, ts: str, product: ProductType | None, phase: TradingPhase
) -> None:
    assert phase_at(exchange, at(ts), CAL, product) is phase


def test_phase_at_when_utc_timestamp_converts_to_china_time() -> None:
    ts = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 CST
    assert phase_at(SH, ts, CAL) is P.CONTINUOUS


def test_phase_at_when_naive_timestamp_taken_as_china_time() -> None:
    assert phase_at(SH, datetime(2026, 11, 25, 14, 58), CAL) is P.CLOSING_AUCTION


@pytest.mark.parametrize(
    ("phase", "allowed"),
    [
        (P.OPENING_AUCTION, True),
        (P.OPENING_AUCTION_NO_CANCEL, False),  # 9:20-9:25
        (P.PRE_CONTINUOUS, True),
        (P.CONTINUOUS, True),
        (P.LUNCH_BREAK, False),
        (P.CLOSING_AUCTION, False),  # 14:57-15:00
        (P.AFTER_HOURS, True),
        (P.CLOSED, False),
        (P.PRE_OPEN, False),
        (P.POST_CLOSE, False),
    ],
)
def test_cancel_allowed_when_phase_given_forbids_no_cancel_windows(
    phase: TradingPhase, allowed: bool
) -> None:
    assert cancel_allowed(phase) is allowed


def test_cancel_allowed_when_lunch_configured_allows_lunch_cancels() -> None:
    assert cancel_allowed(P.LUNCH_BREAK, config=RulesConfig(accept_orders_during_lunch=True))


L, M, AH = PriceType.LIMIT, PriceType.BEST5_IOC, PriceType.AFTER_HOURS_FIXED
ACCEPTS: list[tuple[TradingPhase, PriceType, Exchange | None, bool]] = [
    (P.PRE_OPEN, L, None, False),
    (P.OPENING_AUCTION, L, None, True),
    (P.OPENING_AUCTION_NO_CANCEL, L, None, True),
    (P.PRE_CONTINUOUS, L, None, True),
    (P.CONTINUOUS, L, None, True),
    (P.LUNCH_BREAK, L, None, False),
    (P.CLOSING_AUCTION, L, None, True),
    (P.AFTER_HOURS, L, None, False),
    (P.OPENING_AUCTION, M, None, False),
    (P.CONTINUOUS, M, None, True),
    (P.CONTINUOUS, PriceType.FOK, None, True),
    (P.CLOSING_AUCTION, M, None, False),
    (P.LUNCH_BREAK, M, None, False),
    (P.OPENING_AUCTION, AH, SH, False),  # SSE after-hours orders from 9:30
    (P.OPENING_AUCTION, AH, SZ, True),  # SZSE from 9:15
    (P.CONTINUOUS, AH, SH, True),
    (P.AFTER_HOURS, AH, SZ, True),
    (P.POST_CLOSE, AH, SZ, False),
    (P.LUNCH_BREAK, AH, SZ, False),
]


@pytest.mark.parametrize(("phase", "price_type", "exchange", "ok"), ACCEPTS)
def test_accepts_orders_when_phase_and_type_given_gates_market_orders_to_continuous(
    phase: TradingPhase, price_type: PriceType, exchange: Exchange | None, ok: bool
) -> None:
    assert accepts_orders(phase, price_type, exchange=exchange) is ok


def test_accepts_orders_when_lunch_configured_accepts_limit_orders() -> None:
    assert accepts_orders(P.LUNCH_BREAK, L, config=RulesConfig(accept_orders_during_lunch=True))


CB, OB, IOC, FOK, B5L = (
    PriceType.COUNTERPARTY_BEST,
    PriceType.OWN_BEST,
    PriceType.IOC,
    PriceType.FOK,
    PriceType.BEST5_TO_LIMIT,
)
DAY = date(2026, 11, 25)
TYPES: list[tuple[str, date, frozenset[PriceType]]] = [
    ("600000.SH", DAY, frozenset({L, M, B5L})),
    ("688981.SH", DAY, frozenset({L, M, B5L, CB, OB, AH})),
    ("000001.SZ", DAY, frozenset({L, CB, OB, IOC, M, FOK})),
    ("300750.SZ", DAY, frozenset({L, CB, OB, IOC, M, FOK, AH})),
    ("300750.SZ", date(2020, 8, 21), frozenset({L, CB, OB, IOC, M, FOK})),
    ("920163.BJ", DAY, frozenset({L, CB, OB, M, B5L, AH})),
    ("510300.SH", DAY, frozenset({L, M, B5L})),
    ("159915.SZ", DAY, frozenset({L, CB, OB, IOC, M, FOK})),
    ("113052.SH", DAY, frozenset({L, M, B5L})),
    ("113052.SH", date(2022, 7, 29), frozenset({L})),
    ("900901.SH", DAY, frozenset({L})),
    ("204001.SH", DAY, frozenset({L})),
    ("000001.SH", DAY, frozenset()),
]


@pytest.mark.parametrize(("symbol", "day", "types"), TYPES)
def test_allowed_price_types_when_exchange_and_board_given_returns_offered_types(
    symbol: str, day: date, types: frozenset[PriceType]
) -> None:
    assert allowed_price_types(inst(symbol), day) == types


@pytest.mark.parametrize(
    ("cfg", "symbol", "day", "extra"),
    [
        (RulesConfig(sse_main_best_price_orders=True), "600000.SH", DAY, {CB, OB}),
        (RulesConfig(main_board_after_hours=True), "000001.SZ", DAY, {AH}),
        (RulesConfig(main_board_after_hours=True), "000001.SZ", date(2026, 7, 3), set()),
    ],
)
def test_allowed_price_types_when_unconfirmed_types_enabled_adds_them(
    cfg: RulesConfig, symbol: str, day: date, extra: set[PriceType]
) -> None:
    added = allowed_price_types(inst(symbol), day, config=cfg) - allowed_price_types(
        inst(symbol), day
    )
    assert added == extra
