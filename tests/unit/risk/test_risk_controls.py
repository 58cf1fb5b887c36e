"""In-trade controls with explicit times: rate limits, daily counts, cancel ratio,
rejection breaker, daily loss, kill switch, chase guard."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from risk_helpers import IID, T0, StubView, engine, inst, order, quote, wo

from ashare_exec.model import Side, TradingState
from ashare_exec.risk import GLOBAL, CancelAllAction, InMemoryAccount
from ashare_exec.risk.controls import SWEEP_AT, AccountControls

MS = timedelta(milliseconds=1)


def _buy(i: int) -> object:
    # distinct prices so the duplicate guard does not interfere
    return order(price=f"{Decimal('9.50') + Decimal(i) / 100:.2f}")


def test_rate_limit_when_burst_exceeds_per_second_cap_denies_until_window_slides(
    account: InMemoryAccount,
) -> None:
    e = engine(max_msgs_per_second=5)
    got = [e.check_order(_buy(i), inst(), quote(), account, T0 + i * MS).allowed for i in range(6)]

    later = e.check_order(_buy(7), inst(), quote(), account, T0 + 1000 * MS)

    assert got == [True] * 5 + [False]
    assert later.allowed  # the first message left the 1 s window exactly at +1 s


def test_rate_limit_when_cancels_fill_the_window_orders_are_limited_but_cancels_never(
    account: InMemoryAccount,
) -> None:
    e = engine(max_msgs_per_second=3)
    cancels = [e.check_cancel("acc1", T0 + i * MS).allowed for i in range(10)]

    d = e.check_order(order(), inst(), quote(), account, T0 + 20 * MS)

    assert all(cancels)
    assert d.reasons == ("RATE_LIMITED",)


def test_rate_limit_when_accounts_together_exceed_global_cap_denies(
    account: InMemoryAccount,
) -> None:
    e = engine(global_max_msgs_per_second=4)
    for i in range(2):
        e.check_order(_buy(i), inst(), quote(), account, T0 + i * MS)
        e.check_cancel("acc2", T0 + i * MS)

    d = e.check_order(_buy(9), inst(), quote(), account, T0 + 5 * MS)

    assert d.reasons == ("RATE_LIMITED",)


def test_daily_count_when_warn_fraction_reached_alerts_once(account: InMemoryAccount) -> None:
    e = engine(max_daily_orders=10, daily_warn_fraction="0.5", max_msgs_per_second=100)
    alerts = []
    for i in range(6):
        alerts += e.check_order(_buy(i), inst(), quote(), account, T0 + i * MS).alerts

    assert [a.code for a in alerts] == ["DAILY_COUNT_LIMIT"]
    assert alerts[0].severity == "WARNING"


def test_daily_count_when_limit_reached_denies_and_resets_next_day(
    account: InMemoryAccount,
) -> None:
    e = engine(max_daily_orders=3, max_msgs_per_second=100)
    for i in range(3):
        e.check_order(_buy(i), inst(), quote(), account, T0 + i * MS)

    today = e.check_order(_buy(5), inst(), quote(), account, T0 + 10 * MS)
    tomorrow = e.check_order(_buy(5), inst(), quote(), account, T0 + timedelta(days=1))

    assert today.reasons == ("DAILY_COUNT_LIMIT",)
    assert tomorrow.allowed


def test_cancel_ratio_when_over_limit_starts_cooldown_that_expires(
    account: InMemoryAccount,
) -> None:
    e = engine(
        cancel_ratio_limit="0.5",
        cancel_ratio_warn="0.3",
        cancel_ratio_min_orders=4,
        cancel_ratio_cooldown_s=30,
        max_msgs_per_second=100,
    )
    for i in range(4):
        e.check_order(_buy(i), inst(), quote(), account, T0 + i * MS)
    alerts = []
    for i in range(3):
        alerts += e.check_cancel("acc1", T0 + (10 + i) * MS).alerts

    during = e.check_order(_buy(8), inst(), quote(), account, T0 + timedelta(seconds=29))
    after = e.check_order(_buy(8), inst(), quote(), account, T0 + timedelta(seconds=31))

    assert [a.severity for a in alerts] == ["WARNING", "CRITICAL"]  # 2/4 warns, 3/4 fires
    assert during.reasons == ("CANCEL_RATIO_LIMIT",)
    assert after.allowed


def test_rejection_breaker_when_streak_reaches_cap_halts_and_cancels_all() -> None:
    e = engine(max_consecutive_rejections=3)
    first = [e.on_order_rejected("acc1", T0, "BROKER_REJECTED") for _ in range(2)]

    third = e.on_order_rejected("acc1", T0, "BROKER_REJECTED")
    d = e.check_order(order(), inst(), quote(), StubView(), T0)

    assert all(o.alerts == () for o in first)
    assert e.trading_state("acc1") is TradingState.HALTED
    assert "rejection_breaker" in [a.control for a in third.alerts]
    assert third.actions == (CancelAllAction("acc1", "HALTED"),)
    assert "TRADING_HALTED" in d.reasons


def test_rejection_breaker_when_accept_in_between_resets_streak() -> None:
    e = engine(max_consecutive_rejections=2)
    e.on_order_rejected("acc1", T0)
    e.on_order_accepted("acc1")

    e.on_order_rejected("acc1", T0)

    assert e.trading_state("acc1") is TradingState.ACTIVE


def test_daily_loss_when_limit_hit_switches_to_reduce_only() -> None:
    e = engine(daily_loss_limit="5000")
    view = StubView(pnl=Decimal(-5000))

    buy = e.check_order(order(), inst(), quote(), view, T0)

    assert e.trading_state("acc1") is TradingState.REDUCE_ONLY
    assert set(buy.reasons) >= {"REDUCE_ONLY", "DAILY_LOSS_LIMIT"}
    assert [a.control for a in buy.alerts] == ["daily_loss"]


def test_daily_loss_when_pct_limit_hit_allows_reducing_sells(
    account: InMemoryAccount,
) -> None:
    e = engine(daily_loss_limit_pct="0.0005")
    account.roll_day()
    account.marks[IID] = Decimal("9.00")  # 1000 shares lose 1,000 of ~1,010,000 (~0.1%)

    e.evaluate_account("acc1", account, T0)
    sell = e.check_order(
        order(side=Side.SELL, qty=1000, price="9.00"),
        inst(),
        quote(last="9.00", bid="8.99", ask="9.01"),
        account,
        T0,
    )

    assert e.trading_state("acc1") is TradingState.REDUCE_ONLY
    assert sell.allowed


def test_kill_switch_when_global_halt_refuses_every_account_and_is_audited() -> None:
    e = engine()

    record, out = e.set_trading_state(
        GLOBAL, TradingState.HALTED, actor="ops", now=T0, reason="drill"
    )
    d = e.check_order(order(account="other"), inst(), quote(), StubView(), T0)

    assert d.reasons[0] == "TRADING_HALTED"
    assert record.changes == {"trading_state": ("ACTIVE", "HALTED")}
    assert out.actions == (CancelAllAction(None, "HALTED"),)


def test_kill_switch_when_halt_without_cancel_all_requests_no_action() -> None:
    e = engine()

    _, out = e.set_trading_state("acc1", TradingState.HALTED, actor="ops", now=T0, cancel_all=False)

    assert out.actions == ()


def test_kill_switch_when_resumed_allows_again(account: InMemoryAccount) -> None:
    e = engine()
    e.set_trading_state("acc1", TradingState.HALTED, actor="ops", now=T0)

    e.set_trading_state("acc1", TradingState.ACTIVE, actor="ops", now=T0)

    assert e.check_order(order(), inst(), quote(), account, T0).allowed


def test_chase_guard_when_cancel_resubmit_loop_near_limit_up_denies(
    account: InMemoryAccount,
) -> None:
    e = engine(max_price_deviation=False, max_msgs_per_second=100)
    prices = ["10.90", "10.91", "10.92", "10.93"]
    results = []
    for i, p in enumerate(prices):
        now = T0 + timedelta(seconds=i)
        d = e.check_order(order(price=p), inst(), quote(last=p, bid=p, ask="10.99"), account, now)
        results.append(d)
        e.check_cancel("acc1", now + 100 * MS, order=wo(Side.BUY, p))

    assert [r.allowed for r in results] == [True, True, True, False]
    assert results[3].reasons == ("CHASE_GUARD",)


def test_day_stats_when_many_days_pass_keeps_only_recent_days() -> None:
    from ashare_exec.risk.controls import KEEP_DAYS, AccountControls

    ctl = AccountControls()
    for i in range(KEEP_DAYS + 5):
        ctl.day(f"2026-01-{i + 1:02d}" if i < 31 else f"2026-02-{i - 30:02d}")

    assert len(ctl.stats) == KEEP_DAYS
    assert "2026-01-01" not in ctl.stats


def test_duplicate_and_chase_windows_when_a_new_day_starts_are_emptied() -> None:
    # A key not seen again was only ever pruned when asked about: one per distinct order,
    # kept for good by a service that runs for weeks.
    ctl = AccountControls()
    ctl.day("2026-11-25")
    for i in range(50):
        ctl.remember(ctl.duplicates, ("600000.SH", "BUY", 100, i), 1000.0 + i, 10.0)
    ctl.remember(ctl.chase, ("600000.SH", "BUY"), 1000.0, 10.0)

    ctl.day("2026-11-25")
    same_day = (len(ctl.duplicates), len(ctl.chase))
    ctl.day("2026-11-26")

    assert same_day == (50, 1)
    assert (ctl.duplicates, ctl.chase) == ({}, {})


def test_remember_when_the_table_is_large_sweeps_out_keys_whose_window_passed() -> None:
    ctl = AccountControls()
    for i in range(SWEEP_AT):
        ctl.remember(ctl.duplicates, ("old", i), 1000.0, 10.0)
    ctl.remember(ctl.duplicates, ("recent",), 1005.0, 10.0)

    ctl.remember(ctl.duplicates, ("new",), 1012.0, 10.0)  # the old ones left the window

    assert set(ctl.duplicates) == {("recent",), ("new",)}
    assert list(ctl.duplicates[("new",)]) == [1012.0]
