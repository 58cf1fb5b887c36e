"""The event stream's messages as subscribers receive them."""

from __future__ import annotations

import json

from ashare_exec.engine import bus as bus_module
from ashare_exec.engine.bus import EventBus


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
