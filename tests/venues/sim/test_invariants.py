"""Randomised runs (seeded) that check the simulator's own invariants, with and without faults."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta
from decimal import Decimal as D

import pytest

from ashare_exec.clock import SimClock
from ashare_exec.model import (
    ClientOrderId,
    InstrumentId,
    OrderFilled,
    PriceType,
    Side,
)
from ashare_exec.rules import price_limits
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.sim import FaultConfig, LatencyKind, SimExchange, SimVenue
from tests.venues.sim.kit import ACCOUNT, MakeExchange, at, spec

SH = InstrumentId.parse("600000.SH")
SZ = InstrumentId.parse("000001.SZ")
TYPES = {
    SH: [PriceType.LIMIT, PriceType.BEST5_IOC, PriceType.BEST5_TO_LIMIT],
    SZ: [PriceType.LIMIT, PriceType.BEST5_IOC, PriceType.IOC, PriceType.FOK,
         PriceType.COUNTERPARTY_BEST, PriceType.OWN_BEST],
}  # fmt: skip


def random_order(ex: SimExchange, rng: random.Random, n: int, now: object) -> object:
    iid = rng.choice([SH, SZ])
    pt = rng.choice(TYPES[iid])
    q = ex.quote(iid, now)  # type: ignore[arg-type]
    side = rng.choice([Side.BUY, Side.SELL])
    price = None
    if pt is PriceType.LIMIT and q is not None and q.bid_prices and q.ask_prices:
        base = q.ask_prices[0] if side is Side.BUY else q.bid_prices[0]
        step = D("0.01") * rng.randint(-3, 3)
        price = str(base + step)
    elif pt is PriceType.LIMIT:
        return None
    return spec(f"r{n}", side, rng.randint(1, 30) * 100, price, pt, iid)


def run_day(ex: SimExchange, seed: int) -> list[VenueReport]:
    rng = random.Random(seed)
    out: list[VenueReport] = []
    t = at(9, 30)
    n = 0
    while t < at(14, 56):
        t += timedelta(seconds=rng.randint(5, 240))
        if at(11, 30) <= t < at(13, 0):
            continue
        o = random_order(ex, rng, n, t)
        n += 1
        if o is not None:
            out += ex.submit(o, t)  # type: ignore[arg-type]
        if rng.random() < 0.2 and n > 1:
            out += ex.cancel(ACCOUNT, ClientOrderId(f"r{rng.randrange(n)}"), None, t)
    out += ex.advance_to(at(15, 5))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_day_when_done_then_cash_and_positions_conserved_net_of_fees(
    make_exchange: MakeExchange, seed: int
) -> None:
    """Cash and shares move only by fills: cash0 - buys + sells - fees == cash; nothing frozen."""
    ex = make_exchange(cash="5000000", positions={"600000.SH": 50_000, "000001.SZ": 50_000})
    acct = ex.accounts[ACCOUNT]
    cash0 = acct.cash
    held0 = {iid: h.total for iid, h in acct.holdings.items()}
    run_day(ex, seed)
    fills = ex.trade_reports(ACCOUNT)
    assert fills, "the run should trade"
    flow = sum(
        (f.last_px * f.last_qty * (-1 if f.side is Side.BUY else 1) - (f.fee or 0) for f in fills),
        start=D(0),
    )
    assert acct.cash == cash0 + flow
    assert acct.frozen == 0
    for iid in (SH, SZ):
        net = sum(
            f.last_qty * (1 if f.side is Side.BUY else -1) for f in fills if f.instrument_id == iid
        )
        h = acct.holding(iid)
        assert h.total == held0.get(iid, 0) + net
        assert h.frozen == 0
        assert h.total >= 0


@pytest.mark.parametrize("seed", [4, 5])
def test_random_day_when_done_then_no_fill_outside_the_band(
    make_exchange: MakeExchange, seed: int
) -> None:
    """Every fill price lies inside the day's limit-down..limit-up band."""
    ex = make_exchange(cash="5000000", positions={"600000.SH": 50_000, "000001.SZ": 50_000})
    run_day(ex, seed)
    for f in ex.trade_reports(ACCOUNT):
        inst = ex.instrument(f.instrument_id)
        assert inst is not None
        band = price_limits(inst, f.ts_event.date(), ex.calendar)
        assert band.contains(f.last_px), f


@pytest.mark.parametrize("seed", [6, 7])
def test_aggressive_orders_when_many_then_never_beyond_displayed_volume(
    make_exchange: MakeExchange, seed: int
) -> None:
    """Immediate-or-cancel takers never get more at a price than the snapshot displayed."""
    ex = make_exchange(cash="50000000", positions={"000001.SZ": 500_000})
    rng = random.Random(seed)
    taken: dict[tuple[object, D], int] = {}
    t = at(10, 0)
    for n in range(200):
        t += timedelta(seconds=rng.randint(0, 4))
        pt = rng.choice([PriceType.BEST5_IOC, PriceType.IOC, PriceType.FOK])
        side = rng.choice([Side.BUY, Side.SELL])
        for r in ex.submit(spec(f"a{n}", side, rng.randint(1, 100) * 100, None, pt, SZ), t):
            if isinstance(r, OrderFilled):
                q = ex.quote(SZ, t)
                assert q is not None
                key = (q.ts_event, r.last_px)
                taken[key] = taken.get(key, 0) + r.last_qty
                shown = dict(
                    zip(q.ask_prices + q.bid_prices, q.ask_sizes + q.bid_sizes, strict=True)
                )
                assert taken[key] <= shown[r.last_px], (key, taken[key], shown)


@pytest.mark.parametrize("seed", [11, 12])
async def test_faulty_link_when_reports_duplicated_reordered_delayed_then_content_agrees(
    make_exchange: MakeExchange, seed: int
) -> None:
    """Duplicates and reordering never change a report's content; nothing is invented."""
    faults = FaultConfig(
        latency=LatencyKind.EXPONENTIAL, latency_ms=0, latency_max_ms=2,
        duplicate_rate=0.2, reorder_rate=0.2, drop_rate=0.1,
    )  # fmt: skip
    ex = make_exchange(
        cash="5000000",
        positions={"600000.SH": 50_000, "000001.SZ": 50_000},
        faults=faults,
        seed=seed,
    )
    clock = SimClock(at(9, 30))
    venue = SimVenue(ex, clock)
    got: list[VenueReport] = []
    venue.set_report_sink(got.append)
    await venue.connect()
    rng = random.Random(seed)
    for n in range(60):
        await venue.advance_to(clock.now() + timedelta(seconds=rng.randint(1, 60)))
        o = random_order(ex, rng, n, clock.now())
        if o is not None:
            await venue.submit(o)  # type: ignore[arg-type]
    await asyncio.sleep(0.05)
    truth = {f.trade_id: f for f in await venue.query_trades(ACCOUNT)}
    pushed = [r for r in got if isinstance(r, OrderFilled)]
    assert pushed
    assert all(truth[f.trade_id] == f for f in pushed)
    assert venue.faults.stats.duplicated > 0
    assert venue.faults.stats.dropped > 0
    assert len({f.trade_id for f in pushed}) <= len(truth)
    await venue.close()
