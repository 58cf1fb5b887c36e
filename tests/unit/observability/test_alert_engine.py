"""Alert engine: publication, de-duplication, rate limiting, subscribers, configuration."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from ashare_exec.clock import CST
from ashare_exec.errors import ConfigError
from ashare_exec.model.reports import VenueDisconnected
from ashare_exec.observability.alert_engine import AlertEngine
from ashare_exec.observability.alerts import Alert, JournalFailed, Severity, Snapshot
from ashare_exec.observability.metrics import Metrics
from ashare_exec.observability.rules import build_rules
from ashare_exec.observability.rules.config import load_alerts_config

T0 = datetime(2026, 11, 25, 10, 30, tzinfo=CST)


def _alert(
    code: str = "X", severity: Severity = Severity.WARNING, account: str | None = "acc1"
) -> Alert:
    return Alert(severity=severity, code=code, message="m", ts=T0, account=account)


def _engine(**kw: Any) -> tuple[AlertEngine, list[Alert]]:
    engine = AlertEngine([], **kw)
    got: list[Alert] = []
    engine.subscribe(got.append)
    return engine, got


def test_alert_engine_when_event_matches_rule_publishes_to_subscribers() -> None:
    engine = AlertEngine(build_rules())
    got: list[Alert] = []
    engine.subscribe(got.append)

    published = engine.on_event(VenueDisconnected(venue="qmt", ts_event=T0), T0)

    assert [a.code for a in published] == ["VENUE_DISCONNECTED"]
    assert got == published


def test_alert_engine_when_same_alert_within_window_is_deduplicated() -> None:
    metrics = Metrics()
    engine, got = _engine(dedupe_window=timedelta(minutes=5), metrics=metrics)

    assert engine.raise_alert(_alert(), T0)
    assert not engine.raise_alert(_alert(), T0 + timedelta(minutes=4))
    assert engine.raise_alert(_alert(), T0 + timedelta(minutes=5))

    assert len(got) == 2
    suppressed = metrics.registry.get_sample_value(
        "ashare_exec_alerts_suppressed_total", {"code": "X", "why": "dedup"}
    )
    assert suppressed == 1
    raised = metrics.registry.get_sample_value(
        "ashare_exec_alerts_total", {"severity": "WARNING", "code": "X"}
    )
    assert raised == 2


@pytest.mark.parametrize(
    ("second", "published"),
    [
        (_alert(account="acc2"), True),  # other key
        (_alert(code="Y"), True),
        (_alert(severity=Severity.CRITICAL), True),  # escalation passes
        (_alert(severity=Severity.INFO), False),
    ],
)
def test_alert_engine_when_second_alert_differs_dedup_applies_per_key_and_severity(
    second: Alert, published: bool
) -> None:
    engine, _ = _engine()
    engine.raise_alert(_alert(), T0)

    assert engine.raise_alert(second, T0 + timedelta(seconds=1)) is published


def test_alert_engine_when_rate_limit_hit_drops_non_critical_until_window_passes() -> None:
    engine, got = _engine(rate_limit_max=2, rate_limit_window=timedelta(minutes=1))

    for i in range(3):
        engine.raise_alert(_alert(code=f"W{i}"), T0)
    engine.raise_alert(_alert(code="C", severity=Severity.CRITICAL), T0)
    engine.raise_alert(_alert(code="W9"), T0 + timedelta(minutes=1))

    assert [a.code for a in got] == ["W0", "W1", "C", "W9"]


def test_alert_engine_when_critical_not_exempt_it_is_rate_limited_too() -> None:
    engine, got = _engine(rate_limit_max=1, rate_limit_exempt_critical=False)

    engine.raise_alert(_alert(code="A", severity=Severity.CRITICAL), T0)
    engine.raise_alert(_alert(code="B", severity=Severity.CRITICAL), T0)

    assert [a.code for a in got] == ["A"]


def test_alert_engine_when_subscriber_raises_others_still_receive() -> None:
    engine, got = _engine()

    def broken(_: Alert) -> None:
        raise RuntimeError("ws closed")

    engine.subscribe(broken)
    later: list[Alert] = []
    engine.subscribe(later.append)

    engine.raise_alert(_alert(), T0)

    assert len(got) == len(later) == 1


def test_alert_engine_when_rule_raises_other_rules_still_run() -> None:
    class Broken:
        name = "broken"

        def on_event(self, event: object, now: datetime) -> list[Alert]:
            raise ValueError("bug")

        def on_tick(self, snapshot: Snapshot, now: datetime) -> list[Alert]:
            raise ValueError("bug")

    engine = AlertEngine([Broken(), *build_rules()])

    alerts = engine.on_event(JournalFailed(message="disk", ts_event=T0), T0)

    assert [a.code for a in alerts] == ["JOURNAL_ERROR"]
    assert engine.on_tick(Snapshot(), T0) == []


def test_alert_engine_when_unsubscribed_receives_nothing() -> None:
    engine = AlertEngine([])
    got: list[Alert] = []
    unsubscribe = engine.subscribe(got.append)

    unsubscribe()
    engine.raise_alert(_alert(), T0)

    assert got == []


def test_alert_engine_from_config_when_rule_tuned_uses_it() -> None:
    config = load_alerts_config(
        {
            "dedupe_window_seconds": 0,
            "rules": {"consecutive_rejections": {"threshold": 1}, "venue": {"enabled": False}},
        }
    )

    engine = AlertEngine.from_config(config)

    names = {r.name for r in engine.rules}
    assert "venue" not in names
    assert engine.on_event(VenueDisconnected(venue="qmt", ts_event=T0), T0) == []


def test_alert_to_dict_when_serialised_has_wire_fields() -> None:
    alert = Alert(severity=Severity.CRITICAL, code="C", message="m", ts=T0, labels={"venue": "qmt"})

    assert alert.to_dict() == {
        "severity": "CRITICAL",
        "code": "C",
        "message": "m",
        "account": None,
        "ts": "2026-11-25T10:30:00+08:00",
        "labels": {"venue": "qmt"},
    }
    assert alert.title() == "[CRITICAL] C"
    assert "venue: qmt" in alert.text()


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"nope": 1}, "unknown key"),
        ({"rules": {"venue": {"storm_cnt": 3}}}, r"alerts.rules.venue: unknown key\(s\) storm_cnt"),
        ({"rules": {"venue": {"storm_count": 2.5}}}, "storm_count"),
        ({"rules": {"venue": {"enabled": "yes"}}}, "true or false"),
        ({"rules": {"latency": {"ack_seconds": -1}}}, "negative"),
        ({"rules": {"session_edge": {"windows": ["9:15-9:30"]}}}, "HH:MM-HH:MM"),
        ({"rules": {"session_edge": {"windows": ["15:00-14:50"]}}}, "start < end"),
        ({"rules": "x"}, "must be a table"),
    ],
)
def test_load_alerts_config_when_invalid_names_the_key(data: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_alerts_config(data)


def test_load_alerts_config_when_empty_uses_defaults() -> None:
    config = load_alerts_config({})

    assert config.rules.consecutive_rejections.threshold == 5
    assert config.rules.session_edge.windows == ("09:15-09:30", "14:50-15:00")
    assert (
        load_alerts_config({"rules": {"latency": {"ack_seconds": 2}}}).rules.latency.ack_seconds
        == 2.0
    )


class _Recorder:
    def __init__(self, name: str, event_types: tuple[type, ...] | None) -> None:
        self.name = name
        self.event_types = event_types
        self.seen: list[object] = []

    def on_event(self, event: object, now: datetime) -> list[Alert]:
        self.seen.append(event)
        return []

    def on_tick(self, snapshot: Snapshot, now: datetime) -> list[Alert]:
        return []


def test_alert_engine_when_rule_declares_event_types_gets_only_those() -> None:
    only_venue = _Recorder("venue_only", (VenueDisconnected,))
    everything = _Recorder("all", None)
    engine = AlertEngine([only_venue, everything])
    venue = VenueDisconnected(venue="qmt", ts_event=T0)
    journal = JournalFailed(message="disk", ts_event=T0)

    for event in (venue, journal, journal, venue):
        engine.on_event(event, T0)

    assert only_venue.seen == [venue, venue]
    assert everything.seen == [venue, journal, journal, venue]


def test_built_in_rules_when_event_types_declared_still_raise_their_alerts() -> None:
    # Each built-in rule's declared types must include the events it alerts on.
    engine = AlertEngine(build_rules())
    assert [a.code for a in engine.on_event(JournalFailed(message="x", ts_event=T0), T0)] == [
        "JOURNAL_ERROR"
    ]
    assert all(getattr(r, "event_types", ()) is not None for r in engine.rules)
