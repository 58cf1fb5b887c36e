"""The broker counter's books: cash (available / frozen) and positions (T+1), per account.

A buy freezes its estimated cost (price × qty + fees); each fill releases its share of the
freeze and debits the real cost. A sell freezes the shares it may sell; each fill removes
them. Shares bought today become sellable at the day roll, unless the instrument trades T+0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ashare_exec.model import AccountId, InstrumentId, Side
from ashare_exec.model.numbers import ZERO, money

__all__ = ["Account", "Holding", "InsufficientFunds"]


class InsufficientFunds(Exception):
    """Not enough available cash or sellable shares (carries the reason code)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)
class Holding:
    """One position.

    ``total`` counts every share held; ``settled`` the shares that may be sold today
    (yesterday's holding, or all for T+0 instruments) not yet sold; ``frozen`` the shares
    committed to open sell orders; ``cost`` the total cost paid (fees included).
    """

    total: int = 0
    settled: int = 0
    frozen: int = 0
    cost: Decimal = ZERO

    @property
    def sellable(self) -> int:
        """Shares a new sell order may use."""
        return self.settled - self.frozen


@dataclass(slots=True)
class Account:
    """Cash and positions of one account at the simulated broker."""

    account_id: AccountId
    available: Decimal
    frozen: Decimal = ZERO
    holdings: dict[InstrumentId, Holding] = field(default_factory=dict)

    @property
    def cash(self) -> Decimal:
        """Available plus frozen cash."""
        return self.available + self.frozen

    def holding(self, iid: InstrumentId) -> Holding:
        """The holding of ``iid`` (created empty on first use)."""
        h = self.holdings.get(iid)
        if h is None:
            h = self.holdings[iid] = Holding()
        return h

    def freeze_cash(self, amount: Decimal) -> None:
        """Freeze ``amount`` for a new buy.

        Raises:
            InsufficientFunds: ``INSUFFICIENT_CASH``.
        """
        if amount > self.available:
            raise InsufficientFunds(
                "INSUFFICIENT_CASH",
                f"可用资金不足: 需要 {money(amount)}, 可用 {money(self.available)}",
            )
        self.available -= amount
        self.frozen += amount

    def release_cash(self, amount: Decimal) -> None:
        """Return ``amount`` of frozen cash to available (cancel / expiry / fill)."""
        self.frozen -= amount
        self.available += amount

    def freeze_shares(self, iid: InstrumentId, qty: int) -> None:
        """Freeze ``qty`` sellable shares for a new sell.

        Raises:
            InsufficientFunds: ``INSUFFICIENT_POSITION``.
        """
        h = self.holding(iid)
        if qty > h.sellable:
            raise InsufficientFunds(
                "INSUFFICIENT_POSITION",
                f"可卖数量不足: 委托 {qty}, 可卖 {h.sellable} (当日买入的股份下一交易日可卖)",
            )
        h.frozen += qty

    def release_shares(self, iid: InstrumentId, qty: int) -> None:
        """Unfreeze ``qty`` shares of a sell (cancel / expiry)."""
        self.holding(iid).frozen -= qty

    def apply_fill(
        self,
        iid: InstrumentId,
        side: Side,
        qty: int,
        px: Decimal,
        fee: Decimal,
        released: Decimal,
        t0: bool,
    ) -> None:
        """Book one fill. For a buy, ``released`` is the frozen cash freed for this fill."""
        h = self.holding(iid)
        amount = px * qty
        if side is Side.BUY:
            self.release_cash(released)
            self.available -= amount + fee
            h.total += qty
            h.cost += amount + fee
            if t0:
                h.settled += qty
        else:
            self.available += amount - fee
            if h.total > 0:
                h.cost -= h.cost * qty / h.total
            h.total -= qty
            h.settled -= qty
            h.frozen -= qty
            h.cost = money(h.cost)

    def roll_day(self) -> None:
        """Start a new trading day: every share held becomes sellable; nothing is frozen."""
        for h in self.holdings.values():
            h.settled = h.total
            h.frozen = 0
        self.available += self.frozen
        self.frozen = ZERO
