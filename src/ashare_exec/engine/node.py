"""The composition root: builds every part of the service from the configuration.

Nothing else in the package wires components together (the venue adapters and quote
sources it builds come from :mod:`~ashare_exec.engine.node_venues`, part of this root);
tests build services through :func:`build_service` too (with a simulated clock and a
temporary data folder).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST

from ashare_exec.clock import CST, Clock
from ashare_exec.config import GatewayConfig
from ashare_exec.engine.account_view import OmsAccountView
from ashare_exec.engine.bus import EventBus, stream_start
from ashare_exec.engine.core import AccountRuntime, ExecutionCore
from ashare_exec.engine.node_venues import (
    build_external,
    build_sim,
    external_quotes,
    sim_quotes,
)
from ashare_exec.engine.observe import Observer, inflight_orders
from ashare_exec.engine.pretrade import RulesAndRisk
from ashare_exec.engine.reconcile_reports import file_reports
from ashare_exec.engine.reconciler import Reconciler
from ashare_exec.engine.scheduler import SessionScheduler
from ashare_exec.engine.service import ExecutionService, ServiceHooks
from ashare_exec.journal.archive import MANIFEST, archive_day
from ashare_exec.journal.queries import JOURNAL_FILE
from ashare_exec.journal.recovery import replay
from ashare_exec.journal.sqlite import Journal
from ashare_exec.model import (
    AccountId,
    Instrument,
    InstrumentId,
    OrderSpec,
    Quote,
    Side,
    TradingState,
)
from ashare_exec.observability.alerts import Alert, RiskBreakerTripped
from ashare_exec.observability.audit import day_path, seal_path_for
from ashare_exec.oms.idempotency import ClientOrderIdMinter
from ashare_exec.refdata import load_calendar, load_instruments, sample_instruments_path
from ashare_exec.risk.actions import RiskAlert
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

    journal = Journal.open(data_dir / JOURNAL_FILE, durability=config.journal.durability)
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
            sim = build_sim(config, clock, accts, instruments, calendar)
            quote_sources.append(sim_quotes(sim, clock))
            for acct in accts:
                venues[acct] = sim
        else:
            venue = build_external(kind, config, clock, accts, instruments, journal)
            quote_sources.extend(external_quotes(kind, clock, venue))
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
    bus = EventBus(
        replay_size=config.api.stream_replay,
        after_seq=stream_start(journal.get_state, journal.set_state),
    )
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
            # Archived already (an end of day run again: a restart in the evening, or the
            # scheduler's beside an operator's): never rewritten, but the reports of this
            # run join the day's, rather than wait in the folder for the next day's archive.
            file_reports(data_dir / "reconcile", folder)
            return folder
        try:
            path = archive_day(journal, d, data_dir / "archive")
        except Exception:
            log.exception("archive of %s failed", d)
            return None
        file_reports(data_dir / "reconcile", path)  # those since the previous archive
        return path

    observer = Observer(
        clock, Path(config.log_dir), config.alerts, publish_alert=lambda a: _publish_alert(bus, a)
    )
    observer.inflight = lambda: inflight_orders(state.book.open_orders())
    observer.venue_of = lambda a: runtimes[AccountId(a)].venue.name if a in runtimes else "?"
    core.on_sent = observer.on_sent
    core.on_signal = observer.on_signal
    pretrade.on_breaker = lambda alert: _breaker_tripped(observer, core, alert)
    observer.journal_lag = journal.lag_seconds
    journal.on_commit = observer.metrics.observe_journal_commit
    reconciler.on_run = lambda account, why: observer.metrics.reconciliation_run(
        str(account), why if why in RECONCILE_TRIGGERS else "request"
    )
    hooks = ServiceHooks(
        on_change=observer.on_change,
        on_alert=observer.on_alert,
        on_audit=observer.audit,
        on_api_latency=observer.on_api,
        metrics_exposition=lambda: _exposition(observer, core, pretrade),
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
    service.post_start.append(lambda: _seed_daily_counts(observer, pretrade, clock, runtimes))
    for venue in {id(v): v for v in venues.values()}.values():
        ticker = getattr(venue, "start_ticker", None)
        if ticker is not None:
            service.post_start.append(ticker)
    service.hooks.extra_status["calendar_warning"] = lambda: calendar.coverage_warning(
        clock.now().date()
    )
    service.hooks.extra_status["recovered_events"] = lambda: recovered.events
    service.last_active_day = journal.last_event_day
    service.active_day_before = journal.last_event_day_before
    core.note_journal_end(journal.last_event_ts())

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


def _seed_daily_counts(
    observer: Observer, pretrade: RulesAndRisk, clock: Clock, accounts: Iterable[AccountId]
) -> None:
    """After a restart in the middle of a day, today's orders and cancels so far (the risk
    engine's persisted counts): the HFT daily metrics go on from there, not from 0."""
    day = clock.now().astimezone(CST).date().isoformat()
    for account in accounts:
        pack = pretrade.risk.evidence(account, day)
        observer.metrics.seed_daily_counts(account, orders=pack.orders, cancels=pack.cancels)


def _breaker_tripped(observer: Observer, core: ExecutionCore, alert: RiskAlert) -> None:
    """A risk breaker fired: counted (``risk_breaker_trips_total``) and paged once, as the
    ``risk_breaker`` rule's ``RISK_BREAKER_FIRED`` (with the risk engine's reason)."""
    account = alert.account_id or "*"
    observer.metrics.risk_breaker_tripped(account, alert.control)
    core.on_signal(
        RiskBreakerTripped(
            account_id=account, breaker=alert.control, reason=alert.message, ts_event=alert.ts
        )
    )


RECONCILE_TRIGGERS = frozenset({"start", "reconnect", "timer", "end_of_day"})
"""``reconciliation_runs_total`` triggers; any other reason (a fills gap, an order in doubt,
an operator) counts as ``request``, so the label stays a short list."""


def _exposition(
    observer: Observer, core: ExecutionCore, pretrade: RulesAndRisk
) -> tuple[bytes, str]:
    """The metrics, with ``trading_halted`` read at the scrape: an account is halted when
    its kill switch or the global one is ``HALTED``; ``*`` when the global one is, or the
    engine halted new orders itself (the journal cannot write, the clock went back)."""
    metrics = observer.metrics
    every = pretrade.risk.trading_state(None) is TradingState.HALTED
    metrics.set_trading_halted("*", every or core.halt_reason is not None)
    for account in core.accounts:
        metrics.set_trading_halted(account, pretrade.trading_state(account) == "HALTED")
    return metrics.render(), CONTENT_TYPE_LATEST


def _publish_alert(bus: EventBus, alert: Alert) -> None:
    data = alert.to_dict()
    bus.publish("alert", alert.ts.isoformat(), data, alert.account)
