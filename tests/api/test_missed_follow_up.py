"""Missed enquiries are followed up (issue 12, item 2): staff the destination serves, the
colleague it is assigned to and admins open its room, take part to reply by the customer's
channel, mark it handled and assign it; the Missed list filters by handled; everyone else
gets a clear 4xx and nothing changes. Also: the Inbox lists open enquiries offered to the
caller, and an offered enquiry's room can be looked at before picking it up."""

from __future__ import annotations

from email import message_from_bytes, policy
from typing import Any

import pytest

from channels_adapters import tasks
from channels_adapters.models import OutboundMessage
from enquiries import services
from enquiries.models import Enquiry, EnquiryEvent
from rooms import services as room_services
from rooms.models import Message, RoomMember
from tests.api.conftest import error, ok
from tests.channels.conftest import FakeSMTPServer


def ids(response: Any) -> list[int]:
    return [x["id"] for x in ok(response)["results"]]


@pytest.fixture
def missed(open_enquiry: Any, agent: Any, agent2: Any) -> Enquiry:
    """An enquiry both agents of Support rejected: missed, with a note."""
    e = open_enquiry(message="My order never came")
    services.enquiry_reject(actor=agent, enquiry_id=e.pk)
    services.enquiry_reject(actor=agent2, enquiry_id=e.pk)
    services.enquiry_leave_note(
        visitor=e.visitor, enquiry_id=e.pk, text="Please call me back", contact="vera@example.org"
    )
    e.refresh_from_db()
    assert e.status == Enquiry.Status.MISSED
    return e


@pytest.fixture
def smtp_server() -> Any:
    server = FakeSMTPServer()
    yield server
    server.close()


@pytest.fixture
def outsider(make_staff: Any, make_tag: Any) -> Any:
    return make_staff(tags=[make_tag("Sales")], name="Oscar Outsider")


def test_missed_room_is_seen_by_the_destinations_staff_not_by_others(api, missed, agent, outsider):
    room = missed.room.pk
    info = ok(api(agent).get(f"/api/v1/rooms/{room}"))
    assert info["me"] is None  # looking, not a member
    assert info["enquiry"]["note"] == {"text": "Please call me back", "contact": "vera@example.org", "files": []}
    assert info["enquiry"]["follow_up"]["handled"] is False
    texts = [m["text"] for m in ok(api(agent).get(f"/api/v1/rooms/{room}/messages"))["results"]]
    assert "Internal: VIP desk" in texts  # the channel's custom info
    assert any("Please call me back" in t for t in texts)
    error(api(outsider).get(f"/api/v1/rooms/{room}"), 403)
    error(api(outsider).get(f"/api/v1/enquiries/{missed.pk}"), 403)
    # Looking is not taking part: no message without joining the follow-up.
    error(api(agent).post(f"/api/v1/rooms/{room}/messages", {"text": "Hi"}, format="json"), 403)


def test_follow_up_join_then_reply_reaches_the_widget_visitor(api, missed, agent, events):
    room = missed.room.pk
    body = ok(api(agent).post(f"/api/v1/enquiries/{missed.pk}/follow-up"))
    assert body["status"] == "missed" and body["room"] == room
    assert RoomMember.objects.get(room_id=room, staff=agent).role == RoomMember.Role.PARTICIPANT
    assert EnquiryEvent.objects.filter(enquiry=missed, type="follow_up_joined", actor=agent).count() == 1
    ok(api(agent).post(f"/api/v1/enquiries/{missed.pk}/follow-up"))  # twice: nothing more
    assert EnquiryEvent.objects.filter(enquiry=missed, type="follow_up_joined").count() == 1
    ok(api(agent).post(f"/api/v1/rooms/{room}/messages", {"text": "Sorry we missed you!"}, format="json"), 201)
    # The visitor reads it when they come back to the widget.
    texts = [m["text"] for m in ok(api(missed.visitor).get(f"/api/v1/rooms/{room}/messages"))["results"]]
    assert "Sorry we missed you!" in texts
    assert not any("Please call me back" in t for t in texts)  # the staff-only note stays staff-only
    assert Message.objects.filter(room_id=room, text="Sorry we missed you!").count() == 1


def test_follow_up_by_email_when_the_note_left_an_address(api, missed, agent, make_channel, support, smtp_server):
    sender = make_channel(
        tag=support,
        kind="email",
        welcome_message="",
        credentials={"address": "help@shop.example", "smtp_host": "127.0.0.1", "smtp_port": smtp_server.port},
    )
    ok(api(agent).post(f"/api/v1/enquiries/{missed.pk}/follow-up"))
    ok(
        api(agent).post(f"/api/v1/rooms/{missed.room.pk}/messages", {"text": "We can help now."}, format="json"),
        201,
    )
    outbound = OutboundMessage.objects.get(message__text="We can help now.")
    assert outbound.channel_id == sender.pk
    assert tasks.outbound_send(outbound.pk) == "sent"
    (sent,) = smtp_server.messages
    assert "vera@example.org" in sent["to"][0]
    parsed = message_from_bytes(sent["data"], policy=policy.default)
    assert parsed.get_content().strip() == "We can help now."


def test_no_email_without_an_address(api, open_enquiry, agent, agent2, make_channel, support, smtp_server):
    make_channel(
        tag=support,
        kind="email",
        welcome_message="",
        credentials={"address": "help@shop.example", "smtp_host": "127.0.0.1", "smtp_port": smtp_server.port},
    )
    e = open_enquiry()
    services.enquiry_reject(actor=agent, enquiry_id=e.pk)
    services.enquiry_reject(actor=agent2, enquiry_id=e.pk)
    services.enquiry_leave_note(visitor=e.visitor, enquiry_id=e.pk, text="Call me", contact="+44 20 7946 0000")
    ok(api(agent).post(f"/api/v1/enquiries/{e.pk}/follow-up"))
    ok(api(agent).post(f"/api/v1/rooms/{e.room.pk}/messages", {"text": "Calling you."}, format="json"), 201)
    assert not OutboundMessage.objects.exists()


def test_platform_follow_up_goes_through_the_reply_window(missed, agent):
    # The posting pipeline is the one the follow-up uses: a platform reply window is
    # checked there (tests/channels cover the 409 reply_window_closed); a widget enquiry
    # has no window, so the reply is stored.
    services.missed_follow_up_join(actor=agent, enquiry_id=missed.pk)
    message, _ = room_services.message_post(room_id=missed.room.pk, text="Back to you", staff=agent)
    assert message.pk


def test_mark_handled_assign_and_filter(api, missed, agent, agent2, outsider, admin, open_enquiry, events):
    other = open_enquiry()
    services.enquiry_reject(actor=agent, enquiry_id=other.pk)
    services.enquiry_reject(actor=agent2, enquiry_id=other.pk)
    events.clear()
    body = ok(api(agent).patch(f"/api/v1/enquiries/{missed.pk}/follow-up", {"handled": True}, format="json"))
    assert body["follow_up"]["handled"] is True and body["follow_up"]["handled_by"]["id"] == agent.pk
    (sent,) = events.of_type("enquiry.follow_up")
    assert {"admins", f"staff.{agent.pk}", f"staff.{agent2.pk}"} <= set(sent[0])
    assert sent[1]["data"] == {"enquiry_id": missed.pk, "handled": True, "assignee_id": None}
    assert ids(api(agent).get("/api/v1/enquiries?status=missed&handled=yes")) == [missed.pk]
    assert ids(api(agent).get("/api/v1/enquiries?status=missed&handled=no")) == [other.pk]
    assert ids(api(admin).get("/api/v1/enquiries?status=missed&handled=no")) == [other.pk]
    # Back to not handled.
    body = ok(api(agent2).patch(f"/api/v1/enquiries/{missed.pk}/follow-up", {"handled": False}, format="json"))
    assert body["follow_up"] == {"handled": False, "handled_at": None, "handled_by": None, "assignee": None}
    # Assigned to a colleague outside the destination: they see it, open it and may act.
    body = ok(api(agent).patch(f"/api/v1/enquiries/{missed.pk}/follow-up", {"assignee": outsider.pk}, format="json"))
    assert body["follow_up"]["assignee"] == {"id": outsider.pk, "display_name": "Oscar Outsider"}
    assert ids(api(outsider).get("/api/v1/enquiries?status=missed")) == [missed.pk]
    ok(api(outsider).get(f"/api/v1/rooms/{missed.room.pk}"))
    ok(api(outsider).post(f"/api/v1/enquiries/{missed.pk}/follow-up"))
    ok(api(outsider).patch(f"/api/v1/enquiries/{missed.pk}/follow-up", {"handled": True}, format="json"))
    kinds = list(EnquiryEvent.objects.filter(enquiry=missed).values_list("type", flat=True))
    assert kinds[-4:] == ["follow_up_reopened", "follow_up_assigned", "follow_up_joined", "follow_up_handled"]
    # Admins may unassign.
    body = ok(api(admin).patch(f"/api/v1/enquiries/{missed.pk}/follow-up", {"assignee": None}, format="json"))
    assert body["follow_up"]["assignee"] is None
    error(api(outsider).patch(f"/api/v1/enquiries/{missed.pk}/follow-up", {"handled": False}, format="json"), 403)


def test_refusals_are_clear_and_change_nothing(api, missed, agent, outsider, open_enquiry, make_staff, support):
    url = f"/api/v1/enquiries/{missed.pk}/follow-up"
    body = error(api(outsider).post(url), 403)
    assert "follow" in body["detail"]
    error(api(outsider).patch(url, {"handled": True}, format="json"), 403)
    error(api(agent).patch(url, {}, format="json"), 400)
    error(api(agent).patch(url, {"handled": "perhaps"}, format="json"), 400)
    error(api(agent).patch(url, {"assignee": 999999}, format="json"), 400)
    gone = make_staff(tags=[support])
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    error(api(agent).patch(url, {"assignee": gone.pk}, format="json"), 400)
    error(api(agent).get("/api/v1/enquiries?status=missed&handled=maybe"), 400)
    missed.refresh_from_db()
    assert missed.followup_assignee_id is None and missed.followup_handled_at is None
    assert not RoomMember.objects.filter(room=missed.room, staff=outsider).exists()
    # Not missed: 409.
    live = open_enquiry()
    assert error(api(agent).post(f"/api/v1/enquiries/{live.pk}/follow-up"), 409)["detail"]
    error(api(agent).post("/api/v1/enquiries/999999/follow-up"), 404)


def test_inbox_lists_offered_open_enquiries_and_their_room_can_be_looked_at(api, open_enquiry, agent, agent2, outsider):
    e = open_enquiry(message="Anyone there?")
    rows = ok(api(agent).get("/api/v1/enquiries"))["results"]
    assert [(x["id"], x["offered"]) for x in rows] == [(e.pk, True)]
    info = ok(api(agent).get(f"/api/v1/rooms/{e.room.pk}"))
    assert info["me"] is None and info["enquiry"]["status"] == "open"
    error(api(outsider).get(f"/api/v1/rooms/{e.room.pk}"), 403)
    # Accept before chatting: a look does not let them write.
    error(api(agent).post(f"/api/v1/rooms/{e.room.pk}/messages", {"text": "Hi"}, format="json"), 403)
    services.enquiry_reject(actor=agent, enquiry_id=e.pk)  # agent2 still has it: open
    assert ids(api(agent).get("/api/v1/enquiries")) == []
    error(api(agent).get(f"/api/v1/rooms/{e.room.pk}"), 403)
    services.enquiry_pick_up(actor=agent2, enquiry_id=e.pk)
    assert ok(api(agent2).get("/api/v1/enquiries"))["results"][0]["status"] == "handling"


def test_inbox_lists_a_transfer_offered_to_the_caller(api, open_enquiry, agent, agent2, outsider):
    e = open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    services.enquiry_transfer(actor=agent, enquiry_id=e.pk, to_staff=outsider)
    rows = ok(api(outsider).get("/api/v1/enquiries"))["results"]
    assert [(x["id"], x["offered"], x["transfer"]["to_staff"]) for x in rows] == [(e.pk, True, outsider.pk)]
    assert ok(api(outsider).get(f"/api/v1/rooms/{e.room.pk}"))["me"] is None  # a look before accepting
    assert ids(api(agent2).get("/api/v1/enquiries")) == []
