"""Ledger arithmetic: freezes, fills, fees, T+1, day roll, broker corrections."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import oms_stubs as st
import pytest

from ashare_exec.model import CashReport, InstrumentId, OrderEvent, PositionReport, Side
from ashare_exec.oms import Ledger, OmsState, OrderBook

D = Decimal


def fee(_inst: InstrumentId, _side: Side, qty: int, px: Decimal) -> Decimal:
    """0.1% of the notional, to the cent."""
    return (qty * px * D("0.001")).quantize(D("0.01"))


def make_state(cash: str = "100000", t0: bool = False) -> OmsState:
    state = OmsState(OrderBook(), Ledger(fee, is_t0=lambda _i: t0))
    state.ledger.apply_broker_snapshot(
        st.ACC, [], CashReport(account_id=st.ACC, available=D(cash), frozen=D(0)), st.T0
    )
    return state


def run(state: OmsState, *events: OrderEvent) -> None:
    for e in events:
        state.apply(e)


def test_buy_when_submitted_freezes_notional_plus_estimated_fee() -> None:
    state = make_state()

    run(state, st.submitted(qty=1000, price="10.00"))

    cash = state.ledger.cash(st.ACC)
    assert cash.frozen == D("10010.00")  # 10000 + 0.1% fee estimate
    assert cash.available == D("89990.00")


@pytest.mark.parametrize("end", [st.canceled, st.expired, st.rejected], ids=lambda f: f.__name__)
def test_buy_when_order_ends_without_fills_releases_all_cash(end: object) -> None:
    state = make_state()

    run(state, st.submitted(), st.accepted(), end(at=9))  # type: ignore[operator]

    cash = state.ledger.cash(st.ACC)
    assert cash.frozen == 0
    assert cash.available == D("100000")


def test_buy_when_partially_filled_then_canceled_books_fill_and_releases_rest() -> None:
    state = make_state()

    run(
        state,
        st.submitted(qty=1000, price="10.00"),
        st.accepted(),
        st.filled(trade="T1", qty=400, px="9.90", fee="3.96"),
    )
    mid = state.ledger.cash(st.ACC)
    run(state, st.canceled(at=9))
    cash = state.ledger.cash(st.ACC)
    pos = state.ledger.position(st.ACC, st.INST)

    assert mid.frozen == D("6006.00")  # 600 left at 10.00 + 6.00 fee estimate
    assert cash.frozen == 0
    assert cash.available == D("100000") - D("3960") - D("3.96")
    assert cash.fees_paid == D("3.96")
    assert (pos.total, pos.bought_today, pos.sellable) == (400, 400, 0)
    assert pos.avg_cost == (D("3960") + D("3.96")) / 400


def test_fill_when_venue_gives_no_fee_uses_fee_function_estimate() -> None:
    state = make_state()

    run(state, st.submitted(), st.filled(qty=1000, px="10.00"))

    assert state.ledger.cash(st.ACC).fees_paid == D("10.00")
    assert state.ledger.position(st.ACC, st.INST).fees == D("10.00")


def test_fill_when_duplicated_is_booked_once() -> None:
    state = make_state()

    run(state, st.submitted(), st.filled(qty=500), st.filled(qty=500))

    assert state.ledger.position(st.ACC, st.INST).total == 500


@pytest.mark.parametrize(("t0", "sellable"), [(False, 0), (True, 1000)])
def test_buy_fill_when_t1_or_t0_sets_sellable_accordingly(t0: bool, sellable: int) -> None:
    state = make_state(t0=t0)

    run(state, st.submitted(), st.filled(qty=1000))

    pos = state.ledger.position(st.ACC, st.INST)
    assert pos.total == 1000
    assert pos.sellable == sellable


def test_roll_day_when_bought_yesterday_makes_shares_sellable_once() -> None:
    state = make_state()
    run(state, st.submitted(), st.filled(qty=1000))

    first = state.ledger.roll_day(st.ACC, date(2026, 11, 26), st.ts(86400))
    again = state.ledger.roll_day(st.ACC, date(2026, 11, 26), st.ts(86401))

    pos = state.ledger.position(st.ACC, st.INST)
    assert first is not None
    assert again is None
    assert (pos.sellable, pos.bought_today, pos.total) == (1000, 0, 1000)


def test_snapshot_when_broker_released_t1_shares_first_our_roll_does_not_release_them_again() -> (
    None
):
    # A broker switches to the next day in the evening; we start it at midnight.
    state = make_state()
    run(state, st.submitted(), st.filled(qty=1000, fee="0"))
    released = PositionReport(
        account_id=st.ACC, instrument_id=st.INST, total_qty=1000, sellable_qty=1000
    )

    corrections = state.ledger.apply_broker_snapshot(st.ACC, [released], None, st.ts(100))
    state.ledger.roll_day(st.ACC, date(2026, 11, 26), st.ts(86400))

    assert [(c.field, c.after) for c in corrections] == [("sellable", 1000)]
    pos = state.ledger.position(st.ACC, st.INST)
    assert (pos.total, pos.sellable, pos.bought_today) == (1000, 1000, 0)


@pytest.mark.parametrize(
    ("after_close", "sellable", "reason", "flagged"),
    [
        (True, 1000, "T1_RELEASE", False),  # the evening: the broker's night switch came first
        (False, 1000, "BROKER_SNAPSHOT", True),  # during the day the same rise is a drift
        (True, 1200, "BROKER_SNAPSHOT", True),  # more than the day's buys: a drift
        (True, 0, "BROKER_SNAPSHOT", False),  # not a rise (here: nothing to correct)
    ],
)
def test_snapshot_after_close_when_sellable_rise_covered_by_day_buys_is_a_t1_release(
    after_close: bool, sellable: int, reason: str, flagged: bool
) -> None:
    state = make_state()
    run(state, st.submitted(), st.filled(qty=1000, fee="0"))
    report = PositionReport(
        account_id=st.ACC, instrument_id=st.INST, total_qty=1000, sellable_qty=sellable
    )

    corrections = state.ledger.apply_broker_snapshot(
        st.ACC, [report], None, st.ts(100), after_close=after_close
    )

    assert [(c.reason, c.exceeds_tolerance) for c in corrections] == (
        [(reason, flagged)] if sellable else []
    )
    assert state.ledger.position(st.ACC, st.INST).sellable == sellable


def test_snapshot_after_close_when_instrument_is_t0_a_sellable_rise_is_a_drift() -> None:
    state = make_state(t0=True)
    run(state, st.submitted(), st.filled(qty=1000, fee="0"))
    state.ledger.apply_broker_snapshot(
        st.ACC,
        [PositionReport(account_id=st.ACC, instrument_id=st.INST, total_qty=1000, sellable_qty=0)],
        None,
        st.ts(50),
    )
    report = PositionReport(
        account_id=st.ACC, instrument_id=st.INST, total_qty=1000, sellable_qty=1000
    )

    corrections = state.ledger.apply_broker_snapshot(
        st.ACC, [report], None, st.ts(100), after_close=True
    )

    assert [(c.reason, c.exceeds_tolerance) for c in corrections] == [("BROKER_SNAPSHOT", True)]


def _holding(state: OmsState, qty: int = 1000, px: str = "10.00") -> None:
    run(
        state,
        st.submitted("B0", qty=qty, price=px),
        st.filled("B0", "TB0", qty=qty, px=px, fee="0"),
    )
    state.ledger.roll_day(st.ACC, date(2026, 11, 26), st.ts(86400))


def test_sell_when_working_freezes_sellable_and_fill_realises_pnl() -> None:
    state = make_state()
    _holding(state)  # 1000 @ 10.00, no fees

    run(state, st.submitted("S1", side=Side.SELL, qty=600, price="11.00"))
    pos = state.ledger.position(st.ACC, st.INST)
    assert (pos.sellable, pos.frozen) == (400, 600)

    run(state, st.filled("S1", "TS1", qty=600, px="11.00", fee="6.60", side=Side.SELL))
    pos = state.ledger.position(st.ACC, st.INST)
    cash = state.ledger.cash(st.ACC)

    assert (pos.total, pos.sellable, pos.frozen) == (400, 400, 0)
    assert pos.realised_pnl == D("600") - D("6.60")  # 600 * (11 - 10) - fee
    assert cash.available == D("100000") - D("10000") + D("6600") - D("6.60")


def test_sell_when_canceled_unfreezes_shares() -> None:
    state = make_state()
    _holding(state)

    run(state, st.submitted("S1", side=Side.SELL, qty=600), st.accepted("S1"), st.canceled("S1"))

    pos = state.ledger.position(st.ACC, st.INST)
    assert (pos.sellable, pos.frozen) == (1000, 0)


def test_late_fill_when_order_already_canceled_still_moves_cash_and_shares() -> None:
    state = make_state()
    run(state, st.submitted(), st.accepted(), st.canceled())

    run(state, st.filled(qty=100, px="10.00", fee="1.00", at=9))

    cash = state.ledger.cash(st.ACC)
    assert cash.frozen == 0
    assert cash.available == D("100000") - D("1000") - D("1.00")
    assert state.ledger.position(st.ACC, st.INST).total == 100


def test_snapshot_when_broker_differs_corrects_and_flags_over_tolerance() -> None:
    state = make_state()
    run(state, st.submitted(), st.filled(qty=1000, fee="0"))
    positions = [
        PositionReport(account_id=st.ACC, instrument_id=st.INST, total_qty=900, sellable_qty=0),
        PositionReport(account_id=st.ACC, instrument_id=st.INST2, total_qty=50, sellable_qty=50),
    ]
    cash = CashReport(account_id=st.ACC, available=D("90000.005"), frozen=D(0))

    corrections = state.ledger.apply_broker_snapshot(st.ACC, positions, cash, st.ts(100))

    by_field = {(c.instrument_id, c.field): c for c in corrections}
    assert by_field[(st.INST, "total")].after == 900
    assert by_field[(st.INST, "total")].exceeds_tolerance
    assert by_field[(st.INST2, "sellable")].after == 50
    assert not by_field[(None, "available")].exceeds_tolerance  # 0.005 within 0.01
    assert state.ledger.position(st.ACC, st.INST).total == 900
    assert state.ledger.cash(st.ACC).available == D("90000.005")


def test_snapshot_when_complete_and_broker_lacks_position_zeroes_it() -> None:
    state = make_state()
    run(state, st.submitted(), st.filled(qty=1000, fee="0"))

    corrections = state.ledger.apply_broker_snapshot(st.ACC, [], None, st.ts(100))

    assert [(c.field, c.after) for c in corrections] == [("total", 0)]
    assert state.ledger.position(st.ACC, st.INST).total == 0


def test_snapshot_when_an_instrument_is_skipped_leaves_it_listed_or_not() -> None:
    state = make_state()
    run(state, st.submitted(), st.filled(qty=1000, fee="0"))
    other = PositionReport(account_id=st.ACC, instrument_id=st.INST2, total_qty=50, sellable_qty=50)

    missing = state.ledger.apply_broker_snapshot(st.ACC, [other], None, st.ts(100), skip={st.INST})
    listed = state.ledger.apply_broker_snapshot(
        st.ACC,
        [PositionReport(account_id=st.ACC, instrument_id=st.INST, total_qty=1, sellable_qty=1)],
        None,
        st.ts(101),
        skip={st.INST},
        complete=False,
    )

    assert {c.instrument_id for c in missing} == {st.INST2}  # not zeroed though unlisted
    assert listed == []
    assert state.ledger.position(st.ACC, st.INST).total == 1000


def test_snapshot_when_replayed_as_events_gives_same_ledger() -> None:
    live = make_state()
    run(live, st.submitted(), st.filled(qty=1000, fee="0"))
    report = PositionReport(account_id=st.ACC, instrument_id=st.INST, total_qty=800, sellable_qty=0)
    corrections = live.ledger.apply_broker_snapshot(st.ACC, [report], None, st.ts(100))
    replayed = make_state()
    run(replayed, st.submitted(), st.filled(qty=1000, fee="0"))

    for c in corrections:
        replayed.apply(c)

    assert replayed.ledger.positions() == live.ledger.positions()


def test_market_buy_when_no_price_freezes_at_injected_freeze_price() -> None:
    ledger = Ledger(fee, freeze_price=lambda _spec: D("11.00"))
    state = OmsState(OrderBook(), ledger)

    run(state, st.submitted(price=None, qty=100))

    assert ledger.cash(st.ACC).frozen == D("1100") + D("1.10")


def test_market_buy_when_no_price_and_no_freeze_price_freezes_nothing() -> None:
    state = OmsState(OrderBook(), Ledger(fee))

    run(state, st.submitted(price=None, qty=100))

    assert state.ledger.cash(st.ACC).frozen == 0


def test_partial_fill_when_leaves_shrink_recomputes_buy_freeze_with_fee() -> None:
    state = make_state()
    run(state, st.submitted(qty=1000, price="10.00"))

    run(state, st.filled(trade="T1", qty=300, px="10.00", fee="0"))

    assert state.ledger.order_freeze(st.ACC, st.ClientOrderId("C1")) == D("7007.00")
    assert state.ledger.cash(st.ACC).frozen == D("7007.00")


@pytest.mark.parametrize(
    ("price", "reported", "corrected"),
    [
        ("10.005", "10.02", False),  # ours 10.01501 (fee folded in) rounds to 10.02
        ("10.00", "10.01", False),  # ours 10.01 (fee folded in) equals the broker's
        ("10.00", "10.0100", False),  # reported to 4 decimals, equal there
        ("10.00", "10.03", True),  # a real difference of 2 cents
        ("10.00", "10.1", True),  # one decimal reported: still compared to the cent
    ],
)
def test_snapshot_when_broker_rounds_avg_cost_only_real_differences_are_corrected(
    price: str, reported: str, corrected: bool
) -> None:
    state = make_state()
    run(state, st.submitted(qty=1000, price=price), st.filled(qty=1000, px=price))
    ours = state.ledger.position(st.ACC, st.INST).avg_cost
    report = PositionReport(
        account_id=st.ACC, instrument_id=st.INST, total_qty=1000, sellable_qty=0,
        avg_cost=D(reported),
    )  # fmt: skip

    corrections = state.ledger.apply_broker_snapshot(st.ACC, [report], None, st.ts(100))

    assert [c.field for c in corrections] == (["avg_cost"] if corrected else [])
    after = state.ledger.position(st.ACC, st.INST).avg_cost
    assert after == (D(reported) if corrected else ours)


def _partly_filled_buy() -> OmsState:
    """A buy of 1000 at 10.00 (freezes 10,010.00), 400 filled: 6,006.00 frozen for 600."""
    state = make_state()
    run(state, st.submitted(qty=1000, price="10.00"), st.filled(qty=400, fee="4.00"))
    cash = state.ledger.cash(st.ACC)
    assert (cash.available, cash.frozen) == (D("89990.00"), D("6006.00"))
    return state


def test_snapshot_when_broker_freezes_a_partly_filled_buy_otherwise_leaves_the_split() -> None:
    # The broker estimates the leaves' fees its own way (5.00 where we have 6.00): same
    # total, another split. Corrected, our freeze would still be released whole when the
    # order ends and the split would be off the other way; left, both end equal.
    state = _partly_filled_buy()
    broker = CashReport(account_id=st.ACC, available=D("89991.00"), frozen=D("6005.00"))

    corrections = state.ledger.apply_broker_snapshot(st.ACC, [], broker, st.ts(100), complete=False)

    assert corrections == []
    run(state, st.filled("C1", "T2", qty=600, fee="6.00"))
    cash = state.ledger.cash(st.ACC)
    broker_after = (D("89991.00") + D("6005.00") - D("6006.00"), D(0))  # its freeze released
    assert (cash.available, cash.frozen) == broker_after


def test_snapshot_when_broker_split_differs_beyond_our_fee_estimates_corrects_and_flags() -> None:
    state = _partly_filled_buy()  # 6.00 of fees estimated in the freeze
    broker = CashReport(account_id=st.ACC, available=D("89490.00"), frozen=D("6506.00"))

    corrections = state.ledger.apply_broker_snapshot(st.ACC, [], broker, st.ts(100), complete=False)

    assert [(c.field, c.after, c.exceeds_tolerance) for c in corrections] == [
        ("available", D("89490.00"), True),
        ("frozen", D("6506.00"), True),
    ]


def test_snapshot_dry_run_lists_the_corrections_a_real_run_makes_and_changes_nothing() -> None:
    state = make_state()
    run(state, st.submitted(), st.filled(qty=1000, fee="0"))
    report = PositionReport(account_id=st.ACC, instrument_id=st.INST, total_qty=900, sellable_qty=0)
    cash = CashReport(account_id=st.ACC, available=D("90100"), frozen=D(0))
    before = (state.ledger.position(st.ACC, st.INST), state.ledger.cash(st.ACC))

    dry = state.ledger.apply_broker_snapshot(st.ACC, [report], cash, st.ts(100), dry_run=True)

    assert (state.ledger.position(st.ACC, st.INST), state.ledger.cash(st.ACC)) == before
    real = state.ledger.apply_broker_snapshot(st.ACC, [report], cash, st.ts(100))
    assert [(c.field, c.after) for c in dry] == [(c.field, c.after) for c in real]
    assert [c.field for c in real] == ["total", "available"]


def test_snapshot_when_broker_no_longer_holds_a_working_sells_shares_its_end_releases_none() -> (
    None
):
    # After the close a broker may release a working order's frozen shares while still
    # listing the order as reported (found by the QMT venue soak). Set to its sellable, our
    # position must not release them a second time when the order then ends: sellable
    # would exceed the shares held.
    state = make_state()
    _holding(state)  # 1000, all sellable
    run(state, st.submitted("S1", side=Side.SELL, qty=600), st.accepted("S1"))
    broker = PositionReport(account_id=st.ACC, instrument_id=st.INST, total_qty=1000,
                            sellable_qty=1000)  # fmt: skip

    state.ledger.apply_broker_snapshot(st.ACC, [broker], None, st.ts(100))
    run(state, st.expired("S1", at=101))

    pos = state.ledger.position(st.ACC, st.INST)
    assert (pos.total, pos.sellable, pos.frozen) == (1000, 1000, 0)


def test_snapshot_when_broker_no_longer_freezes_a_working_buys_cash_its_end_releases_none() -> None:
    state = make_state()
    run(state, st.submitted(qty=1000, price="10.00"), st.accepted())
    broker = CashReport(account_id=st.ACC, available=D("100000"), frozen=D(0))

    state.ledger.apply_broker_snapshot(st.ACC, [], broker, st.ts(100))
    run(state, st.expired(at=101))

    cash = state.ledger.cash(st.ACC)
    assert (cash.available, cash.frozen) == (D("100000"), 0)


def test_snapshot_when_broker_holds_a_working_sells_shares_its_end_still_releases_them() -> None:
    state = make_state()
    _holding(state)
    run(state, st.submitted("S1", side=Side.SELL, qty=600), st.accepted("S1"))
    broker = PositionReport(account_id=st.ACC, instrument_id=st.INST, total_qty=1000,
                            sellable_qty=400)  # fmt: skip

    assert state.ledger.apply_broker_snapshot(st.ACC, [broker], None, st.ts(100)) == []
    run(state, st.canceled("S1", at=101))

    pos = state.ledger.position(st.ACC, st.INST)
    assert (pos.total, pos.sellable, pos.frozen) == (1000, 1000, 0)


def test_snapshot_when_broker_released_a_sells_shares_not_todays_buys_counts_only_the_sell() -> (
    None
):
    # Today's buys stay locked (T+1) while the broker has released a working sell's shares
    # after the close (found by the QMT crash soak across days: sellable 1,000 too high).
    state = make_state()
    _holding(state)  # 1000, sellable
    run(state, st.submitted("B1", qty=500, price="10.00"),
        st.filled("B1", "TB1", qty=500, px="10.00", fee="0"))  # fmt: skip
    run(state, st.submitted("S1", side=Side.SELL, qty=600), st.accepted("S1"))
    pos = state.ledger.position(st.ACC, st.INST)
    assert (pos.total, pos.sellable, pos.frozen, pos.bought_today) == (1500, 400, 600, 500)
    broker = PositionReport(account_id=st.ACC, instrument_id=st.INST, total_qty=1500,
                            sellable_qty=1000)  # fmt: skip

    state.ledger.apply_broker_snapshot(st.ACC, [broker], None, st.ts(100), after_close=True)
    run(state, st.expired("S1", at=101))

    pos = state.ledger.position(st.ACC, st.INST)
    assert (pos.total, pos.sellable, pos.frozen, pos.bought_today) == (1500, 1000, 0, 500)
