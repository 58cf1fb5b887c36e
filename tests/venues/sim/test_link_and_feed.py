"""Link faults of the adapter, and the market-data feeds."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from ashare_exec.clock import CST, SimClock
from ashare_exec.errors import BrokerUnavailable
from ashare_exec.model import (
    ClientOrderId,
    InstrumentId,
    OrderAccepted,
    OrderFilled,
    OrderRejected,
    PriceType,
    Side,
    VenueConnected,
    VenueDisconnected,
)
from ashare_exec.venues.base import VenueReport
from ashare_exec.venues.sim import FaultConfig, SimVenue, WalkConfig, sample_replay_path
from ashare_exec.venues.sim.marketdata import RandomWalkFeed, ReplayFeed, read_replay_csv
from tests.venues.sim.kit import ACCOUNT, PF, MakeExchange, at, spec


async def open_venue(
    make_exchange: MakeExchange, **kw: object
) -> tuple[SimVenue, list[VenueReport]]:
    venue = SimVenue(make_exchange(**kw), SimClock(at(10, 0)))
    got: list[VenueReport] = []
    venue.set_report_sink(got.append)
    await venue.connect()
    return venue, got


async def test_reconnect_when_replay_on_reconnect_then_day_reports_pushed_again(
    make_exchange: MakeExchange,
) -> None:
    """After a reconnect the venue replays the whole day's reports."""
    faults = FaultConfig(replay_on_reconnect=True, reconnect_after_ms=1)
    venue, got = await open_venue(make_exchange, faults=faults)
    await venue.submit(spec("o1", Side.BUY, 100, "9.50"))
    await asyncio.sleep(0.01)
    venue.disconnect("test")
    await asyncio.sleep(0.02)
    kinds = [type(r).__name__ for r in got]
    assert kinds == [
        "VenueConnected", "OrderAccepted", "VenueDisconnected", "VenueConnected", "OrderAccepted",
    ]  # fmt: skip
    await venue.close()


async def test_connect_when_unreachable_fails_leaves_nothing_and_works_once_reachable(
    make_exchange: MakeExchange,
) -> None:
    venue = SimVenue(make_exchange(), SimClock(at(10, 0)))
    got: list[VenueReport] = []
    venue.set_report_sink(got.append)
    venue.unreachable = True

    with pytest.raises(BrokerUnavailable, match="cannot be reached"):
        await venue.connect()
    venue.reconnect()  # no link comes back while it is out of reach
    await asyncio.sleep(0.01)

    assert not venue.is_connected
    assert got == []
    venue.unreachable = False
    await venue.connect()
    await asyncio.sleep(0.01)
    assert venue.is_connected
    assert [type(r) for r in got] == [VenueConnected]
    await venue.close()


async def test_submit_when_disconnect_rate_one_then_link_drops_and_reports_lost(
    make_exchange: MakeExchange,
) -> None:
    """A drop right after the request loses its reports; the order exists at the venue."""
    faults = FaultConfig(disconnect_rate=1.0, reconnect_after_ms=1)
    venue, got = await open_venue(make_exchange, faults=faults)
    await venue.submit(spec("o1", Side.BUY, 100, "9.50"))
    with pytest.raises(BrokerUnavailable):
        await venue.submit(spec("o2", Side.BUY, 100, "9.50"))
    await asyncio.sleep(0.02)
    assert not any(isinstance(r, OrderAccepted) for r in got)
    assert [type(r) for r in got if not isinstance(r, OrderAccepted)][:3] == [
        VenueConnected, VenueDisconnected, VenueConnected,
    ]  # fmt: skip
    assert await venue.query_order(ACCOUNT, ClientOrderId("o1")) is not None
    assert venue.faults.stats.disconnects >= 1
    await venue.close()


async def test_submit_when_submit_drop_rate_one_then_no_answer_and_unknown(
    make_exchange: MakeExchange,
) -> None:
    """A lost submit produces nothing and the venue does not know the order."""
    venue, got = await open_venue(make_exchange, faults=FaultConfig(submit_drop_rate=1.0))
    await venue.submit(spec("o1", Side.BUY, 100, "9.50"))
    await asyncio.sleep(0.01)
    assert [type(r) for r in got] == [VenueConnected]
    assert await venue.query_order(ACCOUNT, ClientOrderId("o1")) is None
    await venue.close()


STAR = InstrumentId.parse("688981.SH")


@pytest.mark.parametrize(
    ("protection", "kind", "code"),
    [(None, OrderRejected, "PROTECTION_PRICE_REQUIRED"), ("200.00", OrderAccepted, "")],
)
async def test_star_market_order_when_protection_price_then_required_and_caps(
    make_exchange: MakeExchange, protection: str | None, kind: type, code: str
) -> None:
    """STAR market orders need a protection price; fills never go through it."""
    venue, got = await open_venue(make_exchange)
    await venue.submit(spec("m1", Side.BUY, 200, None, PriceType.BEST5_IOC, STAR, protection))
    await asyncio.sleep(0.01)
    mine = [r for r in got if getattr(r, "client_order_id", "") == "m1"]
    assert isinstance(mine[0], kind)
    if code:
        assert isinstance(mine[0], OrderRejected)
        assert mine[0].reason_code == code
    for f in mine:
        if isinstance(f, OrderFilled):
            assert f.last_px <= D(protection or "0")
    await venue.close()


def test_random_walk_when_same_seed_then_same_snapshots_and_inside_band(
    make_exchange: MakeExchange,
) -> None:
    """The walk is deterministic for a seed and never leaves the daily band."""
    ex = make_exchange()
    day = date(2026, 11, 25)
    a = RandomWalkFeed(5, ex.band, WalkConfig(max_step_ticks=20))
    b = RandomWalkFeed(5, ex.band, WalkConfig(max_step_ticks=20))
    end = datetime(2026, 11, 25, 15, 0, tzinfo=CST)
    qa = a.snapshots(PF, at(0, 0), end)
    assert qa == b.snapshots(PF, at(0, 0), end)
    _, _, down, up = ex.band(PF, day)
    prices = [p for q in qa for p in (*q.bid_prices, *q.ask_prices)]
    assert min(prices) >= down
    assert max(prices) <= up
    assert qa != RandomWalkFeed(6, ex.band).snapshots(PF, at(0, 0), end)


def test_replay_feed_when_sample_then_latest_and_window_follow_time() -> None:
    """The packaged recording loads and answers by time."""
    feed = ReplayFeed.from_csv(sample_replay_path())
    q = feed.latest(PF, at(10, 0, 30))
    assert q is not None
    assert q.ts_event == at(10, 0)
    assert len(q.bid_prices) == 5
    assert [s.ts_event for s in feed.snapshots(PF, at(10, 0), at(10, 2))] == [at(10, 1), at(10, 2)]
    assert feed.latest(PF, at(9, 0)) is None


def test_read_replay_csv_when_row_malformed_then_error_names_the_line(tmp_path: Path) -> None:
    """A bad row is refused with its line number."""
    bad = tmp_path / "bad.csv"
    bad.write_text("ts,symbol,last,volume\n2026-11-25T10:00:00,600000.XX,10,0\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.csv:2"):
        read_replay_csv(bad)


async def test_ticker_when_clock_runs_then_market_follows_the_clock(
    make_exchange: MakeExchange,
) -> None:
    """The background ticker moves the market with a running clock."""
    clock = SimClock(at(10, 0), speed=600.0)
    venue = SimVenue(make_exchange(), clock)
    venue.set_report_sink(lambda r: None)
    await venue.connect()
    venue.start_ticker(0.005)
    await asyncio.sleep(0.05)
    await venue.close()
    assert venue.exchange.now is not None
    assert venue.exchange.now > at(10, 0, 10)


def test_random_walk_over_many_days_keeps_one_days_grid_and_stays_deterministic(
    make_exchange: MakeExchange,
) -> None:
    # Every day's grid of snapshot times (≈ 4,800 instants) was kept: 230 kB a day for a
    # simulator running for weeks.
    ex = make_exchange()
    feed = RandomWalkFeed(5, ex.band)
    first = datetime(2026, 11, 23, 10, 0, tzinfo=CST)
    before = feed.latest(PF, first)
    for d in range(24, 28):
        feed.latest(PF, datetime(2026, 11, d, 10, 0, tzinfo=CST))

    again = RandomWalkFeed(5, ex.band).latest(PF, first)

    assert len(feed._grids) == 1
    assert again == before


def test_instrument_after_a_close_is_one_record_while_that_close_holds(
    make_exchange: MakeExchange,
) -> None:
    # A new record per call made every order miss the price-limit cache, which is keyed by
    # the record's identity.
    ex = make_exchange()
    ex.closes[str(PF)] = "10.50"
    a, b = ex.instrument(PF), ex.instrument(PF)
    ex.closes[str(PF)] = "10.60"
    c = ex.instrument(PF)

    assert a is b
    assert a is not None
    assert a.prev_close == D("10.50")
    assert c is not None
    assert c.prev_close == D("10.60")
