"""Issue 13 (cta): a visitor ends its conversation, or replaces it with a new one in one
request (the widget's call-to-action buttons); and reads its own earlier conversations
(GET /api/v1/widget/history), never another visitor's nor another channel's."""

from __future__ import annotations

from typing import Any

import pytest

from contactcenter.org.events import staff_group
from enquiries import services as enquiry_services
from enquiries.auth import visitor_token_for
from enquiries.models import Enquiry, EnquiryEvent, Visitor
from rooms import services as room_services
from rooms.models import Message
from tests.api.conftest import counts, error, ok, visitor_client


def _client(visitor: Visitor) -> Any:
    return visitor_client(visitor_token_for(visitor.pk, visitor.token_epoch))


# ---------------------------------------------------------------- ending, replacing


def test_visitor_ends_waiting_enquiry(open_enquiry, agent, events):
    enquiry = open_enquiry()
    events.clear()
    got = ok(_client(enquiry.visitor).post(f"/api/v1/widget/enquiries/{enquiry.pk}/end"))
    assert got["status"] == "closed"
    enquiry.refresh_from_db()
    assert enquiry.status == "closed" and enquiry.deadline_at is None and enquiry.closed_at is not None
    # The alerted agent's panel drops it; staff read why in the room.
    assert [p["data"]["enquiry_id"] for p in events.to_group(staff_group(agent.pk))] == [enquiry.pk]
    texts = list(Message.objects.filter(room=enquiry.room).values_list("text", flat=True))
    assert "The customer ended the conversation." in texts
    event = EnquiryEvent.objects.filter(enquiry=enquiry, type="closed").get()
    assert event.by_visitor and event.actor is None
    # Again: nothing changes, same answer.
    before = counts()
    assert ok(_client(enquiry.visitor).post(f"/api/v1/widget/enquiries/{enquiry.pk}/end"))["status"] == "closed"
    assert counts() == before


def test_visitor_ends_handled_enquiry(handled, events):
    enquiry, owner = handled
    events.clear()
    ok(_client(enquiry.visitor).post(f"/api/v1/widget/enquiries/{enquiry.pk}/end"))
    enquiry.refresh_from_db()
    assert enquiry.status == "closed" and enquiry.owner_id == owner.pk
    assert events.of_type("enquiry.closed")
    assert any(p["type"] == "enquiry.closed" for p in events.to_group(staff_group(owner.pk)))


def test_end_refuses_other_visitor(open_enquiry, make_visitor, widget, agent):
    enquiry = open_enquiry()
    stranger = make_visitor(widget)
    before = counts()
    error(_client(stranger).post(f"/api/v1/widget/enquiries/{enquiry.pk}/end"), 404)
    error(visitor_client("forged").post(f"/api/v1/widget/enquiries/{enquiry.pk}/end"), 401)
    assert counts() == before
    enquiry.refresh_from_db()
    assert enquiry.status == "open"


def test_replaces_ends_the_open_one_and_opens_new(widget_open, agent, make_tag, make_staff):
    sales = make_tag("Sales")
    make_staff(tags=[sales], name="Sam Seller")
    first = ok(widget_open(visitor={"first_name": "Bo"}), 201)
    client = visitor_client(first["visitor_token"])
    error(widget_open(client, message="again", tag="Sales"), 409)
    second = ok(widget_open(client, message="About pricing", tag="Sales", replaces=first["id"]), 201)
    assert Enquiry.objects.get(pk=first["id"]).status == "closed"
    new = Enquiry.objects.get(pk=second["id"])
    assert new.status == "open" and new.destination.tag_id == sales.pk
    assert Enquiry.objects.filter(status__in=["open", "handling"]).count() == 1


def test_replaces_refusals_change_nothing(widget_open, agent, open_enquiry):
    first = ok(widget_open(), 201)
    client = visitor_client(first["visitor_token"])
    other = open_enquiry()  # another visitor's
    before = counts()
    assert "replaces" in error(widget_open(client, replaces=other.pk), 400)
    assert "replaces" in error(widget_open(client, replaces="x"), 400)
    # A bad new conversation (too long) keeps the old one open.
    error(widget_open(client, replaces=first["id"], message="x" * 100_000), 400)
    # A new visitor has nothing to replace.
    assert "replaces" in error(widget_open(replaces=first["id"]), 400)
    assert counts() == before
    assert Enquiry.objects.get(pk=first["id"]).status == "open"


def test_replaces_keeps_the_hourly_limit(widget_open, agent, settings):
    settings.CC_WIDGET_MAX_ENQUIRIES_PER_HOUR = 1
    first = ok(widget_open(), 201)
    client = visitor_client(first["visitor_token"])
    error(widget_open(client, replaces=first["id"]), 429)
    assert Enquiry.objects.get(pk=first["id"]).status == "open"


# ---------------------------------------------------------------- history


@pytest.fixture
def two_conversations(open_enquiry, make_visitor, widget, handled_owner):
    """A visitor with a missed conversation and a handled, closed one (newest), each with
    a visitor message, an agent message, a recalled one and a staff-only bot message."""
    visitor = make_visitor(widget, first_name="Vera")
    missed = open_enquiry(visitor=visitor, message="First question")
    missed.status = "missed"  # as the deadline sweep leaves it
    missed.save(update_fields=["status"])
    second = open_enquiry(visitor=visitor, message="Second question")
    enquiry_services.enquiry_pick_up(actor=handled_owner, enquiry_id=second.pk)
    room = second.room
    room_services.message_post(room_id=room.pk, text="Hello Vera, Olive here", staff=handled_owner)
    gone, _ = room_services.message_post(room_id=room.pk, text="oops wrong room", staff=handled_owner)
    room_services.message_recall(staff=handled_owner, message_id=gone.pk)
    enquiry_services.enquiry_end_by_visitor(visitor=visitor, enquiry_id=second.pk)
    return visitor, missed, second


@pytest.fixture
def handled_owner(make_staff, support):
    return make_staff(tags=[support], name="Olive Owner")


def test_history_newest_first_with_transcripts(two_conversations, widget):
    visitor, missed, second = two_conversations
    page = ok(_client(visitor).get(f"/api/v1/widget/history?channel={widget.key}"))
    assert [c["id"] for c in page["results"]] == [second.pk, missed.pk] and page["has_more"] is False
    newest = page["results"][0]
    assert newest["agent"]["display_name"] == "Olive Owner" and newest["status"] == "closed"
    texts = [m["text"] for m in newest["messages"]]
    assert "Second question" in texts and "Hello Vera, Olive here" in texts
    assert "oops wrong room" not in texts and "" not in texts  # recalled: left out
    assert "Internal: VIP desk" not in texts  # staff-only bot messages: left out
    assert page["results"][1]["agent"] is None and page["results"][1]["status"] == "missed"


def test_history_pages_with_before(two_conversations, widget):
    visitor, missed, second = two_conversations
    client = _client(visitor)
    page = ok(client.get(f"/api/v1/widget/history?channel={widget.key}&limit=1"))
    assert [c["id"] for c in page["results"]] == [second.pk] and page["has_more"] is True
    page = ok(client.get(f"/api/v1/widget/history?channel={widget.key}&limit=1&before={second.pk}"))
    assert [c["id"] for c in page["results"]] == [missed.pk] and page["has_more"] is False
    page = ok(client.get(f"/api/v1/widget/history?channel={widget.key}&before={missed.pk}"))
    assert page == {"results": [], "has_more": False}


def test_history_never_another_visitor_or_channel(two_conversations, widget, make_visitor, make_channel, support):
    visitor, missed, _second = two_conversations
    stranger = make_visitor(widget)
    assert ok(_client(stranger).get(f"/api/v1/widget/history?channel={widget.key}"))["results"] == []
    other = make_channel(tag=support)
    assert ok(_client(visitor).get(f"/api/v1/widget/history?channel={other.key}"))["results"] == []
    # Files of the transcript are downloaded with the same token, and only by their visitor.
    error(_client(stranger).get(f"/api/v1/rooms/{missed.room.pk}/messages"), 403)


def test_history_needs_a_visitor_token(widget):
    error(visitor_client("forged").get(f"/api/v1/widget/history?channel={widget.key}"), 401)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "channel"),
        ("channel=no-such-key", "channel"),
        ("channel={key}&before=abc", "before"),
        ("channel={key}&before=-3", "before"),
        ("channel={key}&before=0", "before"),
        ("channel={key}&limit=0", "limit"),
        ("channel={key}&limit=11", "limit"),
        ("channel={key}&limit=1.5", "limit"),
    ],
)
def test_history_bad_params_400(make_visitor, widget, query, field):
    visitor = make_visitor(widget)
    body = error(_client(visitor).get("/api/v1/widget/history?" + query.format(key=widget.key)), 400)
    assert field in body


def test_history_query_count(two_conversations, widget, django_assert_max_num_queries):
    visitor, _missed, _second = two_conversations
    client = _client(visitor)
    # Authentication, throttle cache aside: the channel, the enquiries, their messages.
    with django_assert_max_num_queries(6):
        ok(client.get(f"/api/v1/widget/history?channel={widget.key}"))


def test_history_files_keep_their_links(open_enquiry, make_visitor, widget, handled_owner, api, settings, tmp_path):
    """A file of an earlier conversation comes with its download link, which the visitor's
    token still opens (the conversation is over) and another visitor's does not."""
    from tests.rooms.test_files import png_bytes, upload

    settings.MEDIA_ROOT = tmp_path / "media"
    visitor = make_visitor(widget)
    enquiry = open_enquiry(visitor=visitor)
    enquiry_services.enquiry_pick_up(actor=handled_owner, enquiry_id=enquiry.pk)
    sent = api(handled_owner).post(
        f"/api/v1/rooms/{enquiry.room.pk}/files", {"file": upload("receipt.png", png_bytes())}, format="multipart"
    )
    assert sent.status_code == 201, sent.content
    enquiry_services.enquiry_end_by_visitor(visitor=visitor, enquiry_id=enquiry.pk)
    page = ok(_client(visitor).get(f"/api/v1/widget/history?channel={widget.key}"))
    files = [m["data"]["file"] for m in page["results"][0]["messages"] if m["kind"] == "file"]
    assert len(files) == 1 and files[0]["name"] == "receipt.png" and files[0]["url"].startswith("/api/v1/messages/")
    assert _client(visitor).get(files[0]["url"]).status_code == 200
    assert _client(make_visitor(widget)).get(files[0]["url"]).status_code in (403, 404)
