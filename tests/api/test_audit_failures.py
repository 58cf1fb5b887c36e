"""An audit trail in trouble never turns a handled order into an HTTP error.

Found by the seed-11 crash soak: a kill cut the audit file's last record short; after the
restart every submit was journaled and sent, then answered 500 ``AUDIT_CHAIN_BROKEN``
(and so was the client's resubmit)."""

from __future__ import annotations

import json
from collections.abc import Callable

from ashare_exec.observability.audit import day_path, verify
from tests.api.conftest import Api

ORDER = {"account_id": "paper", "symbol": "600000.SH", "side": "BUY", "qty": 100}


def _submit(api: Api, coid: str) -> int:
    body = ORDER | {"price": "10.00", "client_order_id": coid}
    return api.request(method="POST", url="/v1/orders", json=body, headers=api.auth()).status_code


def test_submit_after_a_crash_cut_the_audit_file_short_answers_201(fresh_api: Api) -> None:
    assert _submit(fresh_api, "a1") == 201
    trail = fresh_api.service.observer.trail  # type: ignore[union-attr]
    fresh_api.run(_call(trail.close))  # as the process died here
    path = day_path(trail.directory, fresh_api.service.clock.now().date())
    path.write_bytes(path.read_bytes()[:-15])

    first = _submit(fresh_api, "a2")
    again = _submit(fresh_api, "a2")

    assert (first, again) == (201, 201)
    fresh_api.run(_call(trail.close))
    assert verify(path).ok
    kinds = [json.loads(line)["kind"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert "audit_repaired" in kinds
    assert kinds[-2:] == ["command", "command"]


def test_submit_when_the_audit_file_is_broken_answers_201_and_keeps_the_file(
    fresh_api: Api,
) -> None:
    assert _submit(fresh_api, "b1") == 201
    trail = fresh_api.service.observer.trail  # type: ignore[union-attr]
    fresh_api.run(_call(trail.close))
    path = day_path(trail.directory, fresh_api.service.clock.now().date())
    path.write_text(path.read_text(encoding="utf-8").replace("b1", "b9"), encoding="utf-8")

    assert _submit(fresh_api, "b2") == 201

    fresh_api.run(_call(trail.close))
    assert verify(path).ok
    assert list(path.parent.glob(f"{path.stem}.broken-*"))


async def _call(fn: Callable[[], None]) -> None:
    fn()


def test_service_opens_the_days_audit_file_at_start(fresh_api: Api) -> None:
    trail = fresh_api.service.observer.trail  # type: ignore[union-attr]

    assert trail._log is not None  # verified (and repaired) before the first command
