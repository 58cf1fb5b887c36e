"""Pure mapping tables, the remark codec, config validation and session-id allocation."""

from __future__ import annotations

import importlib
from dataclasses import replace
from decimal import Decimal

import pytest

from ashare_exec.errors import BrokerError, ConfigError
from ashare_exec.model import (
    AccountId,
    AccountStatus,
    Board,
    ClientOrderId,
    Exchange,
    OrderStatus,
    PriceType,
)
from ashare_exec.testing.miniqmt import import_xtquant_quietly, xtquant_available
from ashare_exec.venues.qmt import KeyValueIdStore, QmtConfig, QmtOrderIds
from ashare_exec.venues.qmt import constants as c
from ashare_exec.venues.qmt import parsing as p
from ashare_exec.venues.qmt.bridge import SessionAllocator


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (48, OrderStatus.PENDING_NEW),
        (49, OrderStatus.PENDING_NEW),
        (50, OrderStatus.NEW),
        (51, OrderStatus.PENDING_CANCEL),
        (52, OrderStatus.PENDING_CANCEL),
        (53, OrderStatus.CANCELED),
        (54, OrderStatus.CANCELED),
        (55, OrderStatus.PARTIALLY_FILLED),
        (56, OrderStatus.FILLED),
        (57, OrderStatus.REJECTED),
        (255, OrderStatus.UNKNOWN),
    ],
)
def test_status_map_when_xt_code_given_maps_to_gateway_status(
    code: int, status: OrderStatus
) -> None:
    assert p.MAP_STATUS_XT2GW[code] is status


def test_status_map_when_terminal_codes_listed_match_terminal_statuses() -> None:
    terminal = {k for k, v in p.MAP_STATUS_XT2GW.items() if v.is_terminal}
    assert terminal == set(p.XT_TERMINAL_STATUSES)


@pytest.mark.parametrize(
    ("exchange", "price_type", "code"),
    [
        (Exchange.SH, PriceType.LIMIT, 11),
        (Exchange.SH, PriceType.BEST5_IOC, 42),
        (Exchange.SH, PriceType.BEST5_TO_LIMIT, 43),
        (Exchange.SH, PriceType.COUNTERPARTY_BEST, 44),
        (Exchange.SH, PriceType.OWN_BEST, 45),
        (Exchange.SH, PriceType.IOC, None),
        (Exchange.SH, PriceType.FOK, None),
        (Exchange.BJ, PriceType.BEST5_TO_LIMIT, 43),
        (Exchange.BJ, PriceType.FOK, None),
        (Exchange.SZ, PriceType.LIMIT, 11),
        (Exchange.SZ, PriceType.IOC, 46),
        (Exchange.SZ, PriceType.BEST5_IOC, 47),
        (Exchange.SZ, PriceType.FOK, 48),
        (Exchange.SZ, PriceType.BEST5_TO_LIMIT, None),
        (Exchange.SZ, PriceType.AFTER_HOURS_FIXED, None),
    ],
)
def test_price_type_map_when_pair_given_maps_or_refuses(
    exchange: Exchange, price_type: PriceType, code: int | None
) -> None:
    assert p.price_type_xt(exchange, price_type) == code
    if code is not None:
        assert p.price_type_gw(exchange, code) is price_type


@pytest.mark.parametrize(
    ("code", "exchange", "board"),
    [
        ("600000", Exchange.SH, Board.MAIN),
        ("688001", Exchange.SH, Board.STAR),
        ("689009", Exchange.SH, Board.STAR),
        ("000001", Exchange.SZ, Board.MAIN),
        ("300750", Exchange.SZ, Board.CHINEXT),
        ("830799", Exchange.BJ, Board.BSE),
    ],
)
def test_board_of_when_code_given_classifies(code: str, exchange: Exchange, board: Board) -> None:
    assert p.board_of(code, exchange) is board


@pytest.mark.parametrize(
    ("code", "status"),
    [(0, AccountStatus.OK), (1, AccountStatus.TRANSIENT), (2, AccountStatus.TRANSIENT),
     (4, AccountStatus.TRANSIENT), (5, AccountStatus.TRANSIENT), (-1, AccountStatus.DOWN),
     (3, AccountStatus.DOWN), (6, AccountStatus.DOWN), (7, AccountStatus.DOWN),
     (8, AccountStatus.DOWN), (9, AccountStatus.DOWN), (42, AccountStatus.DOWN)],
)  # fmt: skip
def test_account_status_when_code_given_maps(code: int, status: AccountStatus) -> None:
    assert p.account_status_xt2gw(code) is status


@pytest.mark.parametrize("cid", ["a", "c1", "2026-11-25_0001", "A" * 20, "x-y_z"])
@pytest.mark.parametrize("max_len", [20, 23, 24])
def test_remark_when_encoded_fits_and_round_trips(cid: str, max_len: int) -> None:
    remark = p.encode_remark(cid, max_len)
    assert len(remark) <= max_len
    assert remark.isascii()
    assert remark == cid or p.decode_remark(remark) == cid


@pytest.mark.parametrize("cut", [1, 2, 3, 5])
def test_remark_when_truncated_not_decoded_but_detected(cut: int) -> None:
    remark = p.encode_remark("order-0001", 23)
    echo = remark[:-cut]
    assert p.decode_remark(echo) is None
    assert p.is_truncation(echo, remark)


@pytest.mark.parametrize("cid", ["", "订单1", "A" * 30])
def test_remark_when_id_unusable_refused(cid: str) -> None:
    with pytest.raises(ValueError, match="client order id"):
        p.encode_remark(cid, 23)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10.5, Decimal("10.5")),
        (10.0, Decimal(10)),
        (0.0, Decimal(0)),
        (3.1415926, Decimal("3.1416")),
    ],
)
def test_px_when_vendor_float_given_exact_decimal(value: float, expected: Decimal) -> None:
    assert p.px(value) == expected
    assert str(p.px(value)) == str(expected)
    assert str(p.px(value)) == str(expected)  # again: from the memo of recent prices


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e12, -1e13])
def test_px_when_amount_malformed_refused_every_time(value: float) -> None:
    for _ in range(2):  # a refusal is never remembered as a price
        with pytest.raises(BrokerError, match="malformed amount"):
            p.px(value)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({}, "userdata_path"),
        ({"userdata_path": "C:/q", "colour": 1}, "unknown keys"),
        ({"userdata_path": "C:/q", "accounts": ["A"], "instance_no": 100}, "instance_no"),
        ({"userdata_path": "C:/q", "instance_no": "1"}, "integer"),
        ({"userdata_path": "C:/q", "accounts": ["A"], "request_timeout_s": 0}, "request_timeout_s"),
        ({"userdata_path": "C:/q", "accounts": [1]}, "list of strings"),
        ({"userdata_path": "C:/q", "accounts": []}, "at least one account"),
    ],
)
def test_config_when_invalid_config_error_names_key(data: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        QmtConfig.from_mapping(data)


def test_config_when_accounts_come_from_account_section_used() -> None:
    config = QmtConfig.from_mapping(
        {"userdata_path": "C:/q", "submit_timeout_s": 2}, (AccountId("X"),)
    )
    assert config.accounts == ("X",)
    assert config.submit_timeout_s == 2.0


def test_session_allocator_when_same_second_never_reuses_an_id() -> None:
    allocator = SessionAllocator(7, lambda: 1_764_000_000)
    ids = [allocator.allocate() for _ in range(50)]
    assert len(set(ids)) == 50
    assert all(0 <= i < c.SESSION_ID_LIMIT and i % 100 == 7 for i in ids)


@pytest.mark.skipif(not xtquant_available(), reason="xtquant is not installed")
def test_constants_when_compared_with_real_xtconstant_equal() -> None:
    import_xtquant_quietly()
    xtc = importlib.import_module("xtquant.xtconstant")
    names = [n for n in dir(c) if n.isupper() and hasattr(xtc, n)]
    assert len(names) >= 30
    assert {n: getattr(c, n) for n in names} == {n: getattr(xtc, n) for n in names}


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("[COUNTER] [251005][可用资金不足]", "INSUFFICIENT_CASH"),
        ("[251005][证券可用数量不足]", "INSUFFICIENT_POSITION"),
        ("委托数量必须是100的整数倍", "QTY_NOT_LOT_MULTIPLE"),
        ("委托价格不符合最小价格变动单位", "PRICE_OFF_TICK"),
        ("Price Off Tick", "PRICE_OFF_TICK"),
        ("证券停牌", "SYMBOL_SUSPENDED"),
        ("[PRICE_OUTSIDE_CAGE] 委托价格超出有效申报价格范围", "PRICE_OUTSIDE_CAGE"),
        ("[COUNTER][251005][可卖数量不足]", "INSUFFICIENT_POSITION"),
        ("something else", "BROKER_REJECTED"),
        ("", "BROKER_REJECTED"),
    ],
)
def test_reject_reason_when_counter_text_given_maps_to_code(message: str, code: str) -> None:
    assert p.reject_reason_code(message) == code


@pytest.mark.parametrize("count", [0, 1, 255, 256, 257, 600])
def test_key_value_store_when_many_orders_saved_loads_latest_of_each(count: int) -> None:
    data: dict[str, str] = {}
    store = KeyValueIdStore(data.get, data.__setitem__, "2026-11-25")
    account = AccountId("A1")
    for i in range(count):
        ids = QmtOrderIds(account_id=account, client_order_id=ClientOrderId(f"c{i}"),
                          remark=f"c{i}.XX", stock_code="600000.SH")  # fmt: skip
        store.save(ids)
        store.save(replace(ids, order_id=i + 1, session_id=7, order_sysid=f"S{i}"))
    fresh = KeyValueIdStore(data.get, data.__setitem__, "2026-11-25")
    loaded = fresh.load(account)
    assert [x.client_order_id for x in loaded] == [f"c{i}" for i in range(count)]
    assert all(x.order_id == i + 1 and x.order_sysid == f"S{i}" for i, x in enumerate(loaded))
    assert KeyValueIdStore(data.get, data.__setitem__, "2026-11-26").load(account) == []
