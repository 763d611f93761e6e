"""Events committed in a server's worker thread (a REST request) go out on the event loop
in order, those waiting together in one pipelined batch (contactcenter/org/realtime.py,
``_Outbox``): an enquiry opened to 50 agents is one Redis round trip, not 50 in a row."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from contactcenter.org import realtime
from contactcenter.org.channel_layers import ResyncingPubSubChannelLayer
from contactcenter.org.events import Typing, staff_group


class RecordingLayer:
    """A layer with ``group_send_many`` (as the Redis pub/sub one): records each batch; the
    first batch waits for ``release`` so that more sends queue up behind it."""

    def __init__(self, *, fail_first: bool = False) -> None:
        self.batches: list[list[tuple[str, int]]] = []
        self.release = asyncio.Event()
        self.started = threading.Event()
        self.fail_first = fail_first
        self.resyncs: list[str] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.resyncs.append(group)  # RESYNC to the groups of a failed batch

    async def group_send_many(self, sends: list[tuple[str, dict[str, Any]]]) -> None:
        self.batches.append([(group, realtime.event_of(m)["data"]["room_id"]) for group, m in sends])
        if len(self.batches) == 1:
            self.started.set()
            await self.release.wait()
            if self.fail_first:
                raise RuntimeError("the first batch fails")


def _typing(room_id: int) -> dict[str, Any]:
    return Typing(room_id=room_id, author={"type": "visitor", "id": 1, "name": "V"}).payload()


def _send_from_worker_thread(room_ids: list[int], groups: int) -> None:
    # As on_commit runs them in a request's thread: one call per event.
    for room_id in room_ids:
        realtime._send_now([staff_group(i) for i in range(1, groups + 1)], _typing(room_id))


async def _until(condition: Any) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in 5 s")


@pytest.mark.parametrize("fail_first", [False, True])
def test_a_threads_events_go_out_in_order_in_few_batches(monkeypatch: pytest.MonkeyPatch, fail_first: bool) -> None:
    async def main() -> RecordingLayer:
        layer = RecordingLayer(fail_first=fail_first)
        monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
        # The first event goes out alone and its batch is held while a request commits
        # three more, each to 50 staff groups: they wait and then go out together.
        await sync_to_async(_send_from_worker_thread, thread_sensitive=False)([1], 50)
        await asyncio.get_running_loop().run_in_executor(None, layer.started.wait, 5)
        await sync_to_async(_send_from_worker_thread, thread_sensitive=False)([2, 3, 4], 50)
        layer.release.set()
        await _until(lambda: len(layer.batches) == 2)
        await sync_to_async(_send_from_worker_thread, thread_sensitive=False)([5], 1)
        await _until(lambda: len(layer.batches) == 3)
        return layer

    monkeypatch.setattr(realtime, "_missed", {})
    layer = asyncio.run(main())
    # A failed batch is logged and its groups told to resync; the outbox goes on.
    assert sorted(layer.resyncs) == (sorted(staff_group(i) for i in range(1, 51)) if fail_first else [])
    assert [len(b) for b in layer.batches] == [50, 150, 1]
    order = [room for batch in layer.batches for _group, room in batch]
    assert order == sorted(order)  # every event in the order committed
    assert layer.batches[1][:50] == [(staff_group(i), 2) for i in range(1, 51)]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)")
def test_the_pubsub_layer_serializes_an_event_sent_to_several_groups_once(monkeypatch: pytest.MonkeyPatch) -> None:
    layer = ResyncingPubSubChannelLayer(hosts=[os.environ["REDIS_URL"]], prefix=f"outbox-{os.getpid()}")
    serialized: list[Any] = []
    serialize = layer.serialize

    def counting(message: Any) -> bytes:
        serialized.append(message)
        return serialize(message)  # type: ignore[no-any-return]

    monkeypatch.setattr(layer, "serialize", counting)

    async def main() -> list[dict[str, Any]]:
        channels = [await layer.new_channel() for _ in range(3)]
        for i, channel in enumerate(channels):
            await layer.group_add(f"g{i}", channel)
        event = {"type": "event.forward", "text": "{}", "kind": "typing", "id": "x.1"}
        other = {"type": "event.forward", "text": "[]", "kind": "typing", "id": "x.2"}
        await layer.group_send_many([("g0", event), ("g1", event), ("g2", event), ("g2", other)])
        got = [await asyncio.wait_for(layer.receive(c), 5) for c in channels]
        got.append(await asyncio.wait_for(layer.receive(channels[2]), 5))
        await layer.flush()
        return got

    got = asyncio.run(main())
    assert [m["id"] for m in got] == ["x.1", "x.1", "x.1", "x.2"]
    assert len(serialized) == 2
