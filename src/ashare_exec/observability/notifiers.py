"""Alert notification: the :class:`NotifierHub` and building channels from configuration.

The hub calls every channel (:mod:`~ashare_exec.observability.channels`) concurrently,
logs and counts failures, and never raises into the caller. Subscribe it to the alert
engine with ``engine.subscribe(hub.publish)``. Secrets (webhook keys, signing secrets,
passwords) are available from :meth:`NotifierHub.secrets` for the log redactor and are
masked in the hub's own error lines.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx
import structlog

from ashare_exec.clock import Clock
from ashare_exec.errors import ConfigError
from ashare_exec.observability.alerts import Alert, Severity
from ashare_exec.observability.channels import (
    DingTalkNotifier,
    EmailNotifier,
    FeishuNotifier,
    Notifier,
    NotifyError,
    WebhookNotifier,
    WeComNotifier,
    dingtalk_sign,
    feishu_sign,
)
from ashare_exec.observability.metrics import Metrics

__all__ = [
    "DingTalkNotifier",
    "EmailNotifier",
    "FeishuNotifier",
    "Notifier",
    "NotifierHub",
    "NotifyError",
    "WeComNotifier",
    "WebhookNotifier",
    "build_notifiers",
    "dingtalk_sign",
    "feishu_sign",
]

_log = structlog.get_logger("ashare_exec.notifiers")


class NotifierHub:
    """Fans alerts out to every notifier; never raises into the caller.

    Args:
        notifiers: the destinations.
        metrics: counts ``ashare_exec_notifications_total{notifier,result}`` when given.
        timeout: seconds per delivery attempt.
        client: the HTTP client to use (one is created and owned by the hub otherwise).
    """

    def __init__(
        self,
        notifiers: Iterable[Notifier],
        *,
        metrics: Metrics | None = None,
        timeout: float = 10.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.notifiers = list(notifiers)
        self._metrics = metrics
        self._timeout = timeout
        self._client = client
        self._owns_client = client is None
        self._tasks: set[asyncio.Task[Any]] = set()

    def secrets(self) -> tuple[str, ...]:
        """Return every secret the notifiers hold (feed them to the log redactor)."""
        return tuple(s for n in self.notifiers for s in n.secrets() if s)

    def _redact(self, text: str, notifier: Notifier) -> str:
        for s in sorted(notifier.secrets(), key=len, reverse=True):
            if s and len(s) >= 4:
                text = text.replace(s, "***")
        return text

    async def notify(self, alert: Alert) -> dict[str, bool]:
        """Deliver ``alert`` to every notifier whose ``min_severity`` it reaches.

        Returns:
            ``{notifier name: delivered}`` for the notifiers that were tried.
        """
        targets = [n for n in self.notifiers if alert.severity >= n.min_severity]
        if not targets:
            return {}
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        client = self._client
        results = await asyncio.gather(*(self._one(n, alert, client) for n in targets))
        return {n.name: ok for n, ok in zip(targets, results, strict=True)}

    async def _one(self, notifier: Notifier, alert: Alert, client: httpx.AsyncClient) -> bool:
        try:
            await asyncio.wait_for(notifier.send(alert, client), self._timeout)
        except Exception as e:
            _log.warning(
                "notification failed",
                notifier=notifier.name,
                code=alert.code,
                error=self._redact(f"{type(e).__name__}: {e}", notifier),
            )
            ok = False
        else:
            ok = True
        if self._metrics is not None:
            self._metrics.notification(notifier.name, ok)
        return ok

    def publish(self, alert: Alert) -> None:
        """Schedule :meth:`notify` on the running loop (an :class:`AlertEngine` subscriber)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            _log.warning("no running event loop; alert not notified", code=alert.code)
            return
        task = loop.create_task(self.notify(alert), name=f"notify-{alert.code}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for every scheduled notification to finish."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        """Finish pending notifications and close the HTTP client the hub owns."""
        await self.drain()
        if self._owns_client and self._client is not None:
            await self._client.aclose()
            self._client = None


_KEYS: dict[str, dict[str, type]] = {
    "webhook": {"url": str, "headers": dict},
    "wecom": {"url": str, "msgtype": str, "mentioned_mobiles": list},
    "dingtalk": {"url": str, "secret": str, "msgtype": str, "at_mobiles": list},
    "feishu": {"url": str, "secret": str},
    "email": {
        "host": str,
        "port": int,
        "sender": str,
        "recipients": list,
        "username": str,
        "password": str,
        "starttls": bool,
        "use_ssl": bool,
        "timeout": float,
    },
}
_REQUIRED: dict[str, tuple[str, ...]] = {
    "webhook": ("url",),
    "wecom": ("url",),
    "dingtalk": ("url",),
    "feishu": ("url",),
    "email": ("host", "port", "sender", "recipients"),
}
_FACTORIES: dict[str, Callable[..., Notifier]] = {
    "webhook": WebhookNotifier,
    "wecom": WeComNotifier,
    "dingtalk": DingTalkNotifier,
    "feishu": FeishuNotifier,
    "email": EmailNotifier,
}


def _entry_kwargs(
    entry: Mapping[str, Any], where: str, environ: Mapping[str, str]
) -> tuple[str, dict[str, Any]]:
    kind = entry.get("type")
    if kind not in _KEYS:
        raise ConfigError(f"{where}.type must be one of {', '.join(sorted(_KEYS))}, was {kind!r}")
    allowed = _KEYS[kind]
    kwargs: dict[str, Any] = {}
    for key, value in entry.items():
        if key == "type":
            continue
        if key == "name" or key == "min_severity":
            if not isinstance(value, str):
                raise ConfigError(f"{where}.{key} must be a string")
            try:
                kwargs[key] = Severity.parse(value) if key == "min_severity" else value
            except ValueError as e:
                raise ConfigError(f"{where}.{key}: {e}") from None
            continue
        target = key.removesuffix("_env")
        if target not in allowed:
            raise ConfigError(f"{where}: unknown key {key!r} for a {kind} notifier")
        if key.endswith("_env"):
            if not isinstance(value, str) or value not in environ:
                raise ConfigError(f"{where}.{key}: environment variable {value!r} is not set")
            value = environ[value]
            if allowed[target] is int:
                value = int(value) if str(value).isdigit() else value
        expected = allowed[target]
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(f"{where}.{key} must be of type {expected.__name__}")
        kwargs[target] = value
    missing = [k for k in _REQUIRED[kind] if k not in kwargs]
    if missing:
        raise ConfigError(f"{where}: a {kind} notifier needs {', '.join(missing)}")
    return kind, kwargs


def build_notifiers(
    entries: Iterable[Mapping[str, Any]],
    *,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
) -> list[Notifier]:
    """Build notifiers from ``[[alerts.notifiers]]`` tables.

    Each table has ``type`` (``webhook``, ``wecom``, ``dingtalk``, ``feishu``, ``email``),
    optional ``name`` and ``min_severity``, and the channel's keys; any key may instead be
    given as ``<key>_env`` naming an environment variable (keep secrets out of files).

    Raises:
        ConfigError: unknown type or key, wrong type, missing required key or variable.
    """
    env = os.environ if environ is None else environ
    out: list[Notifier] = []
    for i, entry in enumerate(entries):
        where = f"alerts.notifiers[{i}]"
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{where} must be a table")
        kind, kwargs = _entry_kwargs(entry, where, env)
        if kind in ("dingtalk", "feishu"):
            kwargs["clock"] = clock
        try:
            out.append(_FACTORIES[kind](**kwargs))
        except ValueError as e:
            raise ConfigError(f"{where}: {e}") from None
    return out
