"""Notification channels: generic webhook, WeCom, DingTalk (signed), Feishu, SMTP email.

Each channel's ``send`` raises on failure (:class:`NotifyError` for the expected ones); the
:class:`~ashare_exec.observability.notifiers.NotifierHub` catches, logs and counts.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import smtplib
import ssl
import urllib.parse
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from typing import Protocol

import httpx

from ashare_exec.clock import Clock, WallClock
from ashare_exec.observability.alerts import Alert, Severity

__all__ = [
    "DingTalkNotifier",
    "EmailNotifier",
    "FeishuNotifier",
    "Notifier",
    "NotifyError",
    "WeComNotifier",
    "WebhookNotifier",
    "dingtalk_sign",
    "feishu_sign",
]


class NotifyError(Exception):
    """A notification could not be delivered."""


class Notifier(Protocol):
    """Delivers alerts to one destination."""

    name: str
    min_severity: Severity

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> None:
        """Deliver ``alert``; raise :class:`NotifyError` (or any error) on failure."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Return the secret values this notifier holds (for log redaction)."""
        ...


def _url_secrets(url: str) -> tuple[str, ...]:
    query = urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)
    return (url, *(v for _, v in query if len(v) >= 4))


def _truncate(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    return data[: max_bytes - 3].decode("utf-8", errors="ignore") + "..."


async def _post_json(
    client: httpx.AsyncClient,
    url: str,
    body: Mapping[str, object],
    *,
    headers: Mapping[str, str] | None = None,
    result_keys: Sequence[str] = (),
) -> None:
    """POST ``body``; fail on a non-2xx status or a non-zero robot result code."""
    try:
        response = await client.post(url, json=body, headers=dict(headers or {}))
    except httpx.HTTPError as e:
        raise NotifyError(f"request failed: {type(e).__name__}: {e}") from e
    if not response.is_success:
        raise NotifyError(f"HTTP {response.status_code}: {response.text[:200]}")
    if not result_keys:
        return
    try:
        data = response.json()
    except ValueError as e:
        raise NotifyError(f"response is not JSON: {response.text[:200]}") from e
    for key in result_keys:
        if isinstance(data, dict) and key in data:
            if data[key] not in (0, "0"):
                raise NotifyError(f"robot refused the message: {response.text[:200]}")
            return
    raise NotifyError(f"unexpected robot response: {response.text[:200]}")


class WebhookNotifier:
    """POST the alert as JSON (:meth:`Alert.to_dict`) to any URL; any 2xx is success.

    Args:
        url: the endpoint.
        headers: extra headers (e.g. ``Authorization``); their values count as secrets.
        min_severity: alerts below this are not sent.
        name: label in logs and metrics.
    """

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        min_severity: Severity = Severity.WARNING,
        name: str = "webhook",
    ) -> None:
        self.url, self.headers = url, dict(headers or {})
        self.min_severity, self.name = min_severity, name

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> None:
        """POST the alert."""
        await _post_json(client, self.url, alert.to_dict(), headers=self.headers)

    def secrets(self) -> tuple[str, ...]:
        """Return the URL's query values and the header values."""
        return (*_url_secrets(self.url), *self.headers.values())


class WeComNotifier:
    """WeCom (企业微信) group robot: ``msgtype`` ``markdown`` (default) or ``text``.

    Args:
        url: the robot webhook, ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``.
        msgtype: ``markdown`` or ``text``.
        mentioned_mobiles: mobiles to @ (text messages only; ``@all`` for everyone).
    """

    def __init__(
        self,
        url: str,
        *,
        msgtype: str = "markdown",
        mentioned_mobiles: Sequence[str] = (),
        min_severity: Severity = Severity.WARNING,
        name: str = "wecom",
    ) -> None:
        if msgtype not in ("markdown", "text"):
            raise ValueError(f"WeCom msgtype must be 'markdown' or 'text', was {msgtype!r}")
        self.url, self.msgtype, self.mentioned = url, msgtype, list(mentioned_mobiles)
        self.min_severity, self.name = min_severity, name

    def body(self, alert: Alert) -> dict[str, object]:
        """Return the robot message for ``alert``."""
        if self.msgtype == "markdown":
            return {
                "msgtype": "markdown",
                "markdown": {"content": _truncate(alert.markdown(), 4096)},
            }
        text: dict[str, object] = {"content": _truncate(alert.text(), 2048)}
        if self.mentioned:
            text["mentioned_mobile_list"] = self.mentioned
        return {"msgtype": "text", "text": text}

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> None:
        """POST the message; WeCom answers ``{"errcode": 0}`` on success."""
        await _post_json(client, self.url, self.body(alert), result_keys=("errcode",))

    def secrets(self) -> tuple[str, ...]:
        """Return the webhook URL and its key."""
        return _url_secrets(self.url)


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """Return DingTalk's ``sign``: base64(HMAC-SHA256(secret, "timestamp\\nsecret")), not quoted."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


class DingTalkNotifier:
    """DingTalk (钉钉) group robot with the "加签" signature.

    Args:
        url: the robot webhook, ``https://oapi.dingtalk.com/robot/send?access_token=...``.
        secret: the robot's signing secret (``SEC...``); unsigned when ``None``.
        msgtype: ``markdown`` (default) or ``text``.
        at_mobiles: mobiles to @.
        clock: source of the signing timestamp (must be within an hour of DingTalk's).
    """

    def __init__(
        self,
        url: str,
        *,
        secret: str | None = None,
        msgtype: str = "markdown",
        at_mobiles: Sequence[str] = (),
        clock: Clock | None = None,
        min_severity: Severity = Severity.WARNING,
        name: str = "dingtalk",
    ) -> None:
        if msgtype not in ("markdown", "text"):
            raise ValueError(f"DingTalk msgtype must be 'markdown' or 'text', was {msgtype!r}")
        self.url, self.secret, self.msgtype = url, secret, msgtype
        self.at_mobiles, self.clock = list(at_mobiles), clock or WallClock()
        self.min_severity, self.name = min_severity, name

    def signed_url(self) -> str:
        """Return the webhook URL with ``timestamp`` and the URL-encoded ``sign`` appended."""
        if not self.secret:
            return self.url
        ts = int(self.clock.now().timestamp() * 1000)
        sign = urllib.parse.quote_plus(dingtalk_sign(ts, self.secret))
        sep = "&" if urllib.parse.urlsplit(self.url).query else "?"
        return f"{self.url}{sep}timestamp={ts}&sign={sign}"

    def body(self, alert: Alert) -> dict[str, object]:
        """Return the robot message for ``alert``."""
        at = {"atMobiles": self.at_mobiles, "isAtAll": False}
        if self.msgtype == "markdown":
            text = alert.markdown()
            if self.at_mobiles:
                text += "\n\n" + " ".join(f"@{m}" for m in self.at_mobiles)
            return {
                "msgtype": "markdown",
                "markdown": {"title": alert.title(), "text": text},
                "at": at,
            }
        return {"msgtype": "text", "text": {"content": alert.text()}, "at": at}

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> None:
        """POST the message; DingTalk answers ``{"errcode": 0}`` on success."""
        await _post_json(client, self.signed_url(), self.body(alert), result_keys=("errcode",))

    def secrets(self) -> tuple[str, ...]:
        """Return the webhook URL, its access token and the signing secret."""
        return (*_url_secrets(self.url), *((self.secret,) if self.secret else ()))


def feishu_sign(timestamp_s: int, secret: str) -> str:
    """Return Feishu's ``sign``: base64(HMAC-SHA256(key="timestamp\\nsecret", msg=b""))."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class FeishuNotifier:
    """Feishu / Lark (飞书) custom bot, text message, signed when a secret is set.

    Args:
        url: the bot webhook, ``https://open.feishu.cn/open-apis/bot/v2/hook/<id>``.
        secret: the bot's signing secret; unsigned when ``None``.
        clock: source of the signing timestamp.
    """

    def __init__(
        self,
        url: str,
        *,
        secret: str | None = None,
        clock: Clock | None = None,
        min_severity: Severity = Severity.WARNING,
        name: str = "feishu",
    ) -> None:
        self.url, self.secret, self.clock = url, secret, clock or WallClock()
        self.min_severity, self.name = min_severity, name

    def body(self, alert: Alert) -> dict[str, object]:
        """Return the bot message for ``alert`` (with ``timestamp`` and ``sign`` if signed)."""
        body: dict[str, object] = {"msg_type": "text", "content": {"text": alert.text()}}
        if self.secret:
            ts = int(self.clock.now().timestamp())
            body = {"timestamp": str(ts), "sign": feishu_sign(ts, self.secret), **body}
        return body

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> None:
        """POST the message; Feishu answers ``{"code": 0}`` (or ``{"StatusCode": 0}``)."""
        await _post_json(client, self.url, self.body(alert), result_keys=("code", "StatusCode"))

    def secrets(self) -> tuple[str, ...]:
        """Return the webhook URL, its hook id and the signing secret."""
        hook_id = self.url.rstrip("/").rsplit("/", 1)[-1]
        return (self.url, hook_id, *((self.secret,) if self.secret else ()))


class EmailNotifier:
    """SMTP email (``smtplib`` in a worker thread).

    Args:
        host: SMTP server.
        port: SMTP port (25, 465 with ``use_ssl``, 587 with ``starttls``).
        sender: the From address.
        recipients: the To addresses.
        username: login user (no login when ``None``).
        password: login password.
        starttls: upgrade the connection with STARTTLS before login.
        use_ssl: connect with implicit TLS (SMTPS).
        timeout: socket timeout in seconds.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        recipients: Sequence[str],
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_ssl: bool = False,
        timeout: float = 10.0,
        min_severity: Severity = Severity.CRITICAL,
        name: str = "email",
    ) -> None:
        if not recipients:
            raise ValueError("EmailNotifier needs at least one recipient")
        self.host, self.port, self.sender, self.recipients = host, port, sender, list(recipients)
        self.username, self.password = username, password
        self.starttls, self.use_ssl, self.timeout = starttls, use_ssl, timeout
        self.min_severity, self.name = min_severity, name

    def message(self, alert: Alert) -> EmailMessage:
        """Return the email for ``alert``."""
        msg = EmailMessage()
        msg["Subject"] = alert.title()
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg.set_content(alert.text())
        return msg

    def _send_blocking(self, msg: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            if self.use_ssl
            else smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        )
        with smtp:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username is not None:
                smtp.login(self.username, self.password or "")
            smtp.send_message(msg, from_addr=self.sender, to_addrs=self.recipients)

    async def send(self, alert: Alert, client: httpx.AsyncClient) -> None:
        """Send the email from a worker thread."""
        try:
            await asyncio.to_thread(self._send_blocking, self.message(alert))
        except (OSError, smtplib.SMTPException) as e:
            raise NotifyError(f"SMTP failed: {type(e).__name__}: {e}") from e

    def secrets(self) -> tuple[str, ...]:
        """Return the password."""
        return (self.password,) if self.password else ()
