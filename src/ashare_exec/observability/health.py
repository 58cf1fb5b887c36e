"""Readiness bookkeeping for ``/readyz``: named checks, each OK or failing with a reason.

The engine reports each condition as it changes (``readiness.set("venue", False,
"disconnected: heartbeat lost")``); the API answers ``/readyz`` with
``readiness.report().to_dict()`` and status 200 when ``ready`` else 503. A check never
reported counts as failing, so the service is not ready before start-up has finished.
``/healthz`` (process alive) needs no state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DEFAULT_CHECKS", "CheckResult", "Readiness", "ReadinessReport"]

DEFAULT_CHECKS = ("venue", "account", "journal", "reconciled")
"""Venue connected, account OK, journal writable, reconciled since the last (re)connect."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One readiness condition."""

    name: str
    ok: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    """All conditions; ``ready`` when every one is OK."""

    ready: bool
    checks: tuple[CheckResult, ...]

    def reasons(self) -> list[str]:
        """Return ``"name: reason"`` for every failing check."""
        return [f"{c.name}: {c.reason}" for c in self.checks if not c.ok]

    def to_dict(self) -> dict[str, object]:
        """Return the ``/readyz`` body."""
        return {
            "ready": self.ready,
            "checks": {c.name: {"ok": c.ok, "reason": c.reason} for c in self.checks},
            "reasons": self.reasons(),
        }


class Readiness:
    """The current state of the named readiness checks.

    Args:
        required: check names that must all be OK (per account or venue, name them
            ``"venue:qmt"``, ``"account:acc1"`` ...).
    """

    def __init__(self, required: Iterable[str] = DEFAULT_CHECKS) -> None:
        self._required = list(dict.fromkeys(required))
        self._state: dict[str, CheckResult] = {}

    def require(self, name: str) -> None:
        """Add a required check (e.g. one per configured account)."""
        if name not in self._required:
            self._required.append(name)

    def set(self, name: str, ok: bool, reason: str = "") -> None:
        """Report the state of check ``name`` (a reason is kept only when failing)."""
        self.require(name)
        self._state[name] = CheckResult(name, ok, "" if ok else (reason or "failing"))

    def report(self) -> ReadinessReport:
        """Return every required check; unreported ones fail with ``"not reported yet"``."""
        checks = tuple(
            self._state.get(n, CheckResult(n, False, "not reported yet")) for n in self._required
        )
        return ReadinessReport(all(c.ok for c in checks), checks)
