"""Room membership reaches open staff sockets through ``room.member_joined`` and
``room.member_left`` alone (rooms.services.room_member_add/room_member_remove): each way of
becoming a member gives the socket the room's messages live, and leaving stops them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async

from contactcenter.org import services as org_services
from contactcenter.org.models import Staff, Tag
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from rooms import services as room_services
from rooms import spaces
from tests.integration.sockets import aticket_for, connect_ok, receive_until, run, staff_socket

JOIN_WAYS = [
    "pick_up",
    "transfer_accepted",
    "join",
    "take_over",
    "space_create",
    "space_member_add",
    "space_join",
    "direct",
]


@pytest.fixture
def people(ws: None, make_staff: Callable[..., Staff], support: Tag) -> dict[str, Staff]:
    return {
        "owner": make_staff(tags=[support], name="Olive Owner"),
        "agent": make_staff(tags=[support], name="Alice Agent"),
        "admin": make_staff(role=Staff.Role.ADMIN, name="Ada Admin"),
    }


def _post(room_id: int, text: str, author: Staff) -> None:
    room_services.message_post(room_id=room_id, text=text, staff=author)


@pytest.mark.parametrize("way", JOIN_WAYS)
def test_each_way_in_gives_the_socket_the_rooms_messages(
    way: str, people: dict[str, Staff], picked_up: Callable[..., Enquiry]
) -> None:
    owner, agent, admin = people["owner"], people["agent"], people["admin"]
    me = admin if way in ("join", "take_over") else agent
    token = org_services.token_issue(staff=me)
    enquiry_id = picked_up(people["owner"]).pk if way in ("transfer_accepted", "join", "take_over") else 0
    if way == "transfer_accepted":
        enquiry_services.enquiry_transfer(actor=owner, enquiry_id=enquiry_id, to_staff=agent)

    def become_member() -> int:
        if way == "pick_up":
            return picked_up(agent, message="Hi").room.pk
        if way == "transfer_accepted":
            return enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry_id).room.pk
        if way == "join":
            return enquiry_services.enquiry_join(actor=admin, enquiry_id=enquiry_id).room.pk
        if way == "take_over":
            return enquiry_services.enquiry_take_over(actor=admin, enquiry_id=enquiry_id).room.pk
        if way == "space_create":
            return spaces.space_create(actor=owner, name="Ops", members=[agent.pk]).pk
        if way == "space_member_add":
            room = spaces.space_create(actor=owner, name="Ops")
            spaces.space_member_add(actor=owner, room_id=room.pk, staff=agent)
            return room.pk
        if way == "space_join":
            room = spaces.space_create(actor=owner, name="Ops")
            spaces.space_join(actor=agent, room_id=room.pk)
            return room.pk
        assert way == "direct"
        return spaces.direct_room_open(actor=owner, staff=agent)[0].pk

    async def body() -> None:
        comm = staff_socket(await aticket_for(token))
        await connect_ok(comm)
        room_id = await database_sync_to_async(become_member)()
        joined = await receive_until(comm, "room.member_joined")
        while joined["data"]["staff_id"] != me.pk:  # a direct room announces both members
            joined = await receive_until(comm, "room.member_joined")
        assert joined["data"]["room_id"] == room_id
        await database_sync_to_async(_post)(room_id, "live to the new member", me)
        event = await receive_until(comm, "message.created")
        while event["data"]["message"]["text"] != "live to the new member":
            event = await receive_until(comm, "message.created")
        await comm.disconnect()

    run(body)


LEAVE_WAYS = ["enquiry_leave", "space_leave", "space_removed", "transferred_away"]


@pytest.mark.parametrize("way", LEAVE_WAYS)
def test_leaving_stops_the_rooms_messages(
    way: str, people: dict[str, Staff], picked_up: Callable[..., Enquiry]
) -> None:
    owner, agent, admin = people["owner"], people["agent"], people["admin"]
    me = {"enquiry_leave": admin, "transferred_away": owner}.get(way, agent)
    # A room the socket keeps following: its message after the leave is the positive event.
    marker_room = spaces.direct_room_open(actor=me, staff=agent if me == owner else owner)[0].pk
    if way in ("enquiry_leave", "transferred_away"):
        enquiry_id = picked_up(people["owner"]).pk
        if way == "transferred_away":
            room_id = enquiry_services.enquiry_transfer(
                actor=owner, enquiry_id=enquiry_id, to_staff=agent
            ).enquiry.room.pk
        else:
            room_id = enquiry_services.enquiry_join(actor=admin, enquiry_id=enquiry_id).room.pk
    else:
        room_id = spaces.space_create(actor=owner, name="Ops", members=[agent.pk]).pk
        enquiry_id = 0
    token = org_services.token_issue(staff=me)
    other = agent if me == owner else owner  # the other member of the marker room

    def leave() -> None:
        if way == "enquiry_leave":
            enquiry_services.enquiry_leave(actor=admin, enquiry_id=enquiry_id)
        elif way == "space_leave":
            spaces.space_member_remove(actor=agent, room_id=room_id, staff_id=agent.pk)
        elif way == "space_removed":
            spaces.space_member_remove(actor=owner, room_id=room_id, staff_id=agent.pk)
        else:
            enquiry_services.enquiry_pick_up(actor=agent, enquiry_id=enquiry_id)

    def post(room: int, text: str, author: Staff) -> None:
        room_services.message_post(room_id=room, text=text, staff=author)

    async def body() -> None:
        comm = staff_socket(await aticket_for(token))
        await connect_ok(comm)
        await database_sync_to_async(post)(room_id, "before", owner)
        event = await receive_until(comm, "message.created")
        assert event["data"]["message"]["text"] == "before"
        await database_sync_to_async(leave)()
        left = await receive_until(comm, "room.member_left")
        assert left["data"] == {"room_id": room_id, "staff_id": me.pk}
        # After the transfer the owner is out: the new owner writes.
        await database_sync_to_async(post)(room_id, "after", agent if way == "transferred_away" else owner)
        await database_sync_to_async(post)(marker_room, "marker", other)
        texts: list[str] = []
        while not texts or texts[-1] != "marker":
            texts.append((await receive_until(comm, "message.created"))["data"]["message"]["text"])
        assert "after" not in texts
        await comm.disconnect()

    run(body)
