"""The pub/sub layer's lean per-channel queue (contactcenter/org/channel_layers.py,
``ChannelQueue``): the behaviour of the ``asyncio.Queue`` it replaces, with nothing held
while idle; and the layer itself, over Redis, gives each new channel one."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest
from django.conf import settings

from contactcenter.org.channel_layers import ChannelQueue, ResyncingPubSubChannelLayer
from tests.conftest import require_redis


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(asyncio.wait_for(coro, 10))


def test_items_come_out_in_order_and_an_empty_queue_holds_nothing() -> None:
    async def body() -> None:
        queue = ChannelQueue()
        assert queue.empty() and queue.qsize() == 0
        for item in ("a", "b", "c"):
            queue.put_nowait(item)
        assert queue.qsize() == 3 and not queue.empty()
        assert [await queue.get() for _ in range(3)] == ["a", "b", "c"]
        assert queue.empty()
        # Idle, it keeps no deque nor list: a few dozen bytes per socket, not kilobytes.
        assert queue._items is None and queue._waiters is None
        assert not hasattr(queue, "__dict__")
        assert sys.getsizeof(queue) < 100

    run(body())


def test_a_waiting_receiver_gets_the_next_item_at_once() -> None:
    async def body() -> None:
        queue = ChannelQueue()
        first = asyncio.ensure_future(queue.get())
        second = asyncio.ensure_future(queue.get())
        await asyncio.sleep(0)
        queue.put_nowait(1)
        queue.put_nowait(2)
        queue.put_nowait(3)
        assert (await first, await second) == (1, 2)  # first come, first served
        assert await queue.get() == 3
        assert queue._items is None and queue._waiters is None

    run(body())


def test_a_cancelled_receiver_loses_nothing() -> None:
    async def body() -> None:
        queue = ChannelQueue()
        waiting = asyncio.ensure_future(queue.get())
        await asyncio.sleep(0)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert queue._waiters is None
        queue.put_nowait("kept")
        assert await queue.get() == "kept"

        # Handed an item, then cancelled before it ran: the item stays first in the queue.
        handed = asyncio.ensure_future(queue.get())
        await asyncio.sleep(0)
        queue.put_nowait("first")
        queue.put_nowait("second")
        handed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await handed
        assert [await queue.get(), await queue.get()] == ["first", "second"]

    run(body())


def test_the_pubsub_layer_delivers_through_a_channel_queue() -> None:
    require_redis()
    layer = ResyncingPubSubChannelLayer(
        hosts=[{"address": settings.REDIS_URL}], prefix=f"chq-{os.getpid()}-{settings.CC_CHANNEL_PREFIX}"
    )

    async def body() -> None:
        channel = await layer.new_channel()
        loop_layer = layer._get_layer()
        assert isinstance(loop_layer.channels[channel], ChannelQueue)
        await layer.group_add("chq", channel)
        receiving = asyncio.ensure_future(layer.receive(channel))
        await layer.send(channel, {"type": "one"})
        assert (await receiving)["type"] == "one"
        await layer.group_send("chq", {"type": "two"})
        assert (await layer.receive(channel))["type"] == "two"
        # A consumer that stops receiving (cancelled) leaves its channel.
        receiving = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0.05)
        receiving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await receiving
        assert channel not in loop_layer.channels
        await layer.flush()

    run(body())


def test_a_group_message_is_decoded_once_and_skips_the_channel_it_excepts() -> None:
    """A group's message reaches each local member as the same decoded dict (consumers only
    read it), except the channel it names as ``except_channel`` (the socket that posted);
    a message to one channel still arrives as bytes, and ``deserialize`` takes both."""
    require_redis()
    layer = ResyncingPubSubChannelLayer(
        hosts=[{"address": settings.REDIS_URL}], prefix=f"chq2-{os.getpid()}-{settings.CC_CHANNEL_PREFIX}"
    )

    async def body() -> None:
        inboxes = [ChannelQueue() for _ in range(3)]
        names = [await layer.new_channel_into(inbox) for inbox in inboxes]
        for name in names:
            await layer.group_add("room", name)
        await layer.group_send("room", {"type": "event.forward", "n": 1, "except_channel": names[0]})
        await layer.group_send("room", {"type": "event.forward", "n": 2})
        got = [
            [await asyncio.wait_for(inbox.get(), 5) for _ in range(n)]
            for inbox, n in zip(inboxes, (1, 2, 2), strict=True)
        ]
        assert [m["n"] for m in got[0]] == [2]  # the first (n=1) skipped the socket it excepts
        assert [m["n"] for m in got[1]] == [m["n"] for m in got[2]] == [1, 2]
        assert got[1][1] is got[2][1]  # decoded once, for both
        assert all(isinstance(m, dict) and layer.deserialize(m) is m for box in got for m in box)
        await layer.send(names[1], {"type": "direct"})
        direct = await asyncio.wait_for(inboxes[1].get(), 5)
        assert isinstance(direct, bytes) and layer.deserialize(direct) == {"type": "direct"}
        for inbox in inboxes:
            assert inbox.empty()
        await layer.flush()

    run(body())
