"""The composition root: builds every part of the service from the configuration.

Nothing else in the package wires components together; tests build services through
:func:`build_service` too (with a simulated clock and a temporary data folder).
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

from ashare_exec.clock import Clock
from ashare_exec.config import GatewayConfig, resolve_references
from ashare_exec.engine.account_view import OmsAccountView
from ashare_exec.engine.bus import EventBus
from ashare_exec.engine.core import AccountRuntime, ExecutionCore
from ashare_exec.engine.observe import Observer, inflight_orders
from ashare_exec.engine.pretrade import RulesAndRisk
from ashare_exec.engine.reconciler import Reconciler
from ashare_exec.engine.scheduler import SessionScheduler
from ashare_exec.engine.service import ExecutionService, ServiceHooks
from ashare_exec.errors import ConfigError
from ashare_exec.journal.archive import MANIFEST, archive_day
from ashare_exec.journal.recovery import replay
from ashare_exec.journal.sqlite import Journal
from ashare_exec.model import AccountId, Instrument, InstrumentId, OrderSpec, Quote, Side
from ashare_exec.observability.alerts import Alert
from ashare_exec.observability.audit import day_path, seal_path_for
from ashare_exec.oms.idempotency import ClientOrderIdMinter
from ashare_exec.refdata import load_calendar, load_instruments, sample_instruments_path
from ashare_exec.risk.config import RiskConfig
from ashare_exec.risk.engine import RiskEngine
from ashare_exec.rules import FeeSchedule, estimate_fees, price_limits, sellable_same_day
from ashare_exec.venues.base import VenueAdapter

__all__ = ["build_service"]

log = logging.getLogger(__name__)


def _fee_function(
    instruments: dict[InstrumentId, Instrument], clock: Clock, schedule: FeeSchedule
) -> Callable[[InstrumentId, Side, int, Decimal], Decimal]:
    def fee(iid: InstrumentId, side: Side, qty: int, px: Decimal) -> Decimal:
        inst = instruments.get(iid)
        if inst is None:
            return Decimal(0)
        return estimate_fees(inst, side, qty, px, clock.now().date(), schedule).total

    return fee


def _build_sim(
    config: GatewayConfig,
    clock: Clock,
    accounts: list[AccountId],
    instruments: dict[InstrumentId, Instrument],
    calendar: Any,
) -> Any:
    from ashare_exec.venues.sim.config import (
        FaultConfig,
        SimAccountConfig,
        SimConfig,
        WalkConfig,
        release_time,
    )
    from ashare_exec.venues.sim.factory import build_sim_venue

    raw = dict(config.venues.get("sim", {}))
    where = f"{config.source}: venues.sim"
    seed = raw.pop("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"{where}.seed: must be an integer, was {seed!r}")
    faults = _dataclass_from(FaultConfig, raw.pop("faults", {}), f"{where}.faults")
    walk = _dataclass_from(WalkConfig, raw.pop("walk", {}), f"{where}.walk")
    release = release_time(raw.pop("t1_release_at", None), f"{where}.t1_release_at")
    if raw:
        allowed = "faults, seed, t1_release_at, walk"
        raise ConfigError(f"{where}: unknown keys {sorted(raw)} (allowed: {allowed})")
    sim_accounts = tuple(
        SimAccountConfig(a.account_id, a.cash, dict(a.positions))
        for a in config.accounts
        if a.account_id in accounts
    )
    state_dir = Path(config.data_dir) / "sim"
    state_dir.mkdir(parents=True, exist_ok=True)
    sim_config = SimConfig(
        seed=seed,
        accounts=sim_accounts,
        instruments=config.instruments,
        state_path=state_dir / "state.sqlite3",
        faults=faults,
        walk=walk,
        t1_release_at=release,
    )
    return build_sim_venue(sim_config, clock, instruments=instruments, calendar=calendar)


def build_service(config: GatewayConfig, clock: Clock) -> ExecutionService:
    """Build a ready-to-start service (journal replayed; venues not yet connected).

    Raises:
        ConfigError: a file or setting is invalid.
        JournalError: the journal cannot be opened (trading must not start).
    """
    data_dir = Path(config.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    instruments = load_instruments(config.instruments or sample_instruments_path())
    qmt_raw = config.venues.get("qmt", {})
    if any(a.venue == "qmt" for a in config.accounts) and not qmt_raw.get("emulator", False):
        # Today's previous close, limits and status straight from QMT; the CSV stays the
        # fallback for anything xtdata does not know (or when its service is down).
        from ashare_exec.venues.qmt.refdata import load_qmt_details, merge_qmt_instruments

        instruments = merge_qmt_instruments(
            instruments, load_qmt_details(str(i) for i in instruments)
        )
    calendar = load_calendar(config.holidays)
    warning = calendar.coverage_warning(clock.now().date())
    if warning:
        log.warning("%s", warning)
    schedule = FeeSchedule()
    fee = _fee_function(instruments, clock, schedule)

    def is_t0(iid: InstrumentId) -> bool:
        inst = instruments.get(iid)
        return inst is not None and sellable_same_day(inst)

    def freeze_price(spec: OrderSpec) -> Decimal | None:
        # Market buys freeze at the protection price, else at limit-up (the broker's way).
        if spec.protection_price is not None:
            return spec.protection_price
        inst = instruments.get(spec.instrument_id)
        if inst is None:
            return None
        return price_limits(inst, clock.now().date(), calendar).up

    journal = Journal.open(data_dir / "journal.sqlite3", durability=config.journal.durability)
    recovered = replay(journal, fee, is_t0=is_t0, freeze_price=freeze_price)
    if recovered.errors:
        log.error("journal replay could not apply %d events", len(recovered.errors))
    state = recovered.state

    # Venues: one simulator shared by every sim account; QMT / vn.py per their issues.
    by_venue: dict[str, list[AccountId]] = {}
    for a in config.accounts:
        by_venue.setdefault(a.venue, []).append(a.account_id)
    venues: dict[AccountId, VenueAdapter] = {}
    quote_sources: list[Callable[[InstrumentId], Quote | None]] = []
    for kind, accts in by_venue.items():
        if kind == "sim":
            sim = _build_sim(config, clock, accts, instruments, calendar)
            quote_sources.append(_sim_quotes(sim, clock))
            for acct in accts:
                venues[acct] = sim
        else:
            venue = _build_external(kind, config, clock, accts, instruments, journal)
            quote_sources.extend(_external_quotes(kind, clock, venue))
            for acct in accts:
                venues[acct] = venue

    def quotes(iid: InstrumentId) -> Quote | None:
        for source in quote_sources:
            q = source(iid)
            if q is not None:
                return q
        return None

    day = clock.now().date()
    runtimes: dict[AccountId, AccountRuntime] = {}
    for acct, venue in venues.items():
        minter = ClientOrderIdMinter(day)
        minter.resume(state.book.client_order_ids(acct))
        runtimes[acct] = AccountRuntime(acct, venue, minter)

    views = {acct: OmsAccountView(state, acct, instruments, quotes) for acct in runtimes}
    risk = RiskEngine(
        RiskConfig.from_dict(dict(config.risk), source=f"{config.source}: risk"),
        calendar=calendar,
        fee_schedule=schedule,
    )
    pretrade = RulesAndRisk(
        calendar,
        risk,
        views,
        instruments,
        load_state=journal.get_state,
        save_state=journal.set_state,
    )
    bus = EventBus()
    core = ExecutionCore(
        clock=clock,
        state=state,
        journal=journal,
        accounts=runtimes,
        instruments=instruments,
        pretrade=pretrade,
        quotes=quotes,
        publish=lambda _c: None,
        alert=lambda *_: None,
        request_reconcile=lambda *_: None,
        inflight_timeout_s=config.sessions.inflight_timeout_s,
    )
    reconciler = Reconciler(
        core, report_dir=data_dir / "reconcile", grace_s=config.sessions.inflight_timeout_s
    )

    def archive(d: date) -> Path | None:
        folder = data_dir / "archive" / d.isoformat()
        if (folder / MANIFEST).is_file():
            return folder  # archived already (an end of day run again): never rewritten
        try:
            return archive_day(journal, d, data_dir / "archive")
        except Exception:
            log.exception("archive of %s failed", d)
            return None

    observer = Observer(
        clock, Path(config.log_dir), config.alerts, publish_alert=lambda a: _publish_alert(bus, a)
    )
    observer.inflight = lambda: inflight_orders(state.book.open_orders())
    observer.venue_of = lambda a: runtimes[AccountId(a)].venue.name if a in runtimes else "?"
    core.on_sent = observer.on_sent
    core.on_signal = observer.on_signal
    hooks = ServiceHooks(
        on_change=observer.on_change,
        on_alert=observer.on_alert,
        on_audit=observer.audit,
        on_api_latency=observer.on_api,
        metrics_exposition=lambda: (observer.metrics.render(), CONTENT_TYPE_LATEST),
        alerts_to_stream=False,
        periodic=observer.run,
        aclose=observer.aclose,
        on_end_of_day=lambda d: observer.seal_day(d, data_dir / "archive" / d.isoformat()),
    )
    service = ExecutionService(
        config=config,
        clock=clock,
        core=core,
        pretrade=pretrade,
        reconciler=reconciler,
        scheduler=None,
        bus=bus,
        hooks=hooks,
        close_resources=journal.close,
        archive_day=archive,
    )
    service.scheduler = SessionScheduler.standard(
        clock,
        calendar,
        config.sessions,
        pre_open=service.pre_open,
        pre_close=service.pre_close,
        end_of_day=service.end_of_day,
        on_phase=lambda p: service._publish_plain("phase", {"phase": p.value}, None),
        on_day=service.begin_day,
    )
    # Opening the day's audit file verifies its whole chain (~0.7 s at 50,000 records):
    # at start-up, not inside the first command after a restart.
    service.post_start.append(observer.trail.open_today)
    for venue in {id(v): v for v in venues.values()}.values():
        ticker = getattr(venue, "start_ticker", None)
        if ticker is not None:
            service.post_start.append(ticker)
    service.hooks.extra_status["calendar_warning"] = lambda: calendar.coverage_warning(
        clock.now().date()
    )
    service.hooks.extra_status["recovered_events"] = lambda: recovered.events
    service.last_active_day = journal.last_event_day

    def archived(d: date) -> bool:
        """The day's archive is complete: the journal's part, and the audit seal when the
        day has an audit file."""
        folder = data_dir / "archive" / d.isoformat()
        if not (folder / MANIFEST).is_file():
            return False
        return (
            not day_path(observer.trail.directory, d).exists()
            or seal_path_for(day_path(folder, d)).exists()
        )

    service.is_archived = archived
    service.observer = observer
    return service


def _publish_alert(bus: EventBus, alert: Alert) -> None:
    data = alert.to_dict()
    bus.publish("alert", alert.ts.isoformat(), data, alert.account)


def _dataclass_from(cls: Any, raw: Any, where: str) -> Any:
    """Build a frozen config dataclass from a TOML table, checking names and types."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        f = fields.get(key)
        if f is None:
            raise ConfigError(f"{where}.{key}: unknown key (allowed: {', '.join(sorted(fields))})")
        default = getattr(cls(), key)
        try:
            if isinstance(default, bool):
                if not isinstance(value, bool):
                    raise TypeError
                values[key] = value
            elif isinstance(default, enum.Enum):
                values[key] = type(default)(value)
            elif isinstance(default, int):
                if not isinstance(value, int) or isinstance(value, bool):
                    raise TypeError
                values[key] = value
            elif isinstance(default, float):
                values[key] = float(value)
            elif isinstance(default, Decimal):
                values[key] = Decimal(str(value))
            else:
                values[key] = value
        except (TypeError, ValueError, ArithmeticError):
            raise ConfigError(
                f"{where}.{key}: wrong type {value!r} (expected like {default!r})"
            ) from None
    return cls(**values)


def _external_quotes(
    kind: str, clock: Clock, venue: VenueAdapter
) -> list[Callable[[InstrumentId], Quote | None]]:
    """Quotes of an emulated venue's market (demos and tests); real brokers give none here."""
    exchange: Any = None
    if kind == "qmt":
        from ashare_exec.testing.miniqmt.loader import current_terminal

        terminal = current_terminal()
        sim = getattr(terminal, "sim", None) if terminal is not None else None
        exchange = getattr(sim, "exchange", None)
    elif kind == "vnpy":
        exchange = getattr(getattr(venue, "emulator", None), "exchange", None)
    if exchange is None:
        return []

    def quote(iid: InstrumentId) -> Quote | None:
        q: Quote | None = exchange.quote(iid, clock.now())
        return q

    return [quote]


def _sim_quotes(sim: Any, clock: Clock) -> Callable[[InstrumentId], Quote | None]:
    def quote(iid: InstrumentId) -> Quote | None:
        q: Quote | None = sim.exchange.quote(iid, clock.now())
        return q

    return quote


def _build_external(
    kind: str,
    config: GatewayConfig,
    clock: Clock,
    accounts: list[AccountId],
    instruments: dict[InstrumentId, Instrument],
    journal: Journal,
) -> VenueAdapter:
    if kind == "qmt":
        from ashare_exec.venues.qmt.factory import build_qmt_venue
        from ashare_exec.venues.qmt.store import KeyValueIdStore

        # The client id <-> order_id <-> order_sysid mapping lives in the journal.
        store = KeyValueIdStore(
            journal.get_state,
            journal.set_state,
            clock.now().date().isoformat(),
            stage=journal.stage_states,  # rides on group commits, no fsync of its own
        )
        return build_qmt_venue(config, clock, accounts, instruments, store=store)
    if kind == "vnpy":
        from ashare_exec.venues.sim.config import SimAccountConfig
        from ashare_exec.venues.vnpy.factory import build_vnpy_venue
        from ashare_exec.venues.vnpy.store import KeyValueVnpyIdStore

        vstore = KeyValueVnpyIdStore(
            journal.get_state,
            journal.set_state,
            clock.now().date().isoformat(),
            stage=journal.stage_states,
        )
        seeds = [
            SimAccountConfig(a.account_id, a.cash, dict(a.positions))
            for a in config.accounts
            if a.account_id in accounts
        ]
        return build_vnpy_venue(
            resolve_references(config.venues.get("vnpy", {}), config),
            clock,
            accounts,
            Path(config.data_dir),
            store=vstore,
            seeds=seeds,
            instruments=instruments,
        )
    raise ConfigError(f"{config.source}: venue {kind!r} is not available in this build")
