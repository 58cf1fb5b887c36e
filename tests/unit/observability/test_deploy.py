"""deploy/ dashboards and alert rules use exactly the metric names the gateway exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from ashare_exec.observability.metrics import METRIC_HELP, Metrics

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
NAME_RE = re.compile(r"\bashare_exec_[a-z0-9_]+")


def _dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEPLOY / "grafana-dashboard.json").read_text("utf-8"))
    return data


def _rules() -> list[dict[str, Any]]:
    doc = yaml.safe_load((DEPLOY / "prometheus-alerts.yml").read_text("utf-8"))
    return [rule for group in doc["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[str]:
    exprs = [t["expr"] for p in _dashboard()["panels"] for t in p.get("targets", [])]
    exprs += [str(v.get("definition", "")) for v in _dashboard()["templating"]["list"]]
    return exprs


@pytest.mark.parametrize(
    ("source", "exprs"),
    [
        ("grafana-dashboard.json", _dashboard_exprs()),
        ("prometheus-alerts.yml", [r["expr"] for r in _rules()]),
    ],
)
def test_deploy_when_file_references_metrics_every_name_is_exposed(
    source: str, exprs: list[str]
) -> None:
    exposed = Metrics().exposed_names()

    referenced = {name for e in exprs for name in NAME_RE.findall(e)}

    assert referenced, f"{source} references no gateway metric"
    assert referenced - exposed == set(), f"{source} uses unknown metrics"


def test_grafana_dashboard_when_loaded_shows_every_metric_family() -> None:
    referenced = {name for e in _dashboard_exprs() for name in NAME_RE.findall(e)}
    families = {re.sub(r"_(bucket|sum|count|total)$", "", n) for n in referenced}

    missing = {n for n in METRIC_HELP if re.sub(r"_total$", "", n) not in families}

    assert missing == set()


def test_grafana_dashboard_when_loaded_has_unique_ids_and_fits_grid() -> None:
    panels = _dashboard()["panels"]

    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    for p in panels:
        pos = p["gridPos"]
        assert pos["x"] + pos["w"] <= 24
        assert p["type"] == "row" or p["targets"]


def test_prometheus_alerts_when_loaded_each_rule_is_complete() -> None:
    rules = _rules()

    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names))
    for r in rules:
        assert r["labels"]["severity"] in {"critical", "warning", "info"}
        assert r["annotations"]["summary"]
        assert r["expr"].strip()
