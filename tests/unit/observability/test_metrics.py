"""Prometheus metrics: private registry, typed methods, rate tracker, exposition."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from ashare_exec.clock import CST, SimClock
from ashare_exec.observability.metrics import METRIC_HELP, Metrics

T0 = datetime(2026, 11, 25, 9, 30, 0, tzinfo=CST)


@pytest.fixture
def clock() -> SimClock:
    return SimClock(T0)


@pytest.fixture
def metrics(clock: SimClock) -> Metrics:
    return Metrics(clock=clock)


def _value(m: Metrics, name: str, **labels: str) -> float | None:
    return m.registry.get_sample_value(name, labels)


def test_metrics_when_two_instances_exist_registries_are_private() -> None:
    a, b = Metrics(), Metrics()

    a.order_submitted("acc1")

    assert _value(a, "ashare_exec_orders_submitted_total", account="acc1") == 1
    assert _value(b, "ashare_exec_orders_submitted_total", account="acc1") is None
    assert REGISTRY.get_sample_value("ashare_exec_orders_submitted_total", {"account": "acc1"}) is (
        None
    )


@pytest.mark.parametrize(
    ("act", "sample", "labels", "expected"),
    [
        (lambda m: m.order_submitted("a"), "orders_submitted_total", {"account": "a"}, 1),
        (lambda m: m.order_accepted("a"), "orders_accepted_total", {"account": "a"}, 1),
        (
            lambda m: m.order_denied("a", "PRICE_OFF_TICK"),
            "orders_denied_total",
            {"account": "a", "reason_code": "PRICE_OFF_TICK"},
            1,
        ),
        (
            lambda m: m.order_rejected("a", "BROKER_REJECTED"),
            "orders_rejected_total",
            {"account": "a", "reason_code": "BROKER_REJECTED"},
            1,
        ),
        (lambda m: m.cancel_requested("a"), "cancels_requested_total", {"account": "a"}, 1),
        (
            lambda m: m.cancel_rejected("a", "CANCEL_NOT_ALLOWED_NOW"),
            "cancels_rejected_total",
            {"account": "a", "reason_code": "CANCEL_NOT_ALLOWED_NOW"},
            1,
        ),
        (lambda m: m.order_filled("a", "BUY", 300), "fills_total", {"account": "a"}, 1),
        (
            lambda m: m.order_filled("a", "BUY", 300),
            "filled_shares_total",
            {"account": "a", "side": "BUY"},
            300,
        ),
        (lambda m: m.set_inflight("a", 7), "inflight_orders", {"account": "a"}, 7),
        (
            lambda m: m.venue_connected("sim", reconnect=True),
            "venue_reconnects_total",
            {"venue": "sim"},
            1,
        ),
        (lambda m: m.venue_connected("sim"), "venue_up", {"venue": "sim"}, 1),
        (lambda m: m.venue_disconnected("sim"), "venue_up", {"venue": "sim"}, 0),
        (lambda m: m.set_trading_halted("*", True), "trading_halted", {"account": "*"}, 1),
        (
            lambda m: m.risk_breaker_tripped("a", "daily_loss"),
            "risk_breaker_trips_total",
            {"account": "a", "breaker": "daily_loss"},
            1,
        ),
        (lambda m: m.set_journal_lag(0.25), "journal_lag_seconds", {}, 0.25),
        (lambda m: m.journal_error(), "journal_errors_total", {}, 1),
        (
            lambda m: m.reconciliation_run("a", "reconnect"),
            "reconciliation_runs_total",
            {"account": "a", "trigger": "reconnect"},
            1,
        ),
        (
            lambda m: m.reconciliation_corrected("a", "missing_fill", 2),
            "reconciliation_corrections_total",
            {"account": "a", "kind": "missing_fill"},
            2,
        ),
        (lambda m: m.set_clock_drift(-0.3), "clock_drift_seconds", {}, -0.3),
        (
            lambda m: m.alert_raised("CRITICAL", "VENUE_DISCONNECTED"),
            "alerts_total",
            {"severity": "CRITICAL", "code": "VENUE_DISCONNECTED"},
            1,
        ),
        (
            lambda m: m.alert_suppressed("X", "dedup"),
            "alerts_suppressed_total",
            {"code": "X", "why": "dedup"},
            1,
        ),
        (
            lambda m: m.notification("wecom", False),
            "notifications_total",
            {"notifier": "wecom", "result": "error"},
            1,
        ),
        (
            lambda m: m.observe_broker_call("qmt", "submit", 0.2, "SUBMIT_TIMEOUT"),
            "broker_call_errors_total",
            {"venue": "qmt", "call": "submit", "code": "SUBMIT_TIMEOUT"},
            1,
        ),
    ],
)
def test_metrics_when_method_called_sample_has_expected_value(
    metrics: Metrics,
    act: Callable[[Metrics], None],
    sample: str,
    labels: dict[str, str],
    expected: float,
) -> None:
    act(metrics)

    assert _value(metrics, f"ashare_exec_{sample}", **labels) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("act", "family", "labels"),
    [
        (
            lambda m: m.observe_ack_latency("a", 0.004),
            "order_ack_latency_seconds",
            {"account": "a"},
        ),
        (lambda m: m.order_accepted("a", 0.004), "order_ack_latency_seconds", {"account": "a"}),
        (
            lambda m: m.observe_fill_latency("a", 0.004),
            "order_fill_latency_seconds",
            {"account": "a"},
        ),
        (
            lambda m: m.order_filled("a", "SELL", 100, 0.004),
            "order_fill_latency_seconds",
            {"account": "a"},
        ),
        (
            lambda m: m.observe_api_request("post", "/v1/orders", 201, 0.004),
            "api_request_duration_seconds",
            {"method": "POST", "route": "/v1/orders", "status": "201"},
        ),
        (
            lambda m: m.observe_broker_call("qmt", "submit", 0.004),
            "broker_call_duration_seconds",
            {"venue": "qmt", "call": "submit"},
        ),
        (lambda m: m.observe_journal_commit(0.004), "journal_commit_duration_seconds", {}),
    ],
)
def test_metrics_when_latency_observed_histogram_counts_it_in_bucket(
    metrics: Metrics, act: Callable[[Metrics], None], family: str, labels: dict[str, str]
) -> None:
    act(metrics)

    name = f"ashare_exec_{family}"
    assert _value(metrics, f"{name}_count", **labels) == 1
    assert _value(metrics, f"{name}_sum", **labels) == pytest.approx(0.004)
    assert _value(metrics, f"{name}_bucket", **labels, le="0.01") == 1
    assert _value(metrics, f"{name}_bucket", **labels, le="0.0025") in (0, None)


def test_metrics_when_orders_and_cancels_sent_cancel_ratio_is_cancels_over_orders(
    metrics: Metrics,
) -> None:
    for _ in range(4):
        metrics.order_submitted("a")
    metrics.cancel_requested("a")

    assert _value(metrics, "ashare_exec_cancel_ratio", account="a") == 0.25
    assert _value(metrics, "ashare_exec_orders_cancels_today", account="a") == 5


def test_metrics_when_burst_in_one_second_peak_and_last_second_rate_follow_clock(
    metrics: Metrics, clock: SimClock
) -> None:
    for _ in range(5):
        metrics.order_submitted("a")
    clock.advance(timedelta(milliseconds=500))
    for _ in range(3):
        metrics.cancel_requested("a")
    assert _value(metrics, "ashare_exec_orders_cancels_per_second", account="a") == 0

    clock.advance(timedelta(seconds=1))
    metrics.refresh_rates()
    assert _value(metrics, "ashare_exec_orders_cancels_per_second", account="a") == 8
    assert _value(metrics, "ashare_exec_orders_cancels_peak_per_second", account="a") == 8

    clock.advance(timedelta(seconds=5))
    metrics.order_submitted("a")
    assert _value(metrics, "ashare_exec_orders_cancels_per_second", account="a") == 0
    assert _value(metrics, "ashare_exec_orders_cancels_peak_per_second", account="a") == 8
    assert metrics.rate_snapshot()["a"] == (8, 9, 0.5)


def test_metrics_when_day_changes_daily_counts_reset(metrics: Metrics, clock: SimClock) -> None:
    metrics.order_submitted("a")
    metrics.cancel_requested("a")

    clock.advance(timedelta(days=1))
    metrics.refresh_rates()

    assert _value(metrics, "ashare_exec_orders_cancels_today", account="a") == 0
    assert _value(metrics, "ashare_exec_cancel_ratio", account="a") == 0


def test_metrics_when_daily_counts_seeded_after_restart_ratio_uses_them(metrics: Metrics) -> None:
    metrics.seed_daily_counts("a", orders=100, cancels=40)

    metrics.cancel_requested("a")

    assert _value(metrics, "ashare_exec_cancel_ratio", account="a") == pytest.approx(0.41)
    assert _value(metrics, "ashare_exec_orders_cancels_today", account="a") == 141


def test_metrics_when_created_hft_thresholds_are_exposed() -> None:
    m = Metrics(hft_per_second=250, hft_per_day=15_000)

    assert _value(m, "ashare_exec_hft_threshold_per_second") == 250
    assert _value(m, "ashare_exec_hft_threshold_per_day") == 15_000


def test_metrics_when_account_status_set_exactly_one_status_is_one(metrics: Metrics) -> None:
    metrics.set_account_status("a", "OK")
    metrics.set_account_status("a", "DOWN")

    values = {
        s: _value(metrics, "ashare_exec_account_status", account="a", status=s)
        for s in ("OK", "TRANSIENT", "DOWN")
    }
    assert values == {"OK": 0, "TRANSIENT": 0, "DOWN": 1}


def test_metrics_render_when_scraped_parses_and_lists_every_family(metrics: Metrics) -> None:
    metrics.order_submitted("a")

    families = {f.name for f in text_string_to_metric_families(metrics.render().decode())}

    expected = {name.removesuffix("_total") for name in METRIC_HELP}
    assert expected <= families


def test_metrics_exposed_names_when_listed_cover_help_table(metrics: Metrics) -> None:
    names = metrics.exposed_names()

    assert set(METRIC_HELP) - names == {
        n for n in METRIC_HELP if n.endswith("_seconds") and f"{n}_bucket" in names
    }
    assert "ashare_exec_order_ack_latency_seconds_bucket" in names


def test_metrics_when_venue_comes_back_after_disconnect_counts_one_reconnect(
    metrics: Metrics,
) -> None:
    metrics.venue_connected("qmt")  # first connect: not a reconnect
    metrics.venue_disconnected("qmt")
    metrics.venue_connected("qmt")
    metrics.venue_connected("qmt")  # duplicate report: still one

    assert _value(metrics, "ashare_exec_venue_reconnects_total", venue="qmt") == 1
    assert _value(metrics, "ashare_exec_venue_up", venue="qmt") == 1
