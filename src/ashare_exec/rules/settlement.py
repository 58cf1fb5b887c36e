"""Settlement: T+1 / T+0 (same-day round trip, 回转交易) (§8)."""

from __future__ import annotations

from ashare_exec.model import Instrument

__all__ = ["sellable_same_day"]


def sellable_same_day(inst: Instrument) -> bool:
    """Whether shares bought today may be sold today (T+0).

    Taken from the instrument master's ``t0`` flag, never from the code: bond, money-market,
    gold, commodity and cross-border ETFs and convertible bonds are T+0, but they share code
    ranges with T+1 equity funds.
    """
    return inst.t0
