"""Idempotent submit: client order ids, minted or checked against the order book.

Rules: the key is ``(account, client_order_id)``; the same id with the same content
(:meth:`SubmitOrder.content_key`) returns the existing order and nothing is sent again;
the same id with different content is refused with ``DUPLICATE_CLIENT_ORDER_ID``.
Because the book is rebuilt from the journal, the rule holds across restarts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from ashare_exec.errors import DuplicateClientOrderId
from ashare_exec.model.commands import SubmitOrder
from ashare_exec.model.events import OrderSpec
from ashare_exec.model.identifiers import ClientOrderId, is_valid_client_order_id
from ashare_exec.model.order import Order
from ashare_exec.oms.book import OrderBook

__all__ = ["ClientOrderIdMinter", "check_submit", "spec_content_key"]

_DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_SEQ_WIDTH = 6
_MAX_SEQ = 36**_SEQ_WIDTH - 1


def _base36(value: int) -> str:
    out = []
    for _ in range(_SEQ_WIDTH):
        value, rem = divmod(value, 36)
        out.append(_DIGITS[rem])
    return "".join(reversed(out))


class ClientOrderIdMinter:
    """Mint client order ids unique per account and trading day.

    An id is ``<prefix><yymmdd><6 base-36 digits>`` (e.g. ``G261125000001``): short ASCII
    that fits a broker remark, and a pure function of ``(prefix, day, sequence)``. Use one
    minter per account; after a restart call :meth:`observe` with the day's ids (or
    :meth:`resume`) so the sequence continues instead of reusing an id.

    Args:
        day: the trading day.
        prefix: 1–7 characters of ``A-Za-z0-9_-``.
        start: the next sequence number to use.
    """

    __slots__ = ("_day_tag", "_next", "_prefix")

    def __init__(self, day: date, *, prefix: str = "G", start: int = 1) -> None:
        if not 1 <= len(prefix) <= 7 or not is_valid_client_order_id(prefix):
            raise ValueError(f"prefix must be 1-7 of A-Za-z0-9_-, was {prefix!r}")
        if not 0 <= start <= _MAX_SEQ:
            raise ValueError(f"start must be within 0..{_MAX_SEQ}, was {start}")
        self._prefix = prefix
        self._day_tag = day.strftime("%y%m%d")
        self._next = start

    @property
    def next_sequence(self) -> int:
        """The sequence number the next :meth:`next` call will use."""
        return self._next

    def mint(self, sequence: int) -> ClientOrderId:
        """Return the id for ``sequence`` (no state change)."""
        if not 0 <= sequence <= _MAX_SEQ:
            raise ValueError(f"sequence must be within 0..{_MAX_SEQ}, was {sequence}")
        return ClientOrderId(f"{self._prefix}{self._day_tag}{_base36(sequence)}")

    def next(self, taken: Callable[[ClientOrderId], bool] | None = None) -> ClientOrderId:
        """Return a fresh id and advance; skip ids for which ``taken(id)`` is true."""
        while True:
            coid = self.mint(self._next)
            self._next += 1
            if taken is None or not taken(coid):
                return coid

    def sequence_of(self, client_order_id: str) -> int | None:
        """The sequence number if ``client_order_id`` was minted by this minter's pattern."""
        head = f"{self._prefix}{self._day_tag}"
        tail = client_order_id[len(head) :]
        if not client_order_id.startswith(head) or len(tail) != _SEQ_WIDTH:
            return None
        try:
            return int(tail, 36) if tail.isalnum() and tail.upper() == tail else None
        except ValueError:
            return None

    def observe(self, client_order_id: str) -> None:
        """Move past an id already used (from the journal after a restart)."""
        seq = self.sequence_of(client_order_id)
        if seq is not None and seq >= self._next:
            self._next = seq + 1

    def resume(self, client_order_ids: Iterable[str]) -> None:
        """Observe every id of the day."""
        for coid in client_order_ids:
            self.observe(coid)


def spec_content_key(spec: OrderSpec) -> tuple[object, ...]:
    """The content of an existing order, comparable with :meth:`SubmitOrder.content_key`."""
    return (
        spec.account_id,
        spec.instrument_id,
        spec.side,
        spec.qty,
        spec.price_type,
        spec.price,
        spec.protection_price,
        spec.time_in_force,
    )


def check_submit(
    book: OrderBook, command: SubmitOrder, client_order_id: ClientOrderId
) -> Order | None:
    """Return the existing order for an idempotent resubmission, or ``None`` if new.

    Raises:
        DuplicateClientOrderId: the id exists in the account with different content.
    """
    existing = book.get(command.account_id, client_order_id)
    if existing is None:
        return None
    if spec_content_key(existing.spec) != command.content_key():
        raise DuplicateClientOrderId(
            f"client order id {client_order_id!r} was already used for a different order",
            context={"client_order_id": client_order_id, "account_id": command.account_id},
        )
    return existing
