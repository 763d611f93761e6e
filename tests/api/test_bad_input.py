"""Bad input on every endpoint: a 4xx JSON answer with a "detail" string, and no row written."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from enquiries import services
from enquiries.auth import visitor_token_for
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
        "handling_visitor": handling.visitor_id,
        "tag": support.pk,
    }
    return {"clients": clients, "ids": ids}


def _call(world: dict[str, Any], who: str, method: str, path: str, **kwargs: Any) -> Any:
    return getattr(world["clients"][who], method)(path.format(**world["ids"]), **kwargs)


def _refused(world: dict[str, Any], who: str, method: str, path: str, status: int, **kwargs: Any) -> dict[str, Any]:
    """The call answers the error ``status`` and writes nothing; its body."""
    before = counts()
    body = error(_call(world, who, method, path, **kwargs), status)
    assert counts() == before
    return body


def _refused_json(world: dict[str, Any], who: str, method: str, path: str, raw: str) -> dict[str, Any]:
    """``_refused`` with 400 for the raw JSON text ``raw``."""
    return _refused(world, who, method, path, 400, data=raw.encode(), content_type="application/json")


@pytest.mark.parametrize(("who", "method", "path"), WRITES)
@pytest.mark.parametrize("raw", ['{"text": ', "{'a': 1}", "\ufeff{}", "[1, 2", "NaN", '{"a": Infinity}'])
def test_malformed_json_400(world, who, method, path, raw):
    body = _refused_json(world, who, method, path, raw)
    assert "JSON" in body["detail"]


@pytest.mark.parametrize(("who", "method", "path"), WRITES)
@pytest.mark.parametrize("raw", ["[]", "[1, 2]", '"text"', "5", "null", "true"])
def test_non_object_body_400(world, who, method, path, raw):
    _refused_json(world, who, method, path, raw)


@pytest.mark.parametrize(("who", "method", "path"), WRITES)
def test_unsupported_media_type_415(world, who, method, path):
    _refused(world, who, method, path, 415, data=b"<xml/>", content_type="application/xml")


@pytest.mark.parametrize(("who", "method", "path"), WRITES)
def test_null_characters_refused(world, who, method, path):
    value = "bad\u0000value"
    body = {
        "email": value, "password": value, "availability": value, "name": value, "display_name": value,
        "kind": "widget", "channel_key": value, "message": value, "text": value, "score": 5, "comment": value,
        "tag": value, "first_name": value, "custom_info": value, "company_name": value,
    }  # fmt: skip
    _refused(world, who, method, path, 400, data=body, format="json")


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
    _refused(world, who, method, path, 404, data={"text": "x", "display_name": "x"}, format="json")


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
    _refused(world, who, method, path, 400, data=body, format="json")


def test_form_encoded_settings_patch(world):
    # Form data is accepted like JSON and typed the same way.
    _refused(world, "admin", "patch", "/api/v1/settings", 400, data="auto_close_minutes=soon",
             content_type="application/x-www-form-urlencoded")  # fmt: skip


def test_invalid_page_is_json(world):
    error(_call(world, "agent", "get", "/api/v1/enquiries?page=999"), 404)
    error(_call(world, "agent", "get", "/api/v1/enquiries?page=abc"), 404)


# ---------------------------------------------------------------- issue 10: malformed input
# Deep nesting (a RecursionError in the parser), lone surrogates (unencodable: PostgreSQL
# refuses them), NUL, bodies over DATA_UPLOAD_MAX_MEMORY_SIZE: a JSON 4xx, nothing written.

FIELDS = (
    "email", "password", "availability", "name", "display_name", "channel_key", "message", "text",
    "comment", "first_name", "custom_info", "company_name", "welcome_message", "contact",
)  # fmt: skip


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize(("who", "method", "path"), WRITES)
@pytest.mark.parametrize("levels", [5000, 100_000, 40])
def test_deeply_nested_json_400(world, who, method, path, levels):
    raw = f'{{"text": "x", "message": "x", "utm": {{"utm_source": {_deep(levels)}}}}}'
    body = _refused_json(world, who, method, path, raw)
    assert "nested too deeply" in body["detail"]


@pytest.mark.parametrize(("who", "method", "path"), WRITES)
@pytest.mark.parametrize("where", ["value", "key", "nested"])
@pytest.mark.parametrize("char", ["\\ud800", "\\udfff", "\\u0000"])
def test_lone_surrogates_and_nul_anywhere_400(world, who, method, path, where, char):
    bad = f'"bad{char}value"'
    if where == "value":
        raw = "{" + ", ".join(f'"{f}": {bad}' for f in FIELDS) + ', "kind": "widget", "score": 5}'
    elif where == "key":
        raw = f'{{"text": "ok", "message": "ok", {bad}: "x"}}'
    else:
        raw = f'{{"text": "ok", "message": "ok", "device": {{"screen": [1, {{"a": {bad}}}]}}}}'
    body = _refused_json(world, who, method, path, raw)
    assert "surrogate" in body["detail"] or "Null character" in body["detail"]


@pytest.mark.parametrize(
    ("who", "method", "path", "raw", "field"),
    [
        ("anon", "post", "/api/v1/widget/enquiries", '{"message": "m", "utm": {"utm_source": "\\ud800"}}', "utm"),
        ("anon", "post", "/api/v1/widget/enquiries", '{"message": "m", "device": {"\\udc00x": "y"}}', "device"),
        ("anon", "post", "/api/v1/widget/enquiries", '{"message": "m", "utm": {"utm_x": 1e999}}', None),
        ("admin", "patch", "/api/v1/settings", '{"work_hours": {"timezone": "X/\\ud800", "days": {}}}', "work_hours"),
        ("admin", "patch", "/api/v1/settings", '{"work_hours": {"timezone": "X/\\u0000", "days": {}}}', "work_hours"),
        ("agent", "patch", "/api/v1/enquiries/{handling}/visitor", '{"first_name": "\\ud83d"}', "first_name"),
    ],
)  # fmt: skip
def test_reported_cases_400(world, who, method, path, raw, field):
    from channels_adapters.models import Channel

    raw = raw.replace(
        '{"message"', '{{"channel_key": "{}", "message"'.format(Channel.objects.get(pk=world["ids"]["channel"]).key)
    )
    body = _refused_json(world, who, method, path, raw)
    if field:
        assert field in body, body


def test_valid_astral_characters_are_kept(world, widget):
    """Surrogate pairs as JSON escapes are one valid character: accepted."""
    raw = (
        f'{{"channel_key": "{widget.key}", "message": "hi \\ud83d\\ude00", "utm": {{"utm_source": "\\ud83d\\ude00"}}}}'
    )
    r = _call(world, "anon", "post", "/api/v1/widget/enquiries", data=raw.encode(), content_type="application/json")
    assert r.status_code == 201, r.content
    from enquiries.models import Enquiry

    enquiry = Enquiry.objects.order_by("-id").first()
    assert enquiry is not None
    assert enquiry.first_message == "hi \U0001f600" and enquiry.visitor.utm == {"utm_source": "\U0001f600"}


@pytest.mark.parametrize(("who", "method", "path"), WRITES)
def test_body_over_the_size_limit_413(world, who, method, path, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    raw = '{{"text": "{}", "message": "{}"}}'.format("x" * 6000, "y" * 6000)
    before = counts()
    r = _call(world, who, method, path, data=raw.encode(), content_type="application/json")
    body = error(r, 413)
    assert "too large" in body["detail"]
    form = _call(
        world, who, method, path, data=f"text={'x' * 12_000}", content_type="application/x-www-form-urlencoded"
    )
    # Login takes JSON only (login CSRF): a form body is refused for its type, unread.
    error(form, 415 if path == "/api/v1/auth/session" else 413)
    assert counts() == before


def test_form_and_multipart_bodies_are_checked_too(world):
    before = counts()
    r = _call(world, "agent", "post", "/api/v1/rooms/{room}/messages", data="text=a%00b",
              content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert "Null character" in error(r, 400)["detail"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("note.txt", b"hello", content_type="text/plain")
    r = _call(world, "agent", "post", "/api/v1/rooms/{room}/files", data={"file": upload, "text": "cap\x00tion"},
              format="multipart")  # fmt: skip
    assert "Null character" in error(r, 400)["detail"]
    assert counts() == before


def test_json_errors_on_api_paths_for_django_level_failures(world, settings, client):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    r = client.post("/webhooks/line/1/", data=b"x" * 1000, content_type="application/json")
    assert r.status_code in (404, 413)  # no such channel may answer first
    error(client.get("/api/v1/nowhere"), 404)
    error(client.get("/api/v9/whatever/"), 404)


# ---------------------------------------------------------------- the sweep
# Every API route the URLconf lists, with every write method its view has, as each kind of
# caller, gets each kind of bad body: never a 5xx, never HTML, a 4xx says why.


def _routes() -> list[tuple[str, str]]:
    from django.urls import get_resolver

    def walk(patterns: Any, prefix: str = "") -> Any:
        for p in patterns:
            if hasattr(p, "url_patterns"):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p.callback

    found = []
    for route, callback in walk(get_resolver().url_patterns):
        cls = getattr(callback, "cls", None)
        if not route.startswith(("api/", "webhooks/")):
            continue
        methods = ["post"] if cls is None else [m for m in ("post", "put", "patch") if hasattr(cls, m)]
        found += [(route, m) for m in methods]
    return found


PARAMS = {
    "staff_id": "{agent}",
    "tag_id": "{tag}",
    "channel_id": "{channel}",
    "enquiry_id": "{handling}",
    "room_id": "{room}",
    "visitor_id": "{handling_visitor}",
    "message_id": "{message}",
    "quick_reply_id": "1",
    "article_id": "1",
    "customer_id": "1",
    "merge_id": "1",
    "criterion_id": "1",
    "review_id": "1",
    "notification_id": "1",
    "kind": "line",
    "key": "{key}",
    "webhook_id": "1",
    "delivery_id": "1",
}

BAD_BODIES: dict[str, bytes] = {
    "nested": (f'{{"text": "x", "name": {_deep(5000)}}}').encode(),
    "surrogate_value": b'{"text": "a\\ud800", "name": "a\\ud800", "message": "a\\udfff", "display_name": "\\ud800"}',
    "surrogate_key": b'{"\\ud800": 1, "text": "ok"}',
    "nul": b'{"text": "a\\u0000", "name": "a\\u0000", "message": "\\u0000", "display_name": "\\u0000"}',
    "huge": b'{"text": "' + b"x" * 3_000_000 + b'"}',
    "infinity": b'{"text": "x", "score": 1e999, "max_concurrent": 1e999}',
}


# Actions that take no body: what is sent is not read, so it cannot be bad.
BODY_IGNORED = {
    f"api/v1/{p}"
    for p in ("auth/logout", "enquiries/<int:enquiry_id>/resolve", "enquiries/<int:enquiry_id>/leave",
              "enquiries/<int:enquiry_id>/join", "enquiries/<int:enquiry_id>/take-over", "auth/socket-ticket",
              "visitors/<int:visitor_id>/revoke-tokens", "widget/enquiries/<int:enquiry_id>/end",
              "enquiries/<int:enquiry_id>/rating-invite", "channels/<int:channel_id>/identity/rotate",
              "widget/enquiries/<int:enquiry_id>/robot/handover")
}  # fmt: skip


@pytest.mark.parametrize(("route", "method"), _routes())
def test_every_endpoint_answers_bad_bodies_with_json_4xx(world, widget, route, method):
    import re

    from rooms.models import Message

    ids = {**world["ids"], "key": widget.key, "tag": widget.destination.tag_id}
    ids["message"] = Message.objects.filter(room_id=ids["room"]).order_by("id").values_list("id", flat=True).first()
    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: PARAMS[m[1]], route).format(**ids)
    for who in ("anon", "visitor", "agent", "admin"):
        for name, raw in BAD_BODIES.items():
            before = counts()
            r = getattr(world["clients"][who], method)(path, data=raw, content_type="application/json")
            assert r.status_code < 500, (who, name, path, r.status_code, r.content[:300])
            if r.status_code >= 400 and route.startswith("api/"):
                error(r, r.status_code)
            if name != "infinity" and route.startswith("api/") and route not in BODY_IGNORED:
                assert 400 <= r.status_code < 500, (who, name, path, r.status_code)
                assert counts() == before, (who, name, path)
