"""Redis stops while messages flow (issue 10, "Faults"), through real daphne processes on
PostgreSQL and a Redis server this test starts itself, on a port of its own, and stops and
restarts (never the machine's Redis).

While Redis is down: every message posted is stored; the open agent and visitor sockets
are closed with 4503 (``contactcenter/org/channel_layers.py``) instead of staying open and
silently missing events; logging in, the widget configuration and starting a chat answer
2xx, quickly (throttles, caches and task queuing fail open), never 500. Once Redis is
back, clients that reconnect and ``sync`` (as ``static/js/socket.js`` does) have every
message exactly once.

Every wait is bounded and waits on a condition; subprocesses are killed by finalizers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from channels_adapters.models import Channel
from contactcenter.org import services as org_services
from contactcenter.org.models import Staff, Tag
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry
from rooms.models import Message
from tests.conftest import IN_CI, PASSWORD, require_postgres, require_redis
from tests.integration.test_real_timers import (  # noqa: F401 - fixtures
    POLL,
    Processes,
    Server,
    free_port,
    processes,
    production_env,
    run_checked,
)

CLOSE_RESYNC = 4503


class OwnRedis:
    """A redis-server of this test alone, without persistence, that can be stopped and
    started again on the same port."""

    def __init__(self, procs: Processes) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if IN_CI:
                pytest.fail("CI=true but redis-server is not installed")
            pytest.skip("needs the redis-server binary")
        self.binary = binary
        self.processes = procs
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        proc = self.proc = self.processes.start("redis", args, dict(os.environ))

        self.processes.wait_ready(
            proc,
            lambda: bool(redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()),
            what="redis-server to answer",
            timeout=10,
            interval=POLL,
            not_yet=(redis.exceptions.ConnectionError,),
        )

    def stop(self) -> None:
        assert self.proc is not None
        self.processes.kill(self.proc, signal.SIGTERM)  # waits for it to exit
        self.proc = None


class Follower:
    """A socket client that behaves as static/js/socket.js: reconnects after any close
    (retrying while the server refuses) and then syncs the room from the last message id it
    has; collects message ids, and the close codes it got."""

    def __init__(self, url: str | Callable[[], Awaitable[str]], room: int, origin: str | None = None) -> None:
        self.url = url
        self.room = room
        self.origin = origin
        self.seen: list[int] = []  # every delivery, duplicates included
        self.closes: list[int | None] = []
        self.connects = 0

    @property
    def last(self) -> int:
        return max(self.seen, default=0)

    def _take(self, message: dict[str, Any]) -> None:
        if message.get("room") == self.room:
            self.seen.append(int(message["id"]))

    async def run(self) -> None:
        while True:
            try:
                url = self.url if isinstance(self.url, str) else await self.url()
                conn = await asyncio.wait_for(connect(url, origin=self.origin, open_timeout=5), 6)  # type: ignore[arg-type]
            except (OSError, InvalidHandshake, TimeoutError):
                await asyncio.sleep(0.2)  # refused while Redis is down: try again
                continue
            try:
                hello = json.loads(await conn.recv())
                assert hello["type"] == "hello", hello
                self.connects += 1
                if self.connects > 1:
                    await conn.send(json.dumps({"type": "sync", "rooms": {str(self.room): self.last}}))
                async for frame in conn:
                    event = json.loads(frame)
                    if event["type"] == "message.created":
                        self._take(event["data"]["message"])
                    elif event["type"] == "sync.messages":
                        for message in event["data"]["messages"]:
                            self._take(message)
                        if event["data"]["has_more"]:
                            await conn.send(json.dumps({"type": "sync", "rooms": {str(self.room): self.last}}))
                self.closes.append(conn.close_code)
            except ConnectionClosed as exc:
                self.closes.append(exc.rcvd.code if exc.rcvd else None)


async def wait_for(predicate: Callable[[], bool], *, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.05)


def _works_without_redis(response: httpx.Response, what: str) -> None:
    """Needs only PostgreSQL: 2xx, quickly (throttles, cache and task queuing fail open and
    fast; a 503 with Retry-After would be the answer for what cannot work)."""
    assert 200 <= response.status_code < 300, f"{what}: {response.status_code} {response.text[:300]}"
    assert response.elapsed.total_seconds() < 5, f"{what} took {response.elapsed}"


@pytest.mark.parametrize("layer", ["pubsub", "core"])
def test_redis_outage_loses_no_message_and_sockets_resync(
    layer: str,
    transactional_db: Any,
    processes: Processes,  # noqa: F811 - fixture
    make_staff: Callable[..., Staff],
    support: Tag,
    widget: Channel,
    picked_up: Callable[..., Enquiry],
    tmp_path: Path,
) -> None:
    require_postgres()
    require_redis()
    own = OwnRedis(processes)
    own.start()

    agent = make_staff(tags=[support], name="Alice Agent")
    enquiry = picked_up(agent)
    room = enquiry.room.pk
    agent_token = org_services.token_issue(staff=agent)
    visitor_token = visitor_token_for(enquiry.visitor_id)

    env = production_env(
        own.url,
        CC_CHANNEL_LAYER=layer,
        CC_CHANNEL_PREFIX=f"outage-{os.getpid()}",
        # Deadline tasks are queued on commit (to a broker that is down meanwhile); no
        # worker runs them here.
        CC_TIMERS="celery",
        CC_MEDIA_ROOT=str(tmp_path / "media"),
        CC_LOGIN_RATE="100000/min",
        CC_WIDGET_RATE="100000/min",
        CC_WIDGET_MAX_ENQUIRIES_PER_HOUR="1000",
        CC_LOG_LEVEL="WARNING",
    )
    # With the production settings' password hasher (the tests' own is a fast one).
    run_checked(
        [sys.executable, "manage.py", "create_staff", "--email", "admin-outage@example.com", "--password", PASSWORD]
        + ["--role", "admin"],
        env,
    )
    a, b = Server(processes, env), Server(processes, env)
    a.start()
    b.start()

    staff_auth = {"Authorization": f"Token {agent_token}"}
    visitor_auth = {"Authorization": f"Visitor {visitor_token}"}
    posted: list[int] = []

    async def body() -> None:
        agent_sock = Follower("", room)
        visitor_sock = Follower(f"ws://127.0.0.1:{b.port}/ws/visitor/?visitor_token={visitor_token}", room)
        followers = [agent_sock, visitor_sock]
        tasks = [asyncio.ensure_future(f.run()) for f in followers]
        async with httpx.AsyncClient(timeout=10) as http:

            async def staff_url() -> str:
                # A one-time socket ticket per connect (API clients never put a token in a URL).
                response = await http.post(f"{a.base}/api/v1/auth/socket-ticket", headers=staff_auth)
                if response.status_code != 200:
                    raise OSError(f"no ticket: {response.status_code}")  # PostgreSQL-backed; retried
                return f"ws://127.0.0.1:{a.port}/ws/staff/?ticket={response.json()['ticket']}"

            agent_sock.url = staff_url

            async def post(i: int) -> None:
                # Alternately the visitor through one process and the agent through the other.
                base, auth = (a.base, visitor_auth) if i % 2 else (b.base, staff_auth)
                response = await http.post(
                    f"{base}/api/v1/rooms/{room}/messages", headers=auth, json={"text": f"m{i}", "client_id": f"c{i}"}
                )
                assert response.status_code == 201, response.text
                posted.append(int(response.json()["id"]))

            def everyone_has(ids: list[int]) -> bool:
                return all(set(ids) <= set(f.seen) for f in followers)

            try:
                await wait_for(lambda: all(f.connects == 1 for f in followers), timeout=10, what="both sockets")
                for i in range(6):
                    await post(i)
                await wait_for(lambda: everyone_has(posted), timeout=10, what="live delivery before the outage")
                assert all(f.closes == [] for f in followers)

                own.stop()
                for i in range(6, 16):
                    await post(i)  # stored while Redis is down
                # Each open socket is told: closed with 4503 (then reconnects are refused
                # until Redis is back).
                await wait_for(
                    lambda: all(CLOSE_RESYNC in f.closes for f in followers), timeout=10, what="4503 on both sockets"
                )
                # REST that does not need Redis keeps working; nothing answers 500.
                for server in (a, b):
                    login = await http.post(
                        f"{server.base}/api/v1/auth/token",
                        json={"email": "admin-outage@example.com", "password": PASSWORD},
                    )
                    _works_without_redis(login, "token login")
                    config = await http.get(f"{server.base}/api/v1/widget/channels/{widget.key}")
                    _works_without_redis(config, "widget config")
                    started = await http.post(
                        f"{server.base}/api/v1/widget/enquiries",
                        json={"channel_key": widget.key, "message": "Meanwhile", "visitor": {"first_name": "O"}},
                    )
                    _works_without_redis(started, "starting a chat")
                assert all(f.connects == 1 for f in followers)  # no socket got through meanwhile

                own.start()
                for i in range(16, 22):
                    await post(i)
                # Reconnected and synced: every message (a message committed between the
                # rejoin and the sync may come both ways; clients dedupe by id).
                await wait_for(lambda: everyone_has(posted), timeout=30, what="every message after the outage")
                for follower in followers:
                    assert set(follower.seen) == set(posted), (follower.url, follower.seen)
                    assert follower.connects >= 2
            finally:
                for task in tasks:
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.gather(*tasks, return_exceptions=True)

    started = time.monotonic()
    asyncio.run(asyncio.wait_for(body(), 90))
    assert time.monotonic() - started < 90
    assert len(posted) == 22
    assert Message.objects.filter(room_id=room, pk__in=posted).count() == 22
