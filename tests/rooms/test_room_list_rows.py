"""The room list's rows (issue 12, item 3): last message, channel, avatar, who waits
longest, muted rooms out of the workspace badge, and a fixed number of statements."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from enquiries import services as enquiry_services
from rooms import spaces
from rooms.models import RoomMember
from rooms.selectors import PREVIEW_CHARS, room_list_data, room_memberships, rooms_with_unread
from rooms.services import message_post, message_recall


def _rows(staff: Any) -> dict[int, dict[str, Any]]:
    return {row["id"]: row for row in room_list_data(staff, list(room_memberships(staff)))}


def test_rows_show_last_message_channel_and_waiting(open_enquiry, make_staff, support, clock, ann, bob):
    owner = make_staff(tags=[support], name="Olive Owner")
    enquiry = open_enquiry(message="Hello?")
    enquiry_services.enquiry_pick_up(actor=owner, enquiry_id=enquiry.pk)
    enquiry.refresh_from_db()
    room = enquiry.room
    first_visitor = room.messages.filter(author_visitor__isnull=False).earliest("id")

    row = _rows(owner)[room.pk]
    assert row["channel"] == "widget" and row["avatar_url"] == ""
    assert row["title"] == enquiry.visitor.display_name
    # Nobody answered yet: the customer waits since the first message.
    assert row["waiting_since"] == first_visitor.created_at.isoformat()

    clock.advance(30)
    message_post(room_id=room.pk, text="Hi, how can I help?", staff=owner)
    row = _rows(owner)[room.pk]
    assert row["waiting_since"] is None
    assert row["last_message"]["text"] == "Hi, how can I help?"
    assert row["last_message"]["author"] == {"type": "staff", "id": owner.pk, "name": "Olive Owner"}

    clock.advance(30)
    asked, _ = message_post(room_id=room.pk, text="Where  is\nmy parcel? " + "x" * 300, visitor=enquiry.visitor)
    clock.advance(30)
    message_post(room_id=room.pk, text="Hello??", visitor=enquiry.visitor)
    row = _rows(owner)[room.pk]
    # The oldest unanswered message counts, and the preview is the newest, on one line, cut.
    assert row["waiting_since"] == asked.created_at.isoformat()
    assert row["last_message"]["text"] == "Hello??"
    assert row["last_message"]["author"]["type"] == "visitor"

    last, _ = message_post(room_id=room.pk, text="Where  is\nmy parcel? " + "x" * 300, visitor=enquiry.visitor)
    preview = _rows(owner)[room.pk]["last_message"]
    assert preview["text"].startswith("Where is my parcel? x") and len(preview["text"]) == PREVIEW_CHARS

    # A resolved enquiry waits for nobody.
    enquiry_services.enquiry_resolve(actor=owner, enquiry_id=enquiry.pk)
    assert _rows(owner)[room.pk]["waiting_since"] is None

    # Direct rooms and spaces: no channel, no waiting; the direct partner's avatar.
    direct, _ = spaces.direct_room_open(actor=ann, staff=bob)
    message_post(room_id=direct.pk, text="hey", staff=bob)
    row = _rows(ann)[direct.pk]
    assert row["channel"] is None and row["waiting_since"] is None
    assert row["avatar_url"] == bob.avatar_url and row["last_message"]["text"] == "hey"


def test_recalled_and_file_previews(ann, bob):
    space = spaces.space_create(actor=ann, name="Ops", members=[bob.pk])
    m, _ = message_post(room_id=space.pk, text="secret", staff=ann)
    message_recall(message_id=m.pk, staff=ann)
    preview = _rows(bob)[space.pk]["last_message"]
    assert preview["recalled"] is True and preview["text"] == ""
    empty = spaces.space_create(actor=ann, name="Quiet")
    assert _rows(ann)[empty.pk]["last_message"] is None


def test_muted_rooms_do_not_count_in_the_badge(ann, bob, api):
    one = spaces.space_create(actor=ann, name="One", members=[bob.pk])
    two = spaces.space_create(actor=ann, name="Two", members=[bob.pk])
    message_post(room_id=one.pk, text="a", staff=ann)
    message_post(room_id=two.pk, text="b", staff=ann)
    assert rooms_with_unread(bob) == 2
    spaces.room_membership_update(actor=bob, room_id=two.pk, mute=RoomMember.Mute.MUTE)
    assert rooms_with_unread(bob) == 1
    # "@ mentions only" is not muted: it still counts.
    spaces.room_membership_update(actor=bob, room_id=one.pk, mute=RoomMember.Mute.MENTIONS)
    assert api(bob).get("/api/v1/rooms/unread").json() == {"rooms_with_unread": 1}
    # The row keeps its own count (shown dimmed).
    assert _rows(bob)[two.pk]["unread"] == 1


def test_room_list_api_statements_do_not_grow_with_rooms(api, open_enquiry, make_staff, support, ann, bob, cat):
    owner = make_staff(tags=[support], name="Olive Owner")
    client = api(owner)

    def add_rooms() -> None:
        enquiry = open_enquiry(message="Help")
        enquiry_services.enquiry_pick_up(actor=owner, enquiry_id=enquiry.pk)
        message_post(room_id=enquiry.room.pk, text="On it", staff=owner)
        direct, _ = spaces.direct_room_open(actor=owner, staff=make_staff())
        message_post(room_id=direct.pk, text="hi", staff=owner)
        space = spaces.space_create(actor=owner, name=f"S{direct.pk}", members=[ann.pk])
        message_post(room_id=space.pk, text="yo", staff=ann)

    def statements() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/rooms?page_size=100")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    add_rooms()
    few = statements()
    for _ in range(4):
        add_rooms()
    rows = client.get("/api/v1/rooms?page_size=100").json()["results"]
    assert len(rows) == 15 and all(row["last_message"] for row in rows)
    assert statements() == few
    # Authentication, the count and the page, the direct partners, the last messages.
    assert few <= 6, few
