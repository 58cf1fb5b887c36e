"""Logs, audit trail, metrics and alerts (original design §7–§8).

Each part is standalone and wired by the engine:

- :mod:`~ashare_exec.observability.logging` — structlog JSON lines, order-action log, redaction;
- :mod:`~ashare_exec.observability.audit` — hash-chained, append-only audit log;
- :mod:`~ashare_exec.observability.metrics` — Prometheus metrics on a private registry;
- :mod:`~ashare_exec.observability.alerts`, ``rules``, ``alert_engine`` — alerts and rules;
- :mod:`~ashare_exec.observability.notifiers` — webhook, WeCom, DingTalk, Feishu, email;
- :mod:`~ashare_exec.observability.health` — readiness checks for ``/readyz``.
"""
