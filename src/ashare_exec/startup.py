"""Start-up checks: clock drift against NTP, venues and accounts, journal integrity, free disk.

:func:`run_startup_checks` runs them all and returns a :class:`CheckReport`; ``ashare-exec
check`` prints it, and ``serve`` runs it before opening for orders. Each item is ``ok``,
``warning`` or ``error``:

* ``clock`` — offset of this machine's clock from NTP, measured with a small SNTP client
  (RFC 4330, UDP): no server answered = warning; |offset| above the limit (100 ms) = error.
* ``journal`` — the journal opened read-only passes ``PRAGMA quick_check`` and its schema
  version is one this release knows; unreadable or corrupt = error. ``serve`` skips the
  ``quick_check`` (it reads the whole file) when the last session closed the journal
  cleanly, as opening the journal does (:mod:`ashare_exec.journal.integrity`).
* ``disk`` — free space on the data folder's disk: below 1 GiB = warning, 200 MiB = error.
* ``venue:<name>`` / ``account:<id>`` — each venue connects, and each account's status at the
  broker is ``OK`` (``TRANSIENT`` = warning, ``DOWN`` or no answer = error).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import statistics
import time
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ashare_exec.check_items import CheckItem, CheckReport, CheckSettings, CheckStatus
from ashare_exec.clock import Clock
from ashare_exec.config import GatewayConfig
from ashare_exec.engine.halts import JOURNAL_AHEAD_LIMIT
from ashare_exec.journal.queries import JOURNAL_FILE, last_event_time
from ashare_exec.model import AccountStatus
from ashare_exec.ntp import NtpAnswer, sntp_query

if TYPE_CHECKING:
    from ashare_exec.engine.service import ExecutionService

__all__ = [
    "DEFAULT_NTP_SERVERS",
    "JOURNAL_AHEAD_LIMIT",
    "CheckItem",
    "CheckReport",
    "CheckSettings",
    "CheckStatus",
    "NtpAnswer",
    "check_clock",
    "check_disk",
    "check_journal",
    "check_venues",
    "run_startup_checks",
    "sntp_query",
]

DEFAULT_NTP_SERVERS = ("ntp.aliyun.com", "cn.pool.ntp.org", "time.windows.com")
_MIB = 1024 * 1024


# ---- clock ------------------------------------------------------------------------------


async def check_clock(
    servers: Sequence[str],
    settings: CheckSettings = CheckSettings(),
    *,
    now: Callable[[], float] = time.time,
) -> CheckItem:
    """Measure this machine's clock offset against ``servers`` (queried together; the median
    offset of those that answer counts)."""
    if not servers:
        return CheckItem("clock", CheckStatus.WARNING, "not checked: no NTP servers configured")
    results = await asyncio.gather(
        *(sntp_query(s, timeout_s=settings.ntp_timeout_s, now=now) for s in servers),
        return_exceptions=True,
    )
    answers = [r for r in results if isinstance(r, NtpAnswer)]
    failed = {
        s: f"{type(r).__name__}: {r}" if str(r) else type(r).__name__
        for s, r in zip(servers, results, strict=True)
        if not isinstance(r, NtpAnswer)
    }
    data: dict[str, Any] = {"unreachable": failed}
    if not answers:
        return CheckItem(
            "clock",
            CheckStatus.WARNING,
            f"drift not measured: no NTP server answered ({', '.join(servers)})",
            data,
        )
    offset_ms = statistics.median(a.offset_s for a in answers) * 1000
    data |= {
        "offset_ms": round(offset_ms, 3),
        "servers": {a.server: round(a.offset_s * 1000, 3) for a in answers},
    }
    within = abs(offset_ms) <= settings.max_drift_ms
    detail = (
        f"offset {offset_ms:+.1f} ms against {len(answers)} NTP server(s)"
        f" (limit ±{settings.max_drift_ms:g} ms)"
    )
    if failed:
        detail += f"; no answer from {', '.join(failed)}"
    if not within:
        detail += "; fix the system time sync (docs/deployment.md)"
    return CheckItem("clock", CheckStatus.OK if within else CheckStatus.ERROR, detail, data)


# ---- journal ----------------------------------------------------------------------------


def check_journal(
    path: Path, *, always_check: bool = True, now: datetime | None = None
) -> CheckItem:
    """Open the journal read-only, run ``PRAGMA quick_check`` and compare its schema version.

    With ``always_check=False`` the ``quick_check`` is skipped when the journal carries a
    valid clean-close marker (:func:`~ashare_exec.journal.integrity.closed_cleanly`). With
    ``now`` (the clock the service will run on), a journal whose last event is more than
    :data:`JOURNAL_AHEAD_LIMIT` ahead of it is a warning: the machine's clock was set back
    while the service was down, and new events would be older than journaled ones (the
    service halts new orders then, ``engine/halts.py``).
    """
    from ashare_exec.journal.integrity import closed_cleanly, wal_has_content
    from ashare_exec.journal.schema import SCHEMA_VERSION

    if not path.exists():
        return CheckItem("journal", CheckStatus.OK, f"{path}: none yet (created at start)")
    wal_before = wal_has_content(path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as e:
        return CheckItem("journal", CheckStatus.ERROR, f"{path}: cannot be opened: {e}")
    try:
        clean = not always_check and closed_cleanly(conn, path, wal_before=wal_before)
        rows = ["ok"] if clean else [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        if rows != ["ok"]:
            shown = "; ".join(str(r) for r in rows[:3])
            return CheckItem(
                "journal", CheckStatus.ERROR, f"{path}: integrity check failed: {shown}"
            )
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = 0
        if "schema_version" in tables:
            row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
            version = int(row[0]) if row and row[0] is not None else 0
        events = 0
        if "events" in tables:
            events = int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
        elif tables:
            return CheckItem("journal", CheckStatus.ERROR, f"{path}: not an ashare-exec journal")
    except sqlite3.Error as e:
        return CheckItem("journal", CheckStatus.ERROR, f"{path}: unreadable: {e}")
    finally:
        conn.close()
    data = {"schema_version": version, "events": events, "integrity_checked": not clean}
    if version > SCHEMA_VERSION:
        return CheckItem(
            "journal",
            CheckStatus.ERROR,
            f"{path}: schema version {version} is newer than this release ({SCHEMA_VERSION})",
            data,
        )
    note = "" if version == SCHEMA_VERSION else f", will be migrated to v{SCHEMA_VERSION}"
    last = last_event_time(path) if now is not None and events else None
    if now is not None and last is not None and last - now > JOURNAL_AHEAD_LIMIT:
        ahead = int((last - now).total_seconds())
        return CheckItem(
            "journal",
            CheckStatus.WARNING,
            f"{path}: its last event ({last.isoformat()}) is {ahead} s ahead of the clock "
            f"({now.isoformat()}): was the clock set back? new events would be older",
            {**data, "ahead_s": ahead},
        )
    return CheckItem(
        "journal",
        CheckStatus.OK,
        f"{path}: {'closed cleanly' if clean else 'intact'}, {events} events, v{version}{note}",
        data,
    )


# ---- disk -------------------------------------------------------------------------------


def check_disk(
    data_dir: Path,
    settings: CheckSettings = CheckSettings(),
    *,
    disk_usage: Callable[[Path], Any] = shutil.disk_usage,
) -> CheckItem:
    """Free space on the disk holding ``data_dir`` (or its nearest existing parent)."""
    where = Path(data_dir).absolute()
    while not where.exists() and where.parent != where:
        where = where.parent
    try:
        free = int(disk_usage(where).free)
    except OSError as e:
        return CheckItem("disk", CheckStatus.ERROR, f"{where}: cannot read free space: {e}")
    data = {"path": str(where), "free_bytes": free}
    text = f"{free / _MIB:,.0f} MiB free at {where}"
    if free < settings.disk_error_bytes:
        limit = settings.disk_error_bytes / _MIB
        return CheckItem("disk", CheckStatus.ERROR, f"{text} (below {limit:,.0f} MiB)", data)
    if free < settings.disk_warn_bytes:
        limit = settings.disk_warn_bytes / _MIB
        return CheckItem("disk", CheckStatus.WARNING, f"{text} (below {limit:,.0f} MiB)", data)
    return CheckItem("disk", CheckStatus.OK, text, data)


# ---- venues and accounts ----------------------------------------------------------------


async def check_venues(
    service: ExecutionService, settings: CheckSettings = CheckSettings()
) -> list[CheckItem]:
    """Connect each venue of a built (not started) service, ask each account's status, and
    close the venues again. Reports pushed meanwhile are discarded."""
    items: list[CheckItem] = []
    by_venue: dict[int, tuple[Any, list[Any]]] = {}
    for rt in service.core.accounts.values():
        by_venue.setdefault(id(rt.venue), (rt.venue, []))[1].append(rt.account_id)
    for venue, accounts in by_venue.values():
        venue.set_report_sink(lambda _report: None)
        try:
            await asyncio.wait_for(venue.connect(), settings.venue_timeout_s)
        except Exception as e:
            items.append(_venue_error(f"venue:{venue.name}", "cannot connect", e))
            items += [
                CheckItem(f"account:{a}", CheckStatus.ERROR, "not checked: venue unreachable")
                for a in accounts
            ]
            continue
        items.append(CheckItem(f"venue:{venue.name}", CheckStatus.OK, "connected"))
        for account in accounts:
            try:
                status = await asyncio.wait_for(
                    venue.query_account_status(account), settings.venue_timeout_s
                )
            except Exception as e:
                items.append(_venue_error(f"account:{account}", "status query failed", e))
                continue
            level = {
                AccountStatus.OK: CheckStatus.OK,
                AccountStatus.TRANSIENT: CheckStatus.WARNING,
            }.get(status, CheckStatus.ERROR)
            items.append(
                CheckItem(
                    f"account:{account}",
                    level,
                    f"status {status.value} at {venue.name}",
                    {"status": status.value},
                )
            )
    for venue, _ in by_venue.values():
        with contextlib.suppress(Exception):
            await venue.close()
    return items


def _venue_error(name: str, what: str, e: BaseException) -> CheckItem:
    reason = "timed out" if isinstance(e, TimeoutError) else f"{type(e).__name__}: {e}"
    return CheckItem(name, CheckStatus.ERROR, f"{what}: {reason}")


# ---- all together -----------------------------------------------------------------------


def _default_build(config: GatewayConfig, clock: Clock) -> ExecutionService:
    from ashare_exec.engine.node import build_service

    return build_service(config, clock)


async def run_startup_checks(
    config: GatewayConfig,
    *,
    ntp_servers: Sequence[str],
    clock: Clock,
    build: Callable[[GatewayConfig, Clock], ExecutionService] = _default_build,
    settings: CheckSettings = CheckSettings(),
    skip: Collection[str] = (),
    disk_usage: Callable[[Path], Any] = shutil.disk_usage,
    wall_time: Callable[[], float] = time.time,
    journal_always_check: bool = True,
) -> CheckReport:
    """Run every start-up check and return the report.

    ``skip`` may hold ``clock``, ``journal``, ``disk`` and ``venues``. The venue check builds
    its own service with ``build`` (after the journal check, and only if the journal is
    usable), connects its venues and closes everything again, so call this before building
    the service that will serve. ``wall_time`` is the machine clock compared with NTP.
    ``journal_always_check=False`` skips the journal's ``quick_check`` after a clean close.
    """
    data_dir = Path(config.data_dir)
    found: list[CheckItem] = []
    clock_task = (
        None
        if "clock" in skip
        else asyncio.create_task(check_clock(ntp_servers, settings, now=wall_time))
    )
    journal_ok = True
    if "journal" not in skip:
        item = check_journal(
            data_dir / JOURNAL_FILE, always_check=journal_always_check, now=clock.now()
        )
        journal_ok = item.status is not CheckStatus.ERROR
        found.append(item)
    if "disk" not in skip:
        found.append(check_disk(data_dir, settings, disk_usage=disk_usage))
    if "venues" not in skip:
        found += await _venues_with_build(config, clock, build, settings, journal_ok)
    items = found if clock_task is None else [await clock_task, *found]
    return CheckReport(tuple(items))


async def _venues_with_build(
    config: GatewayConfig,
    clock: Clock,
    build: Callable[[GatewayConfig, Clock], ExecutionService],
    settings: CheckSettings,
    journal_ok: bool,
) -> list[CheckItem]:
    if not journal_ok:
        return [CheckItem("venues", CheckStatus.ERROR, "not checked: the journal is unusable")]
    try:
        service = build(config, clock)
    except Exception as e:
        return [_venue_error("venues", "not checked: the service cannot be built", e)]
    try:
        return await check_venues(service, settings)
    finally:
        service.shutdown_timeout_s = 0.0
        with contextlib.suppress(Exception):
            await service.stop()
