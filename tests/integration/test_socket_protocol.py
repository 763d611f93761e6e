"""Client messages over the sockets (contactcenter.gateway.consumers module docstring): message.post
with ack and idempotency, typing, read, sync after a reconnect, errors; and mass
connect/disconnect against the Redis channel layers."""

from __future__ import annotations

import asyncio
import copy
import os
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from channels_adapters.models import Channel
from contactcenter.gateway import consumers
from contactcenter.org import services as org_services
from contactcenter.org.events import room_group, staff_group, visitor_group
from contactcenter.org.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry, Visitor
from rooms import services as room_services
from rooms.models import Message, RoomMember
from tests.conftest import require_redis
from tests.integration.sockets import (
    aticket_for,
    connect_ok,
    created,
    disconnect_all,
    events_before_pong,
    receive_until,
    run,
    sockets,
    staff_socket,
    ticket_for,
    types_of,
    visitor_socket,
)


@pytest.fixture
def chat(agent: Staff, picked_up: Callable[..., Enquiry]) -> tuple[Staff, Visitor, Enquiry]:
    enquiry = picked_up(agent)
    return agent, enquiry.visitor, enquiry


@pytest.fixture
def stranger(make_visitor: Callable[..., Visitor], widget: Channel) -> Visitor:
    """A visitor with no part in the chat."""
    return make_visitor(widget)


def test_message_post_both_ways_with_ack_and_idempotency(chat: tuple[Staff, Visitor, Enquiry]) -> None:
    staff, visitor, enquiry = chat
    room_id = enquiry.room.pk

    async def body() -> None:
        staff_comm, visitor_comm = await sockets(staff, visitor)
        post = {"type": "message.post", "room": room_id, "text": "My parcel is late", "client_id": "v-1"}
        await visitor_comm.send_json_to(post)
        ack = await receive_until(visitor_comm, "message.ack")
        assert ack["data"]["client_id"] == "v-1"
        first = ack["data"]["message"]
        assert first["text"] == "My parcel is late" and first["author"]["type"] == "visitor"
        assert (await created(staff_comm, first["id"]))["text"] == "My parcel is late"

        # A retry (e.g. after a reconnect) returns the same message and announces nothing.
        await visitor_comm.send_json_to(post)
        again = await receive_until(visitor_comm, "message.ack")
        assert again["data"]["message"]["id"] == first["id"]
        assert "message.created" not in types_of(await events_before_pong(staff_comm))

        await staff_comm.send_json_to(
            {"type": "message.post", "room": room_id, "text": "Checking", "client_id": "s-1", "reply_to": first["id"]}
        )
        ack = await receive_until(staff_comm, "message.ack")
        assert ack["data"]["message"]["reply_to"] == first["id"]
        assert (await created(visitor_comm, ack["data"]["message"]["id"]))["text"] == "Checking"
        assert await database_sync_to_async(Message.objects.filter(room_id=room_id, client_id="v-1").count)() == 1
        await disconnect_all(staff_comm, visitor_comm)

    run(body)


def test_message_post_errors(chat: tuple[Staff, Visitor, Enquiry], stranger: Visitor) -> None:
    staff, visitor, enquiry = chat
    room_id = enquiry.room.pk

    async def body() -> None:
        staff_comm, visitor_comm = await sockets(staff, visitor)
        await visitor_comm.send_json_to({"type": "message.post", "room": room_id, "text": "  ", "client_id": "e-1"})
        error = await receive_until(visitor_comm, "error")
        assert error["data"]["status"] == 400 and error["data"]["client_id"] == "e-1"
        assert "text" in error["data"]["fields"]

        await visitor_comm.send_json_to({"type": "message.post", "room": 999999, "text": "x", "client_id": "e-2"})
        assert (await receive_until(visitor_comm, "error"))["data"]["status"] == 404

        await visitor_comm.send_json_to({"type": "message.post", "room": "abc", "text": "x"})
        assert (await receive_until(visitor_comm, "error"))["data"]["status"] == 400

        await visitor_comm.send_json_to({"type": "no.such"})
        assert (await receive_until(visitor_comm, "error"))["data"]["status"] == 400

        other = visitor_socket(visitor_token_for(stranger.pk))
        await connect_ok(other)
        await other.send_json_to({"type": "message.post", "room": room_id, "text": "Let me in", "client_id": "x"})
        error = await receive_until(other, "error")
        assert error["data"]["status"] == 403 and error["data"]["client_id"] == "x"
        await other.disconnect()

        await database_sync_to_async(enquiry_services.enquiry_leave)(actor=staff, enquiry_id=enquiry.pk)
        await staff_comm.send_json_to({"type": "message.post", "room": room_id, "text": "Too late", "client_id": "c"})
        assert (await receive_until(staff_comm, "error"))["data"]["status"] in (403, 409)
        await visitor_comm.send_json_to({"type": "message.post", "room": room_id, "text": "Hello?", "client_id": "d"})
        assert (await receive_until(visitor_comm, "error"))["data"]["status"] == 409
        # The socket survives refusals.
        await visitor_comm.send_json_to({"type": "ping"})
        await receive_until(visitor_comm, "pong")
        await disconnect_all(staff_comm, visitor_comm)

    run(body)


def test_typing_goes_to_the_other_side_rate_limited_and_only_for_visible_rooms(
    chat: tuple[Staff, Visitor, Enquiry],
    stranger: Visitor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An interval no slow machine takes longer than between two frames of this test: the
    # second typing of a socket is dropped for sure, not only when it comes within 1 s.
    monkeypatch.setattr(consumers, "TYPING_INTERVAL", 3600.0)
    staff, visitor, enquiry = chat
    room_id = enquiry.room.pk

    async def body() -> None:
        staff_comm, visitor_comm = await sockets(staff, visitor)
        await visitor_comm.send_json_to({"type": "typing", "room": room_id})
        event = await receive_until(staff_comm, "typing")
        author = {"type": "visitor", "id": visitor.pk, "name": visitor.display_name}
        assert event["data"] == {"room_id": room_id, "author": author}
        # A visitor's typing is not echoed to its own socket.
        assert "typing" not in types_of(await events_before_pong(visitor_comm))
        # Within the interval: dropped.
        await visitor_comm.send_json_to({"type": "typing", "room": room_id})
        assert "typing" not in types_of(await events_before_pong(staff_comm))

        await staff_comm.send_json_to({"type": "typing", "room": room_id})
        event = await receive_until(visitor_comm, "typing")
        assert event["data"]["author"] == {"type": "staff", "id": staff.pk, "name": "Alice Agent"}
        # Other staff in the room see it too (so does the sender: clients skip their own).
        echo = await receive_until(staff_comm, "typing")
        assert echo["data"]["author"]["id"] == staff.pk

        other = visitor_socket(visitor_token_for(stranger.pk))
        await connect_ok(other)
        await other.send_json_to({"type": "typing", "room": room_id})
        assert (await receive_until(other, "error"))["data"]["status"] == 403
        assert "typing" not in types_of(await events_before_pong(staff_comm))
        await disconnect_all(other, staff_comm, visitor_comm)

    run(body)


def test_read_is_for_staff(chat: tuple[Staff, Visitor, Enquiry]) -> None:
    staff, visitor, enquiry = chat
    room_id = enquiry.room.pk
    message = room_services.message_post(room_id=room_id, text="Hi", visitor=visitor)[0]

    async def body() -> None:
        staff_comm, visitor_comm = await sockets(staff, visitor)
        await staff_comm.send_json_to({"type": "read", "room": room_id, "message": message.pk})
        event = await receive_until(staff_comm, "read")
        assert event["data"] == {"room_id": room_id, "staff_id": staff.pk, "message_id": message.pk}
        await visitor_comm.send_json_to({"type": "read", "room": room_id, "message": message.pk})
        assert (await receive_until(visitor_comm, "error"))["data"]["status"] == 403
        await staff_comm.send_json_to({"type": "read", "room": room_id, "message": 999999})
        assert (await receive_until(staff_comm, "error"))["data"]["status"] == 400
        await disconnect_all(staff_comm, visitor_comm)

    run(body)


def test_sync_returns_exactly_what_was_missed(chat: tuple[Staff, Visitor, Enquiry], stranger: Visitor) -> None:
    staff, visitor, enquiry = chat
    room_id = enquiry.room.pk
    seen = room_services.message_post(room_id=room_id, text="seen", visitor=visitor)[0]
    missed = [room_services.message_post(room_id=room_id, text=f"m{i}", staff=staff)[0].pk for i in range(3)]
    with transaction.atomic():  # system_message_post expects its caller's transaction
        staff_note = room_services.system_message_post(room_id=room_id, text="internal", data={"visibility": "staff"})

    async def body() -> None:
        staff_comm, visitor_comm = await sockets(staff, visitor)
        await staff_comm.send_json_to({"type": "sync", "rooms": {str(room_id): seen.pk}})
        data = (await receive_until(staff_comm, "sync.messages"))["data"]
        assert data["room"] == room_id and data["has_more"] is False
        assert [m["id"] for m in data["messages"]] == [*missed, staff_note.pk]

        await visitor_comm.send_json_to({"type": "sync", "room": room_id, "after": seen.pk})
        data = (await receive_until(visitor_comm, "sync.messages"))["data"]
        assert [m["id"] for m in data["messages"]] == missed  # the staff-only note stays hidden

        other = visitor_socket(visitor_token_for(stranger.pk))
        await connect_ok(other)
        await other.send_json_to({"type": "sync", "room": room_id, "after": 0})
        error = await receive_until(other, "error")
        assert error["data"]["status"] == 403 and error["data"]["room"] == room_id
        await other.send_json_to({"type": "sync", "rooms": []})
        assert (await receive_until(other, "error"))["data"]["status"] == 400
        await disconnect_all(other, staff_comm, visitor_comm)

    run(body)


def test_watch_is_live_monitoring_for_admins_only(
    chat: tuple[Staff, Visitor, Enquiry], make_staff: Callable[..., Staff]
) -> None:
    staff, visitor, enquiry = chat
    room_id = enquiry.room.pk
    admin = make_staff(role=Staff.Role.ADMIN, name="Ada Admin")
    other_agent = make_staff(name="Other Agent")

    def read_state() -> list[tuple[int, int]]:
        return list(RoomMember.objects.filter(room_id=room_id).values_list("staff_id", "last_read_message_id"))

    before = read_state()

    async def body() -> None:
        staff_comm, visitor_comm = await sockets(staff, visitor)
        admin_comm, agent_comm = [
            staff_socket(await aticket_for(await database_sync_to_async(org_services.token_issue)(staff=s)))
            for s in (admin, other_agent)
        ]
        await connect_ok(admin_comm)
        await connect_ok(agent_comm)

        await agent_comm.send_json_to({"type": "watch", "room": room_id})
        error = await receive_until(agent_comm, "error")
        assert error["data"]["request"] == "watch" and error["data"]["status"] == 403
        assert error["data"]["room"] == room_id
        await admin_comm.send_json_to({"type": "watch", "room": 999999})
        assert (await receive_until(admin_comm, "error"))["data"]["status"] == 404
        await admin_comm.send_json_to({"type": "watch", "room": "x"})
        assert (await receive_until(admin_comm, "error"))["data"]["status"] == 400

        await admin_comm.send_json_to({"type": "watch", "room": room_id})
        assert (await receive_until(admin_comm, "watching"))["data"] == {"room": room_id}
        await visitor_comm.send_json_to({"type": "message.post", "room": room_id, "text": "Watched?", "client_id": "w"})
        message_id = (await receive_until(visitor_comm, "message.ack"))["data"]["message"]["id"]
        assert (await created(admin_comm, message_id))["text"] == "Watched?"
        assert await events_before_pong(agent_comm) == []  # not watching, not a member

        await admin_comm.send_json_to({"type": "unwatch", "room": room_id})
        assert (await receive_until(admin_comm, "unwatching"))["data"] == {"room": room_id}
        await visitor_comm.send_json_to({"type": "message.post", "room": room_id, "text": "Gone", "client_id": "g"})
        gone_id = (await receive_until(visitor_comm, "message.ack"))["data"]["message"]["id"]
        await created(staff_comm, gone_id)
        assert "message.created" not in types_of(await events_before_pong(admin_comm))
        for comm in (staff_comm, visitor_comm, admin_comm, agent_comm):
            await comm.disconnect()

    run(body)
    # Watching makes nobody a member and moves no read marker.
    assert read_state() == before
    assert not RoomMember.objects.filter(room_id=room_id, staff=admin).exists()


# ------------------------------------------------------------------ mass connect/disconnect

MASS = 300


@pytest.fixture(params=["pubsub", "core"])
def redis_layer(request: Any, transactional_db: Any, settings: Any) -> str:
    """The production channel layer (settings.CHANNEL_LAYERS for CC_CHANNEL_LAYER), with a
    prefix of this run's own."""
    require_redis()
    prefix = f"asgi-mass-{os.getpid()}"
    if request.param == "pubsub":
        config: dict[str, Any] = {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [settings.REDIS_URL], "prefix": prefix},
        }
    else:
        config = {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": settings.REDIS_URL, "max_connections": settings.CC_REDIS_MAX_CONNECTIONS}],
                "capacity": 1000,
                "expiry": 30,
                "prefix": prefix,
            },
        }
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    layers["default"] = config
    settings.CHANNEL_LAYERS = layers
    return str(request.param)


async def _group_sizes(kind: str, groups: list[str]) -> dict[str, int]:
    from django.conf import settings
    from redis import asyncio as aioredis

    layer: Any = get_channel_layer()
    client = aioredis.Redis.from_url(settings.REDIS_URL)
    try:
        if kind == "pubsub":
            loop_layer = layer._get_layer()
            names = [loop_layer._get_group_channel_name(g) for g in groups]
            local = {g: len(loop_layer.groups.get(n, ())) for g, n in zip(groups, names, strict=True)}
            subscribers = dict(await client.pubsub_numsub(*names))
            return {g: local[g] + int(subscribers.get(n.encode(), 0)) for g, n in zip(groups, names, strict=True)}
        return {g: int(await client.zcard(layer._group_key(g))) for g in groups}
    finally:
        await client.aclose()


def test_mass_connect_and_disconnect_leave_no_members(redis_layer: str, agent: Staff, support: Tag) -> None:
    """300 sockets connect and disconnect at once: every group_add/discard succeeds (no pool
    exhaustion) and the groups are empty afterwards."""
    token = org_services.token_issue(staff=agent)
    tickets = [ticket_for(token) for _ in range(MASS // 10)]
    # Visitor sockets are checked against their visitor's row (revoked tokens): real ones.
    visitors = [enquiry_services.visitor_create(fields={"first_name": f"V{i}"}) for i in range(MASS - len(tickets))]
    room = room_group(424242)

    async def body() -> None:
        staff_comms = [staff_socket(t) for t in tickets]
        visitor_comms = [visitor_socket(visitor_token_for(v.pk)) for v in visitors]
        comms = staff_comms + visitor_comms
        results = await asyncio.wait_for(asyncio.gather(*(c.connect(timeout=30) for c in comms)), 60)
        assert all(ok for ok, _ in results), [code for ok, code in results if not ok][:5]
        hellos = await asyncio.gather(*(c.receive_json_from(timeout=30) for c in comms))
        assert {h["type"] for h in hellos} == {"hello"}
        groups = [staff_group(agent.pk), visitor_group(visitors[0].pk), visitor_group(visitors[-1].pk)]
        sizes = await _group_sizes(redis_layer, groups)
        assert sizes[groups[0]] >= 1 and sizes[groups[1]] >= 1, sizes

        # A group_send reaches every staff socket (all in one group).
        layer: Any = get_channel_layer()
        event = {"type": "ping.test", "data": {}}
        await layer.group_send(staff_group(agent.pk), {"type": "event.forward", "event": event})
        got = await asyncio.gather(*(c.receive_json_from(timeout=10) for c in staff_comms))
        assert all(g == event for g in got)

        await asyncio.wait_for(asyncio.gather(*(c.disconnect(timeout=30) for c in comms)), 60)
        assert await _group_sizes(redis_layer, [*groups, room]) == dict.fromkeys([*groups, room], 0)

    run(body)


def test_a_deadlock_on_a_socket_request_answers_409(
    chat: tuple[Staff, Visitor, Enquiry], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deadlock that still happens (PostgreSQL aborted the transaction) is a lost race:
    the client gets a 409 error frame, not a 500 one, and the socket stays usable."""
    from django.db import OperationalError

    staff, visitor, enquiry = chat
    room_id = enquiry.room.pk
    message = room_services.message_post(room_id=room_id, text="Hi", visitor=visitor)[0]

    class Deadlock(Exception):
        pgcode = "40P01"  # deadlock_detected, as psycopg reports it

    def deadlocked(**kwargs: Any) -> None:
        raise OperationalError("deadlock detected") from Deadlock("deadlock detected")

    monkeypatch.setattr(room_services, "room_mark_read", deadlocked)

    async def body() -> None:
        staff_comm, visitor_comm = await sockets(staff, visitor)
        await staff_comm.send_json_to({"type": "read", "room": room_id, "message": message.pk})
        error = (await receive_until(staff_comm, "error"))["data"]
        assert (error["status"], error["request"]) == (409, "read")
        await staff_comm.send_json_to({"type": "ping"})
        await receive_until(staff_comm, "pong")
        await disconnect_all(staff_comm, visitor_comm)

    run(body)
