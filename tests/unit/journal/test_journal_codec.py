"""The event codec round-trips every stored event type exactly."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal

import oms_stubs as st
import pytest

from ashare_exec.errors import JournalError
from ashare_exec.journal import EVENT_CLASSES, JournalEvent, decode_event, encode_event
from ashare_exec.model import (
    BrokerOrderId,
    DayRolled,
    LedgerCorrected,
    OrderEvent,
    OrderRejected,
    OrderStatus,
    OrderSubmitted,
    PriceType,
    Side,
    TimeInForce,
)
from ashare_exec.model.events import OrderSpec


def _full_spec() -> OrderSpec:
    return OrderSpec(
        account_id=st.ACC,
        client_order_id=st.ClientOrderId("C1"),
        instrument_id=st.INST2,
        side=Side.SELL,
        qty=300,
        price_type=PriceType.BEST5_IOC,
        price=None,
        protection_price=Decimal("10.110"),
        time_in_force=TimeInForce.IOC,
        strategy_id=st.StrategyId("s-1"),
        external=True,
    )


SAMPLES: list[JournalEvent] = [
    OrderSubmitted(
        account_id=st.ACC,
        client_order_id=st.ClientOrderId("C1"),
        ts_event=st.ts(),
        spec=_full_spec(),
    ),
    st.submitted(),
    st.denied(),
    st.accepted(broker="B1", exch="E1"),
    OrderRejected(
        account_id=st.ACC,
        client_order_id=st.ClientOrderId("C1"),
        ts_event=st.ts(1),
        reason_code="BROKER_REJECTED",
        message="资金不足",
        broker_order_id=BrokerOrderId("B1"),
    ),
    st.filled(px="10.100", fee="0.05"),
    st.filled(fee=None),
    st.pending_cancel(),
    st.canceled(),
    st.cancel_rejected(),
    st.expired(),
    st.unknown(),
    st.restated(status=OrderStatus.FILLED, venue_filled=1000),
    LedgerCorrected(
        account_id=st.ACC,
        ts_event=st.ts(9),
        instrument_id=st.INST,
        field="total",
        before=Decimal("100"),
        after=Decimal("0"),
        exceeds_tolerance=True,
    ),
    LedgerCorrected(
        account_id=st.ACC,
        ts_event=st.ts(9),
        instrument_id=None,
        field="available",
        before=Decimal("1.005"),
        after=Decimal("2.50"),
    ),
    DayRolled(account_id=st.ACC, ts_event=st.ts(10), day=date(2026, 11, 26)),
]


def test_samples_when_listed_cover_every_registered_event_class() -> None:
    assert {type(e).__name__ for e in SAMPLES} == set(EVENT_CLASSES)


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_codec_when_round_tripped_returns_equal_event(event: JournalEvent) -> None:
    name, payload = encode_event(event)

    decoded = decode_event(name, payload)

    assert decoded == event
    assert type(decoded) is type(event)
    assert encode_event(decoded) == (name, payload)  # Decimal digits and offsets kept exactly


def test_codec_when_decimal_encoded_stores_string_not_float() -> None:
    _name, payload = encode_event(st.filled(px="10.100"))

    assert '"last_px":"10.100"' in payload


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("NoSuchEvent", "{}"),
        ("OrderAccepted", "not json"),
        ("OrderFilled", '{"account_id":"A"}'),
        ("OrderFilled", '{"last_px":"abc"}'),
        ("OrderAccepted", "[1, 2]"),
    ],
)
def test_decode_when_type_or_payload_invalid_raises_journal_error(name: str, payload: str) -> None:
    with pytest.raises(JournalError):
        decode_event(name, payload)


def test_encode_when_type_not_registered_raises_journal_error() -> None:
    with pytest.raises(JournalError):
        encode_event(
            OrderEvent(account_id=st.ACC, client_order_id=st.ClientOrderId("C"), ts_event=st.ts())
        )  # type: ignore[arg-type]


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_encode_when_any_event_writes_the_stdlib_compact_json_bytes(event: JournalEvent) -> None:
    # The journal format predates msgspec: its payloads must stay byte-identical to
    # json.dumps(separators=(",", ":"), ensure_ascii=False) of the same data.
    _name, payload = encode_event(event)

    assert payload == json.dumps(json.loads(payload), separators=(",", ":"), ensure_ascii=False)


@pytest.mark.parametrize(
    "text",
    ["证券 浦发银行", 'quote " and \\ backslash', "tab\t newline\n bell\x07 del\x7f", "\u2028"],
)
def test_encode_when_message_has_special_characters_matches_stdlib_json(text: str) -> None:
    event = dataclasses.replace(st.rejected(), message=text)
    _name, payload = encode_event(event)
    data = json.loads(payload)

    assert data["message"] == text
    assert payload == json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    assert decode_event(_name, payload) == event


def test_decode_when_payload_predates_a_defaulted_field_uses_the_default() -> None:
    event = st.filled(px="10.100")
    name, payload = encode_event(event)
    data = json.loads(payload)
    del data["broker_order_id"]

    decoded = decode_event(name, json.dumps(data))

    assert decoded == dataclasses.replace(event, broker_order_id=None)


@pytest.mark.parametrize(("field", "value"), [("side", "SIDEWAYS"), ("instrument_id", "XYZ")])
def test_decode_when_enum_or_symbol_unknown_raises_journal_error(field: str, value: str) -> None:
    name, payload = encode_event(st.filled(px="10.100"))
    data = json.loads(payload)
    data[field] = value

    with pytest.raises(JournalError):
        decode_event(name, json.dumps(data))
