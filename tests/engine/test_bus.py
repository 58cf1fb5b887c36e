"""The event stream's messages as subscribers receive them."""

from __future__ import annotations

import json

from ashare_exec.engine import bus as bus_module
from ashare_exec.engine.bus import STREAM_BLOCK, EventBus, stream_start


def test_text_is_the_compact_json_a_websocket_sends_and_rendered_once() -> None:
    bus = EventBus()
    msg = bus.publish("alert", "2026-11-26T10:00:00+08:00", {"message": "撤单 ok", "n": 1}, "a1")

    text = bus.text(msg)

    # What Starlette's ``send_json`` would have rendered for each subscriber.
    assert text == json.dumps(msg.to_json(), separators=(",", ":"), ensure_ascii=False)
    assert "撤单" in text
    assert json.loads(text) == {
        "seq": msg.seq,
        "kind": "alert",
        "ts": "2026-11-26T10:00:00+08:00",
        "account_id": "a1",
        "data": {"message": "撤单 ok", "n": 1},
    }
    assert bus.text(msg) is text


def test_text_when_many_messages_keeps_only_recent_ones() -> None:
    bus = EventBus()
    msgs = [bus.publish("order", "", {"i": i}) for i in range(bus_module._TEXTS_KEPT + 10)]

    texts = [bus.text(m) for m in msgs]

    assert [json.loads(t)["data"]["i"] for t in texts] == list(range(len(msgs)))
    assert len(bus._texts) <= bus_module._TEXTS_KEPT


def _replay(bus: EventBus, from_seq: int) -> list[tuple[int, str]]:
    sub = bus.subscribe(from_seq=from_seq)
    out = []
    while not sub.queue.empty():
        msg = sub.queue.get_nowait()
        out.append((msg.seq, msg.kind))
    return out


def test_stream_start_numbers_each_start_of_the_service_from_its_own_block() -> None:
    state: dict[str, str] = {}

    first = stream_start(state.get, state.__setitem__)
    second = stream_start(state.get, state.__setitem__)

    assert (first, second) == (0, STREAM_BLOCK)
    assert state["stream.starts"] == "2"


def test_subscribe_with_a_seq_from_before_a_restart_says_gap_then_replays_all_kept() -> None:
    before = EventBus()
    seen = [before.publish("order", "", {"i": i}).seq for i in range(3)]
    after = EventBus(after_seq=STREAM_BLOCK)  # the same service, started again
    fresh = [after.publish("order", "", {"i": i}).seq for i in range(2)]

    replayed = _replay(after, from_seq=seen[-1])

    assert fresh == [STREAM_BLOCK + 1, STREAM_BLOCK + 2]
    assert replayed == [(0, "gap"), (fresh[0], "order"), (fresh[1], "order")]


def test_subscribe_with_a_seq_this_stream_never_gave_says_gap() -> None:
    bus = EventBus()
    bus.publish("order", "", {})

    assert _replay(bus, from_seq=50) == [(0, "gap")]


def test_subscribe_with_the_last_seq_replays_nothing_and_says_nothing() -> None:
    bus = EventBus(after_seq=STREAM_BLOCK)
    last = bus.publish("order", "", {}).seq

    assert _replay(bus, from_seq=last) == []
