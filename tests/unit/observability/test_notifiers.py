"""Notifiers against loopback receivers: exact payloads, signatures, failure handling."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
from collections.abc import AsyncIterator
from datetime import datetime
from email import message_from_string
from urllib.parse import quote_plus

import pytest
from structlog.testing import capture_logs

from ashare_exec.clock import CST, SimClock
from ashare_exec.errors import ConfigError
from ashare_exec.observability.alert_engine import AlertEngine
from ashare_exec.observability.alerts import Alert, Severity
from ashare_exec.observability.metrics import Metrics
from ashare_exec.observability.notifiers import (
    DingTalkNotifier,
    EmailNotifier,
    FeishuNotifier,
    Notifier,
    NotifierHub,
    WebhookNotifier,
    WeComNotifier,
    build_notifiers,
)

from .conftest import HttpReceiver, SmtpReceiver

T0 = datetime(2026, 11, 25, 9, 31, 5, tzinfo=CST)
TS_MS = 1_795_570_265_000  # T0 in epoch milliseconds
ALERT = Alert(
    severity=Severity.CRITICAL,
    code="VENUE_DISCONNECTED",
    message="venue qmt disconnected: heartbeat lost",
    ts=T0,
    account="acc1",
    labels={"venue": "qmt"},
)
DING_SECRET = "SEC1234567890abcdef"
FEISHU_SECRET = "feishu-secret-xyz"


@pytest.fixture
async def hub_factory() -> AsyncIterator[list[NotifierHub]]:
    hubs: list[NotifierHub] = []
    yield hubs
    for hub in hubs:
        await hub.aclose()


def _hub(hubs: list[NotifierHub], *notifiers: Notifier, **kw: object) -> NotifierHub:
    hub = NotifierHub(notifiers, **kw)  # type: ignore[arg-type]
    hubs.append(hub)
    return hub


def test_t0_constant_when_checked_matches_epoch_ms() -> None:
    assert int(T0.timestamp() * 1000) == TS_MS


async def test_webhook_when_alert_sent_posts_alert_json_with_headers(
    http_receiver: HttpReceiver, hub_factory: list[NotifierHub]
) -> None:
    notifier = WebhookNotifier(
        f"{http_receiver.url}/hook", headers={"Authorization": "Bearer abcd1234"}
    )

    result = await _hub(hub_factory, notifier).notify(ALERT)

    (req,) = http_receiver.requests
    assert result == {"webhook": True}
    assert (req.method, req.path) == ("POST", "/hook")
    assert req.headers["content-type"] == "application/json"
    assert req.headers["authorization"] == "Bearer abcd1234"
    assert req.json() == {
        "severity": "CRITICAL",
        "code": "VENUE_DISCONNECTED",
        "message": "venue qmt disconnected: heartbeat lost",
        "account": "acc1",
        "ts": "2026-11-25T09:31:05+08:00",
        "labels": {"venue": "qmt"},
    }


async def test_wecom_when_markdown_posts_markdown_msgtype_to_key_url(
    http_receiver: HttpReceiver, hub_factory: list[NotifierHub]
) -> None:
    notifier = WeComNotifier(f"{http_receiver.url}/cgi-bin/webhook/send?key=wecom-key-1")

    assert await _hub(hub_factory, notifier).notify(ALERT) == {"wecom": True}

    (req,) = http_receiver.requests
    assert req.path == "/cgi-bin/webhook/send"
    assert req.query == {"key": ["wecom-key-1"]}
    assert req.json() == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**[CRITICAL] VENUE_DISCONNECTED acc1**\n\n"
            "venue qmt disconnected: heartbeat lost\n\n"
            "> time: 2026-11-25T09:31:05+08:00\n> venue: qmt"
        },
    }


async def test_wecom_when_text_with_mentions_posts_text_msgtype(
    http_receiver: HttpReceiver, hub_factory: list[NotifierHub]
) -> None:
    notifier = WeComNotifier(
        f"{http_receiver.url}/send?key=k123", msgtype="text", mentioned_mobiles=["13800000000"]
    )

    await _hub(hub_factory, notifier).notify(ALERT)

    assert http_receiver.requests[0].json() == {
        "msgtype": "text",
        "text": {
            "content": "[CRITICAL] VENUE_DISCONNECTED acc1\n"
            "venue qmt disconnected: heartbeat lost\n"
            "time: 2026-11-25T09:31:05+08:00\nvenue: qmt",
            "mentioned_mobile_list": ["13800000000"],
        },
    }


def _expected_ding_sign(ts_ms: int, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"{ts_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


async def test_dingtalk_when_secret_set_signs_url_with_timestamp_and_hmac(
    http_receiver: HttpReceiver, hub_factory: list[NotifierHub]
) -> None:
    notifier = DingTalkNotifier(
        f"{http_receiver.url}/robot/send?access_token=tok-abc",
        secret=DING_SECRET,
        clock=SimClock(T0),
    )

    assert await _hub(hub_factory, notifier).notify(ALERT) == {"dingtalk": True}

    (req,) = http_receiver.requests
    sign = _expected_ding_sign(TS_MS, DING_SECRET)
    assert req.query == {"access_token": ["tok-abc"], "timestamp": [str(TS_MS)], "sign": [sign]}
    assert req.raw_query == f"access_token=tok-abc&timestamp={TS_MS}&sign={quote_plus(sign)}"
    assert req.json() == {
        "msgtype": "markdown",
        "markdown": {"title": "[CRITICAL] VENUE_DISCONNECTED acc1", "text": ALERT.markdown()},
        "at": {"atMobiles": [], "isAtAll": False},
    }


async def test_dingtalk_when_no_secret_and_text_posts_unsigned_text(
    http_receiver: HttpReceiver, hub_factory: list[NotifierHub]
) -> None:
    notifier = DingTalkNotifier(
        f"{http_receiver.url}/robot/send?access_token=t1",
        msgtype="text",
        at_mobiles=["13900000000"],
    )

    await _hub(hub_factory, notifier).notify(ALERT)

    (req,) = http_receiver.requests
    assert req.query == {"access_token": ["t1"]}
    assert req.json() == {
        "msgtype": "text",
        "text": {"content": ALERT.text()},
        "at": {"atMobiles": ["13900000000"], "isAtAll": False},
    }


async def test_feishu_when_secret_set_body_carries_timestamp_and_sign(
    http_receiver: HttpReceiver, hub_factory: list[NotifierHub]
) -> None:
    http_receiver.reply = {"code": 0, "msg": "success"}
    notifier = FeishuNotifier(
        f"{http_receiver.url}/open-apis/bot/v2/hook/abc-123",
        secret=FEISHU_SECRET,
        clock=SimClock(T0),
    )

    assert await _hub(hub_factory, notifier).notify(ALERT) == {"feishu": True}

    ts = TS_MS // 1000
    key = f"{ts}\n{FEISHU_SECRET}".encode()
    sign = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert http_receiver.requests[0].json() == {
        "timestamp": str(ts),
        "sign": sign,
        "msg_type": "text",
        "content": {"text": ALERT.text()},
    }


@pytest.mark.parametrize(
    ("reply", "ok"),
    [
        ({"code": 0}, True),
        ({"StatusCode": 0, "StatusMessage": "success"}, True),
        ({"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}, False),
        ({"something": "else"}, False),
    ],
)
async def test_feishu_when_unsigned_result_code_decides_success(
    http_receiver: HttpReceiver, hub_factory: list[NotifierHub], reply: object, ok: bool
) -> None:
    http_receiver.reply = reply
    notifier = FeishuNotifier(f"{http_receiver.url}/open-apis/bot/v2/hook/abc")

    result = await _hub(hub_factory, notifier).notify(ALERT)

    assert result == {"feishu": ok}
    assert http_receiver.requests[0].json() == {
        "msg_type": "text",
        "content": {"text": ALERT.text()},
    }


async def test_email_when_sent_delivers_subject_body_and_login(
    smtp_receiver: SmtpReceiver, hub_factory: list[NotifierHub]
) -> None:
    notifier = EmailNotifier(
        "127.0.0.1",
        smtp_receiver.port,
        sender="gateway@example.com",
        recipients=["ops@example.com", "risk@example.com"],
        username="gateway",
        password="smtp-pass-1",
    )

    assert await _hub(hub_factory, notifier).notify(ALERT) == {"email": True}

    (mail,) = smtp_receiver.mails
    assert mail.mail_from == "gateway@example.com"
    assert mail.rcpt_to == ["ops@example.com", "risk@example.com"]
    assert mail.auth == "\0gateway\0smtp-pass-1"
    msg = message_from_string(mail.data)
    assert msg["Subject"] == "[CRITICAL] VENUE_DISCONNECTED acc1"
    assert msg["To"] == "ops@example.com, risk@example.com"
    assert msg.get_payload(decode=True).decode().replace("\r\n", "\n").strip() == ALERT.text()  # type: ignore[union-attr]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("status", "reply"),
    [
        (500, {"errcode": 0}),
        (200, {"errcode": 93000, "errmsg": "invalid webhook url"}),
        (400, {"errcode": 93000, "errmsg": "bad key secret-wecom-key"}),  # echoed secret
        (200, ["not", "an", "object"]),
    ],
)
async def test_hub_when_robot_fails_returns_false_logs_redacted_and_counts(
    http_receiver: HttpReceiver, hub_factory: list[NotifierHub], status: int, reply: object
) -> None:
    http_receiver.status, http_receiver.reply = status, reply
    metrics = Metrics()
    notifier = WeComNotifier(f"{http_receiver.url}/send?key=secret-wecom-key")
    hub = _hub(hub_factory, notifier, metrics=metrics)

    with capture_logs() as logs:
        result = await hub.notify(ALERT)

    assert result == {"wecom": False}
    (line,) = [x for x in logs if x["event"] == "notification failed"]
    assert "secret-wecom-key" not in str(line)
    assert ("***" in line["error"]) is ("secret" in str(reply))
    failures = metrics.registry.get_sample_value(
        "ashare_exec_notifications_total", {"notifier": "wecom", "result": "error"}
    )
    assert failures == 1


async def test_hub_when_receiver_unreachable_never_raises_and_hides_token(
    hub_factory: list[NotifierHub],
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/robot/send?access_token=hidden-token"
    notifier = DingTalkNotifier(url, secret=DING_SECRET, clock=SimClock(T0))

    with capture_logs() as logs:
        result = await _hub(hub_factory, notifier).notify(ALERT)

    assert result == {"dingtalk": False}
    assert "hidden-token" not in str(logs)
    assert DING_SECRET not in str(logs)


async def test_hub_when_receiver_too_slow_times_out_and_returns_false(
    http_receiver: HttpReceiver, hub_factory: list[NotifierHub]
) -> None:
    http_receiver.delay = 1.0
    hub = _hub(hub_factory, WebhookNotifier(http_receiver.url), timeout=0.1)

    assert await hub.notify(ALERT) == {"webhook": False}


async def test_hub_when_smtp_login_refused_returns_false_and_hides_password(
    smtp_receiver: SmtpReceiver, hub_factory: list[NotifierHub]
) -> None:
    smtp_receiver.reject_auth = True
    notifier = EmailNotifier(
        "127.0.0.1",
        smtp_receiver.port,
        sender="a@x",
        recipients=["b@x"],
        username="u",
        password="pw-should-not-leak",
    )

    with capture_logs() as logs:
        result = await _hub(hub_factory, notifier).notify(ALERT)

    assert result == {"email": False}
    assert smtp_receiver.mails == []
    assert "pw-should-not-leak" not in str(logs)


async def test_hub_when_one_notifier_fails_others_still_deliver(
    http_receiver: HttpReceiver, hub_factory: list[NotifierHub]
) -> None:
    broken = WebhookNotifier(f"http://127.0.0.1:{_closed_port()}/x", name="broken")
    good = WebhookNotifier(f"{http_receiver.url}/ok", name="good")

    result = await _hub(hub_factory, broken, good).notify(ALERT)

    assert result == {"broken": False, "good": True}
    assert len(http_receiver.requests) == 1


@pytest.mark.parametrize(
    ("severity", "sent"),
    [(Severity.INFO, []), (Severity.WARNING, ["warn"]), (Severity.CRITICAL, ["warn", "crit"])],
)
async def test_hub_when_alert_below_min_severity_skips_notifier(
    http_receiver: HttpReceiver,
    hub_factory: list[NotifierHub],
    severity: Severity,
    sent: list[str],
) -> None:
    warn = WebhookNotifier(f"{http_receiver.url}/warn", name="warn", min_severity=Severity.WARNING)
    crit = WebhookNotifier(f"{http_receiver.url}/crit", name="crit", min_severity=Severity.CRITICAL)
    alert = Alert(severity=severity, code="X", message="m", ts=T0)

    result = await _hub(hub_factory, warn, crit).notify(alert)

    assert sorted(result) == sorted(sent)
    assert sorted(r.path.strip("/") for r in http_receiver.requests) == sorted(sent)


async def test_hub_publish_when_subscribed_to_engine_delivers_in_background(
    http_receiver: HttpReceiver, hub_factory: list[NotifierHub]
) -> None:
    hub = _hub(hub_factory, WebhookNotifier(f"{http_receiver.url}/hook"))
    engine = AlertEngine([])
    engine.subscribe(hub.publish)

    engine.raise_alert(ALERT)
    await hub.drain()

    assert [r.json()["code"] for r in http_receiver.requests] == ["VENUE_DISCONNECTED"]  # type: ignore[index]


def test_hub_publish_when_no_loop_running_does_not_raise() -> None:
    hub = NotifierHub([WebhookNotifier("http://127.0.0.1:9/x")])

    hub.publish(ALERT)

    assert hub.secrets() == ("http://127.0.0.1:9/x",)


def test_hub_secrets_when_collected_include_keys_tokens_and_passwords() -> None:
    hub = NotifierHub(
        [
            WeComNotifier("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wk-1234"),
            DingTalkNotifier(
                "https://oapi.dingtalk.com/robot/send?access_token=at-1", secret="S1ab"
            ),
            FeishuNotifier("https://open.feishu.cn/open-apis/bot/v2/hook/hook-id-9", secret="fs1x"),
            EmailNotifier("h", 25, sender="a@x", recipients=["b@x"], password="pw12"),
        ]
    )

    assert {"wk-1234", "S1ab", "hook-id-9", "fs1x", "pw12"} <= set(hub.secrets())


def test_build_notifiers_when_keys_come_from_environment_builds_each_type() -> None:
    env = {"WECOM_URL": "https://x/send?key=k", "DING_SECRET": "SECx", "SMTP_PORT": "2525"}
    entries = [
        {"type": "webhook", "url": "https://h/hook", "headers": {"X-Token": "t"}},
        {"type": "wecom", "url_env": "WECOM_URL", "msgtype": "text", "min_severity": "critical"},
        {"type": "dingtalk", "url": "https://d/send?access_token=a", "secret_env": "DING_SECRET"},
        {"type": "feishu", "url": "https://f/hook/1", "name": "feishu-ops"},
        {
            "type": "email",
            "host": "smtp",
            "port_env": "SMTP_PORT",
            "sender": "a@x",
            "recipients": ["b@x"],
            "timeout": 5,
        },
    ]

    built = build_notifiers(entries, environ=env)

    assert [n.name for n in built] == ["webhook", "wecom", "dingtalk", "feishu-ops", "email"]
    assert isinstance(built[1], WeComNotifier)
    assert (built[1].url, built[1].msgtype, built[1].min_severity) == (
        "https://x/send?key=k",
        "text",
        Severity.CRITICAL,
    )
    assert isinstance(built[2], DingTalkNotifier)
    assert built[2].secret == "SECx"
    assert isinstance(built[4], EmailNotifier)
    assert (built[4].port, built[4].timeout) == (2525, 5.0)


@pytest.mark.parametrize(
    ("entry", "match"),
    [
        ({"type": "slack", "url": "u"}, "type must be one of"),
        ({"type": "wecom"}, "needs url"),
        ({"type": "wecom", "url": "u", "colour": "red"}, "unknown key 'colour'"),
        ({"type": "wecom", "url_env": "NOPE"}, "NOPE"),
        ({"type": "wecom", "url": "u", "msgtype": "card"}, "msgtype"),
        ({"type": "email", "host": "h", "port": "25", "sender": "s", "recipients": ["r"]}, "port"),
        ({"type": "webhook", "url": "u", "min_severity": "loud"}, "unknown severity"),
        ({"type": "email", "host": "h", "port": 25, "sender": "s", "recipients": []}, "recipient"),
    ],
)
def test_build_notifiers_when_entry_invalid_raises_config_error(
    entry: dict[str, object], match: str
) -> None:
    with pytest.raises(ConfigError, match=match):
        build_notifiers([entry], environ={})
