"""Order management: order book, idempotency, report processing, ledger, reconciliation.

Pure logic (no I/O, no clock): the engine feeds events and reports in and persists what
comes out through the journal.
"""

from ashare_exec.oms.book import OrderBook, OrderKey
from ashare_exec.oms.idempotency import ClientOrderIdMinter, check_submit, spec_content_key
from ashare_exec.oms.ledger import FeeFunction, Ledger, LedgerUpdate
from ashare_exec.oms.reconcile import BalanceMismatch, ReconcileReport, reconcile
from ashare_exec.oms.reports import (
    Quarantine,
    QuarantinedReport,
    ReportPlan,
    external_client_order_id,
    plan_status_report,
    route_fill,
)
from ashare_exec.oms.state import OmsState, StateChange

__all__ = [
    "BalanceMismatch",
    "ClientOrderIdMinter",
    "FeeFunction",
    "Ledger",
    "LedgerUpdate",
    "OmsState",
    "OrderBook",
    "OrderKey",
    "Quarantine",
    "QuarantinedReport",
    "ReconcileReport",
    "ReportPlan",
    "StateChange",
    "check_submit",
    "external_client_order_id",
    "plan_status_report",
    "reconcile",
    "route_fill",
    "spec_content_key",
]
