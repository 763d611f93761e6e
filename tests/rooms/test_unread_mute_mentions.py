"""Unread counts, the room list, mute modes, mentions and should_notify (SPEC 4)."""

from __future__ import annotations

import pytest

from contactcenter.org.errors import InvalidInput, NotAuthorized, NotFound
from enquiries import services as enquiry_services
from rooms import spaces
from rooms.mentions import mentions_parse
from rooms.models import Message, RoomMember
from rooms.selectors import room_memberships, room_unread_count, rooms_with_unread, should_notify
from rooms.services import message_post, message_recall, room_mark_read, system_message_post


def _member(room, staff):
    return RoomMember.objects.get(room=room, staff=staff)


# ---------------------------------------------------------------------------- unread


def test_unread_counts_others_messages_after_the_marker(ann, bob):
    room = spaces.space_create(actor=ann, name="Team", members=[bob.pk])
    m1, _ = message_post(room_id=room.pk, text="one", staff=ann)
    message_post(room_id=room.pk, text="two", staff=ann)
    message_post(room_id=room.pk, text="mine", staff=bob)
    # System messages in a space are notices, not unread.
    system_message_post(room_id=room.pk, text="Bob joined")
    assert room_unread_count(_member(room, bob)) == 2
    assert room_unread_count(_member(room, ann)) == 1
    room_mark_read(room_id=room.pk, staff=bob, message_id=m1.pk)
    assert room_unread_count(_member(room, bob)) == 1


def test_recalled_messages_are_not_unread(ann, bob):
    room = spaces.space_create(actor=ann, name="Team", members=[bob.pk])
    m, _ = message_post(room_id=room.pk, text="oops", staff=ann)
    assert room_unread_count(_member(room, bob)) == 1
    message_recall(message_id=m.pk, staff=ann)
    assert room_unread_count(_member(room, bob)) == 0


def test_enquiry_room_counts_visitor_and_system_messages(open_enquiry, make_staff, support):
    owner = make_staff(tags=[support])
    e = open_enquiry(message="Hello?")
    enquiry_services.enquiry_pick_up(actor=owner, enquiry_id=e.pk)
    e.refresh_from_db()
    room = e.room
    member = _member(room, owner)
    expected = room.messages.exclude(author_staff=owner).count()
    assert expected >= 1  # the visitor's first message and the bot messages
    assert room_unread_count(member) == expected
    message_post(room_id=room.pk, text="More", visitor=e.visitor)
    system_message_post(room_id=room.pk, text="Staff note", data={"visibility": "staff"})
    assert room_unread_count(member) == expected + 2
    member = room_mark_read(room_id=room.pk, staff=owner, message_id=room.messages.last().pk)
    assert room_unread_count(member) == 0


def test_room_list_order_unread_and_badge(ann, bob, cat, clock, django_assert_max_num_queries):
    first = spaces.space_create(actor=ann, name="First", members=[bob.pk])
    direct, _ = spaces.direct_room_open(actor=bob, staff=cat)
    empty = spaces.space_create(actor=bob, name="Empty")
    message_post(room_id=first.pk, text="old", staff=ann)
    clock.advance(60)
    message_post(room_id=direct.pk, text="new", staff=cat)
    message_post(room_id=direct.pk, text="newer", staff=cat)

    with django_assert_max_num_queries(3):
        members = list(room_memberships(bob))
    assert [m.room_id for m in members] == [direct.pk, first.pk, empty.pk]
    assert [m.unread for m in members] == [2, 1, 0]  # type: ignore[attr-defined]
    assert rooms_with_unread(bob) == 2
    assert rooms_with_unread(ann) == 0


def test_rooms_api_list_unread_and_read(api, ann, bob, cat):
    direct, _ = spaces.direct_room_open(actor=bob, staff=cat)
    space = spaces.space_create(actor=ann, name="Ops", members=[bob.pk])
    m1, _ = message_post(room_id=space.pk, text="hello", staff=ann)
    m2, _ = message_post(room_id=direct.pk, text="hi Bob", staff=cat)
    b = api(bob)
    r = b.get("/api/v1/rooms")
    assert r.status_code == 200
    rows = r.json()["results"]
    assert [row["id"] for row in rows] == [direct.pk, space.pk]
    assert rows[0]["title"] == "Cat Carter" and rows[0]["other"]["id"] == cat.pk and rows[0]["unread"] == 1
    assert rows[1]["title"] == "Ops" and rows[1]["unread"] == 1
    assert b.get("/api/v1/rooms/unread").json() == {"rooms_with_unread": 2}

    r = b.post(f"/api/v1/rooms/{direct.pk}/read", {"message": m2.pk}, format="json")
    assert r.status_code == 200 and r.json()["unread"] == 0 and r.json()["last_read_message_id"] == m2.pk
    assert b.get("/api/v1/rooms/unread").json() == {"rooms_with_unread": 1}
    # A message of another room is refused; a non-member is refused.
    assert b.post(f"/api/v1/rooms/{direct.pk}/read", {"message": m1.pk}, format="json").status_code == 400
    assert api(ann).post(f"/api/v1/rooms/{direct.pk}/read", {"message": m2.pk}, format="json").status_code == 403
    assert b.post(f"/api/v1/rooms/{direct.pk}/read", {}, format="json").status_code == 400


# ---------------------------------------------------------------------------- mute


def test_membership_mute_modes(ann, bob, admin):
    room = spaces.space_create(actor=ann, name="Noisy", members=[bob.pk])
    member = spaces.room_membership_update(actor=bob, room_id=room.pk, mute="mentions")
    assert member.mute == "mentions" and _member(room, bob).mute == "mentions"
    with pytest.raises(InvalidInput):
        spaces.room_membership_update(actor=bob, room_id=room.pk, mute="loud")
    with pytest.raises(NotAuthorized):
        spaces.room_membership_update(actor=admin, room_id=room.pk, mute="mute")
    with pytest.raises(NotFound):
        spaces.room_membership_update(actor=bob, room_id=999_999, mute="mute")


def test_membership_api(api, ann, bob):
    room = spaces.space_create(actor=ann, name="Noisy", members=[bob.pk])
    b = api(bob)
    r = b.patch(f"/api/v1/rooms/{room.pk}/membership", {"mute": "mute"}, format="json")
    assert r.status_code == 200 and r.json()["mute"] == "mute"
    assert b.patch(f"/api/v1/rooms/{room.pk}/membership", {"mute": "x"}, format="json").status_code == 400
    assert b.get(f"/api/v1/rooms/{room.pk}").json()["me"]["mute"] == "mute"


# ---------------------------------------------------------------------------- mentions


def test_mentions_parse_names_local_parts_and_all(ann, bob, cat, make_staff):
    ann_lee = make_staff(name="Ann Agent Lee", email="lee@example.com")
    outsider = make_staff(name="Olga Outside", email="olga@example.com")
    room = spaces.space_create(actor=ann, name="Team", members=[bob.pk, cat.pk, ann_lee.pk])

    def parse(text, author=ann):
        return mentions_parse(text=text, room=room, author_id=author.pk)

    assert parse("hi @Bob Builder and @cat!") == {"mentions": [bob.pk, cat.pk], "mention_all": False}
    # The longest name wins: "@Ann Agent Lee" is not "@Ann Agent".
    assert parse("@ann agent lee, look", author=bob) == {"mentions": [ann_lee.pk], "mention_all": False}
    assert parse("@ann.a please", author=bob) == {"mentions": [ann.pk], "mention_all": False}
    assert parse("@all meeting now") == {"mentions": [], "mention_all": True}
    # Not mentions: an email address, a non-member, a longer word, the author, no "@".
    assert parse("mail bob@example.com") == {}
    assert parse("@Olga Outside?") == {}
    assert outsider.pk not in (parse("@olga").get("mentions") or [])
    assert parse("@bobby") == {}
    assert parse("@Ann Agent") == {}
    assert parse("nobody") == {}


def test_all_only_in_spaces(ann, bob):
    direct, _ = spaces.direct_room_open(actor=ann, staff=bob)
    assert mentions_parse(text="@all hello", room=direct, author_id=ann.pk) == {}
    assert mentions_parse(text="@bob hello", room=direct, author_id=ann.pk) == {
        "mentions": [bob.pk],
        "mention_all": False,
    }


def test_message_post_stores_mentions_and_notifies(ann, bob, cat, events):
    room = spaces.space_create(actor=ann, name="Team", members=[bob.pk, cat.pk])
    spaces.room_membership_update(actor=bob, room_id=room.pk, mute="mentions")
    spaces.room_membership_update(actor=cat, room_id=room.pk, mute="mute")
    events.clear()
    message, _ = message_post(room_id=room.pk, text="@Bob Builder and @cat: ship it", staff=ann)
    assert message.data == {"mentions": [bob.pk, cat.pk], "mention_all": False}
    sent = events.of_type("mention.created")
    # Cat muted the room entirely: no notification; Bob (mentions only) gets one.
    assert [g for g, _ in sent] == [[f"staff.{bob.pk}"]]
    data = sent[0][1]["data"]
    assert data["room_id"] == room.pk and data["message"]["id"] == message.pk and data["mention_all"] is False
    created = events.of_type("message.created")[0][1]["data"]["message"]
    assert created["data"]["mentions"] == [bob.pk, cat.pk]


def test_at_all_notifies_every_member_but_the_author(ann, bob, cat, events):
    room = spaces.space_create(actor=ann, name="Team", members=[bob.pk, cat.pk])
    spaces.room_membership_update(actor=cat, room_id=room.pk, mute="mentions")
    events.clear()
    message, _ = message_post(room_id=room.pk, text="@all standup", staff=ann)
    assert message.data["mention_all"] is True
    groups = events.of_type("mention.created")[0][0]
    assert groups == sorted([f"staff.{bob.pk}", f"staff.{cat.pk}"])


def test_no_mentions_no_data_and_no_event(ann, bob, events):
    room = spaces.space_create(actor=ann, name="Team", members=[bob.pk])
    events.clear()
    message, _ = message_post(room_id=room.pk, text="plain text", staff=ann)
    assert message.data == {}
    assert not events.of_type("mention.created")


def test_visitor_messages_mention_nobody(open_enquiry, make_staff, support, events):
    owner = make_staff(tags=[support], name="Olive Owner", email="olive@example.com")
    e = open_enquiry()
    enquiry_services.enquiry_pick_up(actor=owner, enquiry_id=e.pk)
    e.refresh_from_db()
    message, _ = message_post(room_id=e.room.pk, text="@olive help", visitor=e.visitor)
    assert "mentions" not in message.data
    assert not events.of_type("mention.created")


# ---------------------------------------------------------------------------- should_notify


@pytest.mark.parametrize(
    ("mute", "data", "expected"),
    [
        ("all", {}, True),
        ("all", {"mentions": [], "mention_all": True}, True),
        ("mentions", {}, False),
        ("mentions", {"mentions": ["ME"], "mention_all": False}, True),
        ("mentions", {"mentions": [], "mention_all": True}, True),
        ("mute", {"mentions": ["ME"], "mention_all": True}, False),
    ],
)
def test_should_notify(ann, bob, mute, data, expected):
    room = spaces.space_create(actor=ann, name="Team", members=[bob.pk])
    member = _member(room, bob)
    member.mute = mute
    if data.get("mentions"):
        data = {**data, "mentions": [bob.pk]}
    message = Message(room=room, kind=Message.Kind.TEXT, text="x", author_staff=ann, data=data)
    assert should_notify(member, message) is expected


def test_should_notify_never_for_own_messages(ann, bob):
    room = spaces.space_create(actor=ann, name="Team", members=[bob.pk])
    message = Message(room=room, kind=Message.Kind.TEXT, text="x", author_staff=bob, data={"mention_all": True})
    assert should_notify(_member(room, bob), message) is False
    visitor_message = Message(room=room, kind=Message.Kind.TEXT, text="x", data={})
    assert should_notify(_member(room, bob), visitor_message) is True
