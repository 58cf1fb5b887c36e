"""Shared pieces of the benchmark scripts (not a test module, not part of the package).

Builds a real service through the composition root (:func:`build_service`) in a temporary
data folder, on a :class:`SimClock` stopped in continuous trading (2026-11-25 10:00 +08:00),
with risk limits raised so that the throttles never deny a benchmark order (every check
still runs). The simulator keeps its state in memory unless ``sim_state=True`` (then it
commits its own SQLite file per request, as a deployed paper-trading venue does).
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import statistics
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ashare_exec.clock import CST, SimClock
from ashare_exec.config import AccountConfig, GatewayConfig, JournalConfig, SessionConfig
from ashare_exec.engine.node import build_service
from ashare_exec.engine.service import ExecutionService
from ashare_exec.model import (
    AccountId,
    BrokerOrderId,
    ClientOrderId,
    InstrumentId,
    OrderAccepted,
    OrderFilled,
    OrderSpec,
    OrderSubmitted,
    PriceType,
    Side,
    TradeId,
)

START = datetime(2026, 11, 25, 10, 0, tzinfo=CST)
ACCOUNT = "bench"
BUY_SYMBOLS = ("600000.SH", "600519.SH", "601318.SH", "000001.SZ", "002594.SZ")
SELL_SYMBOLS = ("300750.SZ", "510300.SH", "159915.SZ", "688981.SH", "518880.SH")
"""Buys and sells on different symbols: the self-trade check never denies a bench order."""
SYMBOLS = BUY_SYMBOLS + SELL_SYMBOLS
RISK = {
    "max_msgs_per_second": 10**7,
    "max_daily_orders": 10**8,
    "max_daily_cancels": 10**8,
    "max_daily_messages": 10**8,
    "max_open_orders": 10**8,
    "duplicate_max": 10**8,
    "global_max_msgs_per_second": 10**7,
    "max_order_notional": "100000000",
}


def gateway_config(folder: Path, durability: str, *, venue: str = "sim") -> GatewayConfig:
    """A one-account configuration on the simulator (``venue="qmt"``: the QMT adapter
    against the in-process MiniQMT emulator backed by the simulator; ``"vnpy"``: the vn.py
    adapter and the real vnpy_xtp gateway against the in-process XTP server emulator),
    throttles out of the way."""
    return GatewayConfig(
        data_dir=folder / "data",
        log_dir=folder / "logs",
        accounts=(
            AccountConfig(
                AccountId(ACCOUNT),
                venue,
                Decimal("100000000000"),
                dict.fromkeys(SYMBOLS, 100000000),
            ),
        ),
        sessions=SessionConfig(pre_close_cancel=None, reconcile_interval_s=3600.0),
        journal=JournalConfig(durability=durability),
        risk=dict(RISK),
        # deep books: a stopped clock means one snapshot, which must not run dry
        venues={
            "sim": {"walk": {"level_lots_min": 1_000_000, "level_lots_max": 1_000_000}},
            "qmt": {"emulator": True},
            "vnpy": {"emulator": True},
        },
    )


@contextmanager
def sim_in_memory(enabled: bool = True) -> Iterator[None]:
    """Make :func:`build_service` give the simulator an in-memory state (``state_path=None``)."""
    import ashare_exec.venues.sim.factory as factory

    original = factory.build_sim_venue
    if not enabled:
        yield
        return

    def patched(config: Any, *args: Any, **kwargs: Any) -> Any:
        return original(dataclasses.replace(config, state_path=None), *args, **kwargs)

    factory.build_sim_venue = patched  # type: ignore[assignment]
    try:
        yield
    finally:
        factory.build_sim_venue = original  # type: ignore[assignment]


def build(
    folder: Path,
    durability: str,
    *,
    sim_state: bool = False,
    log_level: str = "INFO",
    venue: str = "sim",
    console: bool = False,
) -> ExecutionService:
    """A service ready to start (journal replayed, venues not yet connected).

    Logging is configured as ``ashare-exec serve`` does (JSON lines to
    ``<log_dir>/ashare-exec.jsonl`` at INFO), without the console copy unless ``console``
    (then also human-readable lines on stderr, as ``serve`` in a terminal); ``log_level=
    "WARNING"`` leaves out the per-order action lines (to measure their cost).
    """
    clock = SimClock(START)
    config = gateway_config(folder, durability, venue=venue)
    from ashare_exec.observability.logging import configure_logging

    configure_logging(
        Path(config.log_dir),
        console=console,
        console_json=False,
        level=log_level,
        clock=clock,
        background=True,
    )
    with sim_in_memory(not sim_state):
        return build_service(config, clock)


def marketable_prices(service: ExecutionService) -> dict[str, tuple[Decimal, Decimal]]:
    """Per symbol: a buy price above the ask and a sell price below the bid (both in band)."""
    out = {}
    for s in SYMBOLS:
        q = service.core.quotes(InstrumentId.parse(s))
        if q is None or not q.ask_prices or not q.bid_prices:
            raise RuntimeError(f"no two-sided quote for {s}")
        tick = Decimal("0.01")
        out[s] = (q.ask_prices[0] + 2 * tick, q.bid_prices[0] - 2 * tick)
    return out


def percentiles(samples_us: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / p99 / max / mean in microseconds."""
    if not samples_us:
        return {}
    s = sorted(samples_us)
    if len(s) < 2:
        return {"p50_us": s[0], "p95_us": s[0], "p99_us": s[0], "max_us": s[0], "n": 1}

    def q(p: float) -> float:
        return round(s[min(len(s) - 1, int(p * len(s)))], 1)

    return {
        "p50_us": q(0.50),
        "p95_us": q(0.95),
        "p99_us": q(0.99),
        "max_us": round(s[-1], 1),
        "mean_us": round(statistics.fmean(s), 1),
        "n": len(s),
    }


def machine() -> dict[str, Any]:
    """CPU model, cores, Python version and current load (the machine is shared)."""
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    try:
        sqlite_version = __import__("sqlite3").sqlite_version
    except Exception:
        sqlite_version = "?"
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite_version,
        "load_1m": round(load[0], 2),
        "kernel": platform.release(),
    }


def git_head() -> str:
    """The commit measured."""
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def emit(
    name: str, result: dict[str, Any], rows: list[tuple[str, ...]], header: tuple[str, ...]
) -> None:
    """Print the table (human) and one JSON line (machine) for a benchmark."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) + 2 for i in range(len(header))]
    print(f"== {name} ==")
    print("".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
    for r in rows:
        print("".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    doc = {"bench": name, "machine": machine(), "commit": git_head(), **result}
    print(json.dumps(doc, default=str))
    sys.stdout.flush()


ACC = AccountId(ACCOUNT)
IIDS = [InstrumentId.parse(s) for s in BUY_SYMBOLS]


def flat_fee(_iid: InstrumentId, _side: Side, _qty: int, px: Decimal) -> Decimal:
    """A fee of 5 yuan per fill (journal benchmarks need one, not a real one)."""
    return Decimal("5")


def order_events(k: int, *, fill: bool) -> list[Any]:
    """Order ``k``'s events: submitted, accepted and (``fill``) filled."""
    coid = ClientOrderId(f"o{k}")
    iid = IIDS[k % len(IIDS)]
    ts = START + timedelta(microseconds=k)
    spec = OrderSpec(
        account_id=ACC, client_order_id=coid, instrument_id=iid, side=Side.BUY, qty=200,
        price_type=PriceType.LIMIT, price=Decimal("10.00"),
    )  # fmt: skip
    out: list[Any] = [
        OrderSubmitted(account_id=ACC, client_order_id=coid, ts_event=ts, spec=spec),
        OrderAccepted(
            account_id=ACC, client_order_id=coid, ts_event=ts, broker_order_id=BrokerOrderId(str(k))
        ),
    ]
    if fill:
        out.append(
            OrderFilled(
                account_id=ACC,
                client_order_id=coid,
                ts_event=ts,
                trade_id=TradeId(f"t{k}"),
                instrument_id=iid,
                side=Side.BUY,
                last_qty=200,
                last_px=Decimal("10.00"),
                fee=Decimal("5"),
                broker_order_id=BrokerOrderId(str(k)),
            )
        )
    return out
