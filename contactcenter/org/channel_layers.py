"""channels_redis layers that tell local sockets when they may have missed events.

While Redis is down (or the process's connection to it drops), events published meanwhile
are gone: pub/sub keeps nothing, a restarted Redis without persistence forgets the core
layer's groups. channels_redis reconnects by itself (redis-py re-subscribes the pub/sub
connection on its next connect) but says nothing to the consumers, whose sockets stayed
open and silently missed what was sent meanwhile.

These subclasses notice the loss of their receiving connection and put a
``{"type": RESYNC}`` message into every local consumer's channel at once. The consumers
(``contactcenter/gateway/consumers.py``, ``EventForwardMixin.realtime_resync``) close their socket
with ``CLOSE_RESYNC`` (4503); the client reconnects with back-off (failing while Redis is
still down, which the user sees as "reconnecting") and, once connected, syncs every room it
shows and reloads its panels (``static/js/socket.js``). Events whose publish failed are
handled by ``contactcenter/org/realtime.py``, which sends ``RESYNC`` to their groups once
publishing works again (sockets in other processes missed them too).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _wrap_close, decode_hosts

from contactcenter.org.inbox import ChannelQueue
from contactcenter.org.outages import REDIS_ERRORS, OutageLog

logger = logging.getLogger(__name__)

__all__ = ["CLOSE_RESYNC", "RESYNC", "ChannelQueue", "ResyncingPubSubChannelLayer", "ResyncingRedisChannelLayer"]

# Layer message type (handled by consumers as ``realtime_resync``) and the close code.
RESYNC = "realtime.resync"
CLOSE_RESYNC = 4503

RECONNECT_PAUSE = 0.5  # seconds between attempts to reach Redis again


def resync_message() -> dict[str, Any]:
    return {"type": RESYNC}


class _ResyncingShard(RedisSingleShardConnection):
    """One Redis host of the pub/sub layer. Differs from channels_redis in what happens when
    the subscriber connection fails: local consumers are told at once (and only once per
    outage), and subscriptions dropped while Redis was down are not restored."""

    channel_layer: _ResyncingLoopLayer

    def __init__(self, host: dict[str, Any], channel_layer: _ResyncingLoopLayer) -> None:
        super().__init__(host, channel_layer)
        self._outage = OutageLog(f"Redis pub/sub {host.get('address', '')}".strip())

    async def _do_receiving(self) -> None:
        lost = False
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    # After a loss, this reconnects and redis-py re-subscribes every channel
                    # (PubSub.on_connect) before reading. No read timeout (channels_redis
                    # polls with 0.1 s): redis-py wraps every read with a timeout in an
                    # asyncio.timeout, a timer armed and cancelled per message received
                    # (bench/RESULTS.md, session 13). Nothing needs the poll: a lost
                    # connection fails the read (the layer's connections have no socket
                    # timeout; TCP keepalive is on), the confirmations of redis-py's
                    # re-subscription end the first read after a reconnect (so the outage
                    # is reported over at once), an unsubscription's confirmation ends the
                    # read that follows the last one, and flush() cancels this task.
                    message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
                    if lost:
                        lost = False
                        self._outage.ok()
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception as exc:
                if not lost:
                    lost = True
                    self._outage.failed(exc)
                    # Whatever was published from now until the re-subscription is lost.
                    self.channel_layer.tell_local_consumers()
                await asyncio.sleep(RECONNECT_PAUSE)

    def _receive_message(self, message: Any) -> None:
        """channels_redis's, except for a group's message: decoded here once for all of its
        local sockets (the same dict to each: consumers only read messages) instead of once
        by each, and not handed to the socket it names as ``except_channel`` (the socket that
        posted a chat message, whose ack carried it: a wake-up, a decoding and a dispatch
        less per post; bench/RESULTS.md, session 15). A message that cannot be decoded goes
        to each member as it came (each consumer then fails on it, as before)."""
        if message is None:
            return
        name, data = message["channel"], message["data"]
        if isinstance(name, bytes):
            name = name.decode()
        channels = self.channel_layer.channels
        queue = channels.get(name)
        if queue is not None:
            queue.put_nowait(data)
            return
        members = self.channel_layer.groups.get(name)
        if not members:
            return
        try:
            decoded = self.channel_layer.channel_layer.deserialize(data)
        except Exception:
            logger.warning("realtime: a message to %s could not be decoded", name, exc_info=True)
            decoded, skip = data, None
        else:
            skip = decoded.get("except_channel") if isinstance(decoded, dict) else None
        for channel_name in members:
            if channel_name != skip:
                queue = channels.get(channel_name)
                if queue is not None:
                    queue.put_nowait(decoded)

    async def publish_many(self, items: list[tuple[str, bytes]]) -> None:
        """PUBLISH each (channel, data) in order, in one pipeline: one round trip for a
        batch instead of one per message, each under the shard's lock."""
        async with self._lock:
            self._ensure_redis()
            pipe = self._redis.pipeline(transaction=False)
            for channel, data in items:
                pipe.publish(channel, data)
            await pipe.execute()

    async def unsubscribe(self, channel: str) -> None:
        try:
            await super().unsubscribe(channel)
        except REDIS_ERRORS:
            # Redis is down: forget the subscription here, so that the reconnect does not
            # subscribe again a channel or group nobody in this process reads any more.
            self._subscribed_to.discard(channel)
            if self._pubsub is not None:
                key = channel.encode()
                self._pubsub.channels.pop(key, None)
                self._pubsub.pending_unsubscribe_channels.discard(key)


class _ResyncingLoopLayer(RedisPubSubLoopLayer):
    def __init__(self, hosts: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(hosts, *args, **kwargs)
        self._shards = [_ResyncingShard(host, self) for host in decode_hosts(hosts)]

    async def _subscribe_to_channel(self, channel: str) -> None:
        # As RedisPubSubLoopLayer._subscribe_to_channel, with a ChannelQueue (channels_redis
        # pinned in pyproject.toml; re-check this override on upgrade).
        self.channels[channel] = ChannelQueue()
        try:
            await self._get_shard(channel).subscribe(channel)
        except BaseException:
            # The consumer that asked fails to start and never receives: leave no queue behind.
            self.channels.pop(channel, None)
            raise

    async def new_channel_into(self, queue: ChannelQueue, prefix: str = "specific.") -> str:
        """A new channel of this process whose messages (serialized, as bytes) go into
        ``queue``, the consumer's own inbox, instead of a queue of the layer read by
        ``receive`` (no task per socket waiting on it). ``channel_close`` ends it."""
        channel = f"{self.prefix}{prefix}{uuid.uuid4().hex}"
        self.channels[channel] = queue
        try:
            await self._get_shard(channel).subscribe(channel)
        except BaseException:
            self.channels.pop(channel, None)
            raise
        return channel

    async def channel_close(self, channel: str) -> None:
        """The consumer of ``channel`` is done: what channels_redis's ``receive`` does when
        its receiving task is cancelled (forget the queue, unsubscribe)."""
        if self.channels.pop(channel, None) is None:
            return
        try:
            await self._get_shard(channel).unsubscribe(channel)
        except Exception:
            logger.exception("realtime: unsubscribing %s failed", channel)

    async def group_add(self, group: str, channel: str) -> None:
        try:
            await super().group_add(group, channel)
        except BaseException:
            # Not a member after all (its consumer fails to connect): undo the local membership.
            group_channel = self._get_group_channel_name(group)
            members = self.groups.get(group_channel)
            if members is not None:
                members.discard(channel)
                if not members:
                    del self.groups[group_channel]
            raise

    async def group_send_many(self, sends: list[tuple[str, dict[str, Any]]]) -> None:
        """``group_send`` of each (group, message), in order, one pipeline per shard. A
        message sent to several groups (the same object) is serialized once."""
        by_shard: dict[Any, list[tuple[str, bytes]]] = {}
        encoded: dict[int, bytes] = {}  # id(message) -> bytes; every message stays referenced by ``sends``
        for group, message in sends:
            group_channel = self._get_group_channel_name(group)
            shard = self._get_shard(group_channel)
            data = encoded.get(id(message))
            if data is None:
                data = encoded[id(message)] = self.channel_layer.serialize(message)
            by_shard.setdefault(shard, []).append((group_channel, data))
        for shard, items in by_shard.items():
            await shard.publish_many(items)

    def tell_local_consumers(self) -> None:
        """Put RESYNC into the channel of every consumer of this process."""
        data = self.channel_layer.serialize(resync_message())
        for queue in list(self.channels.values()):
            queue.put_nowait(data)
        if self.channels:
            logger.warning("realtime: told %d local sockets to reconnect and sync", len(self.channels))


class ResyncingPubSubChannelLayer(RedisPubSubChannelLayer):
    """``RedisPubSubChannelLayer`` whose per-loop layers are ``_ResyncingLoopLayer``."""

    def _get_layer(self) -> Any:
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = _ResyncingLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            self._layers[loop] = layer
            # As RedisPubSubChannelLayer._get_layer does (channels_redis pinned in
            # pyproject.toml; re-check this override and the private helper on upgrade).
            _wrap_close(self, loop)
        return layer

    def deserialize(self, message: Any) -> Any:
        """A message from a channel's queue: bytes as channels_redis sends them, or a group's
        message already decoded (``_ResyncingShard._receive_message``)."""
        if isinstance(message, dict):
            return message
        return super().deserialize(message)

    async def new_channel_into(self, queue: ChannelQueue, prefix: str = "specific.") -> str:
        """A channel whose messages go into ``queue`` as bytes, or as dicts when a group's
        (``deserialize`` them): see ``_ResyncingLoopLayer.new_channel_into``."""
        return await self._get_layer().new_channel_into(queue, prefix)  # type: ignore[no-any-return]

    async def channel_close(self, channel: str) -> None:
        await self._get_layer().channel_close(channel)

    async def group_send_many(self, sends: list[tuple[str, dict[str, Any]]]) -> None:
        """Several group sends in one Redis round trip (realtime: a socket writer batch)."""
        await self._get_layer().group_send_many(sends)


class ResyncingRedisChannelLayer(RedisChannelLayer):
    """The core (list-based) layer: when receiving fails, every consumer waiting in this
    process gets RESYNC instead of the one holding the receive lock crashing on the error
    while the others, if Redis came back meanwhile, stay in groups a restarted Redis has
    forgotten."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._outage = OutageLog("Redis channel layer")

    async def receive_single(self, channel: str) -> Any:
        try:
            result = await super().receive_single(channel)
        except REDIS_ERRORS + (OSError,) as exc:
            self._outage.failed(exc)
            await asyncio.sleep(RECONNECT_PAUSE)  # then the next receiver tries again
            # core.receive() puts the message into the buffer of each channel listed: only
            # those of consumers still waiting (listed after the pause, with no await between).
            waiting = list(self.receive_buffer.keys())
            if waiting:
                logger.warning("realtime: told %d local sockets to reconnect and sync", len(waiting))
            return waiting, resync_message()
        self._outage.ok()
        return result
