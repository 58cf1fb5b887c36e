"""An order's log rebuilt from the journal on first use (for orders recovered from projections).

Recovery from projections does not decode events; an order's :class:`LazyLog` replays the
order's own events through :meth:`Order.apply` the first time it is read or appended to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, SupportsIndex, cast

from ashare_exec.errors import InvalidTransition, JournalError
from ashare_exec.journal.codec import decode_event
from ashare_exec.journal.sqlite import Journal
from ashare_exec.model.events import OrderDenied, OrderEvent, OrderSubmitted
from ashare_exec.model.order import Order, OrderLogEntry

__all__ = ["LazyLog", "load_order_log", "log_loader"]

_LOG_SQL = (
    "SELECT type, payload FROM events WHERE account = ? AND client_order_id = ? "
    "AND seq BETWEEN ? AND ? ORDER BY seq"
)


class LazyLog(list[OrderLogEntry]):
    """An order's log that loads its past entries on first use (read or write).

    Recovery from projections does not decode the events; the log of an order is rebuilt
    from the journal only when something (e.g. the API's order detail) asks for it.
    """

    __slots__ = ("_load",)

    def __init__(
        self,
        items: Iterable[OrderLogEntry] = (),
        load: Callable[[], list[OrderLogEntry]] | None = None,
    ) -> None:
        super().__init__(items)
        self._load = load

    @property
    def loaded(self) -> bool:
        """Whether the past entries are in memory."""
        return self._load is None

    def _ready(self) -> None:
        load = self._load
        if load is not None:
            past = load()
            self._load = None
            list.__init__(self, [*past, *list.__iter__(self)])

    def __getitem__(self, i: Any) -> Any:
        self._ready()
        return list.__getitem__(self, i)

    def __setitem__(self, i: Any, value: Any) -> None:
        self._ready()
        list.__setitem__(self, i, value)

    def __delitem__(self, i: SupportsIndex | slice) -> None:
        self._ready()
        list.__delitem__(self, i)


def _materialising(name: str) -> Callable[..., Any]:
    base = getattr(list, name)

    def method(self: LazyLog, *args: Any, **kwargs: Any) -> Any:
        self._ready()
        return base(self, *args, **kwargs)

    method.__name__ = name
    return method


for _name in (
    "__iter__", "__len__", "__contains__", "__reversed__", "__eq__", "__ne__", "__lt__",
    "__le__", "__gt__", "__ge__", "__repr__", "__add__", "__iadd__", "__mul__", "__rmul__",
    "__imul__", "__reduce_ex__", "append", "extend", "insert", "pop", "remove", "index",
    "count", "copy", "sort", "reverse", "clear",
):  # fmt: skip
    setattr(LazyLog, _name, _materialising(_name))


def load_order_log(
    journal: Journal, account: str, client_order_id: str, first_seq: int, last_seq: int
) -> list[OrderLogEntry]:
    """Rebuild an order's log from its events ``first_seq..last_seq`` (creation first).

    Raises:
        JournalError: the events do not start with the order's creation.
    """
    order: Order | None = None
    for type_name, payload in journal.read(
        _LOG_SQL, (account, client_order_id, first_seq, last_seq)
    ):
        event = cast(OrderEvent, decode_event(type_name, payload))
        if order is None:
            if not isinstance(event, OrderSubmitted | OrderDenied):
                raise JournalError(f"order {client_order_id!r}: no creation event at {first_seq}")
            order = Order.create(event)
            continue
        try:
            order.apply(event)
        except InvalidTransition:
            continue  # refused on replay too
    return [] if order is None else list(order.log)


def log_loader(
    journal: Journal, account: str, coid: str, first: int, last: int
) -> Callable[[], list[OrderLogEntry]]:
    """A loader for :class:`LazyLog`: the order's log from its events ``first..last``."""
    return lambda: load_order_log(journal, account, coid, first, last)
