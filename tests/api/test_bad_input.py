"""Bad input on every endpoint: a 4xx JSON answer with a "detail" string, and no row written."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from contactcenter.auth import visitor_token_for
from enquiries import services
from tests.api.conftest import counts, error

# (who, method, path); ids in braces come from the ``world`` fixture.
WRITES = [
    ("anon", "post", "/api/v1/auth/token"),
    ("anon", "post", "/api/v1/auth/session"),
    ("agent", "patch", "/api/v1/me"),
    ("admin", "post", "/api/v1/tags"),
    ("admin", "post", "/api/v1/staff"),
    ("admin", "patch", "/api/v1/staff/{agent}"),
    ("admin", "patch", "/api/v1/settings"),
    ("admin", "post", "/api/v1/channels"),
    ("admin", "patch", "/api/v1/channels/{channel}"),
    ("anon", "post", "/api/v1/widget/enquiries"),
    ("visitor", "post", "/api/v1/widget/enquiries/{missed}/note"),
    ("visitor", "post", "/api/v1/widget/enquiries/{resolved}/rating"),
    ("agent", "post", "/api/v1/enquiries/{handling}/transfer"),
    ("agent", "patch", "/api/v1/enquiries/{handling}/visitor"),
    ("agent", "post", "/api/v1/rooms/{room}/messages"),
    ("visitor", "post", "/api/v1/rooms/{room}/messages"),
]


@pytest.fixture
def world(api, admin, agent, make_visitor, open_enquiry, widget, make_staff, support) -> dict[str, Any]:
    visitor = make_visitor(widget)
    handling = open_enquiry(visitor=visitor)
    services.enquiry_pick_up(actor=agent, enquiry_id=handling.pk)
    other = open_enquiry()
    services.enquiry_pick_up(actor=agent, enquiry_id=other.pk)
    services.enquiry_resolve(actor=agent, enquiry_id=other.pk)
    resolved = other
    from enquiries.models import Enquiry

    # A missed enquiry of the same visitor, for the note endpoint.
    missed = open_enquiry()
    Enquiry.objects.filter(pk=missed.pk).update(status="missed", visitor=visitor)
    Enquiry.objects.filter(pk=resolved.pk).update(visitor=visitor)
    visitor_client = APIClient()
    visitor_client.credentials(HTTP_AUTHORIZATION=f"Visitor {visitor_token_for(visitor.pk)}")
    clients = {"anon": APIClient(), "agent": api(agent), "admin": api(admin), "visitor": visitor_client}
    ids = {
        "agent": agent.pk,
        "channel": widget.pk,
        "missed": missed.pk,
        "resolved": resolved.pk,
        "handling": handling.pk,
        "room": handling.room.pk,
    }
    return {"clients": clients, "ids": ids}


def _call(world: dict[str, Any], who: str, method: str, path: str, **kwargs: Any) -> Any:
    return getattr(world["clients"][who], method)(path.format(**world["ids"]), **kwargs)


@pytest.mark.parametrize(("who", "method", "path"), WRITES)
@pytest.mark.parametrize("raw", ['{"text": ', "{'a': 1}", "\ufeff{}", "[1, 2", "NaN", '{"a": Infinity}'])
def test_malformed_json_400(world, who, method, path, raw):
    before = counts()
    r = _call(world, who, method, path, data=raw.encode(), content_type="application/json")
    body = error(r, 400)
    assert "JSON" in body["detail"]
    assert counts() == before


@pytest.mark.parametrize(("who", "method", "path"), WRITES)
@pytest.mark.parametrize("raw", ["[]", "[1, 2]", '"text"', "5", "null", "true"])
def test_non_object_body_400(world, who, method, path, raw):
    before = counts()
    r = _call(world, who, method, path, data=raw.encode(), content_type="application/json")
    error(r, 400)
    assert counts() == before


@pytest.mark.parametrize(("who", "method", "path"), WRITES)
def test_unsupported_media_type_415(world, who, method, path):
    before = counts()
    r = _call(world, who, method, path, data=b"<xml/>", content_type="application/xml")
    error(r, 415)
    assert counts() == before


@pytest.mark.parametrize(("who", "method", "path"), WRITES)
def test_null_characters_refused(world, who, method, path):
    value = "bad\u0000value"
    body = {
        "email": value, "password": value, "availability": value, "name": value, "display_name": value,
        "kind": "widget", "channel_key": value, "message": value, "text": value, "score": 5, "comment": value,
        "tag": value, "first_name": value, "custom_info": value, "company_name": value,
    }  # fmt: skip
    before = counts()
    r = _call(world, who, method, path, data=body, format="json")
    error(r, 400)
    assert counts() == before


HUGE = "9" * 25


@pytest.mark.parametrize(
    ("who", "method", "path"),
    [
        ("admin", "get", f"/api/v1/staff/{HUGE}"),
        ("admin", "patch", f"/api/v1/staff/{HUGE}"),
        ("admin", "get", f"/api/v1/channels/{HUGE}"),
        ("admin", "get", f"/api/v1/enquiries/{HUGE}"),
        ("admin", "post", f"/api/v1/enquiries/{HUGE}/pick-up"),
        ("admin", "post", f"/api/v1/enquiries/{HUGE}/reject"),
        ("admin", "post", f"/api/v1/enquiries/{HUGE}/resolve"),
        ("admin", "post", f"/api/v1/enquiries/{HUGE}/leave"),
        ("admin", "post", f"/api/v1/enquiries/{HUGE}/join"),
        ("admin", "post", f"/api/v1/enquiries/{HUGE}/take-over"),
        ("admin", "patch", f"/api/v1/enquiries/{HUGE}/visitor"),
        ("admin", "get", f"/api/v1/rooms/{HUGE}/messages"),
        ("visitor", "get", f"/api/v1/widget/enquiries/{HUGE}"),
        ("visitor", "post", f"/api/v1/widget/enquiries/{HUGE}/note"),
    ],
)
def test_out_of_range_ids_404(world, who, method, path):
    before = counts()
    r = _call(world, who, method, path, data={"text": "x", "display_name": "x"}, format="json")
    error(r, 404)
    assert counts() == before


@pytest.mark.parametrize(
    ("who", "method", "path", "body"),
    [
        ("admin", "post", "/api/v1/channels", {"kind": "widget", "name": "W", "destination_tag": int(HUGE)}),
        ("admin", "post", "/api/v1/channels", {"kind": "widget", "name": "W", "destination_staff": "abc"}),
        ("agent", "post", "/api/v1/enquiries/{handling}/transfer", {"staff": int(HUGE)}),
        ("agent", "post", "/api/v1/enquiries/{handling}/transfer", {"staff": [1]}),
        ("agent", "post", "/api/v1/enquiries/{handling}/transfer", {"tag": HUGE}),
        ("anon", "post", "/api/v1/widget/enquiries", {"channel_key": "k", "message": "m", "staff": int(HUGE)}),
        ("admin", "post", "/api/v1/staff", {"email": "a@example.com", "password": "Str0ng-pass!", "tags": [HUGE]}),
        ("agent", "get", "/api/v1/rooms/{room}/messages?after=" + HUGE, None),
        ("agent", "get", "/api/v1/enquiries?page_size=abc&status=nope", None),
    ],
)
def test_out_of_range_values_400(world, who, method, path, body):
    before = counts()
    r = _call(world, who, method, path, data=body, format="json")
    error(r, 400)
    assert counts() == before


def test_form_encoded_settings_patch(world):
    # Form data is accepted like JSON and typed the same way.
    before = counts()
    r = _call(world, "admin", "patch", "/api/v1/settings", data="auto_close_minutes=soon",
              content_type="application/x-www-form-urlencoded")  # fmt: skip
    error(r, 400)
    assert counts() == before


def test_invalid_page_is_json(world):
    error(_call(world, "agent", "get", "/api/v1/enquiries?page=999"), 404)
    error(_call(world, "agent", "get", "/api/v1/enquiries?page=abc"), 404)
