"""Rules on the venue link, the broker account, and trouble around the open and close."""

from __future__ import annotations

from collections import deque
from datetime import datetime, time, timedelta

from ashare_exec.clock import CST
from ashare_exec.model.enums import AccountStatus
from ashare_exec.model.events import OrderRejected
from ashare_exec.model.reports import AccountStatusChanged, VenueConnected, VenueDisconnected
from ashare_exec.observability.alerts import Alert, Severity, Snapshot
from ashare_exec.observability.rules.base import RuleBase
from ashare_exec.observability.rules.config import (
    AccountRuleConfig,
    SessionEdgeRuleConfig,
    VenueRuleConfig,
)

__all__ = [
    "AccountRule",
    "SessionEdgeRule",
    "VenueRule",
]


class VenueRule(RuleBase):
    """Venue link down, flapping, and back up."""

    name = "venue"
    event_types: tuple[type, ...] | None = (VenueDisconnected, VenueConnected)

    def __init__(self, config: VenueRuleConfig) -> None:
        self.c = config
        self._down: dict[str, tuple[datetime, str, bool]] = {}  # venue -> since, reason, alerted
        self._drops: dict[str, deque[datetime]] = {}

    def _down_alert(self, venue: str, since: datetime, reason: str, now: datetime) -> Alert:
        return Alert(
            severity=Severity.CRITICAL,
            code="VENUE_DISCONNECTED",
            message=f"venue {venue} disconnected since {since.isoformat()}: {reason or '-'}",
            ts=now,
            labels={"venue": venue},
        )

    def on_event(self, event: object, now: datetime) -> list[Alert]:
        out: list[Alert] = []
        if isinstance(event, VenueDisconnected):
            v = event.venue
            drops = self._drops.setdefault(v, deque())
            drops.append(event.ts_event)
            window = timedelta(seconds=self.c.storm_window_seconds)
            while drops and event.ts_event - drops[0] > window:
                drops.popleft()
            immediate = self.c.grace_seconds <= 0
            if v not in self._down:
                self._down[v] = (event.ts_event, event.reason, immediate)
                if immediate:
                    out.append(self._down_alert(v, event.ts_event, event.reason, now))
            if len(drops) >= self.c.storm_count:
                out.append(
                    Alert(
                        severity=Severity.CRITICAL,
                        code="RECONNECT_STORM",
                        message=f"venue {v} disconnected {len(drops)} times within "
                        f"{self.c.storm_window_seconds:g}s",
                        ts=now,
                        labels={"venue": v},
                    )
                )
        elif isinstance(event, VenueConnected):
            down = self._down.pop(event.venue, None)
            if down is not None and down[2]:
                seconds = (event.ts_event - down[0]).total_seconds()
                out.append(
                    Alert(
                        severity=Severity.INFO,
                        code="VENUE_RECONNECTED",
                        message=f"venue {event.venue} reconnected after {seconds:.1f}s",
                        ts=now,
                        labels={"venue": event.venue},
                    )
                )
        return out

    def on_tick(self, snapshot: Snapshot, now: datetime) -> list[Alert]:
        out: list[Alert] = []
        for v, (since, reason, alerted) in list(self._down.items()):
            if not alerted and (now - since).total_seconds() >= self.c.grace_seconds:
                self._down[v] = (since, reason, True)
                out.append(self._down_alert(v, since, reason, now))
        return out


class AccountRule(RuleBase):
    """Broker account logged out or failed, and restored."""

    name = "account"
    event_types: tuple[type, ...] | None = (AccountStatusChanged,)

    def __init__(self, config: AccountRuleConfig) -> None:
        self.c = config
        self._alerted: set[str] = set()

    def on_event(self, event: object, now: datetime) -> list[Alert]:
        if not isinstance(event, AccountStatusChanged):
            return []
        acc = str(event.account_id)
        if event.status is AccountStatus.DOWN or (
            event.status is AccountStatus.TRANSIENT and self.c.alert_on_transient
        ):
            self._alerted.add(acc)
            down = event.status is AccountStatus.DOWN
            return [
                Alert(
                    severity=Severity.CRITICAL if down else Severity.WARNING,
                    code="ACCOUNT_LOGIN_LOST" if down else "ACCOUNT_DEGRADED",
                    message=f"account {acc} is {event.status.value}: {event.message or '-'}",
                    ts=now,
                    account=acc,
                )
            ]
        if event.status is AccountStatus.OK and acc in self._alerted:
            self._alerted.discard(acc)
            return [
                Alert(
                    severity=Severity.INFO,
                    code="ACCOUNT_RESTORED",
                    message=f"account {acc} is OK again",
                    ts=now,
                    account=acc,
                )
            ]
        return []


def _parse_window(text: str) -> tuple[time, time]:
    start, _, end = text.partition("-")
    a, b = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    if not a < b:
        raise ValueError(f"window {text!r} must be 'HH:MM-HH:MM' with start < end")
    return a, b


class SessionEdgeRule(RuleBase):
    """Rejections, disconnects or lost logins in the minutes around the open and close."""

    name = "session_edge"
    event_types: tuple[type, ...] | None = (OrderRejected, VenueDisconnected, AccountStatusChanged)

    def __init__(self, config: SessionEdgeRuleConfig) -> None:
        self.c = config
        self._windows = [_parse_window(w) for w in config.windows]
        self._rejects: dict[tuple[str, str], int] = {}  # (account, day+window) -> count

    def _window(self, ts: datetime) -> str | None:
        local = ts.astimezone(CST)
        for a, b in self._windows:
            if a <= local.time() < b:
                return f"{local.date().isoformat()} {a:%H:%M}-{b:%H:%M}"
        return None

    def _alert(self, what: str, window: str, now: datetime, account: str | None) -> Alert:
        return Alert(
            severity=Severity.CRITICAL,
            code="SESSION_EDGE_ANOMALY",
            message=f"{what} during {window}",
            ts=now,
            account=account,
            labels={"window": window.split(" ", 1)[1]},
        )

    def on_event(self, event: object, now: datetime) -> list[Alert]:
        if isinstance(event, OrderRejected):
            if event.unsent:  # not the venue's: the journal failed (JOURNAL_ERROR pages)
                return []
            window = self._window(event.ts_event)
            if window is None:
                return []
            key = (str(event.account_id), window)
            self._rejects = {k: v for k, v in self._rejects.items() if k[1] == window}
            n = self._rejects[key] = self._rejects.get(key, 0) + 1
            if n >= self.c.min_rejections:
                return [self._alert(f"{n} rejections on {key[0]}", window, now, key[0])]
        elif isinstance(event, VenueDisconnected):
            window = self._window(event.ts_event)
            if window is not None:
                return [self._alert(f"venue {event.venue} disconnected", window, now, None)]
        elif isinstance(event, AccountStatusChanged) and event.status is AccountStatus.DOWN:
            window = self._window(event.ts_event)
            if window is not None:
                acc = str(event.account_id)
                return [self._alert(f"account {acc} login lost", window, now, acc)]
        return []
