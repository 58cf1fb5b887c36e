"""Typed identifiers.

Ids are thin ``NewType`` wrappers over ``str`` (zero cost at run time, checked by mypy),
except :class:`InstrumentId`, which is parsed and rendered as ``600000.SH``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NewType

from ashare_exec.model.enums import Exchange

ClientOrderId = NewType("ClientOrderId", str)
"""Caller-chosen or minted id; unique per account and trading day; the idempotency key."""

BrokerOrderId = NewType("BrokerOrderId", str)
"""The broker's id for an order (e.g. QMT ``order_id``); may change across sessions."""

ExchangeOrderId = NewType("ExchangeOrderId", str)
"""The exchange/contract id (e.g. QMT ``order_sysid``); durable for the day."""

TradeId = NewType("TradeId", str)
"""Id of one fill (execution); fills are applied once per trade id."""

AccountId = NewType("AccountId", str)
"""A broker account as configured in the gateway."""

StrategyId = NewType("StrategyId", str)
"""Free-form tag of the strategy that sent an order."""

_SYMBOL_RE = re.compile(r"^(\d{6})\.(SH|SZ|BJ)$", re.ASCII)
_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_\-]{1,20}$")


@dataclass(frozen=True, slots=True, order=True)
class InstrumentId:
    """A listed security: a six-digit code and its exchange, rendered ``600000.SH``."""

    code: str
    exchange: Exchange
    # The rendered text, built once: every log line, row and view asks for it.
    _text: str = field(default="", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.code) != 6 or not (self.code.isascii() and self.code.isdigit()):
            raise ValueError(f"instrument code must be six digits, was {self.code!r}")
        object.__setattr__(self, "_text", f"{self.code}.{self.exchange.value}")

    @classmethod
    def parse(cls, text: str) -> InstrumentId:
        """Parse ``NNNNNN.SH|SZ|BJ`` (case-insensitive suffix).

        Raises:
            ValueError: the text is not a valid symbol.
        """
        parsed = _PARSED.get(text)
        if parsed is not None:
            return parsed
        m = _SYMBOL_RE.match(text.strip().upper())
        if m is None:
            raise ValueError(f"symbol must look like 600000.SH or 000001.SZ, was {text!r}")
        parsed = cls(m.group(1), Exchange(m.group(2)))
        if len(_PARSED) < _PARSED_MAX:
            _PARSED[text] = parsed
        return parsed

    def __str__(self) -> str:
        return self._text


_PARSED: dict[str, InstrumentId] = {}
"""Parsed symbols by text: one shared (immutable) object per instrument, not one per order
(every order, report and journal row names one; ~5,000 are listed)."""
_PARSED_MAX = 20_000


def is_valid_client_order_id(text: str) -> bool:
    """Return whether ``text`` is a usable client order id (1–20 of ``A-Za-z0-9_-``).

    The limit keeps the id inside the broker's remark field (QMT ``order_remark``).
    """
    return _CLIENT_ID_RE.match(text) is not None
