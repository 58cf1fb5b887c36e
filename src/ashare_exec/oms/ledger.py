"""Positions and cash per account, derived from order events and corrected by the broker.

* Buys today are not sellable (T+1) unless the instrument is T+0.
* A working sell freezes its leaves quantity from ``sellable``.
* A working buy freezes ``leaves * price`` plus the estimated fees from ``available``.
* Freezes are recomputed from the order after every event, so cancel / reject / expire /
  fill release exactly what the order no longer needs, in any order of arrival.
* A fill's fee is the venue's when reported, else the injected fee function's estimate.
* :meth:`Ledger.apply_broker_snapshot` (:mod:`ashare_exec.oms.broker_snapshot`) sets our
  figures to the broker's (less the freezes of our orders the broker has not seen,
  :mod:`ashare_exec.oms.snapshot`) and returns the corrections as
  :class:`~ashare_exec.model.portfolio.LedgerCorrected` events to journal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from ashare_exec.model.enums import Side
from ashare_exec.model.events import OrderEvent, OrderFilled, OrderSpec
from ashare_exec.model.identifiers import AccountId, ClientOrderId, InstrumentId
from ashare_exec.model.order import ApplyResult, Order
from ashare_exec.model.portfolio import (
    Cash,
    DayRolled,
    LedgerCorrected,
    LedgerEvent,
    Position,
)
from ashare_exec.oms.broker_snapshot import BrokerSnapshotMixin, Freeze

__all__ = ["FeeFunction", "Ledger", "LedgerUpdate"]

FeeFunction = Callable[[InstrumentId, Side, int, Decimal], Decimal]
"""``fee(instrument, side, qty, price) -> fee`` for one fill or one freeze estimate."""

_ZERO = Decimal(0)
_COST_EXP = Decimal("0.00000001")
_INT_FIELDS = frozenset({"total", "sellable", "frozen", "bought_today"})


@dataclass(frozen=True, slots=True)
class LedgerUpdate:
    """What one event changed in the ledger (for the journal's projections)."""

    position: Position | None = None
    cash: Cash | None = None
    fee: Decimal | None = None
    """The fee booked for a fill (the venue's, or the estimate)."""


_NO_UPDATE = LedgerUpdate()


class Ledger(BrokerSnapshotMixin):
    """Positions and cash of every account.

    Args:
        fee_fn: estimates fees for fills without a venue fee, and for buy freezes.
        is_t0: whether an instrument may be sold the day it is bought.
        freeze_price: price used to freeze cash for an order without a limit or
            protection price (e.g. the limit-up price); ``None`` freezes nothing for it.
    """

    def __init__(
        self,
        fee_fn: FeeFunction,
        *,
        is_t0: Callable[[InstrumentId], bool] | None = None,
        freeze_price: Callable[[OrderSpec], Decimal | None] | None = None,
    ) -> None:
        self._fee_fn = fee_fn
        self._is_t0 = is_t0 or (lambda _i: False)
        self._freeze_price = freeze_price
        self._positions: dict[tuple[AccountId, InstrumentId], Position] = {}
        self._cash: dict[AccountId, Cash] = {}
        self._freezes: dict[tuple[AccountId, ClientOrderId], Freeze] = {}
        """Per working order: what it freezes, and for how many leaves."""
        self._day: dict[AccountId, date] = {}

    # --- queries ------------------------------------------------------------------

    def position(self, account_id: AccountId, instrument_id: InstrumentId) -> Position:
        """Return the position (flat when never traded)."""
        pos = self._positions.get((account_id, instrument_id))
        return pos if pos is not None else Position(account_id, instrument_id)

    def positions(self, account_id: AccountId | None = None) -> list[Position]:
        """Return all known positions, optionally of one account, sorted by instrument."""
        found = [
            p for (a, _i), p in self._positions.items() if account_id is None or a == account_id
        ]
        return sorted(found, key=lambda p: (p.account_id, p.instrument_id))

    def cash(self, account_id: AccountId) -> Cash:
        """Return the account's cash (zero when never set)."""
        cash = self._cash.get(account_id)
        return cash if cash is not None else Cash(account_id)

    def accounts(self) -> list[AccountId]:
        """Every account with cash or positions."""
        found = set(self._cash) | {a for a, _i in self._positions}
        return sorted(found)

    def order_freeze(self, account_id: AccountId, client_order_id: ClientOrderId) -> int | Decimal:
        """What the order currently freezes: shares for a sell, cash for a buy."""
        record = self._freezes.get((account_id, client_order_id))
        return 0 if record is None else record.amount

    def freeze_for(self, spec: OrderSpec, leaves: int) -> int | Decimal:
        """What an order freezes with ``leaves`` working: shares for a sell, cash for a buy."""
        return self._freeze_amount(spec, leaves)

    def trading_day(self, account_id: AccountId) -> date | None:
        """The last day rolled to, if any."""
        return self._day.get(account_id)

    # --- order events ---------------------------------------------------------------

    def on_order_event(self, order: Order, event: OrderEvent, result: ApplyResult) -> LedgerUpdate:
        """Book the consequences of an event the order has just applied.

        Call it after :meth:`Order.apply` with the result; duplicates change nothing.
        """
        if result.duplicate:
            return _NO_UPDATE
        spec = order.spec
        key = (spec.account_id, spec.instrument_id)
        fee: Decimal | None = None
        touched_cash = touched_pos = False
        if type(event) is OrderFilled:
            fee = event.fee
            if fee is None:
                fee = self._fee_fn(spec.instrument_id, spec.side, event.last_qty, event.last_px)
            self._book_fill(spec, event.last_qty, event.last_px, fee)
            touched_cash = touched_pos = True
        if self._refreeze(order):
            if spec.side is Side.BUY:
                touched_cash = True
            else:
                touched_pos = True
        if not (touched_cash or touched_pos):
            return _NO_UPDATE
        return LedgerUpdate(
            position=self._positions.get(key) if touched_pos else None,
            cash=self._cash.get(spec.account_id) if touched_cash else None,
            fee=fee,
        )

    def _book_fill(self, spec: OrderSpec, qty: int, px: Decimal, fee: Decimal) -> None:
        account = spec.account_id
        pos = self.position(account, spec.instrument_id)
        cash = self.cash(account)
        gross = qty * px
        if spec.side is Side.BUY:
            new_total = pos.total + qty
            cost = pos.avg_cost * pos.total + gross + fee if pos.total > 0 else gross + fee
            avg = (cost / new_total).quantize(_COST_EXP) if new_total > 0 else _ZERO
            t0 = self._is_t0(spec.instrument_id)
            pos = Position(
                account,
                spec.instrument_id,
                new_total,
                pos.sellable + qty if t0 else pos.sellable,
                pos.frozen,
                pos.bought_today + qty,
                avg,
                pos.realised_pnl,
                pos.fees + fee,
            )
            cash = Cash(account, cash.available - gross - fee, cash.frozen, cash.fees_paid + fee)
        else:
            new_total = pos.total - qty
            pnl = gross - fee - qty * pos.avg_cost
            pos = Position(
                account,
                spec.instrument_id,
                new_total,
                pos.sellable - qty,
                pos.frozen,
                pos.bought_today,
                pos.avg_cost if new_total > 0 else _ZERO,
                pos.realised_pnl + pnl,
                pos.fees + fee,
            )
            cash = Cash(account, cash.available + gross - fee, cash.frozen, cash.fees_paid + fee)
        self._positions[(account, spec.instrument_id)] = pos
        self._cash[account] = cash

    def _refreeze(self, order: Order) -> bool:
        spec = order.spec
        fkey = (spec.account_id, spec.client_order_id)
        record = self._freezes.get(fkey)
        old_leaves, old = (0, 0) if record is None else (record.leaves, record.amount)
        leaves = order.leaves_qty
        if leaves == old_leaves:
            return False  # most events (acks, restatements) leave the freeze as it was
        fresh = self._freeze(spec, leaves)
        new = fresh.amount
        if new == old:
            return False
        if leaves:
            self._freezes[fkey] = fresh
        else:
            self._freezes.pop(fkey, None)
        delta = new - old
        if spec.side is Side.SELL:
            pos = self.position(spec.account_id, spec.instrument_id)
            if delta < 0:
                # Release no more than is frozen, nor past the shares held less today's
                # buys (T+1): a broker snapshot may have released them already.
                locked = 0 if self._is_t0(spec.instrument_id) else pos.bought_today
                cap = max(0, pos.total - pos.sellable - locked)
                delta = -min(-int(delta), max(0, pos.frozen), cap)
            self._positions[(spec.account_id, spec.instrument_id)] = Position(
                pos.account_id,
                pos.instrument_id,
                pos.total,
                pos.sellable - int(delta),
                pos.frozen + int(delta),
                pos.bought_today,
                pos.avg_cost,
                pos.realised_pnl,
                pos.fees,
            )
        else:
            cash = self.cash(spec.account_id)
            if delta < 0:
                delta = -min(-delta, max(_ZERO, cash.frozen))  # as above, for cash
            self._cash[spec.account_id] = Cash(
                cash.account_id, cash.available - delta, cash.frozen + delta, cash.fees_paid
            )
        return True

    def _freeze_amount(self, spec: OrderSpec, leaves: int) -> int | Decimal:
        return self._freeze(spec, leaves).amount

    def _freeze(self, spec: OrderSpec, leaves: int) -> Freeze:
        if spec.side is Side.SELL:
            return Freeze(leaves, leaves, None)
        px = spec.price if spec.price is not None else spec.protection_price
        if px is None and self._freeze_price is not None:
            px = self._freeze_price(spec)
        if leaves == 0 or px is None:
            return Freeze(leaves, _ZERO, _ZERO)
        fee = self._fee_fn(spec.instrument_id, Side.BUY, leaves, px)
        return Freeze(leaves, leaves * px + fee, fee)

    # --- recovery -------------------------------------------------------------------

    def restore(
        self,
        positions: Iterable[Position],
        cash: Iterable[Cash],
        days: Mapping[AccountId, date],
        orders: Iterable[Order],
        *,
        unrolled: Iterable[tuple[AccountId, InstrumentId]] = (),
    ) -> None:
        """Load saved figures into this (empty) ledger, e.g. from the journal's projections.

        ``unrolled`` names positions saved before their account's last day roll (the roll
        itself writes no position row): their shares bought earlier become sellable here.
        The per-order freezes are recomputed from the working ``orders``, as
        :meth:`on_order_event` would compute them; the frozen totals are taken as saved.
        """
        for pos in positions:
            self._positions[(pos.account_id, pos.instrument_id)] = pos
        for c in cash:
            self._cash[c.account_id] = c
        self._day.update(days)
        for key in unrolled:
            pos = self._positions[key]
            if pos.bought_today:
                self._positions[key] = self._rolled(pos)
        for order in orders:
            leaves = order.leaves_qty
            if not leaves:
                continue
            record = self._freeze(order.spec, leaves)
            if record.amount != 0:
                self._freezes[(order.spec.account_id, order.spec.client_order_id)] = record

    # --- ledger events --------------------------------------------------------------

    def apply_ledger_event(self, event: LedgerEvent) -> LedgerUpdate:
        """Apply a :class:`LedgerCorrected` or :class:`DayRolled` (live or on replay)."""
        if isinstance(event, LedgerCorrected):
            return self._apply_correction(event)
        if isinstance(event, DayRolled):
            self._roll(event.account_id, event.day)
            return _NO_UPDATE
        raise TypeError(f"not a ledger event: {type(event).__name__}")

    def _apply_correction(self, event: LedgerCorrected) -> LedgerUpdate:
        account = event.account_id
        if event.instrument_id is None:
            cash = self.cash(account)
            if event.field not in ("available", "frozen"):
                raise ValueError(f"cannot correct cash field {event.field!r}")
            values = {"available": cash.available, "frozen": cash.frozen, event.field: event.after}
            cash = Cash(account, values["available"], values["frozen"], cash.fees_paid)
            self._cash[account] = cash
            return LedgerUpdate(cash=cash)
        pos = self.position(account, event.instrument_id)
        fields: dict[str, int | Decimal] = {
            "total": pos.total,
            "sellable": pos.sellable,
            "frozen": pos.frozen,
            "bought_today": pos.bought_today,
            "avg_cost": pos.avg_cost,
        }
        if event.field not in fields:
            raise ValueError(f"cannot correct position field {event.field!r}")
        fields[event.field] = int(event.after) if event.field in _INT_FIELDS else event.after
        t1_locked = 0 if self._is_t0(event.instrument_id) else int(fields["bought_today"])
        if event.field == "sellable":
            # The broker's sellable already counts shares our working sells froze that it
            # has released (e.g. after the close, its order still listed): they are not
            # frozen here any more, so those orders' ends release nothing twice. Today's
            # buys stay locked unless even that leaves too little room (then the broker
            # released them too: below). (Not on "total": a snapshot corrects total first,
            # with our sellable still to come.)
            room = max(0, int(fields["total"]) - int(fields["sellable"]) - t1_locked)
            fields["frozen"] = min(int(fields["frozen"]), room)
        locked = int(fields["total"]) - int(fields["sellable"]) - int(fields["frozen"])
        if event.field != "bought_today" and not self._is_t0(event.instrument_id):
            # The broker released T+1 shares before our day started (its night switch came
            # first): they are no longer "bought today", or our roll would add them again.
            fields["bought_today"] = max(0, min(int(fields["bought_today"]), locked))
        pos = Position(
            account,
            event.instrument_id,
            int(fields["total"]),
            int(fields["sellable"]),
            int(fields["frozen"]),
            int(fields["bought_today"]),
            Decimal(fields["avg_cost"]),
            pos.realised_pnl,
            pos.fees,
        )
        self._positions[(account, event.instrument_id)] = pos
        return LedgerUpdate(position=pos)

    def roll_day(self, account_id: AccountId, day: date, ts_event: datetime) -> DayRolled | None:
        """Start ``day``: shares bought earlier become sellable. ``None`` if already there.

        Journal the returned event; replay applies it with :meth:`apply_ledger_event`.
        """
        last = self._day.get(account_id)
        if last is not None and day <= last:
            return None
        event = DayRolled(account_id=account_id, ts_event=ts_event, day=day)
        self._roll(account_id, day)
        return event

    def _roll(self, account_id: AccountId, day: date) -> None:
        last = self._day.get(account_id)
        if last is not None and day <= last:
            return
        self._day[account_id] = day
        for key, pos in list(self._positions.items()):
            if key[0] != account_id or pos.bought_today == 0:
                continue
            self._positions[key] = self._rolled(pos)

    def _rolled(self, pos: Position) -> Position:
        t0 = self._is_t0(pos.instrument_id)
        return Position(
            pos.account_id,
            pos.instrument_id,
            pos.total,
            pos.sellable if t0 else pos.sellable + pos.bought_today,
            pos.frozen,
            0,
            pos.avg_cost,
            pos.realised_pnl,
            pos.fees,
        )
