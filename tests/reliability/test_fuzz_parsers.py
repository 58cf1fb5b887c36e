"""Fuzzing of the broker-report parsers (issue 10 item 5): QMT (xtquant) and vn.py/XTP payloads.

A malformed payload must be rejected — ignored, mapped to a safe default, or refused with a
typed :class:`~ashare_exec.errors.GatewayError` — and never raise anything else: on the
vendor's callback thread or in the loop callback an untyped exception loses the report
without an alert. Property tests run on hypothesis-generated payloads; the payloads that
used to crash are kept as regression tests.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ashare_exec.clock import CST, SimClock
from ashare_exec.errors import GatewayError
from ashare_exec.model import (
    AccountId,
    AccountStatus,
    ClientOrderId,
    Exchange,
    InstrumentId,
    OrderStatus,
    PriceType,
    Side,
)
from ashare_exec.venues.qmt import constants as c
from ashare_exec.venues.qmt import parsing as qp
from ashare_exec.venues.qmt.book import AccountBook, OrderRecord
from ashare_exec.venues.qmt.router import ReportRouter
from ashare_exec.venues.qmt.store import InMemoryIdStore
from ashare_exec.venues.vnpy import parsing as vp
from ashare_exec.venues.vnpy.constants import SURROGATE_BITS

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ACC = "8880001"
REMARK = qp.encode_remark("c1", 24)

# Vendor attribute values: anything a pybind11 object or a buggy counter could hand us,
# except non-finite floats (pinned separately below).
finite = st.floats(allow_nan=False, allow_infinity=False)
anything = st.one_of(
    st.none(), st.booleans(), st.integers(), finite, st.text(max_size=30), st.binary(max_size=8)
)
QMT_COPIES: list[Callable[[Any], Any]] = [
    qp.copy_order, qp.copy_trade, qp.copy_order_answer, qp.copy_cancel_answer,
    qp.copy_order_failure, qp.copy_cancel_failure, qp.copy_account_state, qp.copy_position,
    qp.copy_asset,
]  # fmt: skip
_RECORDS: tuple[type, ...] = (
    qp.XtOrderRow, qp.XtTradeRow, qp.XtPositionRow, qp.XtAssetRow, qp.XtOrderAnswer,
    qp.XtCancelAnswer, qp.XtOrderFailure, qp.XtCancelFailure, qp.XtAccountState,
)  # fmt: skip
QMT_FIELDS = sorted(
    {f.name for cls in _RECORDS for f in dataclasses.fields(cls)}
    | {"cancel_result", "status", "volume", "can_use_volume", "avg_price", "cash"}
)


@FUZZ
@given(attrs=st.dictionaries(st.sampled_from(QMT_FIELDS), anything), which=st.integers(0, 8))
def test_qmt_copy_when_vendor_object_is_malformed_returns_a_record(
    attrs: dict[str, Any], which: int
) -> None:
    copy = QMT_COPIES[which]
    record = copy(SimpleNamespace(**attrs))
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        assert isinstance(value, str | int | float)
        assert not isinstance(value, bool)


@FUZZ
@given(text=st.text(max_size=80))
def test_qmt_reject_reason_code_when_text_is_anything_returns_a_known_code(text: str) -> None:
    assert qp.reject_reason_code(text) in qp.KNOWN_REASON_CODES


@FUZZ
@given(cid=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1,
                   max_size=20), max_len=st.integers(1, 40))  # fmt: skip
def test_qmt_remark_when_encoded_then_decoded_round_trips_or_refuses(
    cid: str, max_len: int
) -> None:
    try:
        remark = qp.encode_remark(cid, max_len)
    except ValueError:
        assert len(cid) > max_len
        return
    assert len(remark) <= max_len
    assert qp.decode_remark(remark) in (cid, None)
    if len(cid) + 3 <= max_len:
        assert qp.decode_remark(remark) == cid


@FUZZ
@given(remark=st.text(alphabet=st.characters(max_codepoint=127), max_size=30))
def test_qmt_decode_remark_when_ascii_echo_is_garbage_returns_none_or_a_checked_id(
    remark: str,
) -> None:
    cid = qp.decode_remark(remark)
    if cid is not None:
        assert remark.startswith(cid)
        assert qp.decode_remark(qp.encode_remark(cid, len(remark))) == cid


@FUZZ
@given(code=st.integers())
def test_qmt_code_maps_when_code_is_unknown_fall_back_safely(code: int) -> None:
    assert isinstance(qp.account_status_xt2gw(code), AccountStatus)
    for ex in Exchange:
        assert isinstance(qp.price_type_gw(ex, code), PriceType)
    assert qp.MAP_STATUS_XT2GW.get(code, OrderStatus.UNKNOWN) in OrderStatus


# ---- the QMT report router on fuzzed rows ---------------------------------------------------

prices = st.one_of(st.just(0.0), st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
volumes = st.one_of(st.integers(-1000, 10**6), st.integers())
statuses = st.one_of(st.sampled_from(sorted(qp.MAP_STATUS_XT2GW)), st.integers(-5, 300))
sides = st.one_of(st.sampled_from([c.STOCK_BUY, c.STOCK_SELL]), st.integers(-5, 50))
ascii_text = st.text(alphabet=st.characters(max_codepoint=127), max_size=24)
order_rows = st.builds(
    qp.XtOrderRow,
    account_id=st.sampled_from([ACC, "other"]),
    stock_code=st.one_of(st.just("600000.SH"), ascii_text),
    order_id=st.integers(-10, 10**12),
    order_sysid=ascii_text,
    order_type=sides,
    order_volume=volumes,
    price_type=st.integers(-5, 100),
    price=prices,
    traded_volume=volumes,
    traded_price=prices,
    order_status=statuses,
    status_msg=st.text(max_size=30),
    order_remark=st.one_of(st.just(REMARK), ascii_text),
)
trade_rows = st.builds(
    qp.XtTradeRow,
    account_id=st.sampled_from([ACC, "other"]),
    stock_code=st.one_of(st.just("600000.SH"), ascii_text),
    order_type=sides,
    traded_id=ascii_text,
    traded_price=prices,
    traded_volume=volumes,
    order_id=st.integers(-10, 10**12),
    order_sysid=ascii_text,
    order_remark=st.one_of(st.just(REMARK), ascii_text),
    commission=prices,
)


def _router() -> tuple[ReportRouter, list[Any]]:
    emitted: list[Any] = []
    book = AccountBook(AccountId(ACC))
    book.add(
        OrderRecord(
            AccountId(ACC), ClientOrderId("c1"), REMARK, InstrumentId.parse("600000.SH"), Side.BUY
        )
    )
    router = ReportRouter(
        {AccountId(ACC): book},
        SimClock(datetime(2026, 11, 25, 10, 0, tzinfo=CST)),
        emitted.append,
        emitted.append,
        InMemoryIdStore(),
        lambda: (1, 1),
        lambda _rec: None,
    )
    return router, emitted


@FUZZ
@given(rows=st.lists(st.one_of(order_rows, trade_rows), max_size=12))
def test_qmt_router_when_rows_are_malformed_never_crashes(rows: list[Any]) -> None:
    router, emitted = _router()
    for row in rows:
        try:
            router.dispatch(row)
            if isinstance(row, qp.XtOrderRow):
                router.status_report(row)
        except GatewayError:
            pass  # typed refusal: the adapter quarantines and alerts
    assert all(getattr(r, "account_id", ACC) == ACC for r in emitted)


def test_qmt_router_when_rows_are_well_formed_emits_ack_and_fill() -> None:
    router, emitted = _router()
    order = qp.XtOrderRow(ACC, "600000.SH", 7, "s7", c.STOCK_BUY, 100, c.FIX_PRICE, 10.0, 0,
                          0.0, c.ORDER_REPORTED, "", REMARK)  # fmt: skip
    trade = qp.XtTradeRow(ACC, "600000.SH", c.STOCK_BUY, "t1", 10.0, 100, 7, "s7", REMARK, 5.0)
    router.dispatch(order)
    router.dispatch(trade)
    router.dispatch(trade)  # a replayed trade is de-duplicated
    assert [type(r).__name__ for r in emitted] == ["OrderAccepted", "OrderFilled"]
    assert emitted[1].last_px == Decimal(10)


# ---- vn.py / XTP ---------------------------------------------------------------------------


@FUZZ
@given(symbol=st.text(alphabet=st.characters(max_codepoint=127), max_size=8),
       exchange=st.one_of(st.sampled_from(sorted(vp.MAP_EXCHANGE_VT2GW)), ascii_text))  # fmt: skip
def test_vnpy_instrument_of_when_ascii_input_is_anything_returns_id_or_none(
    symbol: str, exchange: str
) -> None:
    iid = vp.instrument_of(symbol, exchange)
    assert iid is None or str(iid) == f"{symbol}.{vp.MAP_EXCHANGE_VT2GW[exchange].value}"


@FUZZ
@given(error_id=st.integers(), msg=st.text(max_size=60), vt_orderid=st.text(max_size=20))
def test_vnpy_error_and_id_helpers_when_input_is_anything_are_total(
    error_id: int, msg: str, vt_orderid: str
) -> None:
    assert isinstance(vp.reason_from_xtp_error(error_id, msg), str)
    assert isinstance(vp.failed_orderid(vt_orderid), bool)


@FUZZ
@given(instance=st.integers(0, 255), seq=st.integers())
def test_vnpy_surrogate_when_seq_out_of_range_raises_value_error_only(
    instance: int, seq: int
) -> None:
    try:
        value = vp.surrogate(instance, seq)
    except ValueError:
        assert seq <= 0 or seq >= 1 << SURROGATE_BITS
        return
    assert value > 0


@FUZZ
@given(value=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_px_when_vendor_float_is_finite_and_sane_gives_exact_decimal(value: float) -> None:
    for px in (qp.px, vp.px):
        d = px(value)
        assert isinstance(d, Decimal)
        assert abs(d - Decimal(repr(value))) <= Decimal("0.00005")


# ---- payloads that used to crash (regressions) ----------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_qmt_copy_when_int_field_is_not_finite_returns_a_record(bad: float) -> None:
    row = qp.copy_order(SimpleNamespace(order_volume=bad, traded_volume=bad, order_status=bad))
    assert row.order_volume == 0


@pytest.mark.parametrize("remark", ["手工单.AB", "ä.ZZ", "strat-é.12"])
def test_qmt_decode_remark_when_echo_is_not_ascii_returns_none(remark: str) -> None:
    assert qp.decode_remark(remark) is None


@pytest.mark.parametrize("price", [math.nan, math.inf, 1e30], ids=["nan", "inf", "1e30"])
def test_qmt_router_when_fill_price_is_absurd_refuses_typed(price: float) -> None:
    router, _emitted = _router()
    trade = qp.XtTradeRow(ACC, "600000.SH", c.STOCK_BUY, "t1", price, 100, 7, "s7", REMARK, 0.0)
    try:
        router.dispatch(trade)
    except GatewayError:
        return


@pytest.mark.parametrize("symbol", ["١٢٣٤٥٦", "６０００００", "²²²²²²"])
def test_vnpy_instrument_of_when_digits_are_not_ascii_returns_none(symbol: str) -> None:
    assert vp.instrument_of(symbol, "SSE") is None


@pytest.mark.parametrize("text", ["١٢٣٤٥٦.SH", "６０００００.SH"])
def test_instrument_id_parse_when_digits_are_not_ascii_raises(text: str) -> None:
    with pytest.raises(ValueError, match="symbol must look like"):
        InstrumentId.parse(text)
