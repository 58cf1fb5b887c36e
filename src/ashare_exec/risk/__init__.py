"""Pre-trade risk checks, in-trade controls, kill switch, execution-side protections and the
programmatic-trading evidence pack. See ``docs/risk.md``.

Imports ``model`` and ``rules`` only; the engine adapts its OMS to :class:`AccountView`.
"""

from ashare_exec.risk.actions import (
    AuditRecord,
    CancelAllAction,
    CancelOrderAction,
    RiskAction,
    RiskAlert,
    RiskDecision,
    RiskOutcome,
    SubmitProtectiveOrder,
)
from ashare_exec.risk.checks import CHECKS, PASS, Check, CheckContext, CheckResult
from ashare_exec.risk.config import CHECK_NAMES, RiskConfig, RiskLimits
from ashare_exec.risk.engine import GLOBAL, RiskEngine
from ashare_exec.risk.evidence import EvidencePack
from ashare_exec.risk.memory import InMemoryAccount
from ashare_exec.risk.protections import OrderWatch, Stop, StopBook, protective_sell_qty
from ashare_exec.risk.view import FLAT, AccountView, PositionView, WorkingOrderView

__all__ = [
    "CHECKS",
    "CHECK_NAMES",
    "FLAT",
    "GLOBAL",
    "PASS",
    "AccountView",
    "AuditRecord",
    "CancelAllAction",
    "CancelOrderAction",
    "Check",
    "CheckContext",
    "CheckResult",
    "EvidencePack",
    "InMemoryAccount",
    "OrderWatch",
    "PositionView",
    "RiskAction",
    "RiskAlert",
    "RiskConfig",
    "RiskDecision",
    "RiskEngine",
    "RiskLimits",
    "RiskOutcome",
    "Stop",
    "StopBook",
    "SubmitProtectiveOrder",
    "WorkingOrderView",
    "protective_sell_qty",
]
