"""Every documented operation answers only what /api/schema/ declares for it. Each one is
called here as an admin, as an agent, as a visitor and anonymously, with an empty body, and
every answer is checked by the autouse fixture in tests/api/conftest.py (documented status,
body valid against the declared schema)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.api.openapi_check import openapi
from tests.api.test_bad_input import world  # noqa: F401  (the fixture: staff, visitor, enquiries, room)

# A path parameter -> the id from the world fixture it is called with.
PARAMETER_IDS = {
    "staff_id": "agent",
    "channel_id": "channel",
    "enquiry_id": "handling",
    "room_id": "room",
    "visitor_id": "handling_visitor",
}

OPERATIONS = [
    (path, method)
    for path, item in openapi()["paths"].items()
    if path.startswith("/api/v1/")
    for method in item
    if method in {"get", "post", "patch", "put", "delete"}
]


def _concrete(path: str, ids: dict[str, Any]) -> str:
    # Parameters the world has no id for (message, file, quick reply, key) get 1.
    return re.sub(r"\{([a-z_]+)\}", lambda m: str(ids.get(PARAMETER_IDS.get(m.group(1), ""), 1)), path)


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_operation_answers_as_documented(world, path, method):  # noqa: F811
    url = _concrete(path, world["ids"])
    for who in ("anon", "visitor", "agent", "admin"):
        client = world["clients"][who]
        if method in {"get", "delete"}:
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, {}, format="json")
        # A 5xx only where the operation documents it (the AI provider's 502/503/504: with
        # no provider configured, the assist answers 503).
        documented = openapi()["paths"][path][method]["responses"]
        assert response.status_code < 500 or str(response.status_code) in documented, (
            who,
            method,
            url,
            response.status_code,
        )


def test_every_operation_is_walked():
    assert len(OPERATIONS) > 40
    assert ("/api/v1/enquiries/{enquiry_id}/take-over", "post") in OPERATIONS


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/me", "availability"),
        ("/api/v1/rooms/{room_id}/membership", "mute"),
        ("/api/v1/messages/{message_id}", "text"),
    ],
)
def test_patch_bodies_that_need_their_fields_are_not_patched(path, field):
    schema = openapi()
    ref = schema["paths"][path]["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    name = ref.rsplit("/", 1)[-1]
    assert not name.startswith("Patched"), name
    assert field in schema["components"]["schemas"][name]["required"]


def test_errors_documented_once():
    schema = openapi()
    post = schema["paths"]["/api/v1/rooms/{room_id}/messages"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "415", "429", "503"} <= set(post)
    assert post["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]
