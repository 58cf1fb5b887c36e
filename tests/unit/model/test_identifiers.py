"""Identifiers: parsing and rendering of symbols, client order id shape."""

import copy
import dataclasses
import pickle

import pytest

from ashare_exec.model import Exchange, InstrumentId, identifiers, is_valid_client_order_id


@pytest.mark.parametrize(
    ("text", "code", "exchange"),
    [
        ("600000.SH", "600000", Exchange.SH),
        ("000001.sz", "000001", Exchange.SZ),
        (" 920001.BJ ", "920001", Exchange.BJ),
    ],
)
def test_instrument_id_parse_when_valid_round_trips(
    text: str, code: str, exchange: Exchange
) -> None:
    iid = InstrumentId.parse(text)
    assert (iid.code, iid.exchange) == (code, exchange)
    assert str(iid) == f"{code}.{exchange.value}"


@pytest.mark.parametrize(
    "text", ["600000", "60000.SH", "600000.HK", "ABCDEF.SH", "", "600000.SH.X"]
)
def test_instrument_id_parse_when_invalid_raises(text: str) -> None:
    with pytest.raises(ValueError, match="symbol"):
        InstrumentId.parse(text)


def test_instrument_id_parse_when_repeated_shares_one_object() -> None:
    first = InstrumentId.parse("601318.SH")

    assert InstrumentId.parse("601318.SH") is first
    assert InstrumentId.parse("601318.sh") == first  # another text: equal, maybe not shared


def test_instrument_id_parse_memo_when_full_still_parses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identifiers, "_PARSED", {})
    monkeypatch.setattr(identifiers, "_PARSED_MAX", 1)
    InstrumentId.parse("600000.SH")

    fresh = InstrumentId.parse("000002.SZ")

    assert str(fresh) == "000002.SZ"
    assert list(identifiers._PARSED) == ["600000.SH"]  # bounded: the second was not kept


def test_same_code_on_two_exchanges_is_two_instruments() -> None:
    assert InstrumentId.parse("000001.SH") != InstrumentId.parse("000001.SZ")


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("abc-123_X", True),
        ("a" * 20, True),
        ("a" * 21, False),
        ("", False),
        ("订单1", False),
        ("a b", False),
    ],
)
def test_client_order_id_shape(text: str, ok: bool) -> None:
    assert is_valid_client_order_id(text) is ok


def test_instrument_id_when_copied_pickled_or_replaced_renders_its_own_text() -> None:
    a = InstrumentId.parse("600000.SH")
    b = pickle.loads(pickle.dumps(a))
    c = dataclasses.replace(a, code="000001", exchange=Exchange.SZ)
    assert (str(a), str(b), str(copy.deepcopy(a)), str(c)) == (
        "600000.SH",
        "600000.SH",
        "600000.SH",
        "000001.SZ",
    )
    assert b == a
    assert hash(b) == hash(a)
    assert repr(a) == "InstrumentId(code='600000', exchange=<Exchange.SH: 'SH'>)"
