"""Restart-to-ready time against journal size, and memory per live order.

Journals are generated directly through the journal API: orders are applied to an
``OmsState`` (submitted → accepted → filled, three events each, with their projections) and
appended with ``Journal.append_many`` in chunks, as the engine does. Then:

* ``replay_s``: open the journal and apply every event to a fresh state (the full replay,
  ``replay(..., use_projections=False)``: the fallback, and what restart cost before);
* ``recover_s``: open the journal and ``replay`` it as the engine does (loaded from the
  projection tables when they can be trusted; ``method`` says which way it went);
* ``recover_after_crash_s``: the same, with the integrity check an unclean shutdown
  forces (``always_check=True``: ``PRAGMA quick_check`` reads the whole file);
* ``ready_s``: ``build_service`` + ``service.start()`` on that journal (replay, simulator
  connect, reconcile) until the service takes orders — what an operator waits for. The
  simulator here starts empty, so that reconcile sees none of the day's orders;
* ``reconcile_listed_s``: the reconcile a real broker causes after a restart mid-day, when
  it lists every order and trade of the day (all agreeing with the journal), and how many
  restored orders it had to build.

Memory per live order: tracemalloc growth of an ``OmsState`` holding N working
(accepted, unfilled) orders, divided by N.

Run: ``python bench/bench_restart.py [--sizes 10000,100000,1000000] [--live 50000]
[--repeat 3] [--full-repeat 1] [--cache DIR]``. With ``--cache`` each generated journal is
kept in ``DIR`` (``journal-<events>.sqlite3``) and later runs copy it instead of generating
it again (1M events take minutes to generate).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import shutil
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from _harness import ACCOUNT, START, build, emit, flat_fee, gateway_config, order_events

from ashare_exec.journal.recovery import replay
from ashare_exec.journal.sqlite import Journal
from ashare_exec.model import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    ExchangeOrderId,
    InstrumentId,
    OrderFilled,
    OrderStatus,
    PriceType,
    Side,
    TradeId,
)
from ashare_exec.model.reports import OrderStatusReport
from ashare_exec.oms.reconcile import reconcile
from ashare_exec.oms.state import OmsState


def generate(path: Path, n_events: int) -> float:
    """Write a journal of ``n_events`` events (fast mode); return seconds taken."""
    t0 = time.perf_counter()
    state = OmsState.new(flat_fee)
    journal = Journal.open(path, durability="fast")
    chunk: list[Any] = []
    k = 0
    written = 0
    while written < n_events:
        for event in order_events(k, fill=True)[: n_events - written]:
            chunk.append(state.apply(event))
            written += 1
        k += 1
        if len(chunk) >= 3000:
            journal.append_many(chunk)
            chunk = []
    if chunk:
        journal.append_many(chunk)
    journal.close()
    return time.perf_counter() - t0


def prepare(path: Path, n_events: int, cache: Path | None) -> float:
    """Put a journal of ``n_events`` at ``path`` (from ``cache`` if there); seconds generating."""
    if cache is None:
        return generate(path, n_events)
    cached = cache / f"journal-{n_events}.sqlite3"
    if not cached.exists():
        cache.mkdir(parents=True, exist_ok=True)
        gen_s = generate(cache / f"journal-{n_events}.tmp", n_events)
        (cache / f"journal-{n_events}.tmp").rename(cached)
    else:
        gen_s = float("nan")
    shutil.copyfile(cached, path)
    Journal.open(path, durability="fast").close()  # as after a clean shutdown (untimed)
    return gen_s


def time_replay(
    path: Path, *, use_projections: bool, always_check: bool = False
) -> tuple[float, str]:
    t0 = time.perf_counter()
    journal = Journal.open(path, durability="fast", always_check=always_check)
    recovered = replay(journal, flat_fee, use_projections=use_projections)
    elapsed = time.perf_counter() - t0
    journal.close()
    return elapsed, recovered.method


def time_reconcile_listed(path: Path) -> tuple[float, int]:
    """Seconds to reconcile the recovered state against a broker that lists every order
    and trade of the day (as QMT's ``query_stock_orders`` / ``query_stock_trades`` do after
    a restart mid-day), and how many restored orders that had to build."""
    journal = Journal.open(path, durability="fast")
    state = replay(journal, flat_fee).state
    cold_before = state.book.cold_count
    ts = START
    reports = [
        OrderStatusReport(
            account_id=AccountId(a),
            client_order_id=ClientOrderId(c),
            broker_order_id=b and BrokerOrderId(b),
            exchange_order_id=e and ExchangeOrderId(e),
            instrument_id=InstrumentId.parse(i),
            side=Side(sd),
            price_type=PriceType(pt),
            price=px and Decimal(px),
            qty=q,
            filled_qty=f,
            avg_px=None,
            status=OrderStatus(st),
            ts_event=ts,
        )
        for a, c, b, e, i, sd, pt, px, q, f, st in journal.read(
            "SELECT account, client_order_id, broker_order_id, exchange_order_id, instrument,"
            " side, price_type, price, qty, filled_qty, status FROM orders"
        )
    ]
    trades = [
        OrderFilled(
            account_id=AccountId(a),
            client_order_id=ClientOrderId(c),
            ts_event=ts,
            trade_id=TradeId(t),
            instrument_id=InstrumentId.parse(i),
            side=Side(sd),
            last_qty=q,
            last_px=Decimal(px),
        )
        for a, c, t, i, sd, q, px in journal.read(
            "SELECT account, client_order_id, trade_id, instrument, side, qty, px FROM fills"
        )
    ]
    t0 = time.perf_counter()
    rep = reconcile(state.book, state.ledger, AccountId(ACCOUNT), ts, orders=reports, trades=trades)
    elapsed = time.perf_counter() - t0
    journal.close()
    if rep.events or rep.quarantined or rep.fills_gaps:
        raise RuntimeError("the generated venue lists must agree with the journal")
    return elapsed, cold_before - state.book.cold_count


async def time_ready(folder: Path) -> float:
    t0 = time.perf_counter()
    service = build(folder, "fast", log_level="WARNING")
    await service.start()
    ready = time.perf_counter() - t0
    service.shutdown_timeout_s = 0.5
    await service.stop()
    return ready


def live_order_memory(n: int) -> float:
    """Bytes of Python heap per working order held in the OMS state."""
    events = [e for k in range(n) for e in order_events(k, fill=False)]
    gc.collect()
    tracemalloc.start()
    state = OmsState.new(flat_fee)
    before = tracemalloc.get_traced_memory()[0]
    for e in events:
        state.apply(e)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert len(state.book.open_orders()) == n
    return (after - before) / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--live", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--full-repeat", type=int, default=1, help="runs of the full replay")
    ap.add_argument("--cache", type=Path, default=None, help="keep generated journals here")
    args = ap.parse_args()
    results: dict[str, Any] = {}
    rows = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        with tempfile.TemporaryDirectory(prefix="bench-restart-") as d:
            folder = Path(d)
            data = gateway_config(folder, "fast").data_dir
            data.mkdir(parents=True)
            path = data / "journal.sqlite3"
            gen_s = prepare(path, size, args.cache)
            replays = sorted(
                time_replay(path, use_projections=False)[0] for _ in range(args.full_repeat)
            ) or [float("nan")]
            recovers = [time_replay(path, use_projections=True) for _ in range(args.repeat)]
            method = recovers[0][1]
            # After a crash (no clean-close marker) open runs PRAGMA quick_check first.
            checked_s = time_replay(path, use_projections=True, always_check=True)[0]
            recover_s = sorted(r[0] for r in recovers)
            readies = sorted(asyncio.run(time_ready(folder)) for _ in range(args.repeat))
            listed_s, listed_built = time_reconcile_listed(path)
            mb = (data / "journal.sqlite3").stat().st_size / 1e6
            shutil.rmtree(folder / "logs", ignore_errors=True)
        r = {
            "events": size,
            "journal_mb": round(mb, 1),
            "generate_s": round(gen_s, 2),
            "replay_s_median": round(replays[len(replays) // 2], 3),
            "recover_s_median": round(recover_s[len(recover_s) // 2], 3),
            "recover_method": method,
            "recover_after_crash_s": round(checked_s, 3),
            "ready_s_median": round(readies[len(readies) // 2], 3),
            "reconcile_listed_s": round(listed_s, 3),
            "reconcile_listed_built": listed_built,
            "replay_events_per_s": (
                round(size / replays[len(replays) // 2]) if args.full_repeat else None
            ),
        }
        results[str(size)] = r
        rows.append(
            (
                str(size),
                str(r["journal_mb"]),
                str(r["replay_s_median"]),
                f"{r['recover_s_median']} ({method}; {r['recover_after_crash_s']} checked)",
                str(r["ready_s_median"]),
                f"{r['reconcile_listed_s']} ({listed_built} built)",
            )
        )
    per_order = live_order_memory(args.live)
    results["bytes_per_live_order"] = round(per_order)
    rows.append(("live orders", str(args.live), f"{round(per_order)} B/order", "", "", ""))
    emit(
        "restart",
        {"results": results, "target_ready_s_1m": 5.0},
        rows,
        ("events", "journal MB", "full replay s", "recover s", "ready s", "reconcile listed s"),
    )


if __name__ == "__main__":
    main()
