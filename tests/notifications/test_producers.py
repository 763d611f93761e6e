"""What fills the Notifications list, through the real services (notifications.producers):
mentions (mute rules as mention.created), transfers offered to me or my tag, take-overs,
missed enquiries of my destinations (by timeout, on the controlled clock), reviews; never
for the actor; the notification.created event with the unread count; an observer that
fails never fails the change it observed."""

from __future__ import annotations

from typing import Any

import pytest

from contactcenter.org.models import Staff
from enquiries import services as enquiry_services
from enquiries.models import Enquiry
from notifications import producers
from notifications.models import Notification
from notifications.services import notification_add
from rooms import spaces
from rooms.models import Message
from rooms.services import message_post

pytestmark = pytest.mark.django_db


def kinds(staff: Staff) -> list[str]:
    return list(Notification.objects.filter(staff=staff).order_by("id").values_list("kind", flat=True))


def only(staff: Staff, kind: str) -> Notification:
    return Notification.objects.get(staff=staff, kind=kind)


@pytest.fixture
def ann(make_staff: Any) -> Staff:
    return make_staff(name="Ann Agent", email="ann.a@example.com")


@pytest.fixture
def bob(make_staff: Any) -> Staff:
    return make_staff(name="Bob Builder", email="bob@example.com")


@pytest.fixture
def cat(make_staff: Any) -> Staff:
    return make_staff(name="Cat Carter", email="cat@example.com")


# ---------------------------------------------------------------------------- mentions


def test_a_mention_notifies_the_mentioned_member_only(ann: Staff, bob: Staff, cat: Staff, events: Any) -> None:
    room = spaces.space_create(actor=ann, name="Ops", members=[bob.pk, cat.pk])
    events.clear()
    message, _ = message_post(room_id=room.pk, text="@Bob Builder can you look at   this?", staff=ann)

    item = only(bob, "mention")
    assert kinds(cat) == [] and kinds(ann) == []
    assert (item.room_id, item.actor_id, item.enquiry_id) == (room.pk, ann.pk, None)
    assert item.data == {
        "actor_name": "Ann Agent",
        "excerpt": "@Bob Builder can you look at this?",
        "room_kind": "space",
        "room_name": "Ops",
        "message": message.pk,
        "mention_all": False,
    }
    created = events.of_type("notification.created")
    assert [g for g, _ in created] == [[f"staff.{bob.pk}"]]
    data = created[0][1]["data"]
    assert data["unread"] == 1
    assert data["notification"]["id"] == item.pk and data["notification"]["kind"] == "mention"
    assert data["notification"]["url"] == f"/app/rooms/{room.pk}" and data["notification"]["read"] is False


def test_at_all_notifies_every_member_but_the_author_and_those_who_muted(ann: Staff, bob: Staff, cat: Staff) -> None:
    room = spaces.space_create(actor=ann, name="Ops", members=[bob.pk, cat.pk])
    spaces.room_membership_update(actor=cat, room_id=room.pk, mute="mute")
    message_post(room_id=room.pk, text="Standup in 5 @all", staff=ann)
    assert kinds(bob) == ["mention"] and only(bob, "mention").data["mention_all"] is True
    assert kinds(cat) == []  # muted entirely: no mention.created either
    assert kinds(ann) == []


def test_muted_to_mentions_still_gets_a_mention(ann: Staff, bob: Staff, events: Any) -> None:
    room = spaces.space_create(actor=ann, name="Ops", members=[bob.pk])
    spaces.room_membership_update(actor=bob, room_id=room.pk, mute="mentions")
    events.clear()
    message_post(room_id=room.pk, text="hi @bob", staff=ann)
    assert kinds(bob) == ["mention"]
    # The same people as mention.created.
    assert [g for g, _ in events.of_type("mention.created")] == [[f"staff.{bob.pk}"]]


def test_no_mention_no_row_and_no_query(ann: Staff, bob: Staff, django_assert_num_queries: Any) -> None:
    room = spaces.space_create(actor=ann, name="Ops", members=[bob.pk])
    message, _ = message_post(room_id=room.pk, text="hello", staff=ann)
    with django_assert_num_queries(0):
        producers.messages_posted([message])
    assert Notification.objects.count() == 0


def test_mention_in_a_direct_room_and_a_forward_does_not_mention_again(ann: Staff, bob: Staff) -> None:
    direct, _ = spaces.direct_room_open(actor=ann, staff=bob)
    message, _ = message_post(room_id=direct.pk, text="@bob ping", staff=ann)
    assert only(bob, "mention").data["room_kind"] == "direct"
    space = spaces.space_create(actor=ann, name="Ops", members=[bob.pk])
    from rooms.services import message_forward

    message_forward(message_id=message.pk, room_id=space.pk, staff=ann)
    assert kinds(bob) == ["mention"]


def test_a_mention_in_an_enquiry_room(handled: Any, admin: Staff) -> None:
    enquiry, owner = handled
    enquiry_services.enquiry_join(actor=admin, enquiry_id=enquiry.pk)
    message_post(room_id=enquiry.room.pk, text="@Olive Owner please check the refund", staff=admin)
    item = only(owner, "mention")
    assert item.enquiry_id == enquiry.pk and item.room_id == enquiry.room.pk
    assert item.data["room_kind"] == "enquiry" and item.data["actor_name"] == "Ada Admin"
    # A visitor's "@" is nobody's mention.
    message_post(room_id=enquiry.room.pk, text="@Olive Owner hello?", visitor=enquiry.visitor)
    assert kinds(owner) == ["mention"]


# ---------------------------------------------------------------------------- transfers


def test_transfer_to_me(handled: Any, make_staff: Any, events: Any) -> None:
    enquiry, owner = handled
    target = make_staff(name="Tom Target")
    events.clear()
    transfer = enquiry_services.enquiry_transfer(actor=owner, enquiry_id=enquiry.pk, to_staff=target)
    item = only(target, "transfer_offered")
    assert (item.enquiry_id, item.room_id, item.actor_id) == (enquiry.pk, enquiry.room.pk, owner.pk)
    assert item.data == {
        "actor_name": "Olive Owner",
        "visitor_name": enquiry.visitor.display_name,
        "to_tag": "",
        "transfer": transfer.pk,
        "excerpt": "Hello?",
    }
    assert kinds(owner) == []
    assert [g for g, _ in events.of_type("notification.created")] == [[f"staff.{target.pk}"]]


def test_transfer_to_my_tag_tells_everyone_alerted(handled: Any, make_staff: Any, make_tag: Any) -> None:
    enquiry, owner = handled
    billing = make_tag("Billing")
    b1, b2 = make_staff(tags=[billing]), make_staff(tags=[billing])
    away = make_staff(tags=[billing], availability=Staff.Availability.AWAY)
    enquiry_services.enquiry_transfer(actor=owner, enquiry_id=enquiry.pk, to_tag=billing)
    for staff in (b1, b2):
        assert only(staff, "transfer_offered").data["to_tag"] == "Billing"
    assert kinds(away) == []  # not alerted: not ACTIVE
    assert kinds(owner) == []


# ---------------------------------------------------------------------------- take-over


def test_take_over_tells_the_previous_owner(handled: Any, admin: Staff, events: Any) -> None:
    enquiry, owner = handled
    events.clear()
    enquiry_services.enquiry_take_over(actor=admin, enquiry_id=enquiry.pk)
    item = only(owner, "taken_over")
    assert (item.actor_id, item.room_id, item.enquiry_id) == (admin.pk, enquiry.room.pk, enquiry.pk)
    assert item.data == {"actor_name": "Ada Admin", "visitor_name": enquiry.visitor.display_name}
    assert kinds(admin) == []
    assert f"staff.{owner.pk}" in events.of_type("notification.created")[0][0]


# ---------------------------------------------------------------------------- missed


def test_missed_by_timeout_tells_everyone_the_destination_serves(
    open_enquiry: Any, make_staff: Any, support: Any, admin: Staff, clock: Any, events: Any
) -> None:
    a = make_staff(tags=[support])
    away = make_staff(tags=[support], availability=Staff.Availability.AWAY)
    other = make_staff()  # serves nothing
    enquiry = open_enquiry(message="Is anyone   there?")
    clock.advance(60)
    events.clear()
    assert enquiry_services.timers_sweep()["missed"] == 1
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.MISSED
    for staff in (a, away):
        item = only(staff, "missed")
        assert item.enquiry_id == enquiry.pk and item.actor_id is None
        assert item.data == {
            "visitor_name": enquiry.visitor.display_name,
            "reason": "timeout",
            "destination": "Support",
            "excerpt": "Is anyone there?",
        }
        assert item.created_at == clock.now
    assert kinds(other) == [] and kinds(admin) == []
    created = events.of_type("notification.created")
    assert sorted(g[0] for g, _ in created) == sorted([f"staff.{a.pk}", f"staff.{away.pk}"])
    assert {p["data"]["notification"]["url"] for _, p in created} == {"/app/missed"}


def test_missed_inserts_in_one_statement(
    open_enquiry: Any, make_staff: Any, support: Any, clock: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(30):
        make_staff(tags=[support], availability=Staff.Availability.AWAY)
    enquiry = open_enquiry()  # nobody ACTIVE: missed at once
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.MISSED
    assert Notification.objects.filter(kind="missed", enquiry=enquiry).count() == 30
    event = enquiry.events.get(type="missed")
    Notification.objects.all().delete()
    # The observer alone: the destination's staff, room and visitor, one INSERT, the unread
    # counts, the savepoint: the same for 30 staff as for 1.
    with django_assert_max_num_queries(8):
        producers.enquiry_event(event)
    assert Notification.objects.filter(kind="missed").count() == 30


# ---------------------------------------------------------------------------- reviews, failures


def test_review_via_notification_add(handled: Any, admin: Staff, events: Any) -> None:
    enquiry, owner = handled
    events.clear()
    items = notification_add(
        staff_ids=[owner.pk, admin.pk],
        kind="review",
        enquiry_id=enquiry.pk,
        actor_id=admin.pk,
        data={"review": 7, "score": 4.5, "url": "/app/reports/review/7"},
    )
    assert [i.staff_id for i in items] == [owner.pk]  # never the actor
    item = only(owner, "review")
    assert item.data == {"review": 7, "score": 4.5, "url": "/app/reports/review/7", "actor_name": "Ada Admin"}
    created = events.of_type("notification.created")
    assert created[0][1]["data"]["notification"]["url"] == "/app/reports/review/7"
    # A link elsewhere is not followed: the Review page instead.
    notification_add(staff_ids=[owner.pk], kind="review", actor_id=admin.pk, data={"url": "https://evil.example"})
    assert events.of_type("notification.created")[-1][1]["data"]["notification"]["url"] == "/app/reports/review"
    with pytest.raises(ValueError, match="kind"):
        notification_add(staff_ids=[owner.pk], kind="nonsense")


def test_a_failing_producer_never_fails_the_change(
    handled: Any, admin: Staff, monkeypatch: Any, caplog: Any, events: Any
) -> None:
    enquiry, owner = handled

    def boom(items: Any) -> Any:
        Notification.objects.create(staff=owner, kind="taken_over", created_at=enquiry.created_at)
        raise RuntimeError("bug")

    monkeypatch.setattr(producers, "notifications_insert", boom)
    events.clear()
    enquiry_services.enquiry_take_over(actor=admin, enquiry_id=enquiry.pk)
    enquiry.refresh_from_db()
    assert enquiry.owner_id == admin.pk
    assert Notification.objects.count() == 0  # its savepoint was rolled back
    assert "notifications: enquiry event taken_over failed" in caplog.text
    assert "room.taken_over" in events.types()
    assert Message.objects.filter(room=enquiry.room, text__contains="took over").exists()
