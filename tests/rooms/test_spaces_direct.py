"""Direct rooms and spaces (SPEC 2, 4): services and their API."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized
from rooms import spaces
from rooms.models import Room, RoomMember
from tests.conftest import require_postgres


def _members(room):
    return dict(RoomMember.objects.filter(room=room).values_list("staff_id", "role"))


# ---------------------------------------------------------------------------- direct rooms


def test_direct_room_created_once_per_pair(ann, bob, events):
    room, created = spaces.direct_room_open(actor=ann, staff=bob.pk)
    assert created and room.kind == Room.Kind.DIRECT
    assert room.direct_key == f"{min(ann.pk, bob.pk)}:{max(ann.pk, bob.pk)}"
    assert set(_members(room)) == {ann.pk, bob.pk}
    joined = events.of_type("room.member_joined")
    assert joined and f"staff.{bob.pk}" in joined[0][0]
    # The creator's sockets are told as well, so they join the room's group.
    assert any(f"staff.{ann.pk}" in groups for groups, _ in joined)
    again, created_again = spaces.direct_room_open(actor=bob, staff=ann)
    assert again.pk == room.pk and not created_again
    assert Room.objects.filter(kind=Room.Kind.DIRECT).count() == 1


def test_direct_room_refusals(ann, make_staff):
    with pytest.raises(InvalidInput):
        spaces.direct_room_open(actor=ann, staff=ann.pk)
    with pytest.raises(InvalidInput):
        spaces.direct_room_open(actor=ann, staff=999_999)
    gone = make_staff()
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    with pytest.raises(InvalidInput):
        spaces.direct_room_open(actor=ann, staff=gone.pk)


@pytest.mark.django_db(transaction=True)
def test_direct_room_race_makes_one_room(make_staff):
    require_postgres()
    a, b = make_staff(), make_staff()
    results, errors = [], []
    barrier = threading.Barrier(6)

    def open_it(i):
        try:
            barrier.wait()
            results.append(spaces.direct_room_open(actor=a if i % 2 else b, staff=b if i % 2 else a))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_it, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({room.pk for room, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Room.objects.filter(kind=Room.Kind.DIRECT).count() == 1


def test_direct_api(api, ann, bob):
    client = api(ann)
    r = client.post("/api/v1/rooms/direct", {"staff": bob.pk}, format="json")
    assert r.status_code == 201, r.content
    assert r.json()["kind"] == "direct" and r.json()["contact"]["name"] == "Bob Builder"
    again = client.post("/api/v1/rooms/direct", {"staff": bob.pk}, format="json")
    assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
    bad = client.post("/api/v1/rooms/direct", {"staff": "x"}, format="json")
    assert bad.status_code == 400 and "staff" in bad.json()
    me = client.post("/api/v1/rooms/direct", {"staff": ann.pk}, format="json")
    assert me.status_code == 400


# ---------------------------------------------------------------------------- spaces


def test_space_create_with_members(ann, bob, cat, events):
    room = spaces.space_create(
        actor=ann, name="  Launch  ", description="Plans", is_private=True, members=[bob.pk, cat.pk, ann.pk, bob.pk]
    )
    assert room.kind == Room.Kind.SPACE and room.name == "Launch" and room.is_private
    assert _members(room) == {ann.pk: "owner", bob.pk: "participant", cat.pk: "participant"}
    groups = [g for g, _ in events.of_type("room.member_joined")]
    assert {f"staff.{bob.pk}", f"staff.{cat.pk}", f"staff.{ann.pk}"} <= {x for g in groups for x in g}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": "ok", "description": "d" * 2001}, "description"),
        ({"name": "ok", "members": [999_999]}, "members"),
        ({"name": "ok", "members": ["1"]}, "members"),
        ({"name": "ok", "is_private": "yes"}, "is_private"),
    ],
)
def test_space_create_bad_input(ann, kwargs, field):
    with pytest.raises(InvalidInput) as info:
        spaces.space_create(actor=ann, **kwargs)
    assert field in info.value.fields
    assert not Room.objects.exists()


def test_space_update_by_owner_or_admin_only(ann, bob, admin):
    room = spaces.space_create(actor=ann, name="Team", members=[bob.pk])
    with pytest.raises(NotAuthorized):
        spaces.space_update(actor=bob, room_id=room.pk, changes={"name": "Mine"})
    spaces.space_update(actor=ann, room_id=room.pk, changes={"name": "Team 2", "description": "All of us"})
    spaces.space_update(actor=admin, room_id=room.pk, changes={"is_private": True})
    room.refresh_from_db()
    assert (room.name, room.description, room.is_private) == ("Team 2", "All of us", True)
    with pytest.raises(InvalidInput):
        spaces.space_update(actor=ann, room_id=room.pk, changes={"kind": "direct"})


def test_space_only_operations_refuse_other_rooms(ann, bob):
    direct, _ = spaces.direct_room_open(actor=ann, staff=bob)
    with pytest.raises(Conflict):
        spaces.space_update(actor=ann, room_id=direct.pk, changes={"name": "x"})
    with pytest.raises(Conflict):
        spaces.space_member_add(actor=ann, room_id=direct.pk, staff=bob.pk)


def test_public_space_join_and_invite(ann, bob, cat, events):
    room = spaces.space_create(actor=ann, name="Lobby")
    spaces.space_join(actor=bob, room_id=room.pk)
    assert _members(room)[bob.pk] == "participant"
    # Any member of a public space may invite.
    spaces.space_member_add(actor=bob, room_id=room.pk, staff=cat.pk)
    assert cat.pk in _members(room)
    # Joining twice changes nothing.
    spaces.space_join(actor=bob, room_id=room.pk)
    assert RoomMember.objects.filter(room=room).count() == 3


def test_private_space_by_invitation_only(ann, bob, cat, admin):
    room = spaces.space_create(actor=ann, name="Secret", is_private=True, members=[bob.pk])
    with pytest.raises(NotAuthorized):
        spaces.space_join(actor=cat, room_id=room.pk)
    with pytest.raises(NotAuthorized):
        spaces.space_join(actor=admin, room_id=room.pk)
    # A participant may not invite into a private space; the owner may.
    with pytest.raises(NotAuthorized):
        spaces.space_member_add(actor=bob, room_id=room.pk, staff=cat.pk)
    spaces.space_member_add(actor=ann, room_id=room.pk, staff=cat.pk)
    assert cat.pk in _members(room)


def test_member_remove_and_leave(ann, bob, cat, events):
    room = spaces.space_create(actor=ann, name="Crew", members=[bob.pk, cat.pk])
    with pytest.raises(NotAuthorized):
        spaces.space_member_remove(actor=bob, room_id=room.pk, staff_id=cat.pk)
    spaces.space_member_remove(actor=ann, room_id=room.pk, staff_id=cat.pk)
    assert cat.pk not in _members(room)
    left = events.of_type("room.member_left")
    assert left[-1][1]["data"] == {"room_id": room.pk, "staff_id": cat.pk}
    assert f"staff.{cat.pk}" in left[-1][0]
    # The owner leaving hands ownership to the longest-standing member.
    spaces.space_member_remove(actor=ann, room_id=room.pk, staff_id=ann.pk)
    assert _members(room) == {bob.pk: "owner"}


def test_spaces_api(api, ann, bob, cat):
    a, b, c = api(ann), api(bob), api(cat)
    r = a.post(
        "/api/v1/rooms/spaces",
        {"name": "Ops", "description": "Night shift", "is_private": False, "members": [bob.pk]},
        format="json",
    )
    assert r.status_code == 201, r.content
    room_id = r.json()["id"]
    assert r.json()["name"] == "Ops" and r.json()["description"] == "Night shift"
    assert {m["id"]: m["role"] for m in r.json()["members"]} == {ann.pk: "owner", bob.pk: "participant"}

    assert a.post("/api/v1/rooms/spaces", {"name": ""}, format="json").status_code == 400
    assert b.patch(f"/api/v1/rooms/{room_id}", {"name": "Hijack"}, format="json").status_code == 403
    r = a.patch(f"/api/v1/rooms/{room_id}", {"name": "Ops 2", "is_private": True}, format="json")
    assert r.status_code == 200 and r.json()["name"] == "Ops 2" and r.json()["is_private"] is True

    assert c.post(f"/api/v1/rooms/{room_id}/join").status_code == 403
    assert c.get(f"/api/v1/rooms/{room_id}").status_code == 403
    r = a.post(f"/api/v1/rooms/{room_id}/members", {"staff": cat.pk}, format="json")
    assert r.status_code == 200 and cat.pk in {m["id"] for m in r.json()["members"]}
    assert c.get(f"/api/v1/rooms/{room_id}").status_code == 200

    assert b.delete(f"/api/v1/rooms/{room_id}/members/{cat.pk}").status_code == 403
    assert a.delete(f"/api/v1/rooms/{room_id}/members/{cat.pk}").status_code == 204
    assert a.delete(f"/api/v1/rooms/{room_id}/members/{cat.pk}").status_code == 404
    assert c.get(f"/api/v1/rooms/{room_id}").status_code == 403

    a.patch(f"/api/v1/rooms/{room_id}", {"is_private": False}, format="json")
    r = c.post(f"/api/v1/rooms/{room_id}/join")
    assert r.status_code == 200 and r.json()["me"]["role"] == "participant"
    assert c.post("/api/v1/rooms/999999/join").status_code == 404


def test_existing_messages_route_still_resolves(api, ann, bob):
    """rooms/<id>/messages (rooms/api.py) is not shadowed by rooms/<id>."""
    room = spaces.space_create(actor=ann, name="Chat", members=[bob.pk])
    client = api(ann)
    r = client.post(f"/api/v1/rooms/{room.pk}/messages", {"text": "hi"}, format="json")
    assert r.status_code == 201
    assert client.get(f"/api/v1/rooms/{room.pk}/messages").json()["results"][0]["text"] == "hi"
