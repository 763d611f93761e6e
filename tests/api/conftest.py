"""Helpers for the REST API tests: error-shape checks, row-count snapshots, and a few
ready-made staff members."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from channels_adapters.models import Channel
from contactcenter.org.models import AuthToken, Staff, Tag
from enquiries.models import Enquiry, EnquiryAlert, EnquiryEvent, EnquiryNote, Transfer, Visitor
from rooms.models import Message, Room, RoomMember

COUNTED: tuple[type[Any], ...] = (Staff, Tag, AuthToken, Channel, Visitor, Enquiry, EnquiryAlert, EnquiryEvent)
COUNTED += (EnquiryNote, Transfer, Room, RoomMember, Message)


def counts() -> dict[str, int]:
    """Row counts of every table an API call could write to."""
    return {model.__name__: model.objects.count() for model in COUNTED}


def error(response: Any, status: int) -> dict[str, Any]:
    """Assert an error response: the status, a JSON body and a non-empty "detail" string."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("detail"), str) and body["detail"].strip(), body
    return body


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return response.json() if response.content else None


def visitor_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Visitor {token}")
    return client


@pytest.fixture
def agent(make_staff: Callable[..., Staff], support: Tag) -> Staff:
    return make_staff(tags=[support], name="Alice Agent")


@pytest.fixture
def agent2(make_staff: Callable[..., Staff], support: Tag) -> Staff:
    return make_staff(tags=[support], name="Bob Agent")


@pytest.fixture
def widget_open(api: Callable[..., APIClient], widget: Channel) -> Callable[..., Any]:
    """POST /widget/enquiries as a new visitor (or with ``client``); returns the response."""

    def post(client: APIClient | None = None, **body: Any) -> Any:
        body.setdefault("channel_key", widget.key)
        body.setdefault("message", "Hello, I need help")
        return (client or api()).post("/api/v1/widget/enquiries", body, format="json")

    return post


@pytest.fixture(autouse=True)
def _check_responses_against_schema(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every response an API test receives must agree with /api/schema/ (documented status,
    body valid against the declared schema): tests/api/openapi_check.py."""
    from tests.api.openapi_check import problems  # imported late: it builds the schema on first use

    found: list[str] = []
    original = APIClient.request

    def request(self: APIClient, **kwargs: Any) -> Any:
        response = original(self, **kwargs)
        path = kwargs.get("PATH_INFO", "")
        if path.startswith("/api/v1/"):
            content_type = response.get("Content-Type", "")
            body = response.json() if content_type.startswith("application/json") and response.content else None
            method = kwargs.get("REQUEST_METHOD", "GET")
            found.extend(problems(method, path, response.status_code, content_type, body))
        return response

    monkeypatch.setattr(APIClient, "request", request)
    yield
    assert not found, "responses disagree with /api/schema/:\n" + "\n".join(dict.fromkeys(found))
