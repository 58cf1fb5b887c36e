"""Built-in alert rules: each fires on its condition and stays quiet otherwise."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from ashare_exec.clock import CST
from ashare_exec.model.enums import AccountStatus, PriceType, Side
from ashare_exec.model.events import (
    NOT_SENT,
    OrderAccepted,
    OrderDenied,
    OrderRejected,
    OrderSpec,
    OrderUnknown,
)
from ashare_exec.model.identifiers import AccountId, ClientOrderId, InstrumentId
from ashare_exec.model.reports import AccountStatusChanged, VenueConnected, VenueDisconnected
from ashare_exec.observability.alerts import (
    ClockDriftMeasured,
    InflightOrder,
    JournalFailed,
    LatencyObserved,
    ReconciliationMismatch,
    RiskBreakerTripped,
    Severity,
    Snapshot,
)
from ashare_exec.observability.rules import (
    AccountRule,
    ClockDriftRule,
    ConsecutiveRejectsRule,
    HftRateRule,
    InflightRule,
    JournalRule,
    LatencyRule,
    ReconciliationRule,
    RiskBreakerRule,
    SessionEdgeRule,
    VenueRule,
    build_rules,
)
from ashare_exec.observability.rules.config import (
    AccountRuleConfig,
    ClockDriftRuleConfig,
    ConsecutiveRejectsConfig,
    HftRateRuleConfig,
    InflightRuleConfig,
    JournalRuleConfig,
    LatencyRuleConfig,
    ReconciliationRuleConfig,
    RiskBreakerRuleConfig,
    RulesConfig,
    SessionEdgeRuleConfig,
    VenueRuleConfig,
)

MIDDAY = datetime(2026, 11, 25, 10, 30, tzinfo=CST)
ACC = AccountId("acc1")


def _s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def _rejected(ts: datetime = MIDDAY, acc: str = "acc1", code: str = "BROKER_REJECTED") -> object:
    return OrderRejected(
        account_id=AccountId(acc), client_order_id=ClientOrderId("c"), ts_event=ts, reason_code=code
    )


def _accepted(ts: datetime = MIDDAY) -> object:
    return OrderAccepted(account_id=ACC, client_order_id=ClientOrderId("c"), ts_event=ts)


def _denied(ts: datetime = MIDDAY) -> object:
    spec = OrderSpec(
        account_id=ACC,
        client_order_id=ClientOrderId("c"),
        instrument_id=InstrumentId.parse("600000.SH"),
        side=Side.BUY,
        qty=100,
        price_type=PriceType.LIMIT,
        price=Decimal("10.00"),
    )
    return OrderDenied(
        account_id=ACC,
        client_order_id=ClientOrderId("c"),
        ts_event=ts,
        spec=spec,
        reasons=("PRICE_OFF_TICK",),
    )


def _down(ts: datetime = MIDDAY) -> object:
    return VenueDisconnected(venue="qmt", ts_event=ts, reason="heartbeat lost")


def _up(ts: datetime = MIDDAY) -> object:
    return VenueConnected(venue="qmt", ts_event=ts)


def _account(status: AccountStatus, ts: datetime = MIDDAY) -> object:
    return AccountStatusChanged(account_id=ACC, status=status, ts_event=ts, message="m")


def test_venue_rule_when_disconnected_alerts_critical_at_once() -> None:
    rule = VenueRule(VenueRuleConfig())

    (alert,) = rule.on_event(_down(), MIDDAY)

    assert (alert.code, alert.severity, alert.labels["venue"]) == (
        "VENUE_DISCONNECTED",
        Severity.CRITICAL,
        "qmt",
    )
    assert "heartbeat lost" in alert.message


def test_venue_rule_when_grace_set_alerts_only_if_still_down_after_it() -> None:
    rule = VenueRule(VenueRuleConfig(grace_seconds=10))

    assert rule.on_event(_down(), MIDDAY) == []
    assert rule.on_tick(Snapshot(), MIDDAY + _s(9)) == []
    (alert,) = rule.on_tick(Snapshot(), MIDDAY + _s(10))
    assert alert.code == "VENUE_DISCONNECTED"
    assert rule.on_tick(Snapshot(), MIDDAY + _s(11)) == []


def test_venue_rule_when_reconnected_within_grace_stays_quiet() -> None:
    rule = VenueRule(VenueRuleConfig(grace_seconds=10))
    rule.on_event(_down(), MIDDAY)

    assert rule.on_event(_up(MIDDAY + _s(3)), MIDDAY + _s(3)) == []
    assert rule.on_tick(Snapshot(), MIDDAY + _s(30)) == []


def test_venue_rule_when_reconnected_after_alert_sends_info_with_downtime() -> None:
    rule = VenueRule(VenueRuleConfig())
    rule.on_event(_down(), MIDDAY)

    (alert,) = rule.on_event(_up(MIDDAY + _s(42)), MIDDAY + _s(42))

    assert (alert.code, alert.severity) == ("VENUE_RECONNECTED", Severity.INFO)
    assert "42.0s" in alert.message


@pytest.mark.parametrize(
    ("gaps", "storm"),
    [
        ([0, 60, 120], True),
        ([0, 200, 400], False),  # spread over more than the window
        ([0, 60], False),
    ],
)
def test_venue_rule_when_disconnects_cluster_reports_reconnect_storm(
    gaps: list[int], storm: bool
) -> None:
    rule = VenueRule(VenueRuleConfig(storm_count=3, storm_window_seconds=300))
    codes: list[str] = []
    for g in gaps:
        t = MIDDAY + _s(g)
        codes += [a.code for a in rule.on_event(_down(t), t)]
        codes += [a.code for a in rule.on_event(_up(t + _s(1)), t + _s(1))]

    assert ("RECONNECT_STORM" in codes) is storm


@pytest.mark.parametrize(
    ("config", "status", "code", "severity"),
    [
        (AccountRuleConfig(), AccountStatus.DOWN, "ACCOUNT_LOGIN_LOST", Severity.CRITICAL),
        (AccountRuleConfig(), AccountStatus.TRANSIENT, None, None),
        (
            AccountRuleConfig(alert_on_transient=True),
            AccountStatus.TRANSIENT,
            "ACCOUNT_DEGRADED",
            Severity.WARNING,
        ),
        (AccountRuleConfig(), AccountStatus.OK, None, None),
    ],
)
def test_account_rule_when_status_changes_alerts_per_config(
    config: AccountRuleConfig, status: AccountStatus, code: str | None, severity: Severity | None
) -> None:
    alerts = AccountRule(config).on_event(_account(status), MIDDAY)

    assert [(a.code, a.severity, a.account) for a in alerts] == (
        [(code, severity, "acc1")] if code else []
    )


def test_account_rule_when_ok_after_login_lost_reports_restored() -> None:
    rule = AccountRule(AccountRuleConfig())
    rule.on_event(_account(AccountStatus.DOWN), MIDDAY)

    (alert,) = rule.on_event(_account(AccountStatus.OK), MIDDAY)

    assert (alert.code, alert.severity) == ("ACCOUNT_RESTORED", Severity.INFO)


def test_consecutive_rejects_when_threshold_reached_alerts_and_ack_resets() -> None:
    rule = ConsecutiveRejectsRule(ConsecutiveRejectsConfig(threshold=3))

    assert rule.on_event(_rejected(), MIDDAY) == []
    assert rule.on_event(_rejected(), MIDDAY) == []
    (alert,) = rule.on_event(_rejected(code="X"), MIDDAY)
    assert (alert.code, alert.account) == ("CONSECUTIVE_REJECTIONS", "acc1")
    assert "BROKER_REJECTED, X" in alert.message

    rule.on_event(_accepted(), MIDDAY)
    assert rule.on_event(_rejected(), MIDDAY) == []


def test_consecutive_rejects_when_accounts_differ_counts_separately() -> None:
    rule = ConsecutiveRejectsRule(ConsecutiveRejectsConfig(threshold=2))

    rule.on_event(_rejected(acc="a"), MIDDAY)

    assert rule.on_event(_rejected(acc="b"), MIDDAY) == []


def test_rejection_rules_when_orders_were_not_sent_for_a_journal_failure_stay_quiet() -> None:
    # The gateway's own rejections (JOURNAL_ERROR pages for them), not the venue's.
    edge = datetime(2026, 11, 25, 9, 20, tzinfo=CST)
    streak = ConsecutiveRejectsRule(ConsecutiveRejectsConfig(threshold=2))
    session = SessionEdgeRule(SessionEdgeRuleConfig(min_rejections=2))
    unsent = [_rejected(edge, code=NOT_SENT) for _ in range(3)]

    assert [a for e in unsent for a in streak.on_event(e, edge)] == []
    assert [a for e in unsent for a in session.on_event(e, edge)] == []
    assert streak.on_event(_rejected(edge), edge) == []  # and they started no streak


@pytest.mark.parametrize(("include", "fires"), [(False, False), (True, True)])
def test_consecutive_rejects_when_denials_configured_counts_them(
    include: bool, fires: bool
) -> None:
    rule = ConsecutiveRejectsRule(ConsecutiveRejectsConfig(threshold=2, include_denials=include))

    alerts = rule.on_event(_denied(), MIDDAY) + rule.on_event(_denied(), MIDDAY)

    assert bool(alerts) is fires


@pytest.mark.parametrize(
    ("kind", "severity"),
    [
        ("position", Severity.CRITICAL),
        ("cash", Severity.CRITICAL),
        ("order_status", Severity.WARNING),
    ],
)
def test_reconciliation_rule_when_mismatch_reported_severity_depends_on_kind(
    kind: str, severity: Severity
) -> None:
    event = ReconciliationMismatch(account_id="acc1", kind=kind, detail="d", ts_event=MIDDAY)

    (alert,) = ReconciliationRule(ReconciliationRuleConfig()).on_event(event, MIDDAY)

    assert (alert.code, alert.severity, alert.labels["kind"]) == (
        "RECONCILIATION_MISMATCH",
        severity,
        kind,
    )


def test_reconciliation_rule_when_corrections_within_tolerance_does_not_alert() -> None:
    # A cent of cash (the broker rounds a fee differently): corrected and counted, not paged.
    event = ReconciliationMismatch(
        account_id="acc1", kind="cash", detail="d", ts_event=MIDDAY, exceeds_tolerance=False
    )

    assert ReconciliationRule(ReconciliationRuleConfig()).on_event(event, MIDDAY) == []


def test_inflight_rule_when_order_pending_too_long_alerts_per_order() -> None:
    rule = InflightRule(InflightRuleConfig(max_age_seconds=30))
    snap = Snapshot(
        inflight=(
            InflightOrder(
                account_id="acc1",
                client_order_id="old",
                status="PENDING_NEW",
                since=MIDDAY - _s(31),
            ),
            InflightOrder(
                account_id="acc1",
                client_order_id="new",
                status="PENDING_CANCEL",
                since=MIDDAY - _s(5),
            ),
        )
    )

    alerts = rule.on_tick(snap, MIDDAY)

    assert [(a.code, a.labels["client_order_id"]) for a in alerts] == [
        ("INFLIGHT_UNRESOLVED", "old")
    ]


def test_inflight_rule_when_order_unknown_warns_in_doubt() -> None:
    event = OrderUnknown(account_id=ACC, client_order_id=ClientOrderId("c9"), ts_event=MIDDAY)

    (alert,) = InflightRule(InflightRuleConfig()).on_event(event, MIDDAY)

    assert (alert.code, alert.severity, alert.labels["client_order_id"]) == (
        "ORDER_IN_DOUBT",
        Severity.WARNING,
        "c9",
    )


def test_latency_rule_when_slow_samples_in_a_row_alerts_and_fast_sample_resets() -> None:
    rule = LatencyRule(LatencyRuleConfig(ack_seconds=1.0, consecutive=2))

    def sample(seconds: float) -> list[str]:
        ev = LatencyObserved(kind="ack", seconds=seconds, ts_event=MIDDAY, account_id="acc1")
        return [a.code for a in rule.on_event(ev, MIDDAY)]

    assert sample(1.5) == []
    assert sample(0.2) == []
    assert sample(1.5) == []
    assert sample(2.5) == ["HIGH_LATENCY"]


def test_journal_rule_when_failed_or_lagging_alerts() -> None:
    rule = JournalRule(JournalRuleConfig(max_lag_seconds=5))

    (err,) = rule.on_event(JournalFailed(message="disk full", ts_event=MIDDAY), MIDDAY)
    (lag,) = rule.on_tick(Snapshot(journal_lag_seconds=6), MIDDAY)

    assert (err.code, err.severity) == ("JOURNAL_ERROR", Severity.CRITICAL)
    assert (lag.code, lag.severity) == ("JOURNAL_LAG", Severity.WARNING)
    assert rule.on_tick(Snapshot(journal_lag_seconds=5), MIDDAY) == []


def test_risk_breaker_rule_when_breaker_fires_alerts_critical() -> None:
    event = RiskBreakerTripped(
        account_id="acc1", breaker="daily_loss", reason="-3%", ts_event=MIDDAY
    )

    (alert,) = RiskBreakerRule(RiskBreakerRuleConfig()).on_event(event, MIDDAY)

    assert (alert.code, alert.severity, alert.labels["breaker"]) == (
        "RISK_BREAKER_FIRED",
        Severity.CRITICAL,
        "daily_loss",
    )


def _at(hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(2026, 11, 25, hh, mm, ss, tzinfo=CST)


@pytest.mark.parametrize(
    ("ts", "fires"),
    [
        (_at(9, 15), True),
        (_at(9, 29, 59), True),
        (_at(9, 30), False),
        (_at(14, 49, 59), False),
        (_at(14, 55), True),
        (_at(15, 0), False),
        (_at(11, 0), False),
    ],
)
def test_session_edge_rule_when_rejections_near_open_or_close_alerts(
    ts: datetime, fires: bool
) -> None:
    rule = SessionEdgeRule(SessionEdgeRuleConfig(min_rejections=2))

    alerts = rule.on_event(_rejected(ts), ts) + rule.on_event(_rejected(ts), ts)

    assert [a.code for a in alerts] == (["SESSION_EDGE_ANOMALY"] if fires else [])


def test_session_edge_rule_when_event_ts_is_utc_uses_china_time() -> None:
    from datetime import UTC

    rule = SessionEdgeRule(SessionEdgeRuleConfig())
    ts = datetime(2026, 11, 25, 6, 55, tzinfo=UTC)  # 14:55 CST

    (alert,) = rule.on_event(_down(ts), ts)

    assert alert.labels["window"] == "14:50-15:00"


@pytest.mark.parametrize(
    "event",
    [_down(_at(9, 20)), _account(AccountStatus.DOWN, _at(14, 58))],
)
def test_session_edge_rule_when_disconnect_or_login_lost_near_edges_alerts_at_once(
    event: object,
) -> None:
    alerts = SessionEdgeRule(SessionEdgeRuleConfig()).on_event(event, MIDDAY)

    assert [a.code for a in alerts] == ["SESSION_EDGE_ANOMALY"]


@pytest.mark.parametrize(
    ("drift", "severity"),
    [(0.1, None), (-0.6, Severity.WARNING), (0.5, Severity.WARNING), (2.0, Severity.CRITICAL)],
)
def test_clock_drift_rule_when_drift_measured_alerts_by_size(
    drift: float, severity: Severity | None
) -> None:
    event = ClockDriftMeasured(drift_seconds=drift, source="ntp", ts_event=MIDDAY)

    alerts = ClockDriftRule(ClockDriftRuleConfig()).on_event(event, MIDDAY)

    assert [a.severity for a in alerts] == ([severity] if severity else [])


@pytest.mark.parametrize(
    ("peak", "today", "expected"),
    [
        (100, 1000, []),
        (240, 1000, [Severity.WARNING]),
        (300, 1000, [Severity.CRITICAL]),
        (10, 16_000, [Severity.WARNING]),
        (300, 20_000, [Severity.CRITICAL, Severity.CRITICAL]),
    ],
)
def test_hft_rate_rule_when_rates_near_threshold_warns_then_critical(
    peak: int, today: int, expected: list[Severity]
) -> None:
    snap = Snapshot(
        orders_cancels_peak_per_second={"acc1": peak}, orders_cancels_today={"acc1": today}
    )

    alerts = HftRateRule(HftRateRuleConfig()).on_tick(snap, MIDDAY)

    assert [a.severity for a in alerts] == expected


def test_build_rules_when_rule_disabled_leaves_it_out() -> None:
    config = RulesConfig(hft_rate=HftRateRuleConfig(enabled=False))

    names = {r.name for r in build_rules(config)}

    assert "hft_rate" not in names
    assert {"venue", "account", "session_edge", "clock_drift", "journal"} <= names
    assert len(build_rules()) == len(names) + 1
