"""End to end on the simulator: a strategy drives the real service process with the SDK."""

from __future__ import annotations

import json
import time
from decimal import Decimal

import httpx
import pytest

from ashare_exec.cli.main import main as cli_main
from ashare_exec.client import AuthError, Client, ConflictError, RefusedError
from tests.e2e.conftest import PAPER_TOKEN, READ_TOKEN, TOKEN, Service


def best(c: Client, symbol: str, side: str, through: int = 2) -> tuple[Decimal, int]:
    """A marketable price: the best ask (buy) or bid (sell) moved ``through`` ticks further
    (the simulated market may tick between the quote and the order), and that level's size."""
    q = c.quote(symbol)
    levels = q["asks"] if side == "BUY" else q["bids"]
    assert levels, f"no {side} liquidity in {q}"
    step = Decimal(q["tick"]) * through
    px = Decimal(levels[0][0])
    return (px + step if side == "BUY" else px - step), int(levels[0][1])


def test_marketable_buy_fills_and_position_is_not_sellable_today(service: Service) -> None:
    with service.client() as c:
        px, _ = best(c, "000001.SZ", "BUY")
        info = c.submit("paper", "000001.SZ", "BUY", 100, px).wait(15)
        assert info.status == "FILLED"
        assert info.filled_qty == 100
        assert info.fills
        assert Decimal(info.fills[0]["px"]) <= px
        pos = {p["symbol"]: p for p in c.positions("paper")}["000001.SZ"]
        assert (pos["total_qty"], pos["sellable_qty"], pos["bought_today"]) == (100, 0, 100)


def test_sell_of_held_position_fills_and_releases_shares(service: Service) -> None:
    with service.client() as c:
        px, _ = best(c, "600000.SH", "SELL")
        info = c.submit("paper", "600000.SH", "SELL", 500, px).wait(15)
        assert info.status == "FILLED"
        pos = {p["symbol"]: p for p in c.positions("paper")}["600000.SH"]
        assert pos["total_qty"] == 9500


def test_partial_fill_then_cancel_keeps_the_fills(service: Service) -> None:
    with service.client() as c:
        px, size = best(c, "000001.SZ", "BUY", through=0)
        h = c.submit("paper", "000001.SZ", "BUY", size + 20000, px, client_order_id="pf-1")
        deadline = time.monotonic() + 10
        while h.refresh().filled_qty == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert h.info.status in ("PARTIALLY_FILLED", "FILLED")
        if h.info.status == "PARTIALLY_FILLED":
            h.cancel()
            info = h.wait(10)
            assert info.status == "CANCELED"
            assert 0 < info.filled_qty < size + 20000


def test_risk_denial_returns_reasons_and_is_queryable(service: Service) -> None:
    with service.client() as c:
        q = c.quote("600000.SH")
        above = Decimal(q["limit_up"]) + Decimal("0.01")
        h = c.submit("paper", "600000.SH", "BUY", 100, above, client_order_id="deny-1")
        assert h.status == "DENIED"
        assert "PRICE_ABOVE_LIMIT_UP" in h.info.reasons
        listed = c.orders("paper", status="DENIED")
        assert [o.client_order_id for o in listed] == ["deny-1"]


def test_idempotent_resubmit_returns_the_same_order(service: Service) -> None:
    with service.client() as c:
        q = c.quote("600000.SH")
        low = Decimal(q["bids"][0][0]) - Decimal("0.05")
        first = c.submit("paper", "600000.SH", "BUY", 100, low, client_order_id="idem-1")
        again = c.submit("paper", "600000.SH", "BUY", 100, low, client_order_id="idem-1")
        assert again.info.raw["created"] is False
        assert again.client_order_id if hasattr(again, "client_order_id") else True
        assert first.info.client_order_id == again.info.client_order_id == "idem-1"
        with pytest.raises(ConflictError) as e:
            c.submit("paper", "600000.SH", "BUY", 200, low, client_order_id="idem-1")
        assert e.value.code == "DUPLICATE_CLIENT_ORDER_ID"
        assert len(c.orders("paper")) == 1


def test_cancel_all_cancels_every_working_order(service: Service) -> None:
    with service.client() as c:
        q = c.quote("600000.SH")
        low = Decimal(q["bids"][0][0]) - Decimal("0.05")
        for i in range(3):
            c.submit("paper", "600000.SH", "BUY", 100 * (i + 1), low, client_order_id=f"ca-{i}")
        ids = c.cancel_all("paper")
        assert sorted(ids) == ["ca-0", "ca-1", "ca-2"]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if all(o.status == "CANCELED" for o in c.orders("paper")):
                break
            time.sleep(0.05)
        assert {o.status for o in c.orders("paper")} == {"CANCELED"}
        assert c.orders("paper", open_only=True) == []


def test_order_list_limit_keeps_the_newest_orders_the_caller_may_see(service: Service) -> None:
    with service.client() as c:
        q = c.quote("600000.SH")
        low = Decimal(q["bids"][0][0]) - Decimal("0.05")
        for account, coid in [("paper", "p1"), ("paper", "p2"), ("paper", "p3"), ("other", "o1")]:
            c.submit(account, "600000.SH", "BUY", 100, low, client_order_id=coid)
        assert [o.client_order_id for o in c.orders(limit=2)] == ["p3", "o1"]
    with Client(service.url, PAPER_TOKEN) as c:
        # The caller's accounts are chosen before the limit: two of *its* newest orders.
        assert [o.client_order_id for o in c.orders(limit=2)] == ["p2", "p3"]


def test_orders_cli_lists_the_newest_matching_orders(
    service: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    with service.client() as c:
        low = Decimal(c.quote("600000.SH")["bids"][0][0]) - Decimal("0.05")
        for coid in ("cli1", "cli2", "cli3"):
            c.submit("paper", "600000.SH", "BUY", 100, low, client_order_id=coid)
        c.submit("other", "000001.SZ", "BUY", 100, Decimal("5.00"), client_order_id="cli4")
    args = ["orders", "--url", service.url, "--token", TOKEN, "--json", "--limit", "2"]

    assert cli_main([*args, "--symbol", "600000.SH"]) == 0
    listed = json.loads(capsys.readouterr().out)

    assert [o["client_order_id"] for o in listed] == ["cli2", "cli3"]


def test_halt_refuses_orders_and_resume_allows_them_again(service: Service) -> None:
    with service.client() as c:
        q = c.quote("600000.SH")
        low = Decimal(q["bids"][0][0]) - Decimal("0.05")
        assert c.set_trading_state("HALTED", "paper")["persisted"] is True  # survives a restart
        h = c.submit("paper", "600000.SH", "BUY", 100, low)
        assert h.status == "DENIED"
        assert h.info.reasons[0] == "TRADING_HALTED"
        assert c.account("paper")["trading_state"] == "HALTED"
        c.set_trading_state("ACTIVE", "paper")
        h2 = c.submit("paper", "600000.SH", "BUY", 100, low)
        assert h2.status in ("PENDING_NEW", "NEW")


def test_auth_failures(service: Service) -> None:
    body = {"account_id": "paper", "symbol": "600000.SH", "side": "BUY", "qty": 100, "price": "9"}
    r = httpx.post(f"{service.url}/v1/orders", json=body)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "NOT_AUTHENTICATED"
    with Client(service.url, "wrong-token") as c, pytest.raises(AuthError):
        c.orders()
    with Client(service.url, READ_TOKEN) as c:
        assert c.orders() == []
        with pytest.raises(AuthError) as e:
            c.submit("paper", "600000.SH", "BUY", 100, "9")
        assert e.value.code == "NOT_PERMITTED"
    with Client(service.url, PAPER_TOKEN) as c:
        with pytest.raises(AuthError):
            c.submit("other", "600000.SH", "BUY", 100, "9")
        with pytest.raises(AuthError):
            c.set_trading_state("HALTED", "paper")
    with service.client() as c:
        assert c.orders() == []  # nothing was recorded by refused calls


def test_bad_input_answers_a_reason_code_and_changes_nothing(service: Service) -> None:
    with service.client() as c:
        with pytest.raises(RefusedError) as e:
            c.submit("paper", "600000.XX", "BUY", 100, "9")
        assert e.value.code == "UNKNOWN_SYMBOL"
        with pytest.raises(RefusedError) as e:
            c.submit("nobody", "600000.SH", "BUY", 100, "9")
        assert e.value.code == "UNKNOWN_ACCOUNT"
        r = c._http.post("/v1/orders", json={"account_id": "paper", "symbol": "600000.SH"})
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "INVALID_REQUEST"
        r = c._http.post("/v1/orders", content=b"x" * 2_000_000)
        assert r.status_code == 413
        assert c.orders() == []
        assert c._http.get("/readyz").status_code == 200


def test_metrics_and_audit_record_the_order(service: Service) -> None:
    with service.client() as c:
        px, _ = best(c, "000001.SZ", "BUY")
        assert c.submit("paper", "000001.SZ", "BUY", 100, px).wait(15).status == "FILLED"
        text = c._http.get("/metrics").text
    assert 'ashare_exec_orders_submitted_total{account="paper"} 1.0' in text
    assert 'ashare_exec_fills_total{account="paper"}' in text
    # Audit records reach the disk in grouped writes within a fraction of a second.
    deadline = time.monotonic() + 5
    text = ""
    while '"action":"submit"' not in text and time.monotonic() < deadline:
        time.sleep(0.05)
        text = "".join(
            f.read_text(encoding="utf-8")
            for f in (service.folder / "logs" / "audit").glob("audit-*.jsonl")
        )
    assert '"action":"submit"' in text
