"""Messages over sockets are limited per visitor and per staff member (issue 10), however
many sockets they open: past the limit that post alone gets an error answer (429,
``rate_limited``, ``retry_after``), is never queued for the socket writer, and nothing is
stored; the socket stays open and later posts go through."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.core.cache import caches
from rest_framework.test import APIClient

from contactcenter.gateway import socket_writer
from contactcenter.org import services as org_services
from contactcenter.org.models import Staff
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry
from rooms.models import Message
from tests.integration.sockets import (
    aticket_for,
    connect_ok,
    disconnect_all,
    receive_until,
    run,
    staff_socket,
    visitor_socket,
)

# Committed data (the services run on other threads), socket threads closed afterwards.
pytestmark = pytest.mark.usefixtures("ws")


@pytest.fixture(autouse=True)
def _limits(settings: Any, clock: Any) -> Iterator[Any]:
    settings.CC_VISITOR_MESSAGE_RATE = "4/10s"
    settings.CC_STAFF_MESSAGE_RATE = "3/10s"
    local = caches["default"]
    assert local.__class__.__name__ == "LocMemCache"  # never clear() a shared Redis
    local.clear()
    yield clock
    local.clear()


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Texts of the posts handed to the socket writer."""
    texts: list[str] = []
    original = socket_writer.writer.submit

    def submit(request: Any, *args: Any, **kwargs: Any) -> Any:
        texts.append(request.text)
        return original(request, *args, **kwargs)

    monkeypatch.setattr(socket_writer.writer, "submit", submit)
    return texts


def _count(room_id: int) -> int:
    return Message.objects.filter(room_id=room_id).count()


async def _post(comm: Any, room_id: int, text: str) -> dict[str, Any]:
    await comm.send_json_to({"type": "message.post", "room": room_id, "text": text, "client_id": text})
    while True:
        event = await comm.receive_json_from(timeout=5)
        if event["type"] in ("message.ack", "error"):
            return event


def test_visitor_posts_are_limited_across_sockets(
    agent: Staff, picked_up: Callable[..., Enquiry], queued: list[str], _limits: Any
) -> None:
    enquiry = picked_up(agent)
    visitor = enquiry.visitor
    room_id = enquiry.room.pk
    token = visitor_token_for(visitor.pk)

    async def body() -> None:
        sockets = [visitor_socket(token) for _ in range(3)]
        for comm in sockets:
            await connect_ok(comm)
        for n in range(4):
            assert (await _post(sockets[n % 3], room_id, f"m{n}"))["type"] == "message.ack"
        before = await database_sync_to_async(_count)(room_id)
        for n, comm in enumerate(sockets):  # every socket of this visitor is over the limit
            refused = await _post(comm, room_id, f"flood{n}")
            assert refused["type"] == "error"
            data = refused["data"]
            assert data["request"] == "message.post" and data["status"] == 429
            assert data["code"] == "rate_limited" and data["retry_after"] == 10
            assert data["client_id"] == f"flood{n}"
            assert data["detail"] == "You are sending messages too fast. Wait 10 seconds and try again."
        assert await database_sync_to_async(_count)(room_id) == before
        assert queued == ["m0", "m1", "m2", "m3"]  # refused posts never reached the writer
        # The socket stays open; the next window takes posts again.
        await comm.send_json_to({"type": "ping"})
        await receive_until(comm, "pong")
        _limits.advance(10)
        assert (await _post(sockets[0], room_id, "later"))["type"] == "message.ack"
        for comm in sockets:
            await comm.disconnect()

    run(body)


def test_staff_posts_are_limited_per_account_across_sockets_and_rest(
    agent: Staff, picked_up: Callable[..., Enquiry]
) -> None:
    enquiry = picked_up(agent)
    visitor = enquiry.visitor
    room_id = enquiry.room.pk
    token = org_services.token_issue(staff=agent)

    async def body() -> None:
        comm = staff_socket(await aticket_for(token))
        await connect_ok(comm)
        assert (await _post(comm, room_id, "s1"))["type"] == "message.ack"
        assert (await _post(comm, room_id, "s2"))["type"] == "message.ack"
        # REST counts against the same limit (the same token: one login per staff member).
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        r = await database_sync_to_async(client.post)(
            f"/api/v1/rooms/{room_id}/messages", {"text": "rest"}, format="json"
        )
        assert r.status_code == 201
        refused = await _post(comm, room_id, "s3")
        assert refused["type"] == "error" and refused["data"]["status"] == 429
        # The visitor of the room is not affected by the agent's limit.
        visitor_comm = visitor_socket(visitor_token_for(visitor.pk))
        await connect_ok(visitor_comm)
        assert (await _post(visitor_comm, room_id, "v1"))["type"] == "message.ack"
        await disconnect_all(comm, visitor_comm)

    run(body)
