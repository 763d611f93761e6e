#!/usr/bin/env python
"""Baseline for bench/chat_load.py: a plain ``websockets`` server with Redis pub/sub fan-out.

``/?role=visitor&room=N``: every frame is PUBLISHed to the room's Redis channel.
``/?role=agent&room=N``: receives every frame published to the room's channel (one Redis
subscriber connection per process, dispatching to local sockets). ``GET /health``: 200.
No database, no auth: bare fan-out through Redis, like the perf baseline's second row."""

from __future__ import annotations

import asyncio
import os
import sys
from collections import defaultdict
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from redis import asyncio as aioredis
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

PREFIX = os.environ.get("ECHO_PREFIX", "echo")
rooms: dict[str, set[ServerConnection]] = defaultdict(set)


async def main(port: int) -> None:
    redis = aioredis.Redis.from_url(os.environ["REDIS_URL"])
    pubsub = redis.pubsub()
    await pubsub.subscribe(f"{PREFIX}:keepalive")
    lock = asyncio.Lock()

    async def pump() -> None:
        async for message in pubsub.listen():
            if message["type"] != "message":
                continue
            channel = message["channel"].decode()
            data = message["data"].decode()
            for sock in list(rooms.get(channel, ())):
                try:
                    await sock.send(data)
                except Exception:  # noqa: S112 - a closed socket: the next one
                    continue

    async def handler(sock: ServerConnection) -> None:
        assert sock.request is not None
        query = parse_qs(urlsplit(sock.request.path).query)
        role, channel = query["role"][0], f"{PREFIX}:room:{query['room'][0]}"
        if role == "agent":
            if not rooms[channel]:
                async with lock:
                    await pubsub.subscribe(channel)
            rooms[channel].add(sock)
        try:
            async for frame in sock:
                if role == "visitor":
                    await redis.publish(channel, frame)
        finally:
            if role == "agent":
                rooms[channel].discard(sock)

    def health(conn: ServerConnection, request: Request) -> Response | None:
        if request.path == "/health":
            return conn.respond(HTTPStatus.OK, "ok\n")
        return None

    task = asyncio.create_task(pump())
    kwargs: dict[str, Any] = {"compression": None, "process_request": health, "max_queue": None}
    async with serve(handler, "127.0.0.1", port, **kwargs) as server:
        await server.serve_forever()
    task.cancel()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
