"""The base of the built-in alert rules."""

from __future__ import annotations

from datetime import datetime

from ashare_exec.observability.alerts import Alert, Snapshot

__all__ = ["RuleBase"]


class RuleBase:
    """A rule that raises nothing; subclasses override ``on_event`` and/or ``on_tick``."""

    name = "base"
    event_types: tuple[type, ...] | None = None
    """The event types :meth:`on_event` looks at (``None``: every event); the engine skips
    the rule for any other event."""

    def on_event(self, event: object, now: datetime) -> list[Alert]:
        """Look at one event or signal; return the alerts it raises."""
        return []

    def on_tick(self, snapshot: Snapshot, now: datetime) -> list[Alert]:
        """Look at the periodic snapshot; return the alerts it raises."""
        return []
