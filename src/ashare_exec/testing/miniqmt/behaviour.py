"""Knobs for every MiniQMT behaviour not yet confirmed on a real terminal (``qmt-xtp.md`` §6).

Each default is an ASSUMPTION until the ``live`` calibration test has run against a real
MiniQMT simulation account; its report prints the observed value for each knob.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class MiniQmtBehaviour:
    """Behaviour switches of :class:`~ashare_exec.testing.miniqmt.MiniQmt` (mutable in tests)."""

    push_before_response: bool = False
    """Deliver the order pushes (and an error push) before ``OnOrderStockResp``."""
    push_unreported: bool = False
    """Push status 48 (ORDER_UNREPORTED) when an order is created."""
    push_wait_reporting: bool = False
    """Push status 49 (ORDER_WAIT_REPORTING) before 50."""
    trade_before_order_push: bool = False
    """Deliver a trade push before the 55/56 order push that reflects it."""
    remark_max_len: int | None = 24
    """The terminal truncates ``order_remark`` to this many characters (``None``: no limit)."""
    reject_duplicate_session: bool = True
    """``connect()`` fails when another connected client uses the same session id."""
    early_reject_order_id: int = -1
    """The ``order_id`` of an order rejected before it exists."""
    cancel_echoes_sysid: bool = False
    """A cancel-by-id response also carries ``order_sysid``."""
    push_status_on_subscribe: bool = False
    """Push the account status when an account is subscribed."""
    order_ids_survive_restart: bool = False
    """``order_id`` values stay valid after :meth:`MiniQmt.restart` (else they are renumbered)."""
    restart_reuses_ids: bool = False
    """Renumbered after a restart, orders are numbered again from the first id, newest first
    (new orders continue after them), and trade rows keep the ids they were made under: an
    id of an earlier numbering then names another order (else ids are never reused, and
    each order is renumbered everywhere)."""
    close_leaves_orders_open: bool = False
    """With ``sim``: an order still working at the close is neither pushed nor listed as
    ended; it stays reported (50, or 55 with fills) in the day's list until the day's lists
    are cleared (else the close pushes it cancelled: 54, or 53 with fills — MiniQMT has no
    "expired" status)."""
    replay_on_counter_reconnect: bool = True
    """:meth:`MiniQmt.counter_reconnect` re-pushes every order and trade push of the day."""
    auto_match: bool = True
    """Match marketable orders against the last price on arrival and on price changes."""
    unresponsive: bool = False
    """Swallow every request (no answer) while the connection stays up (a hung terminal)."""
    mute_pushes: bool = False
    """Lose every push and answer (e.g. while a link is about to drop)."""
    noisy_link: bool = False
    """Deliver every push twice and in reverse order within each burst."""
    hold_cancels: bool = False
    """Leave cancels pending (51/52) until :meth:`MiniQmt.release_cancels` is called."""
