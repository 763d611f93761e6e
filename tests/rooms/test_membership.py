"""rooms.services.room_member_add/room_member_remove: the one way in and out of a room,
each announced by one room.member_* event."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contactcenter.org.models import Staff
from rooms import services as room_services
from rooms import spaces
from rooms.models import RoomMember


def test_add_announces_a_new_member_once(events: Any, make_staff: Callable[..., Staff]) -> None:
    owner, agent = make_staff(name="Olive Owner"), make_staff(name="Alice Agent")
    room = spaces.space_create(actor=owner, name="Ops")
    events.flush()
    before = len(events.of_type("room.member_joined"))
    member = room_services.room_member_add(room=room, staff=agent, also=["admins"])
    assert member.role == RoomMember.Role.PARTICIPANT
    joined = events.of_type("room.member_joined")[before:]
    assert joined == [
        (
            ["admins", f"room.{room.pk}", f"staff.{agent.pk}"],
            {
                "type": "room.member_joined",
                "data": {"room_id": room.pk, "staff_id": agent.pk, "staff_name": "Alice Agent", "enquiry_id": None},
            },
        )
    ]
    # Again, or with a new role: no second event; an existing member's role is kept
    # unless one is given.
    room_services.room_member_add(room=room, staff=agent)
    room_services.room_member_add(room=room, staff=agent, role=RoomMember.Role.OWNER)
    assert len(events.of_type("room.member_joined")) == before + 1
    assert RoomMember.objects.get(room=room, staff=agent).role == RoomMember.Role.OWNER
    room_services.room_member_add(room=room, staff=agent)
    assert RoomMember.objects.get(room=room, staff=agent).role == RoomMember.Role.OWNER


def test_remove_announces_the_leave_once(events: Any, make_staff: Callable[..., Staff]) -> None:
    owner, agent = make_staff(), make_staff()
    room = spaces.space_create(actor=owner, name="Ops", members=[agent.pk])
    removed = room_services.room_member_remove(room=room, staff_id=agent.pk)
    assert removed is not None and not RoomMember.objects.filter(room=room, staff=agent).exists()
    assert room_services.room_member_remove(room=room, staff_id=agent.pk) is None
    assert events.of_type("room.member_left") == [
        (
            [f"room.{room.pk}", f"staff.{agent.pk}"],
            {"type": "room.member_left", "data": {"room_id": room.pk, "staff_id": agent.pk}},
        )
    ]
