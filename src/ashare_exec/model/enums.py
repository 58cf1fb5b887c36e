"""Enumerations of the domain. Values are stable ASCII (never localised text)."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    """Order side."""

    BUY = "BUY"
    SELL = "SELL"

    @property
    def opposite(self) -> Side:
        """The other side."""
        return Side.SELL if self is Side.BUY else Side.BUY


class Exchange(StrEnum):
    """Listing exchange (instrument suffix)."""

    SH = "SH"  # Shanghai Stock Exchange
    SZ = "SZ"  # Shenzhen Stock Exchange
    BJ = "BJ"  # Beijing Stock Exchange


class Board(StrEnum):
    """Market board (decides band, cage, lots, order types)."""

    MAIN = "MAIN"  # SSE/SZSE main board (incl. former SME board)
    STAR = "STAR"  # SSE STAR Market 科创板 (688/689)
    CHINEXT = "CHINEXT"  # SZSE ChiNext 创业板 (300/301/302)
    BSE = "BSE"  # Beijing Stock Exchange 北交所
    B_SHARE = "B_SHARE"  # SSE 900xxx (USD) / SZSE 200xxx (HKD)
    FUND = "FUND"  # ETFs, LOFs, closed-end funds, REITs
    BOND = "BOND"  # convertible / exchangeable bonds
    REPO = "REPO"  # treasury reverse repo
    INDEX = "INDEX"  # not tradable


class ProductType(StrEnum):
    """Kind of security."""

    STOCK = "STOCK"
    CDR = "CDR"
    B_SHARE = "B_SHARE"
    ETF = "ETF"
    LOF = "LOF"
    FUND = "FUND"  # closed-end and other listed funds
    REIT = "REIT"
    CONVERTIBLE = "CONVERTIBLE"
    EXCHANGEABLE = "EXCHANGEABLE"
    REPO = "REPO"
    INDEX = "INDEX"


class PriceType(StrEnum):
    """Every A-share order price type (申报类型).

    Which exchange/board/phase accepts which type is decided by :mod:`ashare_exec.rules`.
    """

    LIMIT = "LIMIT"  # 限价
    BEST5_IOC = "BEST5_IOC"  # 最优五档即时成交剩余撤销
    BEST5_TO_LIMIT = "BEST5_TO_LIMIT"  # 最优五档即时成交剩余转限价
    COUNTERPARTY_BEST = "COUNTERPARTY_BEST"  # 对手方最优价格
    OWN_BEST = "OWN_BEST"  # 本方最优价格
    IOC = "IOC"  # 即时成交剩余撤销 (SZSE, against the whole book)
    FOK = "FOK"  # 全额成交或撤销 (SZSE)
    AFTER_HOURS_FIXED = "AFTER_HOURS_FIXED"  # 盘后固定价格 (收盘定价申报)

    @property
    def is_market(self) -> bool:
        """True for the market-order family (everything except limit and after-hours)."""
        return self not in (PriceType.LIMIT, PriceType.AFTER_HOURS_FIXED)


class TimeInForce(StrEnum):
    """Time in force. A-share limit orders are good for the day."""

    DAY = "DAY"
    IOC = "IOC"
    FOK = "FOK"


class OrderStatus(StrEnum):
    """Order status, FIX ``OrdStatus`` names (American spelling as in Nautilus)."""

    PENDING_NEW = "PENDING_NEW"  # journaled / sent, not yet acknowledged
    NEW = "NEW"  # acknowledged, working
    PARTIALLY_FILLED = "PARTIALLY_FILLED"
    FILLED = "FILLED"
    PENDING_CANCEL = "PENDING_CANCEL"
    CANCELED = "CANCELED"  # may carry fills
    REJECTED = "REJECTED"  # by broker or exchange
    DENIED = "DENIED"  # by our own risk; never sent
    EXPIRED = "EXPIRED"  # end of day
    UNKNOWN = "UNKNOWN"  # in doubt; resolved by query, never by blind resend

    @property
    def is_terminal(self) -> bool:
        """No further change is possible (late reports are absorbed)."""
        return self in TERMINAL_STATUSES

    @property
    def is_open(self) -> bool:
        """The order may still trade at the venue."""
        return self in OPEN_STATUSES


TERMINAL_STATUSES = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.REJECTED,
        OrderStatus.DENIED,
        OrderStatus.EXPIRED,
    }
)
OPEN_STATUSES = frozenset(
    {
        OrderStatus.PENDING_NEW,
        OrderStatus.NEW,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.PENDING_CANCEL,
        OrderStatus.UNKNOWN,
    }
)


class ExecType(StrEnum):
    """What just happened (FIX ``ExecType``), kept apart from the resulting status."""

    PENDING_NEW = "PENDING_NEW"
    NEW = "NEW"
    TRADE = "TRADE"
    PENDING_CANCEL = "PENDING_CANCEL"
    CANCELED = "CANCELED"
    CANCEL_REJECTED = "CANCEL_REJECTED"
    REJECTED = "REJECTED"
    DENIED = "DENIED"
    EXPIRED = "EXPIRED"
    RESTATED = "RESTATED"


class TradingPhase(StrEnum):
    """Exchange session phase at an instant."""

    CLOSED = "CLOSED"  # non-trading day, before 9:15 or after the last window
    PRE_OPEN = "PRE_OPEN"  # before the opening auction on a trading day
    OPENING_AUCTION = "OPENING_AUCTION"  # 9:15–9:20, orders and cancels
    OPENING_AUCTION_NO_CANCEL = "OPENING_AUCTION_NO_CANCEL"  # 9:20–9:25
    PRE_CONTINUOUS = "PRE_CONTINUOUS"  # 9:25–9:30, orders queued
    CONTINUOUS = "CONTINUOUS"  # 9:30–11:30, 13:00–14:57
    LUNCH_BREAK = "LUNCH_BREAK"  # 11:30–13:00
    CLOSING_AUCTION = "CLOSING_AUCTION"  # 14:57–15:00, no cancels
    AFTER_HOURS = "AFTER_HOURS"  # 15:00–15:30 after-hours fixed price / block
    POST_CLOSE = "POST_CLOSE"  # after 15:30


class TradingState(StrEnum):
    """Kill-switch state, per account and global."""

    ACTIVE = "ACTIVE"
    REDUCE_ONLY = "REDUCE_ONLY"
    HALTED = "HALTED"


class AccountStatus(StrEnum):
    """Broker account status as the venue reports it."""

    OK = "OK"
    TRANSIENT = "TRANSIENT"  # e.g. initialising, correcting; orders not accepted for now
    DOWN = "DOWN"  # logged out, closed, failed
