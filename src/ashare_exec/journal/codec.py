"""The explicit event codec: events to JSON and back, losslessly.

Decimals are strings, datetimes and dates ISO 8601 (with their offset), enums their value,
instruments ``600000.SH``, tuples lists, ``None`` null. Each registered class has a fixed
field list derived once from its annotations; unknown types or fields fail loudly with
:class:`~ashare_exec.errors.JournalError`, never silently.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, StrEnum
from typing import Any, Final, Union

import msgspec

from ashare_exec.clock import iso
from ashare_exec.errors import JournalError
from ashare_exec.model.events import ORDER_EVENT_TYPES, OrderEvent
from ashare_exec.model.identifiers import InstrumentId
from ashare_exec.model.portfolio import DayRolled, LedgerCorrected, LedgerEvent

__all__ = [
    "EVENT_CLASSES",
    "JournalEvent",
    "decode_event",
    "encode_event",
    "encode_parts",
    "encode_payload",
]

JournalEvent = OrderEvent | LedgerEvent
"""Anything the journal stores."""

_Conv = Callable[[Any], Any] | None
_Fields = tuple[tuple[str, _Conv, _Conv], ...]

EVENT_CLASSES: Final[dict[str, type[Any]]] = {
    cls.__name__: cls for cls in (*ORDER_EVENT_TYPES, LedgerCorrected, DayRolled)
}
"""Stored type name -> class. Names are part of the journal format: never rename."""


def _dec_decimal(value: str) -> Decimal:
    return Decimal(value)


_INSTRUMENTS: dict[str, InstrumentId] = {}


def _dec_instrument(value: str) -> InstrumentId:
    # Replay decodes the same few thousand symbols again and again: parse each once.
    iid = _INSTRUMENTS.get(value)
    if iid is None:
        iid = InstrumentId.parse(value)
        if len(_INSTRUMENTS) < 100_000:
            _INSTRUMENTS[value] = iid
    return iid


def _enum_decoder(tp: type[Enum]) -> Callable[[Any], Any]:
    members = tp._value2member_map_

    def decode(value: Any) -> Any:
        try:
            return members[value]
        except (KeyError, TypeError):
            return tp(value)  # raises ValueError for an unknown value

    return decode


def _converters(tp: Any) -> tuple[_Conv, _Conv]:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported union {tp!r}")
        enc, dec = _converters(args[0])
        if enc is None and dec is None:
            return None, None
        enc_f = enc or (lambda v: v)
        dec_f = dec or (lambda v: v)
        return (
            lambda v: None if v is None else enc_f(v),
            lambda v: None if v is None else dec_f(v),
        )
    if origin is tuple:
        return list, tuple
    if origin is dict:
        return dict, dict
    if isinstance(tp, typing.NewType):
        return _converters(tp.__supertype__)
    if tp in (str, int, bool):
        return None, None
    if tp is Decimal:
        return str, _dec_decimal
    if tp is datetime:
        return iso, datetime.fromisoformat
    if tp is date:
        return date.isoformat, date.fromisoformat
    if tp is InstrumentId:
        return str, _dec_instrument
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        return None, _enum_decoder(tp)  # a StrEnum member is its value for json and sqlite
    if isinstance(tp, type) and issubclass(tp, Enum):
        return (lambda v: v.value), _enum_decoder(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        fields = _fields_of(tp)
        cls = tp
        return _compile_encoder(cls), _compile_decoder(cls, fields)
    raise TypeError(f"no codec for {tp!r}")


def _compile_encoder(cls: type[Any]) -> Callable[[Any], dict[str, Any]]:
    # One generated function per class: no per-field loop or wrapper calls on the hot path.
    hints = typing.get_type_hints(cls)
    env: dict[str, Any] = {}
    items = []
    for i, f in enumerate(dataclasses.fields(cls)):
        tp = hints[f.name]
        optional = typing.get_origin(tp) in (Union, types.UnionType)
        if optional:
            (tp,) = [a for a in typing.get_args(tp) if a is not type(None)]
        enc = _converters(tp)[0]
        if enc is None:
            expr = f"o.{f.name}"
        else:
            env[f"e{i}"] = enc
            expr = (
                f"(None if (v{i} := o.{f.name}) is None else e{i}(v{i}))"
                if optional
                else f"e{i}(o.{f.name})"
            )
        items.append(f"{f.name!r}: {expr}")
    exec(f"def encode(o):\n    return {{{', '.join(items)}}}\n", env)
    encoder: Callable[[Any], dict[str, Any]] = env["encode"]
    return encoder


def _fields_of(cls: type[Any]) -> _Fields:
    hints = typing.get_type_hints(cls)
    return tuple(
        (f.name, *_converters(hints[f.name]))
        for f in dataclasses.fields(cls)  # ClassVar fields are not dataclass fields
    )


def _decode_fields(cls: type[Any], data: dict[str, Any], fields: _Fields) -> Any:
    kwargs: dict[str, Any] = {}
    for name, _enc, dec in fields:
        if name not in data:
            continue  # a field added later with a default; the constructor decides
        value = data[name]
        kwargs[name] = value if dec is None else dec(value)
    return cls(**kwargs)


def _compile_decoder(cls: type[Any], fields: _Fields) -> Callable[[dict[str, Any]], Any]:
    # The common case (every field present) in one generated call; a payload written
    # before a field was added falls back to the per-field loop (same result).
    env: dict[str, Any] = {"cls": cls, "fields": fields, "slow": _decode_fields}
    args = []
    for i, (name, _enc, dec) in enumerate(fields):
        if dec is None:
            args.append(f"{name}=d[{name!r}]")
        else:
            env[f"d{i}"] = dec
            args.append(f"{name}=d{i}(d[{name!r}])")
    src = (
        "def decode(d):\n"
        "    try:\n"
        f"        return cls({', '.join(args)})\n"
        "    except KeyError:\n"
        "        return slow(cls, d, fields)\n"
    )
    exec(src, env)
    decoder: Callable[[dict[str, Any]], Any] = env["decode"]
    return decoder


_FIELDS: Final[dict[type[Any], _Fields]] = {cls: _fields_of(cls) for cls in EVENT_CLASSES.values()}
_DECODERS: Final = {cls: _compile_decoder(cls, _FIELDS[cls]) for cls in EVENT_CLASSES.values()}
_ENCODERS: Final = {cls: _compile_encoder(cls) for cls in EVENT_CLASSES.values()}


# msgspec writes the same compact JSON as ``json`` with separators (",", ":") and
# ensure_ascii=False (the payloads hold only str/int/bool/None/list/dict), ~10x faster.
_ENCODE = msgspec.json.Encoder().encode
_DECODE = msgspec.json.Decoder().decode


def encode_parts(event: JournalEvent) -> tuple[str, str]:
    """Return ``(JSON payload, ISO timestamp)`` of an event; the journal stores both."""
    try:
        encoder = _ENCODERS[type(event)]
    except KeyError:
        raise JournalError(f"no codec for event type {type(event).__name__}") from None
    data = encoder(event)
    try:
        payload = _ENCODE(data).decode()
    except (TypeError, msgspec.EncodeError) as e:
        raise JournalError(f"cannot encode a {type(event).__name__} event: {e}") from e
    return payload, data["ts_event"]


def encode_payload(event: JournalEvent) -> str:
    """Return the JSON payload of an event (compact, keys in field order)."""
    return encode_parts(event)[0]


def encode_event(event: JournalEvent) -> tuple[str, str]:
    """Return ``(type name, JSON payload)`` for storage."""
    return type(event).__name__, encode_payload(event)


def decode_event(type_name: str, payload: str) -> JournalEvent:
    """Rebuild an event from its stored type name and payload.

    Raises:
        JournalError: unknown type, or a payload that does not decode.
    """
    cls = EVENT_CLASSES.get(type_name)
    if cls is None:
        raise JournalError(f"unknown event type {type_name!r} in the journal")
    try:
        data = _DECODE(payload)
        if not isinstance(data, dict):
            raise TypeError(f"payload is a {type(data).__name__}, not an object")
        event: JournalEvent = _DECODERS[cls](data)
    except (ValueError, TypeError, KeyError, InvalidOperation, msgspec.DecodeError) as e:
        raise JournalError(f"cannot decode a {type_name} event: {e}") from e
    return event
