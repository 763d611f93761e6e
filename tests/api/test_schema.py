"""The OpenAPI schema is served and documents every endpoint of the REST contract."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

PATHS = {
    "/api/v1/auth/token": {"post"},
    "/api/v1/auth/session": {"post"},
    "/api/v1/auth/logout": {"post"},
    "/api/v1/auth/socket-ticket": {"post"},
    "/api/v1/me": {"get", "patch"},
    "/api/v1/tags": {"get", "post"},
    "/api/v1/tags/{tag_id}": {"get", "patch", "delete"},
    "/api/v1/staff": {"get", "post"},
    "/api/v1/staff/{staff_id}": {"get", "patch"},
    "/api/v1/settings": {"get", "patch"},
    "/api/v1/channels": {"get", "post"},
    "/api/v1/channels/{channel_id}": {"get", "patch"},
    "/api/v1/channels/kinds": {"get"},
    "/api/v1/channels/test-connection": {"post"},
    "/api/v1/widget/enquiries": {"post"},
    "/api/v1/widget/enquiries/{enquiry_id}": {"get"},
    "/api/v1/widget/enquiries/{enquiry_id}/note": {"post"},
    "/api/v1/widget/enquiries/{enquiry_id}/rating": {"post"},
    "/api/v1/enquiries": {"get"},
    "/api/v1/enquiries/{enquiry_id}": {"get"},
    "/api/v1/enquiries/{enquiry_id}/pick-up": {"post"},
    "/api/v1/enquiries/{enquiry_id}/reject": {"post"},
    "/api/v1/enquiries/{enquiry_id}/resolve": {"post"},
    "/api/v1/enquiries/{enquiry_id}/leave": {"post"},
    "/api/v1/enquiries/{enquiry_id}/transfer": {"post"},
    "/api/v1/enquiries/{enquiry_id}/visitor": {"patch"},
    "/api/v1/visitors/{visitor_id}/revoke-tokens": {"post"},
    "/api/v1/enquiries/{enquiry_id}/join": {"post"},
    "/api/v1/enquiries/{enquiry_id}/take-over": {"post"},
    "/api/v1/monitoring/overview": {"get"},
    "/api/v1/rooms/{room_id}/messages": {"get", "post"},
}


@pytest.fixture(scope="module")
def schema() -> dict:
    r = APIClient().get("/api/schema/?format=json")
    assert r.status_code == 200, r.content[:300]
    return r.json()


def test_schema_served_as_yaml(db):
    r = APIClient().get("/api/schema/")
    assert r.status_code == 200 and b"openapi:" in r.content


def test_every_path_documented(schema):
    for path, methods in PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), (path, set(schema["paths"][path]))


def test_operation_ids_unique(schema):
    ids = [op["operationId"] for item in schema["paths"].values() for op in item.values() if "operationId" in op]
    assert len(ids) == len(set(ids))


def test_security_schemes(schema):
    schemes = schema["components"]["securitySchemes"]
    assert {"staffToken", "staffSession", "visitorToken"} <= set(schemes)
    widget_get = schema["paths"]["/api/v1/widget/enquiries/{enquiry_id}"]["get"]
    assert widget_get["security"] == [{"visitorToken": []}]


def _props(schema: dict, ref: str) -> set[str]:
    return set(schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"])


def test_response_shapes_documented(schema):
    pick_up = schema["paths"]["/api/v1/enquiries/{enquiry_id}/pick-up"]["post"]["responses"]["200"]
    enquiry = _props(schema, pick_up["content"]["application/json"]["schema"]["$ref"])
    assert {"id", "status", "kind", "channel_kind", "destination", "visitor", "owner", "room", "created_at"} <= enquiry
    assert "queue_position" in enquiry
    post = schema["paths"]["/api/v1/rooms/{room_id}/messages"]["post"]["responses"]
    message = _props(schema, post["201"]["content"]["application/json"]["schema"]["$ref"])
    assert {"id", "kind", "text", "author", "created_at", "client_id"} <= message
    widget = schema["paths"]["/api/v1/widget/enquiries"]["post"]["responses"]["201"]
    opened = _props(schema, widget["content"]["application/json"]["schema"]["$ref"])
    assert {"id", "status", "visitor_token", "queue_position"} <= opened


def test_schema_generates_without_warnings(db, tmp_path, capsys):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(out), "--validate", "--fail-on-warn")
    assert out.read_text().startswith("openapi:")


def test_socket_ticket_documented_as_token_only(schema):
    post = schema["paths"]["/api/v1/auth/socket-ticket"]["post"]
    assert post["security"] == [{"staffToken": []}]
    ticket = _props(schema, post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"])
    assert ticket == {"ticket"}
