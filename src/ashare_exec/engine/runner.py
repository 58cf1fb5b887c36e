"""Run the service: pick the clock, set up tokens, serve HTTP with uvicorn, shut down cleanly.

The zero-config path (no config file) trades one paper account on the built-in simulator.
On the simulator with ``clock.mode = "auto"``, the wall clock is used during trading hours;
at any other time a simulated clock starts at the next session's open, and the banner says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ashare_exec.clock import CST, Clock, SimClock, WallClock
from ashare_exec.config import GatewayConfig, TokenConfig
from ashare_exec.journal.queries import JOURNAL_FILE, last_event_time
from ashare_exec.rules import TradingCalendar

if TYPE_CHECKING:
    from ashare_exec.engine.service import ExecutionService

__all__ = ["choose_clock", "loop_name", "resolve_tokens", "run_loop", "run_service"]

T = TypeVar("T")

TOKEN_ENV = "ASHARE_EXEC_TOKEN"
LOOP_ENV = "ASHARE_EXEC_LOOP"
"""``asyncio`` forces the standard event loop even where uvloop is installed."""
_OPEN = time(9, 15)
_CLOSE = time(15, 0)


def _uvloop_run() -> Callable[[Coroutine[Any, Any, Any]], Any] | None:
    if sys.platform == "win32" or os.environ.get(LOOP_ENV, "auto") == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.run


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on uvloop where it is installed (Linux, macOS), else on
    asyncio's standard loop (Windows, or ``ASHARE_EXEC_LOOP=asyncio``)."""
    run = _uvloop_run()
    result: T = run(main) if run is not None else asyncio.run(main)
    return result


def loop_name() -> str:
    """The running event loop's implementation, for the banner (``uvloop`` / ``asyncio``)."""
    return type(asyncio.get_running_loop()).__module__.split(".")[0]


def choose_clock(
    config: GatewayConfig, calendar: TradingCalendar, wall: Clock | None = None
) -> tuple[Clock, str]:
    """Return the clock to run on and a sentence for the banner."""
    wall = wall or WallClock()
    mode = config.clock.mode
    now = wall.now()
    if mode == "wall":
        return wall, "wall clock"
    if mode == "sim":
        start = config.clock.start or now
        speed = config.clock.speed
        text = f"simulated clock from {start.isoformat()} at x{speed:g}"
        return SimClock(start, speed=speed), text
    sim_only = all(a.venue == "sim" for a in config.accounts)
    day = now.date()
    in_hours = calendar.is_trading_day(day) and _OPEN <= now.time() < _CLOSE
    if not sim_only:
        return wall, "wall clock (trading hours)" if in_hours else "wall clock"
    # A simulated run got past now already (an evening's play on the next session): carry
    # on after its last event, so that times in the journal never go backwards.
    last = last_event_time(Path(config.data_dir) / JOURNAL_FILE)
    if in_hours and (last is None or last <= now):
        return wall, "wall clock (trading hours)"
    nxt = day if calendar.is_trading_day(day) and now.time() < _OPEN else None
    nxt = nxt or calendar.next_trading_day(day)
    start = datetime.combine(nxt, time(9, 30), tzinfo=CST)
    where = "starting at the next session's open"
    if last is not None and (last >= start or in_hours):
        start, where = _after(last, calendar), "resuming after the journal's last event"
    when = "the journal is ahead of the wall clock" if in_hours else "outside trading hours"
    text = f"{when}: SIMULATED clock {where}, {start.isoformat()} (x{config.clock.speed:g})"
    return SimClock(start, speed=config.clock.speed), text


def _after(last: datetime, calendar: TradingCalendar) -> datetime:
    """Where a simulated clock resumes after ``last``: a second later in the same session,
    else at the next session's open."""
    local = last.astimezone(CST)
    if calendar.is_trading_day(local.date()) and local.time() < _CLOSE:
        opening = datetime.combine(local.date(), time(9, 30), tzinfo=CST)
        return max(opening, (local + timedelta(seconds=1)).replace(microsecond=0))
    return datetime.combine(calendar.next_trading_day(local.date()), time(9, 30), tzinfo=CST)


def resolve_tokens(config: GatewayConfig) -> tuple[list[TokenConfig], str]:
    """The API tokens, plus where the admin token can be found (for the banner).

    ``ASHARE_EXEC_TOKEN`` is accepted as an admin token. With no token configured at all,
    one is generated and written to ``<data_dir>/api-token.txt`` (readable by this user only).
    """
    tokens = list(config.api.tokens)
    where = "configured tokens (config [[api.tokens]])"
    env = os.environ.get(TOKEN_ENV)
    if env:
        tokens.append(TokenConfig("env", env, frozenset({"admin"})))
        where = f"${TOKEN_ENV}"
    if not tokens:
        path = Path(config.data_dir) / "api-token.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file() and path.read_text(encoding="utf-8").strip():
            value = path.read_text(encoding="utf-8").strip()
        else:
            value = secrets.token_urlsafe(24)
            path.write_text(value + "\n", encoding="utf-8")
            with contextlib.suppress(OSError):
                path.chmod(0o600)
        tokens.append(TokenConfig("local-admin", value, frozenset({"admin"})))
        where = str(path)
    return tokens, where


def _install_signals(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> None:
    names = ["SIGINT", "SIGTERM", "SIGBREAK"]  # SIGBREAK = Ctrl-Break on Windows
    for name in names:
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            loop.add_signal_handler(sig, stop)
        except (NotImplementedError, RuntimeError, ValueError):
            # Windows' default loop has no add_signal_handler.
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop))


async def run_service(
    config: GatewayConfig,
    *,
    clock: Clock,
    clock_text: str,
    host: str | None = None,
    port: int | None = None,
    cancel_on_shutdown: bool = False,
    print_fn: Callable[[str], Any] = print,
) -> int:
    """Build, start and serve until a signal arrives; return the exit code."""
    import uvicorn

    from ashare_exec.api import create_app
    from ashare_exec.api.auth import Authenticator
    from ashare_exec.engine.node import build_service
    from ashare_exec.observability.logging import configure_logging
    from ashare_exec.startup import CheckSettings, CheckStatus, run_startup_checks

    if config.checks.at_start:
        # Venues are checked by start() itself (connecting twice confuses some brokers).
        skip = {"venues"}
        if isinstance(clock, SimClock) or not config.checks.ntp_servers:
            skip.add("clock")
        report = await run_startup_checks(
            config,
            ntp_servers=config.checks.ntp_servers,
            clock=clock,
            settings=CheckSettings(max_drift_ms=config.checks.max_drift_ms),
            skip=skip,
            journal_always_check=False,  # the full read is `ashare-exec check`'s job
        )
        if report.status is not CheckStatus.OK:
            print_fn(report.table())
        if report.status is CheckStatus.ERROR:
            print_fn("start-up checks failed: not starting (see above; `ashare-exec check`)")
            return 2
    tokens, token_where = resolve_tokens(config)
    logs = configure_logging(
        Path(config.log_dir),
        console=True,
        level="INFO",
        secrets=[t.value for t in tokens],
        clock=clock,
        background=True,
    )
    try:
        service = build_service(config, clock)
        if service.observer is not None:
            logs.redactor.add_secrets(service.observer.secrets())
        await service.start()
        _watch_clock(config, clock, service)
        _tune_heap(service)
        app = create_app(service, Authenticator(tokens), max_body=config.api.max_body_bytes)
        host = host or config.api.host
        port = config.api.port if port is None else port

        class _Server(uvicorn.Server):
            # Signals belong to us: shutdown must first settle orders, then stop HTTP.
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                yield

        server = _Server(
            uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
        )
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        _install_signals(loop, stopping.set)

        async def serve() -> None:
            await server.serve()

        task = asyncio.create_task(serve(), name="http")
        while not server.started and not task.done():
            await asyncio.sleep(0.01)
        if task.done():
            await service.stop(cancel_working=False)
            task.result()
            return 1
        bound = port
        for s in server.servers:
            for sock in s.sockets:
                bound = sock.getsockname()[1]
        url = f"http://{host}:{bound}"
        accounts = ", ".join(f"{a.account_id} on {a.venue}" for a in config.accounts)
        print_fn(
            "\n".join(
                [
                    "ashare-exec is running",
                    f"  API:      {url}/v1   (docs: {url}/docs)",
                    f"  token:    {token_where}",
                    f"  accounts: {accounts}",
                    *(
                        f"  WAITING:  {name} cannot be reached ({why}); connecting again in "
                        "the background, its accounts take no orders until it is up"
                        for name, why in service.waiting_for.items()
                    ),
                    f"  clock:    {clock_text}",
                    f"  loop:     {loop_name()}",
                    f"  journal:  {Path(config.data_dir).resolve()}",
                    f"  logs:     {Path(config.log_dir).resolve()}",
                    "  stop:     Ctrl-C (graceful)",
                ]
            )
        )
        sys.stdout.flush()
        waiter = asyncio.create_task(stopping.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        print_fn("shutting down: refusing new orders, settling in-flight orders ...")
        await service.stop(cancel_working=cancel_on_shutdown)
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        waiter.cancel()
        print_fn("stopped cleanly")
        return 0
    finally:
        logs.close()  # the logging thread writes out what is still queued


def _watch_clock(config: GatewayConfig, clock: Clock, service: ExecutionService) -> None:
    """While running, the clock's drift against NTP, every ``[checks] ntp_interval_s``
    (``engine/clock_watch.py``): the ``clock_drift_seconds`` gauge and ``CLOCK_DRIFT``."""
    checks = config.checks
    observer = service.observer
    if isinstance(clock, SimClock) or not checks.ntp_servers or checks.ntp_interval_s <= 0:
        return
    if observer is None:
        return
    from ashare_exec.check_items import CheckSettings
    from ashare_exec.engine.clock_watch import watch_drift
    from ashare_exec.observability.alerts import ClockDriftMeasured

    def on_drift(seconds: float) -> None:
        observer.metrics.set_clock_drift(seconds)
        service.core.on_signal(
            ClockDriftMeasured(drift_seconds=seconds, source="ntp", ts_event=clock.now())
        )

    settings = CheckSettings(max_drift_ms=checks.max_drift_ms)
    watch = watch_drift(checks.ntp_servers, settings, checks.ntp_interval_s, on_drift)
    service._spawn(watch, "clock-drift")


def _tune_heap(service: ExecutionService) -> None:
    """Long-running process only: collector thresholds and survivors frozen, the start-up
    state frozen, and a full settle after each end of day (``engine/heap.py``)."""
    from ashare_exec.engine import heap

    heap.configure()
    heap.settle()
    after_day = service.hooks.on_end_of_day

    def end_of_day(day: date) -> None:
        after_day(day)
        heap.settle(full=True)

    service.hooks.on_end_of_day = end_of_day


def now_plus(clock: Clock, seconds: float) -> datetime:
    """``clock.now()`` plus ``seconds``."""
    return clock.now() + timedelta(seconds=seconds)
