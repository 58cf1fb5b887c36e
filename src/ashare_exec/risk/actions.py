"""What the risk layer hands back to the engine: decisions, alerts, actions, audit records.

The risk layer never acts itself: it returns a :class:`CancelOrderAction`,
:class:`CancelAllAction` or :class:`SubmitProtectiveOrder` and the engine executes it, and
it returns :class:`RiskAlert` and :class:`AuditRecord` objects that the engine journals,
logs and notifies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ashare_exec.model import SubmitOrder

__all__ = [
    "AuditRecord",
    "CancelAllAction",
    "CancelOrderAction",
    "RiskAction",
    "RiskAlert",
    "RiskDecision",
    "RiskOutcome",
    "SubmitProtectiveOrder",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class RiskAlert:
    """A control fired (warning, cool-down, breaker, state change, protection)."""

    ts: datetime
    account_id: str | None
    """``None`` for the global scope."""
    control: str
    """Which control (``rate_limit``, ``cancel_ratio``, ``rejection_breaker``, ...)."""
    severity: str
    """``INFO``, ``WARNING`` or ``CRITICAL``."""
    code: str
    message: str
    data: dict[str, Any] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "ts": self.ts.isoformat(),
            "account_id": self.account_id,
            "control": self.control,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RiskAlert:
        """Inverse of :meth:`to_dict`."""
        return cls(
            ts=datetime.fromisoformat(d["ts"]),
            account_id=d["account_id"],
            control=d["control"],
            severity=d["severity"],
            code=d["code"],
            message=d["message"],
            data=dict(d.get("data", {})),
        )


@dataclass(frozen=True, slots=True)
class CancelOrderAction:
    """Ask the engine to cancel one working order."""

    account_id: str
    client_order_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class CancelAllAction:
    """Ask the engine to cancel every working order of an account (``None`` = all)."""

    account_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class SubmitProtectiveOrder:
    """Ask the engine to submit a protective sell (stop-loss / take-profit)."""

    cmd: SubmitOrder
    reason: str
    """``STOP_LOSS`` or ``TAKE_PROFIT``."""
    stop_key: str


RiskAction = CancelOrderAction | CancelAllAction | SubmitProtectiveOrder


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """The verdict on one order: allowed, or every reason that applies."""

    allowed: bool
    reasons: tuple[str, ...] = ()
    messages: tuple[str, ...] = ()
    alerts: tuple[RiskAlert, ...] = ()
    """Controls that fired while deciding (warnings, state changes)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord:
    """One audited change of limits or trading state."""

    ts: datetime
    actor: str
    scope: str
    """An account id or ``"*"`` for global."""
    action: str
    """``update_limits`` or ``set_trading_state``."""
    changes: dict[str, tuple[Any, Any]] = field(hash=False)
    """``{key: (old, new)}``."""
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (values rendered with ``str`` unless JSON-native)."""
        return {
            "ts": self.ts.isoformat(),
            "actor": self.actor,
            "scope": self.scope,
            "action": self.action,
            "changes": {k: [_plain(o), _plain(n)] for k, (o, n) in self.changes.items()},
            "reason": self.reason,
        }


def _plain(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | float | str):
        return v
    if isinstance(v, frozenset | set):
        return sorted(str(x) for x in v)
    return str(v)


@dataclass(frozen=True, slots=True)
class RiskOutcome:
    """Alerts raised and actions requested by a control (breaker, kill switch, protections)."""

    alerts: tuple[RiskAlert, ...] = ()
    actions: tuple[RiskAction, ...] = ()
