"""Evidence pack for the broker's programmatic-trading filing (in force since 2025-07-07).

Per account and day: the maximum orders + cancels observed in any one-second window, the
daily order and cancel counts, the cancel ratio, the configured thresholds and every time a
control fired. Exported as JSON or CSV.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ashare_exec.clock import CST

__all__ = ["EvidencePack"]


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidencePack:
    """One account's programmatic-trading evidence for one trading day."""

    account_id: str
    day: str
    max_msgs_per_second: int
    max_msgs_at: float | None
    orders: int
    cancels: int
    cancel_ratio: Decimal
    rejections: int
    denials: dict[str, int] = field(default_factory=dict, hash=False)
    thresholds: dict[str, Any] = field(default_factory=dict, hash=False)
    alerts: list[dict[str, Any]] = field(default_factory=list, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        at = self.max_msgs_at
        return {
            "account_id": self.account_id,
            "day": self.day,
            "max_msgs_per_second": self.max_msgs_per_second,
            "max_msgs_at": None if at is None else datetime.fromtimestamp(at, CST).isoformat(),
            "orders": self.orders,
            "cancels": self.cancels,
            "orders_plus_cancels": self.orders + self.cancels,
            "cancel_ratio": str(self.cancel_ratio.quantize(Decimal("0.0001"))),
            "rejections": self.rejections,
            "denials": dict(sorted(self.denials.items())),
            "thresholds": dict(self.thresholds),
            "controls_fired": list(self.alerts),
        }

    def to_json(self) -> str:
        """The pack as indented JSON."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    def to_csv(self) -> str:
        """The pack as CSV: ``record,name,value,ts,severity,message`` rows.

        ``record`` is ``summary``, ``threshold``, ``denial`` or ``control`` (one row per time
        a control fired).
        """
        d = self.to_dict()
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["record", "name", "value", "ts", "severity", "message"])
        for key in (
            "account_id",
            "day",
            "max_msgs_per_second",
            "max_msgs_at",
            "orders",
            "cancels",
            "orders_plus_cancels",
            "cancel_ratio",
            "rejections",
        ):
            w.writerow(["summary", key, d[key], "", "", ""])
        for key, value in d["thresholds"].items():
            w.writerow(["threshold", key, value, "", "", ""])
        for key, value in d["denials"].items():
            w.writerow(["denial", key, value, "", "", ""])
        for a in self.alerts:
            w.writerow(["control", a["control"], a["code"], a["ts"], a["severity"], a["message"]])
        return buf.getvalue()
