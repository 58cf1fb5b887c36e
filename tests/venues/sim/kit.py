"""Shared builders for simulator tests (the fixture is re-exported by conftest)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ashare_exec.clock import CST
from ashare_exec.model import AccountId, ClientOrderId, InstrumentId, OrderSpec, PriceType, Side
from ashare_exec.venues.sim import SimAccountConfig, SimConfig, SimExchange, build_sim_exchange

ACCOUNT = AccountId("t1")
PF = InstrumentId.parse("600000.SH")
DAY = (2026, 11, 25)  # a Wednesday and a trading day


def at(h: int, m: int, s: int = 0, day: tuple[int, int, int] = DAY) -> datetime:
    """An instant of the test day (CST)."""
    return datetime(*day, h, m, s, tzinfo=CST)


def spec(
    coid: str,
    side: Side,
    qty: int,
    price: str | None = None,
    pt: PriceType = PriceType.LIMIT,
    iid: InstrumentId = PF,
    protection: str | None = None,
) -> OrderSpec:
    """An order of the test account."""
    return OrderSpec(
        account_id=ACCOUNT,
        client_order_id=ClientOrderId(coid),
        instrument_id=iid,
        side=side,
        qty=qty,
        price_type=pt,
        price=Decimal(price) if price is not None else None,
        protection_price=Decimal(protection) if protection is not None else None,
    )


MakeExchange = Callable[..., SimExchange]


@pytest.fixture
def make_exchange(tmp_path: Path) -> MakeExchange:
    """Build an exchange: ``make_exchange(cash=..., positions=..., durable=False, **cfg)``."""

    def make(
        cash: str = "1000000",
        positions: dict[str, int] | None = None,
        durable: bool = False,
        **kw: object,
    ) -> SimExchange:
        acct = SimAccountConfig(
            ACCOUNT, Decimal(cash), {"600000.SH": 1000} if positions is None else positions
        )
        cfg = SimConfig(
            accounts=(acct,),
            state_path=tmp_path / "sim.sqlite" if durable else None,
            **kw,  # type: ignore[arg-type]
        )
        return build_sim_exchange(cfg)

    return make
