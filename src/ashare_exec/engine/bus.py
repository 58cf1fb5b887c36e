"""The outbound event stream: numbered, replayable messages for API subscribers.

Each published message gets a monotonically increasing ``seq``, also across restarts: each
start of the service numbers from its own block (:func:`stream_start`), so a ``from_seq``
from before a restart gets a ``gap`` and never meets a new message with the same number.
Subscribers receive messages
on an :class:`asyncio.Queue`; a reconnecting subscriber passes the last ``seq`` it saw and gets
everything after it that is still in the replay buffer (and a ``gap`` message if some of it is
no longer kept). Everything here runs on the engine loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["STREAM_BLOCK", "EventBus", "StreamMessage", "Subscription", "stream_start"]

log = logging.getLogger(__name__)

STREAM_BLOCK = 1 << 32
"""Stream numbers per start of the service (2^21 starts stay below 2^53, exact in JSON)."""

STREAM_STARTS = "stream.starts"
"""Journal state key: how many times the service has started (numbers its stream block)."""


def stream_start(
    get_state: Callable[[str], str | None], set_state: Callable[[str, str], None]
) -> int:
    """Count this start in the journal's state and return the seq the stream continues
    after: ``starts × STREAM_BLOCK`` (0 for the first start ever)."""
    starts = int(get_state(STREAM_STARTS) or 0)
    try:
        set_state(STREAM_STARTS, str(starts + 1))
    except Exception:  # the journal cannot be written: the first command halts trading
        log.warning("the stream's start count could not be saved", exc_info=True)
    return starts * STREAM_BLOCK


_TEXTS_KEPT = 4_096
"""Rendered messages kept for the other subscribers (they read within moments)."""


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """One message of the stream: ``kind`` is e.g. ``order``, ``fill``, ``account``, ``alert``."""

    seq: int
    kind: str
    ts: str
    data: Mapping[str, Any]
    account_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form sent over the WebSocket."""
        return {
            "seq": self.seq,
            "kind": self.kind,
            "ts": self.ts,
            "account_id": self.account_id,
            "data": dict(self.data),
        }


@dataclass(eq=False)
class Subscription:
    """A live subscription; read messages from ``queue``."""

    queue: asyncio.Queue[StreamMessage]
    accounts: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    dropped: int = 0
    overflowed: bool = field(default=False)

    def wants(self, msg: StreamMessage) -> bool:
        """Whether the message passes this subscription's filters."""
        if self.kinds is not None and msg.kind not in self.kinds:
            return False
        return not (
            self.accounts is not None
            and msg.account_id is not None
            and msg.account_id not in self.accounts
        )


class EventBus:
    """Numbered publish/subscribe with a bounded replay buffer.

    Args:
        replay_size: how many recent messages are kept for replay.
        queue_size: per-subscriber queue bound; a subscriber that falls this far behind is
            marked ``overflowed`` and closed (it reconnects and replays).
    """

    def __init__(
        self, *, replay_size: int = 100_000, queue_size: int = 10_000, after_seq: int = 0
    ) -> None:
        self._seq = after_seq
        self._buffer: deque[StreamMessage] = deque(maxlen=replay_size)
        self._subs: list[Subscription] = []
        self._queue_size = queue_size
        self._texts: dict[int, str] = {}

    def text(self, msg: StreamMessage) -> str:
        """``msg`` as the WebSocket sends it (compact JSON, non-ASCII kept): rendered once
        for every subscriber, not once each. Only recent messages' texts are kept."""
        text = self._texts.get(msg.seq) if msg.seq else None
        if text is None:
            text = json.dumps(msg.to_json(), separators=(",", ":"), ensure_ascii=False)
            if msg.seq:
                if len(self._texts) >= _TEXTS_KEPT:
                    self._texts.clear()
                self._texts[msg.seq] = text
        return text

    @property
    def last_seq(self) -> int:
        """The sequence number of the newest message (0 before any)."""
        return self._seq

    def publish(
        self, kind: str, ts: str, data: Mapping[str, Any], account_id: str | None = None
    ) -> StreamMessage:
        """Number a message, keep it for replay, and deliver it to every subscriber."""
        self._seq += 1
        msg = StreamMessage(self._seq, kind, ts, data, account_id)
        self._buffer.append(msg)
        for sub in self._subs:
            if sub.overflowed or not sub.wants(msg):
                continue
            try:
                sub.queue.put_nowait(msg)
            except asyncio.QueueFull:
                sub.overflowed = True
                sub.dropped += 1
        return msg

    def subscribe(
        self,
        *,
        from_seq: int | None = None,
        accounts: frozenset[str] | None = None,
        kinds: frozenset[str] | None = None,
    ) -> Subscription:
        """Subscribe; with ``from_seq``, first replay every kept message with ``seq > from_seq``."""
        sub = Subscription(asyncio.Queue(self._queue_size), accounts, kinds)
        if from_seq is not None and from_seq > self._seq:
            # Numbers this stream never gave (another instance's): nothing to replay from.
            sub.queue.put_nowait(
                StreamMessage(0, "gap", "", {"from_seq": from_seq, "oldest_kept": self._seq + 1})
            )
        elif from_seq is not None and from_seq < self._seq:
            oldest = self._buffer[0].seq if self._buffer else self._seq + 1
            if from_seq + 1 < oldest:
                sub.queue.put_nowait(
                    StreamMessage(0, "gap", "", {"from_seq": from_seq, "oldest_kept": oldest})
                )
            for msg in self._buffer:
                if msg.seq > from_seq and sub.wants(msg):
                    if sub.queue.full():
                        sub.overflowed = True
                        break
                    sub.queue.put_nowait(msg)
        self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        """Stop delivering to ``sub``."""
        if sub in self._subs:
            self._subs.remove(sub)

    @property
    def subscriber_count(self) -> int:
        """Number of live subscriptions."""
        return len(self._subs)
