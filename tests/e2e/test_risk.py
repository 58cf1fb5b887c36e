"""End to end: risk denials, the broker's own rejections, kill switch persistence, evidence."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from ashare_exec.cli.main import main as cli_main
from tests.e2e.conftest import TOKEN, Service, start_service


def test_insufficient_cash_is_denied_before_it_leaves(service: Service) -> None:
    with service.client() as c:
        q = c.quote("600519.SH")
        px = Decimal(q["asks"][0][0])
        h = c.submit("other", "600519.SH", "BUY", 1000, px)  # ~ CNY 1.4m > 500k cash
        assert h.status == "DENIED"
        assert "INSUFFICIENT_CASH" in h.info.reasons


def test_repeated_identical_orders_hit_the_duplicate_window(service: Service) -> None:
    with service.client() as c:
        low = Decimal(c.quote("600000.SH")["bids"][0][0]) - Decimal("0.05")
        statuses = [c.submit("paper", "600000.SH", "BUY", 100, low).status for _ in range(6)]
        assert "DENIED" in statuses
        denied = c.orders("paper", status="DENIED")
        assert denied[0].reasons == ("DUPLICATE_ORDER",)


def test_broker_rejection_is_reported_as_rejected(tmp_path: Path) -> None:
    svc = start_service(tmp_path / "svc", extra="[venues.sim.faults]\nreject_rate = 1.0\n")
    try:
        with svc.client() as c:
            low = Decimal(c.quote("600000.SH")["bids"][0][0]) - Decimal("0.05")
            info = c.submit("paper", "600000.SH", "BUY", 100, low).wait(10)
            assert info.status == "REJECTED"
            assert info.raw["reason_code"] == "BROKER_REJECTED"
            assert info.raw["message"]  # the broker's own text is kept
    finally:
        svc.stop()


def test_kill_switch_survives_a_restart(tmp_path: Path) -> None:
    folder = tmp_path / "svc"
    svc = start_service(folder)
    with svc.client() as c:
        c.set_trading_state("HALTED", "paper")
    assert svc.stop() == 0
    svc2 = start_service(folder)
    try:
        with svc2.client() as c:
            assert c.account("paper")["trading_state"] == "HALTED"
            low = Decimal(c.quote("600000.SH")["bids"][0][0]) - Decimal("0.05")
            assert c.submit("paper", "600000.SH", "BUY", 100, low).status == "DENIED"
    finally:
        svc2.stop()


def test_evidence_pack_exports_counts_from_the_cli(
    service: Service, tmp_path: Path, capsys
) -> None:  # type: ignore[no-untyped-def]
    with service.client() as c:
        low = Decimal(c.quote("600000.SH")["bids"][0][0]) - Decimal("0.05")
        for i in range(3):
            c.submit("paper", "600000.SH", "BUY", 100 * (i + 1), low, client_order_id=f"ev-{i}")
        c.cancel("paper", "ev-0")
    out = tmp_path / "evidence.json"
    code = cli_main(
        ["evidence", "--url", service.url, "--token", TOKEN, "--account", "paper", "-o", str(out)]
    )
    assert code == 0
    pack = json.loads(out.read_text(encoding="utf-8"))
    assert pack["orders"] == 3
    assert pack["cancels"] == 1
    assert pack["max_msgs_per_second"] >= 1
    assert "max_msgs_per_second" in pack["thresholds"]
    code = cli_main(
        ["evidence", "--url", service.url, "--token", TOKEN, "--account", "paper", "--csv"]
    )
    assert code == 0
    assert "orders" in capsys.readouterr().out
