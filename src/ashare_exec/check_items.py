"""The results of the start-up checks (:mod:`ashare_exec.startup`): one item per check,
the report over all of them, and the checks' limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["CheckItem", "CheckReport", "CheckSettings", "CheckStatus"]

_MIB = 1024 * 1024


class CheckStatus(StrEnum):
    """Outcome of one check, in increasing severity."""

    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


_RANK = {CheckStatus.OK: 0, CheckStatus.WARNING: 1, CheckStatus.ERROR: 2}


@dataclass(frozen=True, slots=True)
class CheckItem:
    """One check's result: its name, status, a sentence for people and data for machines."""

    name: str
    status: CheckStatus
    detail: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckReport:
    """Every check's result, in the order they ran."""

    items: tuple[CheckItem, ...]

    @property
    def status(self) -> CheckStatus:
        """The worst status of any item (``ok`` when there are none)."""
        return max((i.status for i in self.items), key=_RANK.__getitem__, default=CheckStatus.OK)

    def exit_code(self, *, strict: bool = False) -> int:
        """0 all ok; 2 any error; 1 warnings only when ``strict`` (else 0)."""
        if self.status is CheckStatus.ERROR:
            return 2
        return 1 if strict and self.status is CheckStatus.WARNING else 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the overall status and every item."""
        return {
            "status": self.status.value,
            "items": [
                {"name": i.name, "status": i.status.value, "detail": i.detail, "data": dict(i.data)}
                for i in self.items
            ],
        }

    def table(self) -> str:
        """A human-readable table, one line per item, then the overall status."""
        width = max((len(i.name) for i in self.items), default=5)
        lines = [f"{'check'.ljust(width)}  status   detail"]
        lines += [f"{i.name.ljust(width)}  {i.status.value:<7}  {i.detail}" for i in self.items]
        lines.append(f"overall: {self.status.value}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class CheckSettings:
    """Limits of the checks (see the module docstring for what each means)."""

    ntp_timeout_s: float = 1.5
    max_drift_ms: float = 100.0
    disk_warn_bytes: int = 1024 * _MIB
    disk_error_bytes: int = 200 * _MIB
    venue_timeout_s: float = 10.0
