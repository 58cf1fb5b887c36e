"""Pure mapping tables, config loading and the id store (no vn.py needed)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ashare_exec.errors import ConfigError
from ashare_exec.model import AccountId, ClientOrderId, InstrumentId, OrderStatus, PriceType, Side
from ashare_exec.venues.vnpy import InMemoryVnpyIdStore, VnpyConfig, VnpyOrderIds
from ashare_exec.venues.vnpy import parsing as p


@pytest.mark.parametrize(
    ("vt_status", "expected"),
    [
        ("SUBMITTING", OrderStatus.PENDING_NEW),
        ("NOTTRADED", OrderStatus.NEW),
        ("PARTTRADED", OrderStatus.PARTIALLY_FILLED),
        ("ALLTRADED", OrderStatus.FILLED),
        ("CANCELLED", OrderStatus.CANCELED),
        ("REJECTED", OrderStatus.REJECTED),
    ],
)
def test_status_map_when_vnpy_status_then_our_status(vt_status: str, expected: OrderStatus) -> None:
    """Every vn.py status has exactly one of ours; none is PENDING_CANCEL (tracked by us)."""
    assert p.MAP_STATUS_VT2GW[vt_status] is expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [(0, "PENDING_NEW"), (1, "FILLED"), (2, "PARTIALLY_FILLED"), (3, "CANCELED"), (4, "NEW"),
     (5, "CANCELED"), (6, "REJECTED"), (7, "UNKNOWN")],
)  # fmt: skip
def test_xtp_status_map_when_raw_code_then_our_status(code: int, expected: str) -> None:
    """XTP 3 (part-filled, rest canceled) is CANCELED; 7 is UNKNOWN, not SUBMITTING."""
    assert p.MAP_STATUS_XTP2GW[code] == expected


def test_two_way_maps_when_inverted_then_round_trip() -> None:
    """The exchange and side tables are bijections."""
    for ours, theirs in p.MAP_EXCHANGE_GW2VT.items():
        assert p.MAP_EXCHANGE_VT2GW[theirs] is ours
    for side in Side:
        assert p.MAP_SIDE_VT2GW[p.MAP_SIDE_GW2VT[side]] is side


@pytest.mark.parametrize(
    ("vt_orderid", "failed"),
    [("XTP.0", True), ("", True), ("XTP.", True), ("XTP.36170981227020289", False),
     ("TORA.202611250001", False), ("OST.1_2_3", False)],
)  # fmt: skip
def test_failed_orderid_when_send_order_answer_then_classified(
    vt_orderid: str, failed: bool
) -> None:
    """ "XTP.0" and "" mean nothing was sent."""
    assert p.failed_orderid(vt_orderid) is failed


@pytest.mark.parametrize(
    ("xtp", "symbol", "price_type", "expected"),
    [
        (True, "600000.SH", PriceType.LIMIT, "LIMIT"),
        (True, "600000.SH", PriceType.BEST5_IOC, "MARKET"),
        (True, "000001.SZ", PriceType.BEST5_IOC, "MARKET"),
        (True, "688001.SH", PriceType.COUNTERPARTY_BEST, "MARKET"),
        (True, "688001.SH", PriceType.BEST5_IOC, None),
        (True, "600000.SH", PriceType.COUNTERPARTY_BEST, None),
        (True, "000001.SZ", PriceType.FOK, None),
        (False, "600000.SH", PriceType.LIMIT, "LIMIT"),
        (False, "600000.SH", PriceType.BEST5_IOC, None),
    ],
)
def test_vt_order_type_when_price_type_then_reachable_or_none(
    xtp: bool, symbol: str, price_type: PriceType, expected: str | None
) -> None:
    """vn.py's single MARKET reaches XTP 4 off STAR and 7 on STAR, nothing else."""
    inst = InstrumentId.parse(symbol)
    assert p.vt_order_type(xtp, inst, price_type) == expected
    if expected == "MARKET":
        assert p.price_type_of(xtp, inst) is price_type


@pytest.mark.parametrize(
    ("text", "code"),
    [("资金不足", "INSUFFICIENT_CASH"), ("委托失败：可用资金不足", "INSUFFICIENT_CASH"),
     ("可卖持仓不足", "INSUFFICIENT_POSITION"), ("委托价格不符合最小变动价位", "PRICE_OFF_TICK"),
     ("证券代码不存在", "UNKNOWN_SYMBOL"), ("something else", "BROKER_REJECTED")],
)  # fmt: skip
def test_reason_from_xtp_error_when_text_then_reason_code(text: str, code: str) -> None:
    """The counter's text picks the reason code; unknown text is BROKER_REJECTED."""
    assert p.reason_from_xtp_error(11000000, text) == code


def test_surrogate_when_sequence_then_fits_32_bits_with_instance_in_high_byte() -> None:
    """instance_no in the high byte, the day's order count below; out of range refused."""
    assert p.surrogate(1, 1) == (1 << 24) + 1
    assert p.surrogate(255, (1 << 24) - 1) == 2**32 - 1
    with pytest.raises(ValueError, match="out of range"):
        p.surrogate(1, 1 << 24)
    with pytest.raises(ValueError, match="out of range"):
        p.surrogate(1, 0)


@pytest.mark.parametrize(
    ("symbol", "exchange", "expected"),
    [("600000", "SSE", "600000.SH"), ("000001", "SZSE", "000001.SZ"),
     ("830799", "BSE", "830799.BJ"), ("10004321", "SSE", None), ("IF2612", "CFFEX", None)],
)  # fmt: skip
def test_instrument_of_when_vnpy_symbol_then_our_id(
    symbol: str, exchange: str, expected: str | None
) -> None:
    """Six-digit codes on SSE/SZSE/BSE only (options and futures are not ours)."""
    inst = p.instrument_of(symbol, exchange)
    assert (str(inst) if inst else None) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(10.5, Decimal("10.5")), (10.33, Decimal("10.33")), (2103136.42, Decimal("2103136.42")),
     (0.1 + 0.2, Decimal("0.3")), (100.0, Decimal("100"))],
)  # fmt: skip
def test_px_when_vendor_float_then_exact_decimal(value: float, expected: Decimal) -> None:
    """Floats from vn.py become short exact decimals."""
    assert p.px(value) == expected


def _table(**changes: Any) -> dict[str, Any]:
    table: dict[str, Any] = {"gateway": "vnpy_xtp:XtpGateway", "settings": {"账号": "u"}}
    table.update(changes)
    return table


def test_config_when_valid_table_then_built_with_the_one_account(tmp_path: Path) -> None:
    """The single vnpy account fills in ``account``; data_dir comes from the caller."""
    cfg = VnpyConfig.from_mapping(_table(submit_timeout_s=2), (AccountId("X1"),), tmp_path)
    assert (cfg.account, cfg.submit_timeout_s, cfg.data_dir) == ("X1", 2.0, tmp_path)
    assert cfg.settings == {"账号": "u"}


@pytest.mark.parametrize(
    ("table", "accounts", "message"),
    [
        (_table(bogus=1), ("X1",), "unknown keys"),
        ({"settings": {}}, ("X1",), "gateway is required"),
        (_table(gateway="vnpy_xtp.XtpGateway"), ("X1",), "module:Class"),
        (_table(), ("X1", "X2"), "exactly one account"),
        (_table(), (), "exactly one account"),
        (_table(account="Z9"), ("X1",), "not a vnpy account"),
        (_table(settings=[1]), ("X1",), "must be a table"),
        (_table(instance_no=0), ("X1",), "instance_no"),
        (_table(instance_no=True), ("X1",), "instance_no must be an integer"),
        (_table(query_timeout_s="5"), ("X1",), "must be a number"),
        (_table(backoff_max_s=0), ("X1",), "must be > 0"),
    ],
)
def test_config_when_invalid_table_then_config_error(
    table: dict[str, Any], accounts: tuple[str, ...], message: str
) -> None:
    """Every invalid table is refused with a message naming the key."""
    with pytest.raises(ConfigError, match=message):
        VnpyConfig.from_mapping(table, tuple(AccountId(a) for a in accounts))


def test_store_when_saved_twice_then_latest_row_per_order() -> None:
    """The in-memory store replaces by (account, client id) and filters by account."""
    store = InMemoryVnpyIdStore()
    a, b = AccountId("A"), AccountId("B")
    store.save(VnpyOrderIds(account_id=a, client_order_id=ClientOrderId("c1"), surrogate=7))
    store.save(VnpyOrderIds(account_id=a, client_order_id=ClientOrderId("c1"), surrogate=7,
                            vt_orderid="XTP.9"))  # fmt: skip
    store.save(VnpyOrderIds(account_id=b, client_order_id=ClientOrderId("c1"), surrogate=8))
    assert [(r.client_order_id, r.vt_orderid) for r in store.load(a)] == [("c1", "XTP.9")]
    assert [r.surrogate for r in store.load(b)] == [8]


def test_key_value_store_when_reopened_then_rows_by_day_and_account() -> None:
    """Over a dict (the journal's get/put): rows survive a new store; days do not mix."""
    from ashare_exec.venues.vnpy import KeyValueVnpyIdStore

    kv: dict[str, str] = {}
    store = KeyValueVnpyIdStore(kv.get, kv.__setitem__, "2026-11-25")
    a = AccountId("A")
    store.save(VnpyOrderIds(account_id=a, client_order_id=ClientOrderId("c1"), surrogate=7))
    store.save(VnpyOrderIds(account_id=a, client_order_id=ClientOrderId("c2"), surrogate=8))
    store.save(VnpyOrderIds(account_id=a, client_order_id=ClientOrderId("c1"), surrogate=7,
                            vt_orderid="XTP.9"))  # fmt: skip
    again = KeyValueVnpyIdStore(kv.get, kv.__setitem__, "2026-11-25")
    assert [(r.client_order_id, r.surrogate, r.vt_orderid) for r in again.load(a)] == [
        ("c1", 7, "XTP.9"), ("c2", 8, ""),
    ]  # fmt: skip
    assert KeyValueVnpyIdStore(kv.get, kv.__setitem__, "2026-11-26").load(a) == []
    assert again.load(AccountId("B")) == []


def test_key_value_store_when_more_than_a_bucket_then_all_rows_load() -> None:
    """The index spans buckets; a new store reads every one, in save order."""
    from ashare_exec.venues.vnpy import KeyValueVnpyIdStore

    kv: dict[str, str] = {}
    store = KeyValueVnpyIdStore(kv.get, kv.__setitem__, "d")
    store.BUCKET = 3
    a = AccountId("A")
    for i in range(8):
        store.save(VnpyOrderIds(account_id=a, client_order_id=ClientOrderId(f"c{i}"), surrogate=i))
    again = KeyValueVnpyIdStore(kv.get, kv.__setitem__, "d")
    again.BUCKET = 3
    assert [r.surrogate for r in again.load(a)] == list(range(8))
