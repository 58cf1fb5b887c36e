"""Crash soak: the real service in its own process, SIGKILLed under load, restarted, checked.

One *life* = start the service on the same data folder → check every invariant against the
simulator's own durable state → put it under a stream of orders and cancels from two client
threads → SIGKILL it at a random moment. The simulated clock is frozen within a life
(``speed`` = 1e-6) and jumps forward between lives (more than the in-flight grace), so after
the start-up reconciliation the gateway and the venue are quiescent and must agree exactly.

With ``day_every`` = N, every N lives the next life starts on the next trading day. On
every other day the service was down at the close, so it closes that day at start (expires
what was open, rolls positions, archives the day); on the others the day's last life starts
at 15:36, after the close, where the scheduler runs the end of day at once: that life is
SIGKILLed during it half of the time, else it waits for the archive and checks the day
closed. The first life of each new day may also be SIGKILLed during start-up, before it is
ready. Orders of a closed day are checked against that day's archive instead of
``GET /v1/orders``.

Used by ``tests/reliability/test_crash.py`` (a few lives) and ``scripts/crash_soak.py``
(any number). Everything is driven by one seed.
"""

from __future__ import annotations

import contextlib
import random
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from ashare_exec.clock import CST
from ashare_exec.refdata import load_calendar
from ashare_exec.venues.sim.store import SqliteStore
from tests.e2e.conftest import TOKEN, Service, spawn_service, start_service, wait_until_ready
from tests.reliability.crash_checks import (
    ACCOUNT,
    Violation,
    check_archives_cover,
    check_day_archive,
    check_ledger_matches_venue,
    check_no_order_lost,
    check_orders_match_venue,
    check_sent_at_most_once,
    every_order,
    ok,
)
from tests.reliability.crash_qmt import StandaloneQmt, soak_knobs
from tests.reliability.crash_xtp import StandaloneXtp, xtp_knobs

__all__ = ["CrashSoak", "LifeReport", "Violation"]

# symbol, reference price, tick; all T+1 stocks the sample master knows, cheap enough to buy.
SYMBOLS: tuple[tuple[str, Decimal, Decimal], ...] = (
    ("600000.SH", Decimal("10.02"), Decimal("0.01")),
    ("000001.SZ", Decimal("11.60"), Decimal("0.01")),
    ("601318.SH", Decimal("58.20"), Decimal("0.01")),
    ("002594.SZ", Decimal("98.36"), Decimal("0.01")),
)
START = datetime(2026, 11, 25, 9, 35, tzinfo=CST)
FIRST_DAY = START.date()
STEP = timedelta(seconds=5)  # sim time between lives; > inflight grace (1 s)
MORNING_END = datetime(2026, 11, 25, 11, 29, tzinfo=CST)
AFTERNOON = datetime(2026, 11, 25, 13, 1, tzinfo=CST)
DAY_END = datetime(2026, 11, 25, 14, 55, tzinfo=CST)
EOD_LIFE_AT = dt_time(15, 36)  # just after the end of day (15:35): the scheduler runs it
IN_FLIGHT = {"PENDING_NEW", "PENDING_CANCEL"}
SETTLE_S = 8.0  # in-flight timeout 1 s + query back-off + a re-sent cancel
CALENDAR = load_calendar()

CONFIG = """
[service]
data_dir = "data"
log_dir = "logs"

[api]
host = "127.0.0.1"
port = 0

[clock]
mode = "sim"
start = "{start}"
speed = 0.000001

[sessions]
reconcile_interval_s = 3600.0
inflight_timeout_s = 1.0
pre_close_cancel = false

[journal]
durability = "{durability}"

[[accounts]]
id = "paper"
venue = "{venue}"
cash = "200000000"

[accounts.positions]
"600000.SH" = 500000
"000001.SZ" = 500000
"601318.SH" = 200000
"002594.SZ" = 100000

[risk]
disabled_checks = ["duplicate", "rate_limit", "daily_count", "cancel_ratio", "chase_guard",
                   "open_orders", "price_deviation", "self_trade"]
max_consecutive_rejections = false
global_max_msgs_per_second = 1000000

[venues.sim]
seed = {seed}
{extra}"""
QMT_RESTART_ODDS = 0.25  # per life after the first, the terminal restarted meanwhile
START_KILL_ODDS = 0.2  # QMT and XTP: the gateway SIGKILLed once during its start-up
VENUE_DOWN_ODDS = 0.2  # QMT and XTP: the venue out of reach when the gateway starts
QMT_CONFIG = """
[venues.qmt]
emulator = '{endpoint}'
"""
XTP_CONFIG = """
[venues.vnpy]
emulator = '{endpoint}'
submit_timeout_s = 1.0
query_timeout_s = 3.0
connect_timeout_s = 10.0
"""
VENUES = {"sim": ("sim", ""), "qmt": ("qmt", QMT_CONFIG), "xtp": ("vnpy", XTP_CONFIG)}
"""``CrashSoak.venue`` → the accounts' venue in the gateway config, and its table."""


def _note_server_error(report: LifeReport, what: str, r: httpx.Response) -> None:
    if r.status_code >= 500 and r.status_code != 503:  # 503: not ready, a legitimate refusal
        report.server_errors.append(f"{what} answered {r.status_code}: {r.text[:500]}")


@dataclass
class LifeReport:
    """What one life did."""

    life: int
    answered: int = 0
    unanswered: int = 0
    cancels: int = 0
    resubmits: int = 0
    killed_after_s: float = 0.0
    start_killed_after_s: float = 0.0
    """When the life was first SIGKILLed during start-up (0: it was not)."""
    orders_checked: int = 0
    days_checked: int = 0
    """Earlier days whose archive was checked against the venue in this life."""
    end_of_day: bool = False
    """A life after the close: the scheduler ran the end of day (killed during it when
    ``killed_after_s`` is set)."""
    terminal_restarted: bool = False
    """QMT: the MiniQMT restarted while the gateway was down (order ids renumbered)."""
    venue_down_s: float = 0.0
    """QMT, XTP: the venue was out of reach at start and came back this long after the
    gateway's banner (0: it was up)."""
    server_errors: list[str] = field(default_factory=list)
    """Requests answered with a server error (5xx other than 503): always a violation."""


@dataclass
class CrashSoak:
    """A seeded crash soak on one data folder."""

    folder: Path
    seed: int
    durability: str = "durable"
    day_every: int = 0
    """Lives per trading day (0: every life on the same day)."""
    venue: str = "sim"
    """``sim`` (the simulator in the gateway, its state in a file), ``qmt`` (the QMT
    adapter and real xtquant against a MiniQMT emulator in its own process) or ``xtp``
    (the vn.py adapter and the real vnpy_xtp gateway against an XTP server emulator in its
    own process)."""
    rng: random.Random = field(init=False)
    answered: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Every order the client got an HTTP answer for: coid → the content it asked for."""
    answered_on: dict[str, date] = field(default_factory=dict)
    """The trading day of each answered order."""
    in_doubt: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Orders whose request got no answer (the process died): resubmitted next life, if
    that is the same day (a day order is not retried the next day)."""
    given_up: set[str] = field(default_factory=set)
    """In-doubt orders of an earlier day, not retried: checked through that day's archive."""
    days_closed: set[date] = field(default_factory=set)
    lives: list[LifeReport] = field(default_factory=list)
    _today: date = FIRST_DAY
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _venue: StandaloneQmt | None = None
    venue_knobs: dict[str, object] = field(default_factory=dict)
    """The venue behaviours this seed switched (QMT: ``crash_qmt.soak_knobs``; XTP:
    ``crash_xtp.xtp_knobs``)."""

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        # A stream of its own: the seeds' schedules from before it are kept.
        self.rng_down = random.Random(self.seed * 86028121 + 23)
        if self.venue not in VENUES:
            raise ValueError(f"venue must be one of {sorted(VENUES)}, was {self.venue!r}")
        if self.venue == "qmt":
            self.venue_knobs = dict(soak_knobs(self.seed))
        elif self.venue == "xtp":
            self.venue_knobs = xtp_knobs(self.seed)

    def close(self) -> None:
        """Stop what the soak started beside the gateway (the stand-alone emulator)."""
        if self._venue is not None:
            self._venue.close()
            self._venue = None

    # ---- one life -----------------------------------------------------------------------

    def life_start(self, life: int) -> datetime:
        """The frozen sim instant of ``life`` (morning, then afternoon session; the next
        trading day every ``day_every`` lives)."""
        days, slot = divmod(life, self.day_every) if self.day_every else (0, life)
        at = START + STEP * slot
        if at >= MORNING_END:
            at = AFTERNOON + (at - MORNING_END)
        if at >= DAY_END:
            raise ValueError(f"life {life} does not fit in one simulated trading day")
        day = at.date()
        for _ in range(days):
            day = CALENDAR.next_trading_day(day)
        if self.day_every >= 2 and days % 2 and slot == self.day_every - 1:
            return datetime.combine(day, EOD_LIFE_AT, CST)
        return datetime.combine(day, at.timetz())

    def run_life(self, life: int, *, kill: bool = True) -> LifeReport:
        """Start, check, load, and SIGKILL (or stop gracefully when ``kill`` is False)."""
        report = LifeReport(life)
        day = self.life_start(life).date()
        if day != self._today:
            self.given_up |= set(self.in_doubt)
            self.in_doubt.clear()
            self._today = day
            if self.rng.random() < 0.5:
                report.start_killed_after_s = self._kill_during_start(life)
        if self._venue is not None:
            if self.venue == "qmt" and self.rng.random() < QMT_RESTART_ODDS:
                self._venue.restart()
                report.terminal_restarted = True
            if self.rng.random() < START_KILL_ODDS:
                report.start_killed_after_s = self._kill_during_start(life)
            if self.rng_down.random() < VENUE_DOWN_ODDS:
                report.venue_down_s = round(self.rng_down.uniform(0.2, 2.0), 3)
        svc = self._start(life, venue_down_s=report.venue_down_s)
        if self.life_start(life).time() == EOD_LIFE_AT:
            report.end_of_day = True
            return self._end_of_day_life(svc, report, kill=kill)
        with _ending(svc, life, kill=kill):
            closed_before = len(self.days_closed)
            report.orders_checked = self.check(svc, life)
            report.days_checked = len(self.days_closed) - closed_before
            self._resubmit_in_doubt(svc, report)
            if kill:
                self._load_then_kill(svc, report)
                if report.server_errors:
                    raise Violation(
                        f"life {life}: {len(report.server_errors)} requests answered with a "
                        f"server error, first: {report.server_errors[0]}"
                    )
            else:
                report.orders_checked = self.check(svc, life)
        self.lives.append(report)
        return report

    def _end_of_day_life(self, svc: Service, report: LifeReport, *, kill: bool) -> LifeReport:
        """After the close: SIGKILL while the end of day runs, or wait for its archive and
        check the day closed. No load (the market is closed; in-doubt orders of the day are
        given up at the next day)."""
        life = report.life
        with _ending(svc, life, kill=kill):
            if kill and self.rng.random() < 0.5:
                report.killed_after_s = round(self.rng.uniform(0.0, 1.5), 3)
                time.sleep(report.killed_after_s)
            else:
                manifest = self.folder / "data" / "archive" / self._today.isoformat()
                deadline = time.monotonic() + 60
                while not (manifest / "manifest.json").is_file():
                    if time.monotonic() > deadline:
                        raise Violation(f"life {life}: the end of day did not archive the day")
                    time.sleep(0.1)
                closed_before = len(self.days_closed)
                report.orders_checked = self.check(svc, life, closed_today=True)
                report.days_checked = len(self.days_closed) - closed_before
        self.lives.append(report)
        return report

    def _kill_during_start(self, life: int) -> float:
        """Start the service and SIGKILL it before (or about when) it is ready."""
        self._prepare(life)
        proc = spawn_service(self.folder)
        after = round(self.rng.uniform(0.3, 3.0), 3)
        time.sleep(after)
        proc.kill()
        proc.communicate(timeout=10)
        return after

    def _start(self, life: int, *, venue_down_s: float = 0.0) -> Service:
        """Start the gateway; with ``venue_down_s``, while its venue is out of reach: it
        must start anyway, then connect by itself once the venue is back."""
        self._prepare(life)
        if not venue_down_s or self._venue is None:
            return start_service(self.folder, timeout=60.0)
        self._venue.set_online(False)
        try:
            svc = start_service(self.folder, timeout=60.0, wait_ready=False)
            if "WAITING:" not in svc.banner:
                svc.stop()
                raise Violation(f"life {life}: started with the venue down, no WAITING line")
            time.sleep(venue_down_s)
        finally:
            self._venue.set_online(True)
        try:
            wait_until_ready(svc, timeout=60.0)
        except RuntimeError as e:
            svc.stop()
            raise Violation(
                f"life {life}: the venue is back but the gateway never got ready"
            ) from e
        return svc

    def _prepare(self, life: int) -> None:
        """Write the life's config; on QMT and XTP, start the emulator once and move its
        clock."""
        self._write_config(life)
        if self.venue != "sim":
            if self._venue is None:
                config = self.folder / "config" / "gateway.toml"
                self._venue = (
                    StandaloneQmt(config, self._endpoint_file, self.venue_knobs)
                    if self.venue == "qmt"
                    else StandaloneXtp(
                        config,
                        self._endpoint_file,
                        self.venue_knobs,
                        self.folder / "data" / "journal.sqlite3",
                    )
                )
            self._venue.set_time(self.life_start(life))

    @property
    def _endpoint_file(self) -> Path:
        return self.folder / ("miniqmt.json" if self.venue == "qmt" else "xtp.json")

    def _write_config(self, life: int) -> None:
        cfg = self.folder / "config" / "gateway.toml"
        cfg.parent.mkdir(parents=True, exist_ok=True)
        cfg.write_text(
            CONFIG.format(
                start=self.life_start(life).isoformat(),
                durability=self.durability,
                seed=self.seed,
                venue=VENUES[self.venue][0],
                extra=VENUES[self.venue][1].format(endpoint=self._endpoint_file),
            ),
            encoding="utf-8",
        )

    # ---- load ---------------------------------------------------------------------------

    def _next_coid(self) -> str:
        with self._lock:
            self._seq += 1
            return f"s{self.seed % 1000}x{self._seq}"

    def _order_body(self, rng: random.Random) -> dict[str, Any]:
        symbol, ref, tick = rng.choice(SYMBOLS)
        side = rng.choice(("BUY", "SELL"))
        marketable = rng.random() < 0.4
        ticks = rng.randint(1, 30)
        sign = 1 if (side == "BUY") == marketable else -1
        price = (ref + sign * ticks * tick).quantize(tick)
        return {
            "account_id": ACCOUNT,
            "symbol": symbol,
            "side": side,
            "qty": 100 * rng.randint(1, 5),
            "price_type": "LIMIT",
            "price": str(price),
            "client_order_id": self._next_coid(),
        }

    def _worker(
        self, url: str, rng: random.Random, stop: threading.Event, report: LifeReport
    ) -> None:
        http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5.0)
        mine: list[str] = []
        try:
            while not stop.is_set():
                if mine and rng.random() < 0.3:
                    coid = mine.pop(rng.randrange(len(mine)))
                    try:
                        r = http.post(f"/v1/orders/{ACCOUNT}/{coid}/cancel")
                    except httpx.HTTPError:
                        return
                    with self._lock:
                        report.cancels += 1
                        _note_server_error(report, f"cancel {coid}", r)
                    continue
                body = self._order_body(rng)
                coid = body["client_order_id"]
                with self._lock:
                    self.in_doubt[coid] = body
                try:
                    r = http.post("/v1/orders", json=body)
                except httpx.HTTPError:
                    with self._lock:
                        report.unanswered += 1
                    return
                with self._lock:
                    del self.in_doubt[coid]
                    _note_server_error(report, f"submit {coid}", r)
                    if r.status_code in (200, 201):
                        self.answered[coid] = body
                        self.answered_on[coid] = self._today
                        report.answered += 1
                        mine.append(coid)
        finally:
            http.close()

    def _load_then_kill(self, svc: Service, report: LifeReport) -> None:
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=self._worker,
                args=(svc.url, random.Random(self.rng.random()), stop, report),
                daemon=True,
            )
            for _ in range(2)
        ]
        for t in threads:
            t.start()
        report.killed_after_s = round(self.rng.uniform(0.05, 0.8), 3)
        time.sleep(report.killed_after_s)
        svc.proc.send_signal(signal.SIGKILL)
        svc.proc.wait(10)
        stop.set()
        for t in threads:
            t.join(10)

    def _resubmit_in_doubt(self, svc: Service, report: LifeReport) -> None:
        """A client that got no answer retries with the same id and content."""
        with httpx.Client(
            base_url=svc.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10.0
        ) as http:
            for coid, body in sorted(self.in_doubt.items()):
                r = http.post("/v1/orders", json=body)
                if r.status_code not in (200, 201):
                    raise Violation(
                        f"resubmit of in-doubt {coid} answered {r.status_code}: {r.text}"
                    )
                self.answered[coid] = body
                self.answered_on[coid] = self._today
                report.resubmits += 1
            self.in_doubt.clear()

    # ---- invariants ---------------------------------------------------------------------

    def check(self, svc: Service, life: int, *, closed_today: bool = False) -> int:
        """Every invariant, after the start-up reconciliation; returns orders checked.

        ``closed_today``: the end of day has run, so today's archive is checked too (the
        day's orders stay listed until the next day starts)."""
        where = f"seed {self.seed} life {life}"
        today = self._today
        # Orders still in flight after the restart (a cancel journaled but never sent) are
        # settled by the re-armed in-flight timer: give it a few timeouts. And the gateway
        # and the venue are read one after the other, so the venue may be a push ahead (a
        # resubmitted order filled in between): compare again until they agree, or the
        # time is up (the timed reconcile is an hour away: it cannot hide a lost report).
        deadline = time.monotonic() + SETTLE_S
        while True:
            orders, positions, account = self._gateway_state(svc, deadline)
            venue = self._venue_state(where)
            try:
                check_orders_match_venue(orders, venue, where, today)
                check_ledger_matches_venue(positions, account, venue, where)
                break
            except Violation:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        mine = {c: b for c, b in self.answered.items() if self.answered_on[c] == today}
        check_sent_at_most_once(self.folder / "logs", orders, where)
        check_no_order_lost(mine, orders, where)
        for day in sorted({*self.answered_on.values(), *(o.day for o in venue.orders)}):
            if day > today or (day == today and not closed_today) or day in self.days_closed:
                continue
            earlier = {c: b for c, b in self.answered.items() if self.answered_on[c] == day}
            archive = self.folder / "data" / "archive" / day.isoformat()
            check_day_archive(archive, earlier, venue, day, f"{where} (day {day})")
            self.days_closed.add(day)
        check_archives_cover(self.folder / "data" / "archive", where)
        return len(orders)

    def _gateway_state(
        self, svc: Service, deadline: float
    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], dict[str, Any]]:
        """The gateway's orders (once none is in flight, or at ``deadline``), positions and
        account, over its API."""
        with httpx.Client(
            base_url=svc.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10.0
        ) as http:
            while True:
                orders = {o["client_order_id"]: o for o in every_order(http)}
                pending = [c for c, o in orders.items() if o["status"] in IN_FLIGHT]
                if not pending or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            positions = {
                p["symbol"]: p
                for p in ok(http.get("/v1/positions", params={"account_id": ACCOUNT}))
            }
            account = ok(http.get(f"/v1/accounts/{ACCOUNT}"))
        return orders, positions, account

    def _venue_state(self, where: str) -> Any:
        """The venue's own record: the simulator's store, or what the MiniQMT or XTP server
        holds."""
        if self._venue is None:
            return SqliteStore(self.folder / "data" / "sim" / "state.sqlite3").load()
        state = self._venue.state()
        if state.problems:
            raise Violation(f"{where}: at the venue: {state.problems[0]}")
        return state


@contextlib.contextmanager
def _ending(svc: Service, life: int, *, kill: bool) -> Iterator[None]:
    """End the life: SIGKILL (or a graceful stop, which must exit 0); a violation carries
    the service's console (tracebacks of HTTP 500s go there, not to the JSON log)."""
    try:
        yield
    except Violation as e:
        raise Violation(f"{e}\n--- service output ---\n{svc.log()[-6000:]}") from None
    finally:
        code = svc.stop(signal.SIGKILL if kill else signal.SIGTERM)
        if not kill and code != 0:
            raise Violation(f"life {life}: graceful stop exited {code}\n{svc.log()[-3000:]}")
