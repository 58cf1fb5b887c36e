"""End to end: the client commands of the CLI and the async SDK against a running service."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest

from ashare_exec.cli.main import main as cli_main
from ashare_exec.client import AsyncClient
from tests.e2e.conftest import TOKEN, Service, start_service


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = start_service(tmp_path_factory.mktemp("cli") / "svc")
    try:
        yield service
    finally:
        service.stop()


def _cli(svc: Service, *args: str) -> list[str]:
    return [*args, "--url", svc.url, "--token", TOKEN, "--json"]


def test_cli_order_when_star_market_order_sends_its_protection_price(
    svc: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    with svc.client() as c:
        ask = Decimal(c.quote("688981.SH")["asks"][0][0])
    protection = str(ask + Decimal("0.50"))
    args = ["order", "buy", "688981.SH", "200", "--price-type", "best5_ioc"]
    args += ["--protection-price", protection, "--strategy", "cli-test", "--wait", "10"]

    code = cli_main(_cli(svc, *args))

    order = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (order["price_type"], order["protection_price"]) == ("BEST5_IOC", protection)
    assert order["strategy_id"] == "cli-test"
    assert order["status"] == "FILLED"


def test_cli_order_when_star_market_order_lacks_protection_is_denied_with_reason(
    svc: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["order", "buy", "688981.SH", "200", "--price-type", "BEST5_IOC"]

    code = cli_main(_cli(svc, *args))

    order = json.loads(capsys.readouterr().out)
    assert code == 3
    assert order["status"] == "DENIED"
    assert "PROTECTION_PRICE_REQUIRED" in order["reasons"]


def test_cli_order_when_price_type_unknown_stops_before_sending_and_lists_the_types(
    svc: Service, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as e:
        cli_main(_cli(svc, "order", "buy", "600000.SH", "100", "--price-type", "market"))

    assert e.value.code == 2
    assert "BEST5_IOC" in capsys.readouterr().err
    with svc.client() as c:
        assert all(o.raw["price_type"] != "MARKET" for o in c.orders("paper"))


def test_api_when_price_type_unknown_answers_400_listing_the_types(svc: Service) -> None:
    with httpx.Client(base_url=svc.url, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        answer = http.post(
            "/v1/orders",
            json={"account_id": "paper", "symbol": "600000.SH", "side": "BUY", "qty": 100,
                  "price": "10.00", "price_type": "MARKET"},
        )  # fmt: skip

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "PRICE_TYPE_NOT_SUPPORTED"
    assert "one of LIMIT, BEST5_IOC" in error["message"]


def test_async_sdk_cancel_all_when_side_given_cancels_only_that_side(svc: Service) -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        async with AsyncClient(svc.url, TOKEN) as c:
            bid = Decimal((await c.quote("000001.SZ"))["bids"][0][0])
            for i in range(2):
                await c.submit("paper", "000001.SZ", "BUY", 100, bid - Decimal("0.05"),
                               client_order_id=f"side-{i}")  # fmt: skip
            sells = await c.cancel_all("paper", "000001.SZ", side="SELL")
            buys = await c.cancel_all("paper", "000001.SZ", side="BUY")
            return sells, buys

    sells, buys = asyncio.run(scenario())

    assert sells == []
    assert sorted(buys) == ["side-0", "side-1"]
