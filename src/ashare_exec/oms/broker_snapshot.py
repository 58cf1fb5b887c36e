"""Setting the ledger to the broker's figures (the broker is the source of truth).

:class:`BrokerSnapshotMixin` is the part of :class:`~ashare_exec.oms.ledger.Ledger` that
compares our positions and cash with a broker snapshot and corrects every difference: one
:class:`~ashare_exec.model.portfolio.LedgerCorrected` event each, to journal, flagged
``exceeds_tolerance`` above the tolerance. A correction after the close that the day's buys
cover is the broker's T+1 release (its night clearing came before our next day started):
reason ``T1_RELEASE``, never flagged.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, NamedTuple

from ashare_exec.model.identifiers import AccountId, ClientOrderId, InstrumentId
from ashare_exec.model.portfolio import (
    BROKER_SNAPSHOT,
    T1_RELEASE,
    Cash,
    LedgerCorrected,
    Position,
)
from ashare_exec.model.reports import CashReport, PositionReport

if TYPE_CHECKING:
    from ashare_exec.oms.ledger import LedgerUpdate
    from ashare_exec.oms.snapshot import UnseenFreezes

__all__ = ["BrokerSnapshotMixin", "Freeze"]

_ZERO = Decimal(0)
_CENT = Decimal("0.01")


def _same_at(ours: Decimal, theirs: Decimal) -> bool:
    """Whether two costs agree at the precision the broker reported (cents at least):
    brokers round average costs, ours keeps eight decimals; correcting the rounding would
    journal a correction after every trade and lose our precision for nothing."""
    exponent = theirs.as_tuple().exponent
    step = _CENT if not isinstance(exponent, int) else Decimal(1).scaleb(min(exponent, -2))
    return ours.quantize(step, ROUND_HALF_UP) == theirs.quantize(step, ROUND_HALF_UP)


class Freeze(NamedTuple):
    """What one working order freezes: ``amount`` (shares for a sell, cash for a buy) for
    ``leaves``; ``fee`` is the part of a buy's amount that is a fee estimate (``None``
    for a sell)."""

    leaves: int
    amount: int | Decimal
    fee: Decimal | None


class BrokerSnapshotMixin:
    """Broker-snapshot corrections of :class:`~ashare_exec.oms.ledger.Ledger`."""

    _is_t0: Callable[[InstrumentId], bool]
    _freezes: dict[tuple[AccountId, ClientOrderId], Freeze]

    if TYPE_CHECKING:  # provided by the ledger

        def position(self, account_id: AccountId, instrument_id: InstrumentId) -> Position: ...
        def positions(self, account_id: AccountId | None = None) -> list[Position]: ...
        def cash(self, account_id: AccountId) -> Cash: ...
        def _apply_correction(self, event: LedgerCorrected) -> LedgerUpdate: ...

    def apply_broker_snapshot(
        self,
        account_id: AccountId,
        positions: Iterable[PositionReport],
        cash: CashReport | None,
        ts_event: datetime,
        *,
        cash_tolerance: Decimal = Decimal("0.01"),
        qty_tolerance: int = 0,
        complete: bool = True,
        unseen: UnseenFreezes | None = None,
        after_close: bool = False,
        dry_run: bool = False,
        skip: Collection[InstrumentId] = (),
    ) -> list[LedgerCorrected]:
        """Set our figures to the broker's; return (and apply) one event per difference.

        Args:
            complete: ``positions`` is the broker's full list, so a position we hold that
                the broker does not report is corrected to zero.
            unseen: freezes of our orders the broker's figures do not contain yet (from
                :func:`~ashare_exec.oms.snapshot.unseen_freezes`): the target ``sellable``
                and ``available`` are the broker's less these, ``frozen`` the broker's plus.
            cash_tolerance / qty_tolerance: differences above these are flagged
                ``exceeds_tolerance`` (alert); smaller ones are still corrected.
            after_close: the day of our ``bought_today`` has closed, so the broker may have
                released those shares already (its night switch came before our next day
                started). A rise of ``sellable`` they cover is then corrected with reason
                ``T1_RELEASE`` and never flagged: it is the T+1 release, not a drift.
            dry_run: return the corrections without applying them (whether any is due;
                their reasons and flags may differ from those a real run gives).
            skip: instruments whose figures are left as they are this time (their orders
                moved while the broker's balances were read).
        """
        corrections: list[LedgerCorrected] = []
        held = unseen.shares if unseen is not None else {}

        def fix(inst: InstrumentId | None, name: str, ours: Decimal, theirs: Decimal) -> None:
            if ours == theirs:
                return
            limit = cash_tolerance if inst is None or name == "avg_cost" else qty_tolerance
            released = (
                after_close
                and inst is not None
                and name == "sellable"
                and self._released(account_id, inst, theirs - ours)
            )
            event = LedgerCorrected(
                account_id=account_id,
                ts_event=ts_event,
                instrument_id=inst,
                field=name,
                before=ours,
                after=theirs,
                exceeds_tolerance=not released and abs(theirs - ours) > limit,
                reason=T1_RELEASE if released else BROKER_SNAPSHOT,
            )
            if not dry_run:
                self._apply_correction(event)
            corrections.append(event)

        seen: set[InstrumentId] = set()
        for report in positions:
            if report.account_id != account_id:
                continue
            seen.add(report.instrument_id)
            if report.instrument_id in skip:
                continue
            pos = self.position(account_id, report.instrument_id)
            fix(report.instrument_id, "total", Decimal(pos.total), Decimal(report.total_qty))
            fix(
                report.instrument_id,
                "sellable",
                Decimal(pos.sellable),
                Decimal(report.sellable_qty - held.get(report.instrument_id, 0)),
            )
            if report.avg_cost is not None and not _same_at(pos.avg_cost, report.avg_cost):
                fix(report.instrument_id, "avg_cost", pos.avg_cost, report.avg_cost)
        if complete:
            for pos in self.positions(account_id):
                if pos.instrument_id in seen or pos.instrument_id in skip:
                    continue
                fix(pos.instrument_id, "total", Decimal(pos.total), _ZERO)
                sellable = Decimal(-held.get(pos.instrument_id, 0))
                fix(pos.instrument_id, "sellable", Decimal(pos.sellable), sellable)
        if cash is not None:
            ours = self.cash(account_id)
            extra = (unseen.available, unseen.frozen) if unseen is not None else (_ZERO, _ZERO)
            available, frozen = cash.available - extra[0], cash.frozen + extra[1]
            # Brokers estimate the fees of a partly filled buy's leaves their own way: the
            # split between available and frozen may differ by our fee estimates with the
            # same total. That is left as it is: corrected, each order would still release
            # our freeze when it ends, and the split would be off the other way after it.
            split_only = available + frozen == ours.available + ours.frozen
            if not split_only or abs(frozen - ours.frozen) > self.buy_fee_estimates(account_id):
                fix(None, "available", ours.available, available)
                fix(None, "frozen", ours.frozen, frozen)
        return corrections

    def _released(self, account_id: AccountId, inst: InstrumentId, rise: Decimal) -> bool:
        """Whether ``sellable`` rising by ``rise`` is the day's buys made sellable."""
        if self._is_t0(inst):
            return False
        return _ZERO < rise <= self.position(account_id, inst).bought_today

    def buy_fee_estimates(self, account_id: AccountId) -> Decimal:
        """The fees estimated into the account's buy freezes: how far a broker's frozen
        cash may differ from ours without any money being wrong (it estimates the fees of
        a partly filled buy's leaves its own way, e.g. prorated)."""
        return sum(
            (r.fee for (a, _c), r in self._freezes.items() if a == account_id and r.fee),
            _ZERO,
        )
