"""End to end through real daphne processes and the `websockets` client (SPEC sections 4
and 8): messages both ways over the sockets, typing, and a dropped agent socket that
reconnects and catches up with ``sync`` without loss or duplicates; in production mode,
two daphne processes sharing PostgreSQL and Redis deliver across processes.

Every wait is bounded; subprocesses are killed by finalizers (the ``processes`` fixture)."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from contactcenter.org import services as org_services
from contactcenter.org.models import Staff, Tag
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry
from tests.conftest import require_postgres, require_redis
from tests.deploy.stack import picked_up_widget_enquiry
from tests.integration.sockets import first_matching
from tests.integration.test_real_timers import (  # noqa: F401 - fixtures
    ADMIN_STAFF,
    AGENT_STAFF,
    Processes,
    Server,
    embedded_env,
    embedded_setup,
    processes,
    production_env,
    suite_redis_url,
    support_widget,
    token_headers,
)

WAIT = 5.0


class Socket:
    """A websockets client that reads typed events with a bounded wait."""

    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn

    @classmethod
    async def open(cls, url: str, *, origin: str | None = None) -> Socket:
        conn = await asyncio.wait_for(connect(url, origin=origin, open_timeout=WAIT), WAIT)  # type: ignore[arg-type]
        sock = cls(conn)
        assert (await sock.next())["type"] == "hello"
        return sock

    async def send(self, message: dict[str, Any]) -> None:
        await self.conn.send(json.dumps(message))

    async def next(self, timeout: float = WAIT) -> dict[str, Any]:
        return dict(json.loads(await asyncio.wait_for(self.conn.recv(), timeout)))

    async def message(self, message_id: int, timeout: float = WAIT) -> dict[str, Any]:
        """The message.created event of ``message_id`` (a socket also sees its own messages)."""
        while True:
            event = await self.until("message.created", timeout)
            if event["data"]["message"]["id"] == message_id:
                return dict(event["data"]["message"])

    async def until(self, type_: str, timeout: float = WAIT, **match: Any) -> dict[str, Any]:
        return await first_matching(
            self.next,
            lambda event: event["type"] == type_ and all(event["data"].get(k) == v for k, v in match.items()),
            timeout=timeout,
            what=f"{type_} {match}",
        )

    async def silent(self, type_: str, seconds: float) -> list[dict[str, Any]]:
        """Events of ``type_`` arriving within ``seconds`` (expected: none)."""
        got: list[dict[str, Any]] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while (remaining := deadline - loop.time()) > 0:
            try:
                event = await self.next(remaining)
            except TimeoutError:
                break
            if event["type"] == type_:
                got.append(event)
        return got

    async def close(self) -> None:
        await self.conn.close()


async def post(sock: Socket, room: int, text: str, client_id: str) -> dict[str, Any]:
    await sock.send({"type": "message.post", "room": room, "text": text, "client_id": client_id})
    ack = await sock.until("message.ack", client_id=client_id)
    return dict(ack["data"]["message"])


# ---------------------------------------------------------------------------- embedded


def test_embedded_chat_typing_and_reconnect_sync(
    processes: Processes,  # noqa: F811 - fixture
    embedded_env: dict[str, str],  # noqa: F811 - fixture
) -> None:
    env = embedded_env
    embedded_setup(env, ADMIN_STAFF, AGENT_STAFF)
    server = Server(processes, env)
    server.start()
    ws_base = f"ws://127.0.0.1:{server.port}"

    with httpx.Client(base_url=server.base, timeout=10) as http:
        agent_auth = token_headers(http, "agent@example.com")
        channel = support_widget(http, token_headers(http, "admin@example.com"), name="Site")
        enquiry, room, visitor_token = picked_up_widget_enquiry(http, channel["key"], agent_auth)

        def new_ticket() -> str:
            got = http.post("/api/v1/auth/socket-ticket", headers=agent_auth)
            assert got.status_code == 200, got.text
            return str(got.json()["ticket"])

        def rest_post(text: str, client_id: str) -> int:
            response = http.post(
                f"/api/v1/rooms/{room}/messages",
                headers={"Authorization": f"Visitor {visitor_token}"},
                json={"text": text, "client_id": client_id},
            )
            assert response.status_code == 201, response.text
            return int(response.json()["id"])

        async def body() -> None:
            # An API client's socket: a one-time ticket (the token stays out of URLs), no Origin.
            staff_url = f"{ws_base}/ws/staff/?ticket={{}}"
            agent = await Socket.open(staff_url.format(await asyncio.to_thread(new_ticket)))
            visitor = await Socket.open(f"{ws_base}/ws/visitor/?visitor_token={visitor_token}")

            mine = await post(visitor, room, "Where is my parcel?", "v-1")
            assert (await agent.message(mine["id"]))["text"] == "Where is my parcel?"
            reply = await post(agent, room, "Let me check.", "a-1")
            assert (await visitor.message(reply["id"]))["text"] == "Let me check."

            await visitor.send({"type": "typing", "room": room})
            assert (await agent.until("typing"))["data"]["author"]["type"] == "visitor"
            await agent.send({"type": "typing", "room": room})
            assert (await visitor.until("typing"))["data"]["author"]["type"] == "staff"

            # The agent's connection drops; the visitor keeps writing through REST.
            last_seen = reply["id"]
            await agent.close()
            missed = [await asyncio.to_thread(rest_post, f"meanwhile {i}", f"r-{i}") for i in range(3)]
            agent = await Socket.open(staff_url.format(await asyncio.to_thread(new_ticket)))  # a ticket works once
            await agent.send({"type": "sync", "rooms": {str(room): last_seen}})
            data = (await agent.until("sync.messages"))["data"]
            assert data["room"] == room and data["has_more"] is False
            assert [m["id"] for m in data["messages"]] == missed
            # Nothing arrives twice, and live delivery goes on.
            assert await agent.silent("message.created", 0.3) == []
            after = await post(visitor, room, "Still there?", "v-2")
            assert (await agent.message(after["id"]))["text"] == "Still there?"
            await agent.close()
            await visitor.close()

        asyncio.run(asyncio.wait_for(body(), 60))


# ---------------------------------------------------------------------------- production


def test_production_two_daphne_processes_share_postgres_and_redis(
    transactional_db: Any,
    processes: Processes,  # noqa: F811 - fixture
    settings: Any,
    make_staff: Callable[..., Staff],
    support: Tag,
    picked_up: Callable[..., Enquiry],
    tmp_path: Path,
) -> None:
    require_postgres()
    require_redis()
    agent = make_staff(tags=[support], name="Alice Agent")
    enquiry = picked_up(agent)
    visitor = enquiry.visitor
    room = enquiry.room.pk
    org_services.token_issue(staff=agent)  # a live session for the ticket below

    env = production_env(
        suite_redis_url(settings.REDIS_URL),
        CC_CHANNEL_PREFIX=f"e2e-{os.getpid()}",  # pub/sub ignores the database number
        CC_TIMERS="off",
        CC_MEDIA_ROOT=str(tmp_path / "media"),
        CC_LOG_LEVEL="WARNING",
    )
    a, b = Server(processes, env), Server(processes, env)
    a.start()
    b.start()
    assert a.port != b.port
    ticket = org_services.socket_ticket_issue(staff=agent)  # valid 30 s: made once the servers are up

    async def body() -> None:
        agent_sock = await Socket.open(f"ws://127.0.0.1:{a.port}/ws/staff/?ticket={ticket}")
        visitor_url = f"ws://127.0.0.1:{b.port}/ws/visitor/?visitor_token={visitor_token_for(visitor.pk)}"
        visitor_sock = await Socket.open(visitor_url)
        sent = await post(visitor_sock, room, "Across processes", "x-1")
        assert (await agent_sock.message(sent["id"]))["text"] == "Across processes"
        reply = await post(agent_sock, room, "Received", "x-2")
        assert (await visitor_sock.message(reply["id"]))["text"] == "Received"
        await visitor_sock.send({"type": "typing", "room": room})
        await agent_sock.until("typing")
        await agent_sock.close()
        await visitor_sock.close()

    asyncio.run(asyncio.wait_for(body(), 60))
