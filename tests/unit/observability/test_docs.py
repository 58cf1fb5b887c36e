"""docs/observability.md lists every metric, log field, alert code and rule setting."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from ashare_exec.observability.logging import ORDER_LOG_FIELDS
from ashare_exec.observability.metrics import METRIC_HELP
from ashare_exec.observability.rules.config import AlertsConfig, RulesConfig

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "observability.md").read_text(encoding="utf-8")
RULES_SRC = "".join(
    p.read_text(encoding="utf-8")
    for p in (ROOT / "src" / "ashare_exec" / "observability" / "rules").glob("*.py")
)


def _rule_settings() -> list[str]:
    names = [f.name for f in dataclasses.fields(AlertsConfig) if f.name != "rules"]
    for rule in dataclasses.fields(RulesConfig):
        names.append(rule.name)
        sub = getattr(RulesConfig(), rule.name)
        names += [f.name for f in dataclasses.fields(sub) if f.name != "enabled"]
    return names


@pytest.mark.parametrize(
    "name",
    [
        *METRIC_HELP,
        *ORDER_LOG_FIELDS,
        *sorted(set(re.findall(r'code="([A-Z_]+)"', RULES_SRC))),
        *_rule_settings(),
    ],
)
def test_observability_doc_when_read_mentions_every_name(name: str) -> None:
    assert f"`{name}`" in DOC
