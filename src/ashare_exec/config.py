"""Service configuration: TOML files under ``config/``, validated once at start.

Every problem is reported as a :class:`~ashare_exec.errors.ConfigError` naming the file, the
key and what is wrong. Secrets (API tokens, webhook secrets, broker passwords) never live in
the config file: a key ending in ``_env`` names the environment variable that holds the value.
With no file at all, :func:`default_config` gives the zero-config simulator setup.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from ashare_exec.config_reader import SecretRefs, TableReader
from ashare_exec.errors import ConfigError
from ashare_exec.model import AccountId
from ashare_exec.secrets import SecretError, SecretSource

__all__ = [
    "AccountConfig",
    "ApiConfig",
    "ChecksConfig",
    "ClockConfig",
    "GatewayConfig",
    "JournalConfig",
    "SessionConfig",
    "TokenConfig",
    "default_config",
    "load_config",
    "resolve_references",
]

SCOPES = frozenset({"read", "trade", "admin"})


@dataclass(frozen=True, slots=True)
class TokenConfig:
    """One API bearer token: its value comes from the environment variable ``env``."""

    name: str
    value: str = field(repr=False)
    scopes: frozenset[str]
    accounts: frozenset[str] | None = None
    """``None`` = every account."""


@dataclass(frozen=True, slots=True)
class ApiConfig:
    """HTTP/WebSocket server."""

    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 1_048_576
    tokens: tuple[TokenConfig, ...] = ()
    stream_replay: int = 100_000
    """Stream messages kept in memory for ``/v1/stream?from_seq=`` (≈ 0.7 kB each)."""


@dataclass(frozen=True, slots=True)
class ClockConfig:
    """``auto``: wall clock in trading hours, else a simulated clock from the next open
    (simulator only). ``wall``: always the real time. ``sim``: start at ``start``, run at
    ``speed`` times real time."""

    mode: str = "auto"
    start: datetime | None = None
    speed: float = 1.0


@dataclass(frozen=True, slots=True)
class SessionConfig:
    """Scheduler times (Asia/Shanghai)."""

    pre_close_cancel: time | None = time(14, 56)
    """Cancel working orders at this time; never inside 14:57–15:00. ``None`` disables."""
    end_of_day: time = time(15, 35)
    """Reconcile, archive and roll the day at this time."""
    reconcile_interval_s: float = 60.0
    inflight_timeout_s: float = 10.0
    wait_for_venues: bool = True
    """A venue out of reach at start: start anyway and keep connecting (its accounts take
    no orders until it is up and reconciled); ``False``: refuse to start."""
    venue_retry_s: float = 1.0
    """First wait before connecting again to a venue down at start (doubling)."""
    venue_retry_max_s: float = 30.0
    """Longest wait between those attempts."""


@dataclass(frozen=True, slots=True)
class JournalConfig:
    """Durability of the SQLite journal."""

    durability: str = "durable"  # or "fast"


DEFAULT_NTP_SERVERS = ("ntp.aliyun.com", "cn.pool.ntp.org", "time.windows.com")


@dataclass(frozen=True, slots=True)
class ChecksConfig:
    """Start-up checks run by ``serve`` (and ``ashare-exec check``)."""

    at_start: bool = True
    ntp_servers: tuple[str, ...] = DEFAULT_NTP_SERVERS
    """Servers for the clock-drift check; empty skips it. Not used on a simulated clock."""
    max_drift_ms: float = 100.0
    ntp_interval_s: float = 600.0
    """While running, the drift is measured again this often (0: only at start)."""


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """One broker account and the venue it trades on."""

    account_id: AccountId
    venue: str = "sim"
    cash: Decimal = Decimal("1000000")
    """Simulator only: starting cash."""
    positions: Mapping[str, int] = field(default_factory=dict)
    """Simulator only: starting (sellable) positions by symbol."""


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    """The whole service configuration."""

    data_dir: Path = Path("data")
    log_dir: Path = Path("logs")
    instruments: Path | None = None
    holidays: Path | None = None
    accounts: tuple[AccountConfig, ...] = (AccountConfig(AccountId("paper")),)
    api: ApiConfig = ApiConfig()
    clock: ClockConfig = ClockConfig()
    sessions: SessionConfig = SessionConfig()
    journal: JournalConfig = JournalConfig()
    checks: ChecksConfig = ChecksConfig()
    risk: Mapping[str, Any] = field(default_factory=dict)
    venues: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    alerts: Mapping[str, Any] = field(default_factory=dict)
    source: str = "<defaults>"


def resolve_references(
    table: Mapping[str, Any], config: GatewayConfig, *, secrets: SecretSource | None = None
) -> dict[str, Any]:
    """A copy of a venue's settings table with every ``env:NAME`` / ``secret:NAME`` string
    replaced by its value (broker passwords never sit in the config file).

    Raises:
        ConfigError: a reference cannot be resolved (the message never holds a value).
    """
    path = None if config.source == "<defaults>" else Path(config.source)
    resolver = SecretRefs(path, secrets)

    def walk(value: Any, where: str) -> Any:
        if isinstance(value, Mapping):
            return {k: walk(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, str) and value.startswith(("env:", "secret:")):
            try:
                return resolver.resolve(value)
            except SecretError as e:
                raise ConfigError(f"{config.source}: {where}: {e.message}") from e
        return value

    return {k: walk(v, k) for k, v in table.items()}


def default_config() -> GatewayConfig:
    """The zero-config setup: one paper account on the simulator."""
    return GatewayConfig()


def load_config(path: Path | None, *, secrets: SecretSource | None = None) -> GatewayConfig:
    """Load and validate a TOML config; ``None`` gives :func:`default_config`.

    Secret values are references: ``env:NAME`` or ``secret:NAME`` (the encrypted secrets
    file, opened only when a ``secret:`` reference appears; ``secrets`` overrides it).

    Relative paths in the file are resolved against the file's folder's parent when the file
    lives in ``config/``, else against the file's folder.

    Raises:
        ConfigError: the file is missing, not TOML, or a key is invalid.
    """
    if path is None:
        return default_config()
    source = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise ConfigError(f"{source}: file not found") from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {e}") from e
    base = path.parent.parent if path.parent.name == "config" else path.parent
    r = TableReader(source, data, secrets=SecretRefs(path, secrets))
    r.check_keys(
        {
            "service",
            "api",
            "clock",
            "sessions",
            "journal",
            "checks",
            "accounts",
            "risk",
            "venues",
            "alerts",
        }
    )
    svc = r.section("service")
    svc.check_keys({"data_dir", "log_dir", "instruments", "holidays"})
    return GatewayConfig(
        data_dir=svc.get_path("data_dir", base / "data", base) or base / "data",
        log_dir=svc.get_path("log_dir", base / "logs", base) or base / "logs",
        instruments=svc.get_path("instruments", None, base),
        holidays=svc.get_path("holidays", None, base),
        accounts=_accounts(r),
        api=_api(r.section("api")),
        clock=_clock(r.section("clock")),
        sessions=_sessions(r.section("sessions")),
        journal=_journal(r.section("journal")),
        checks=_checks(r.section("checks")),
        risk=dict(r.section("risk").data),
        venues={k: dict(v) for k, v in r.section("venues").data.items() if isinstance(v, Mapping)},
        alerts=dict(r.section("alerts").data),
        source=source,
    )


def _accounts(r: TableReader) -> tuple[AccountConfig, ...]:
    raw = r.data.get("accounts")
    if raw is None:
        return default_config().accounts
    if not isinstance(raw, list) or not raw:
        raise r.fail("accounts", "must be a non-empty array of tables ([[accounts]])")
    seen: set[str] = set()
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise r.fail(f"accounts[{i}]", "must be a table")
        a = TableReader(r.source, item, f"accounts[{i}].")
        a.check_keys({"id", "venue", "cash", "positions"})
        account_id = a.get_str("id", "")
        if not account_id or len(account_id) > 32:
            raise a.fail("id", "must be a non-empty string of at most 32 characters")
        if account_id in seen:
            raise a.fail("id", f"duplicate account {account_id!r}")
        seen.add(account_id)
        venue = a.get_str("venue", "sim")
        if venue not in ("sim", "qmt", "vnpy"):
            raise a.fail("venue", f"must be sim, qmt or vnpy, was {venue!r}")
        cash_raw = item.get("cash", "1000000")
        try:
            cash = Decimal(str(cash_raw))
        except ArithmeticError as e:
            raise a.fail("cash", f"must be a decimal amount, was {cash_raw!r}") from e
        positions = item.get("positions", {})
        if not isinstance(positions, Mapping) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in positions.values()
        ):
            raise a.fail("positions", "must map symbols to non-negative share counts")
        out.append(AccountConfig(AccountId(account_id), venue, cash, dict(positions)))
    return tuple(out)


def _api(r: TableReader) -> ApiConfig:
    r.check_keys({"host", "port", "max_body_bytes", "tokens", "stream_replay"})
    tokens = []
    raw = r.data.get("tokens", [])
    if not isinstance(raw, list):
        raise r.fail("tokens", "must be an array of tables ([[api.tokens]])")
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise r.fail(f"tokens[{i}]", "must be a table")
        t = TableReader(r.source, item, f"{r.prefix}tokens[{i}].", r.secrets)
        t.check_keys({"name", "env", "token", "scopes", "accounts"})
        if ("env" in item) == ("token" in item):
            raise t.fail(
                "token", 'give exactly one of env = "NAME" or token = "env:NAME|secret:NAME"'
            )
        scopes = item.get("scopes", ["read"])
        if not isinstance(scopes, list) or not set(scopes) <= SCOPES or not scopes:
            raise t.fail("scopes", f"must be a list drawn from {sorted(SCOPES)}, was {scopes!r}")
        accounts = item.get("accounts")
        if accounts is not None and not (
            isinstance(accounts, list) and all(isinstance(x, str) for x in accounts)
        ):
            raise t.fail("accounts", "must be a list of account ids")
        tokens.append(
            TokenConfig(
                name=t.get_str("name", f"token{i}"),
                value=t.secret("env" if "env" in item else "token"),
                scopes=frozenset(scopes),
                accounts=frozenset(accounts) if accounts is not None else None,
            )
        )
    return ApiConfig(
        host=r.get_str("host", "127.0.0.1"),
        port=r.get_int("port", 8000, lo=0, hi=65535),
        max_body_bytes=r.get_int("max_body_bytes", 1_048_576, lo=1024),
        tokens=tuple(tokens),
        stream_replay=r.get_int("stream_replay", 100_000, lo=0),
    )


def _clock(r: TableReader) -> ClockConfig:
    r.check_keys({"mode", "start", "speed"})
    mode = r.get_str("mode", "auto")
    if mode not in ("auto", "wall", "sim"):
        raise r.fail("mode", f"must be auto, wall or sim, was {mode!r}")
    start_raw = r.data.get("start")
    start: datetime | None = None
    if start_raw is not None:
        if isinstance(start_raw, datetime):
            start = start_raw
        elif isinstance(start_raw, str):
            try:
                start = datetime.fromisoformat(start_raw)
            except ValueError as e:
                raise r.fail("start", f"must be an ISO timestamp, was {start_raw!r}") from e
        else:
            raise r.fail("start", f"must be an ISO timestamp, was {start_raw!r}")
        if start.tzinfo is None:
            raise r.fail("start", "must include a UTC offset, e.g. +08:00")
    return ClockConfig(mode=mode, start=start, speed=r.get_float("speed", 1.0))


def _sessions(r: TableReader) -> SessionConfig:
    r.check_keys(
        {
            "pre_close_cancel",
            "end_of_day",
            "reconcile_interval_s",
            "inflight_timeout_s",
            "wait_for_venues",
            "venue_retry_s",
            "venue_retry_max_s",
        }
    )
    pre_close = r.get_time("pre_close_cancel", time(14, 56))
    if pre_close is not None and time(14, 57) <= pre_close < time(15, 0):
        raise r.fail("pre_close_cancel", "must not fall in 14:57–15:00, when cancels are refused")
    eod = r.get_time("end_of_day", time(15, 35)) or time(15, 35)
    wait = r.data.get("wait_for_venues", True)
    if not isinstance(wait, bool):
        raise r.fail("wait_for_venues", f"must be true or false, was {wait!r}")
    retry = r.get_float("venue_retry_s", 1.0)
    retry_max = r.get_float("venue_retry_max_s", 30.0)
    if retry > retry_max:
        raise r.fail("venue_retry_s", f"must be at most venue_retry_max_s ({retry_max})")
    return SessionConfig(
        pre_close_cancel=pre_close,
        end_of_day=eod,
        reconcile_interval_s=r.get_float("reconcile_interval_s", 60.0),
        inflight_timeout_s=r.get_float("inflight_timeout_s", 10.0),
        wait_for_venues=wait,
        venue_retry_s=retry,
        venue_retry_max_s=retry_max,
    )


def _checks(r: TableReader) -> ChecksConfig:
    r.check_keys({"at_start", "ntp_servers", "max_drift_ms", "ntp_interval_s"})
    at_start = r.data.get("at_start", True)
    if not isinstance(at_start, bool):
        raise r.fail("at_start", f"must be true or false, was {at_start!r}")
    servers = r.data.get("ntp_servers", list(DEFAULT_NTP_SERVERS))
    if not isinstance(servers, list) or not all(isinstance(x, str) and x for x in servers):
        raise r.fail("ntp_servers", "must be a list of host names (host or host:port)")
    interval = r.data.get("ntp_interval_s", 600.0)
    if not isinstance(interval, int | float) or isinstance(interval, bool) or interval < 0:
        raise r.fail("ntp_interval_s", f"must be seconds >= 0 (0: at start only), was {interval!r}")
    return ChecksConfig(
        at_start=at_start,
        ntp_servers=tuple(servers),
        max_drift_ms=r.get_float("max_drift_ms", 100.0),
        ntp_interval_s=float(interval),
    )


def _journal(r: TableReader) -> JournalConfig:
    r.check_keys({"durability"})
    durability = r.get_str("durability", "durable")
    if durability not in ("durable", "fast"):
        raise r.fail("durability", f"must be durable or fast, was {durability!r}")
    return JournalConfig(durability=durability)
