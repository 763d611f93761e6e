"""Room history and posting over HTTP, for members, the room's visitor and admins."""

from __future__ import annotations

import pytest

from enquiries import services
from enquiries.auth import visitor_token_for
from rooms.models import Message, RoomMember
from tests.api.conftest import counts, error, ok, visitor_client

MESSAGE_FIELDS = {"id", "kind", "text", "author", "created_at", "client_id"}


@pytest.fixture
def handled(open_enquiry, agent):
    e = open_enquiry(message="Where is my order?")
    services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    return e


def msgs_url(enquiry, query=""):
    return f"/api/v1/rooms/{enquiry.room.pk}/messages" + (f"?{query}" if query else "")


def visitor_of(enquiry):
    return visitor_client(visitor_token_for(enquiry.visitor_id))


def test_history_for_member(api, agent, handled):
    body = ok(api(agent).get(msgs_url(handled)))
    results = body["results"]
    assert body["has_more"] is False
    assert all(set(m) >= MESSAGE_FIELDS for m in results)
    assert [m["id"] for m in results] == sorted(m["id"] for m in results)
    kinds = {m["kind"] for m in results}
    assert kinds <= {"text", "file", "system"} and {"text", "system"} <= kinds
    first_text = next(m for m in results if m["kind"] == "text")
    assert first_text["text"] == "Where is my order?" and first_text["author"]["type"] == "visitor"
    # Staff see the intro and the channel's custom info.
    assert any(m["text"] == "Internal: VIP desk" for m in results)


def test_history_after(api, agent, handled):
    client = api(agent)
    all_ids = [m["id"] for m in ok(client.get(msgs_url(handled)))["results"]]
    later = [m["id"] for m in ok(client.get(msgs_url(handled, f"after={all_ids[1]}")))["results"]]
    assert later == all_ids[2:]
    assert ok(client.get(msgs_url(handled, f"after={all_ids[-1]}")))["results"] == []
    page = ok(client.get(msgs_url(handled, "limit=2")))
    assert [m["id"] for m in page["results"]] == all_ids[:2] and page["has_more"] is True


@pytest.mark.parametrize("query", ["after=abc", "after=1.5", "limit=x", "after=\u00b2", "after=" + "9" * 40])
def test_history_bad_query_400(api, agent, handled, query):
    name = query.split("=")[0]
    assert name in error(api(agent).get(msgs_url(handled, query)), 400)


def test_visitor_does_not_see_staff_only_messages(api, agent, handled):
    staff_view = ok(api(agent).get(msgs_url(handled)))["results"]
    visitor_view = ok(visitor_of(handled).get(msgs_url(handled)))["results"]
    hidden = [m for m in staff_view if m["data"].get("visibility") == "staff"]
    assert hidden and len(visitor_view) == len(staff_view) - len(hidden)
    assert not any(m["data"].get("visibility") == "staff" for m in visitor_view)
    assert not any("VIP desk" in m["text"] for m in visitor_view)


def test_post_idempotent_with_client_id(api, agent, handled):
    client = api(agent)
    first = client.post(msgs_url(handled), {"text": "On its way", "client_id": "c-1"}, format="json")
    body = ok(first, 201)
    assert set(body) >= MESSAGE_FIELDS and body["client_id"] == "c-1" and body["kind"] == "text"
    assert body["author"] == {"type": "staff", "id": agent.pk, "name": "Alice Agent"}
    retry = ok(client.post(msgs_url(handled), {"text": "On its way", "client_id": "c-1"}, format="json"), 200)
    assert retry["id"] == body["id"]
    assert Message.objects.filter(room=handled.room, client_id="c-1").count() == 1


def test_visitor_posts_idempotently(handled):
    client = visitor_of(handled)
    a = ok(client.post(msgs_url(handled), {"text": "Thanks", "client_id": "v-1"}, format="json"), 201)
    b = ok(client.post(msgs_url(handled), {"text": "Thanks", "client_id": "v-1"}, format="json"), 200)
    assert a["id"] == b["id"] and a["author"]["type"] == "visitor"
    assert Message.objects.filter(room=handled.room, client_id="v-1").count() == 1


def test_non_member_agent_403(api, agent2, handled):
    client = api(agent2)
    before = counts()
    assert "member" in error(client.get(msgs_url(handled)), 403)["detail"]
    error(client.post(msgs_url(handled), {"text": "hi"}, format="json"), 403)
    assert counts() == before


def test_admin_monitors_without_membership_or_read_state(api, admin, agent, handled):
    member = RoomMember.objects.get(room=handled.room, staff=agent)
    before = counts()
    body = ok(api(admin).get(msgs_url(handled)))
    assert body["results"]
    after = counts()
    before.pop("AuthToken"), after.pop("AuthToken")
    assert after == before
    assert not RoomMember.objects.filter(room=handled.room, staff=admin).exists()
    member.refresh_from_db()
    assert member.last_read_message_id == 0
    # Monitoring is read-only: posting needs membership (join).
    error(api(admin).post(msgs_url(handled), {"text": "hi"}, format="json"), 403)


def test_unknown_room_404(api, admin):
    assert error(api(admin).get("/api/v1/rooms/999999/messages"), 404)["detail"] == "Room not found."
    error(api(admin).post("/api/v1/rooms/999999/messages", {"text": "x"}, format="json"), 404)


def test_anonymous_401(api, handled):
    error(api().get(msgs_url(handled)), 401)


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   "},
        {},
        {"text": "x" * 10_001},
        {"text": "a\u0000b"},
        {"text": "hi", "client_id": "c" * 65},
        {"text": "hi", "reply_to": 999999},
        {"text": "hi", "reply_to": "first"},
        {"text": "hi", "reply_to": 10**30},
        {"text": {"rich": True}},
    ],
)
def test_post_bad_input_400(api, agent, handled, body):
    client = api(agent)
    before = counts()
    error(client.post(msgs_url(handled), body, format="json"), 400)
    assert counts() == before


def test_visitor_cannot_post_to_missed_enquiry(open_enquiry, support):
    e = open_enquiry()
    assert e.status == "missed"
    before = counts()
    r = visitor_of(e).post(msgs_url(e), {"text": "hello?"}, format="json")
    assert "note" in error(r, 409)["detail"]
    assert counts() == before


def test_closed_enquiry_is_read_only(api, agent, handled):
    services.enquiry_leave(actor=agent, enquiry_id=handled.pk)
    error(api(agent).post(msgs_url(handled), {"text": "hi"}, format="json"), 409)
    error(visitor_of(handled).post(msgs_url(handled), {"text": "hi"}, format="json"), 409)
    ok(api(agent).get(msgs_url(handled)))


def test_visitor_message_reopens_resolved(api, agent, handled):
    services.enquiry_resolve(actor=agent, enquiry_id=handled.pk)
    ok(visitor_of(handled).post(msgs_url(handled), {"text": "One more thing"}, format="json"), 201)
    handled.refresh_from_db()
    assert handled.status == "handling" and handled.owner_id == agent.pk
