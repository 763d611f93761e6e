"""Supervision over HTTP (SPEC 5): overview, join and take over are for admins only."""

from __future__ import annotations

import pytest

from enquiries import services
from enquiries.models import EnquiryEvent
from rooms.models import RoomMember
from tests.api.conftest import counts, error, ok


@pytest.fixture
def handled(open_enquiry, agent):
    e = open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=e.pk)
    return e


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/monitoring/overview"), ("post", "/join"), ("post", "/take-over")],
)
def test_agents_get_403(api, agent, handled, method, path):
    url = path if path.startswith("/api") else f"/api/v1/enquiries/{handled.pk}{path}"
    client = api(agent)
    before = counts()
    error(getattr(client, method)(url), 403)
    assert counts() == before
    handled.refresh_from_db()
    assert handled.owner_id == agent.pk


def test_visitors_and_anonymous_refused(api, handled):
    for client in (api(), api(handled.visitor)):
        error(client.get("/api/v1/monitoring/overview"), 401)
        error(client.post(f"/api/v1/enquiries/{handled.pk}/join"), 401)


def test_overview(api, admin, agent, open_enquiry, handled, clock):
    waiting = open_enquiry()
    clock.advance(30)
    body = ok(api(admin).get("/api/v1/monitoring/overview"))
    assert [e["id"] for e in body["open"]] == [waiting.pk] and body["open"][0]["waited_seconds"] == 30
    assert [e["id"] for e in body["handling"]] == [handled.pk]
    assert body["handling"][0]["owner"]["id"] == agent.pk
    assert body["today"]["open"] == 1 and body["today"]["handling"] == 1
    assert {"missed", "resolved"} <= set(body["today"])


def test_join(api, admin, agent, handled):
    client = api(admin)
    body = ok(client.post(f"/api/v1/enquiries/{handled.pk}/join"))
    assert body["owner"]["id"] == agent.pk
    assert RoomMember.objects.get(room=handled.room, staff=admin).role == "participant"
    assert handled.room.members.count() == 2  # two staff + the visitor: three parties
    assert EnquiryEvent.objects.filter(enquiry=handled, type="joined", actor=admin).exists()
    assert error(client.post(f"/api/v1/enquiries/{handled.pk}/join"), 409)["code"] == "already_member"
    # Now a member, the admin may post.
    ok(client.post(f"/api/v1/rooms/{handled.room.pk}/messages", {"text": "Hello from admin"}, format="json"), 201)


def test_take_over(api, admin, agent, handled):
    client = api(admin)
    body = ok(client.post(f"/api/v1/enquiries/{handled.pk}/take-over"))
    assert body["owner"]["id"] == admin.pk
    assert RoomMember.objects.get(room=handled.room, staff=admin).role == "owner"
    assert RoomMember.objects.get(room=handled.room, staff=agent).role == "participant"
    assert error(client.post(f"/api/v1/enquiries/{handled.pk}/take-over"), 409)["code"] == "already_owner"
    # With the owner's rights.
    assert ok(client.post(f"/api/v1/enquiries/{handled.pk}/resolve"))["status"] == "resolved"


def test_join_open_enquiry_409(api, admin, agent, open_enquiry):
    e = open_enquiry()
    client = api(admin)
    before = counts()
    error(client.post(f"/api/v1/enquiries/{e.pk}/join"), 409)
    error(client.post(f"/api/v1/enquiries/{e.pk}/take-over"), 409)
    assert counts() == before


def test_unknown_enquiry_404(api, admin):
    error(api(admin).post("/api/v1/enquiries/999999/join"), 404)
    error(api(admin).post("/api/v1/enquiries/999999/take-over"), 404)
