"""Visitor tokens have a lifetime, are renewed while the visitor is active, and can be
revoked (issue 10)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing

from enquiries.auth import VISITOR_TOKEN_HEADER, visitor_token_for
from enquiries.models import Visitor
from tests.api.conftest import error, ok, visitor_client

LIFE = settings.CC_VISITOR_TOKEN_MAX_AGE_SECONDS


def state_url(body):
    return f"/api/v1/widget/enquiries/{body['id']}"


def test_token_expires(widget_open, agent, clock):
    body = ok(widget_open(), 201)
    client = visitor_client(body["visitor_token"])
    clock.advance(LIFE - 1)
    assert client.get(state_url(body)).status_code == 200
    clock.advance(1)
    detail = error(client.get(state_url(body)), 401)["detail"]
    assert "expired" in detail


def test_active_visitor_gets_a_fresh_token(widget_open, agent, clock):
    body = ok(widget_open(), 201)
    client = visitor_client(body["visitor_token"])
    response = client.get(state_url(body))
    assert VISITOR_TOKEN_HEADER not in response  # young: nothing to renew
    clock.advance(LIFE * 0.3)
    response = client.get(state_url(body))
    fresh = response[VISITOR_TOKEN_HEADER]
    assert fresh and fresh != body["visitor_token"]
    clock.advance(LIFE * 0.8)  # the first token has expired; the fresh one has not
    assert client.get(state_url(body)).status_code == 401
    assert visitor_client(fresh).get(state_url(body)).status_code == 200


def test_revoke_by_a_room_member(widget_open, agent, api, events):
    body = ok(widget_open(), 201)
    client = visitor_client(body["visitor_token"])
    visitor_id = Visitor.objects.latest("id").pk
    staff = api(agent)
    ok(staff.post(f"/api/v1/enquiries/{body['id']}/pick-up"))
    events.clear()
    assert staff.post(f"/api/v1/visitors/{visitor_id}/revoke-tokens").status_code == 204
    assert "revoked" in error(client.get(state_url(body)), 401)["detail"]
    assert [(g, p["data"]["reason"]) for g, p in events.of_type("session.ended")] == [
        ([f"visitor.{visitor_id}"], "revoked")
    ]
    # A token made for the new epoch works.
    visitor = Visitor.objects.get(pk=visitor_id)
    assert visitor_client(visitor_token_for(visitor.pk, visitor.token_epoch)).get(state_url(body)).status_code == 200


def test_revoke_permissions(widget_open, agent, agent2, admin, api):
    body = ok(widget_open(), 201)
    visitor_id = Visitor.objects.latest("id").pk
    error(api(agent2).post(f"/api/v1/visitors/{visitor_id}/revoke-tokens"), 403)  # not in the room
    assert visitor_client(body["visitor_token"]).get(state_url(body)).status_code == 200
    error(api(admin).post("/api/v1/visitors/999999/revoke-tokens"), 404)
    error(visitor_client(body["visitor_token"]).post(f"/api/v1/visitors/{visitor_id}/revoke-tokens"), 401)
    assert api(admin).post(f"/api/v1/visitors/{visitor_id}/revoke-tokens").status_code == 204
    error(visitor_client(body["visitor_token"]).get(state_url(body)), 401)


def test_tokens_from_before_lifetimes_still_work(widget_open, agent):
    body = ok(widget_open(), 201)
    visitor_id = Visitor.objects.latest("id").pk
    legacy = signing.dumps({"v": visitor_id}, salt="contactcenter.visitor", compress=True)
    assert visitor_client(legacy).get(state_url(body)).status_code == 200
