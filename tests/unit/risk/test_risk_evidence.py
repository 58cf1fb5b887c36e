"""Evidence pack: per account and day, exported as JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from risk_helpers import T0, engine, inst, order, quote

from ashare_exec.risk import InMemoryAccount

MS = timedelta(milliseconds=1)


def _engine_with_activity(account: InMemoryAccount) -> object:
    e = engine(max_msgs_per_second=100, max_daily_orders=10, daily_warn_fraction="0.2")
    for i in range(3):
        e.check_order(order(price=f"10.0{i}"), inst(), quote(), account, T0 + i * MS)
    e.check_cancel("acc1", T0 + 5 * MS)
    e.check_cancel("acc1", T0 + timedelta(seconds=3))
    e.check_order(order(qty=10**7), inst(), quote(), account, T0 + timedelta(seconds=4))
    return e


def test_evidence_when_activity_recorded_reports_counts_peak_and_ratio(
    account: InMemoryAccount,
) -> None:
    pack = _engine_with_activity(account).evidence("acc1", "2026-11-25")  # type: ignore[attr-defined]

    d = json.loads(pack.to_json())

    assert (d["orders"], d["cancels"], d["orders_plus_cancels"]) == (3, 2, 5)
    assert d["max_msgs_per_second"] == 4  # three orders + one cancel within 5 ms
    assert d["cancel_ratio"] == "0.6667"
    assert d["thresholds"]["max_daily_orders"] == 10
    assert d["denials"]["ORDER_QTY_LIMIT"] == 1
    assert [a["control"] for a in d["controls_fired"]] == ["daily_count"]


def test_evidence_csv_when_exported_has_summary_threshold_and_control_rows(
    account: InMemoryAccount,
) -> None:
    pack = _engine_with_activity(account).evidence("acc1", "2026-11-25")  # type: ignore[attr-defined]

    rows = list(csv.DictReader(io.StringIO(pack.to_csv())))

    summary = {r["name"]: r["value"] for r in rows if r["record"] == "summary"}
    assert summary["orders"] == "3"
    assert summary["max_msgs_per_second"] == "4"
    assert any(r["record"] == "threshold" and r["name"] == "max_msgs_per_second" for r in rows)
    assert [r["name"] for r in rows if r["record"] == "control"] == ["daily_count"]


def test_evidence_when_day_without_activity_reports_zeros() -> None:
    pack = engine().evidence("acc9", "2026-11-24")

    assert (pack.orders, pack.cancels, pack.max_msgs_per_second) == (0, 0, 0)
    assert pack.to_dict()["cancel_ratio"] == "0.0000"
