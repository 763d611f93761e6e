"""Widget and web link endpoints (issue 5): channel settings and their validation, the
public channel configuration, the iframe and Engage Now pages with their framing policy,
QR codes, the visitor form's required fields and the per-visitor limit on new enquiries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from channels_adapters.models import Channel
from contactcenter.org.models import Staff, Tag
from enquiries.models import Enquiry, Visitor
from tests.api.conftest import counts, error, ok, visitor_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()


@pytest.fixture
def agent(make_staff: Callable[..., Staff], support: Tag) -> Staff:
    return make_staff(tags=[support], name="Alice Agent")


def _open(api: Callable[..., Any], channel: Channel, client: Any = None, **body: Any) -> Any:
    body.setdefault("channel_key", channel.key)
    body.setdefault("message", "Hello")
    return (client or api()).post("/api/v1/widget/enquiries", body, format="json")


# ------------------------------------------------------------------ settings


def test_admin_sets_widget_settings(api, admin, widget):
    changes = {
        "allowed_domains": ["shop.example.com", "*.Example.org", "https://app.example.net:8443"],
        "widget_color": "#FF5500",
        "widget_position": "left",
        "widget_greeting": "Hi there!",
        "widget_logo_url": "https://cdn.example.com/logo.png",
        "widget_company_name": "Example Ltd",
        "show_tag_directory": True,
        "show_staff_directory": True,
        "form_enabled": True,
        "form_required_fields": ["email", "first_name"],
        "weblink_slug": "sales-team",
    }
    got = ok(api(admin).patch(f"/api/v1/channels/{widget.pk}", changes, format="json"))
    assert got["allowed_domains"] == ["shop.example.com", "*.example.org", "https://app.example.net:8443"]
    assert got["widget_color"] == "#ff5500" and got["widget_position"] == "left"
    assert got["form_required_fields"] == ["first_name", "email"]  # canonical order
    assert got["weblink_url"] == "/l/sales-team"
    assert got["qr_png_url"] == f"/api/v1/channels/{widget.pk}/qr.png"
    assert got["widget_url"] == f"/widget/{widget.key}/"
    widget.refresh_from_db()
    assert widget.widget_company_name == "Example Ltd" and widget.show_staff_directory


def test_create_channel_with_weblink(api, admin, support):
    body = {"kind": "weblink", "name": "Flyer", "destination_tag": support.pk, "weblink_slug": "flyer"}
    got = ok(api(admin).post("/api/v1/channels", body, format="json"), 201)
    assert got["weblink_slug"] == "flyer" and got["kind"] == "weblink"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("allowed_domains", ["https://example.com/path"]),
        ("allowed_domains", ["exa mple.com"]),
        ("allowed_domains", "example.com"),
        ("allowed_domains", [f"d{i}.example.com" for i in range(51)]),
        ("widget_color", "red"),
        ("widget_color", "#12345"),
        ("widget_position", "top"),
        ("widget_logo_url", "javascript:alert(1)"),
        ("widget_logo_url", "not a url"),
        ("form_required_fields", ["password"]),
        ("weblink_slug", "Has Spaces"),
        ("weblink_slug", "-dash"),
        ("show_tag_directory", "maybe"),
        ("widget_greeting", "x" * 201),
    ],
)
def test_bad_widget_settings_are_refused(api, admin, widget, field, value):
    client = api(admin)
    before = counts()
    body = error(client.patch(f"/api/v1/channels/{widget.pk}", {field: value}, format="json"), 400)
    assert field in body
    assert counts() == before
    widget.refresh_from_db()
    assert widget.widget_color == "#2563eb" and widget.allowed_domains == [] and widget.weblink_slug is None


def test_weblink_slug_is_unique(api, admin, widget, make_channel, support):
    make_channel(tag=support, weblink_slug="taken")
    body = error(api(admin).patch(f"/api/v1/channels/{widget.pk}", {"weblink_slug": "taken"}, format="json"), 400)
    assert "already used" in body["detail"]


def test_agents_cannot_change_widget_settings(api, agent, widget):
    error(api(agent).patch(f"/api/v1/channels/{widget.pk}", {"widget_color": "#000000"}, format="json"), 403)


# ------------------------------------------------------------------ public config


def test_public_config_has_no_private_data(api, admin, widget, make_staff, support):
    sales = Tag.objects.create(name="Sales")
    make_staff(tags=[support], name="Ann Active", email="ann@example.com")
    make_staff(tags=[sales], name="Bob Away", availability=Staff.Availability.AWAY, email="bob@example.com")
    Tag.objects.create(name="Empty")  # no members: not listed
    api(admin).patch(
        f"/api/v1/channels/{widget.pk}",
        {
            "show_tag_directory": True,
            "show_staff_directory": True,
            "form_enabled": True,
            "form_required_fields": ["email"],
        },
        format="json",
    )
    response = api().get(f"/api/v1/widget/channels/{widget.key}")
    got = ok(response)
    assert response["Access-Control-Allow-Origin"] == "*"
    assert [(t["name"], t["available"]) for t in got["directory"]["tags"]] == [("Sales", False), ("Support", True)]
    staff = {s["display_name"]: s for s in got["directory"]["staff"]}
    assert staff["Bob Away"]["availability"] == "away" and staff["Ann Active"]["tags"] == ["Support"]
    assert "Ada Admin" not in staff  # belongs to no tag
    assert got["form"] == {
        "enabled": True,
        "fields": ["first_name", "last_name", "email", "phone"],
        "required": ["email"],
    }
    assert got["welcome_message"] == "Welcome!" and got["limits"]["note_chars"] == 2000
    text = response.content.decode()
    assert "@example.com" not in text and "VIP desk" not in text and "credentials" not in text


def test_public_config_limits_follow_the_settings(api, widget, settings):
    settings.CC_MESSAGE_MAX_CHARS = 25000
    settings.CC_NOTE_MAX_CHARS = 300
    got = ok(api().get(f"/api/v1/widget/channels/{widget.key}"))
    assert got["limits"] == {
        "message_chars": 25000,
        "note_chars": 300,
        "upload_bytes": settings.CC_MAX_UPLOAD_BYTES,
        "note_files": 5,
    }
    schema = api().get("/api/schema/?format=json").json()["components"]["schemas"]
    assert set(schema["WidgetLimitsOut"]["properties"]) == {"message_chars", "note_chars", "upload_bytes", "note_files"}
    assert schema["WidgetChannelOut"]["properties"]["limits"]["$ref"].endswith("/WidgetLimitsOut")


def test_first_message_limit_follows_the_setting(api, widget, agent, settings):
    # REST refuses what the socket would refuse and accepts what it would accept: one limit.
    settings.CC_MESSAGE_MAX_CHARS = 12000
    assert ok(_open(api, widget, message="x" * 11000), 201)["id"]
    settings.CC_MESSAGE_MAX_CHARS = 50
    before = counts()
    body = error(_open(api, widget, message="y" * 51), 400)
    assert "50 characters" in str(body), body
    assert counts() == before


def test_public_config_unknown_or_inactive_channel(api, admin, widget, make_channel, support):
    error(api().get("/api/v1/widget/channels/nope"), 404)
    widget.is_active = False
    widget.save(update_fields=["is_active"])
    error(api().get(f"/api/v1/widget/channels/{widget.key}"), 404)
    Channel.objects.filter(pk=widget.pk).update(is_active=True, kind="email")
    error(api().get(f"/api/v1/widget/channels/{widget.key}"), 404)


def test_public_config_is_rate_limited(api, widget, monkeypatch):
    from enquiries.auth import WidgetThrottle

    monkeypatch.setattr(WidgetThrottle, "THROTTLE_RATES", {"widget": "3/min"})
    for _ in range(3):
        ok(api().get(f"/api/v1/widget/channels/{widget.key}"))
    error(api().get(f"/api/v1/widget/channels/{widget.key}"), 429)


# ------------------------------------------------------------------ pages


def csp_directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in header.split(";")) if part}


def test_widget_page_frame_ancestors(widget):
    client = Client()
    response = client.get(f"/widget/{widget.key}/")
    assert response.status_code == 200
    assert csp_directives(response)["frame-ancestors"] == "*"
    assert "X-Frame-Options" not in response
    assert widget.key in response.content.decode()
    widget.allowed_domains = ["shop.example.com", "*.example.org"]
    widget.save(update_fields=["allowed_domains"])
    response = client.get(f"/widget/{widget.key}/")
    assert csp_directives(response)["frame-ancestors"] == "'self' shop.example.com *.example.org"
    assert "X-Frame-Options" not in response


def test_widget_page_escapes_settings(widget):
    widget.widget_company_name = "</script><script>alert(1)</script>"
    widget.welcome_message = "<img src=x onerror=alert(1)>"
    widget.save(update_fields=["widget_company_name", "welcome_message"])
    body = Client().get(f"/widget/{widget.key}/").content.decode()
    assert "<script>alert(1)" not in body and "<img src=x" not in body


def test_widget_page_unknown_channel_is_404():
    assert Client().get("/widget/unknown-key/").status_code == 404


def test_weblink_page(widget):
    assert Client().get("/l/sales").status_code == 404
    widget.weblink_slug = "sales"
    widget.save(update_fields=["weblink_slug"])
    response = Client().get("/l/sales?utm_source=flyer")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Engage now" in body and "widget/chat.js" in body
    assert csp_directives(response)["frame-ancestors"] == "'self'"


@pytest.mark.parametrize("page", ["widget", "weblink"])
def test_visitor_pages_run_only_the_projects_scripts(widget, page):
    """The chat pages may be framed by the customer's sites, but run no inline or foreign
    script and send requests only to this server."""
    widget.weblink_slug = "sales"
    widget.save(update_fields=["weblink_slug"])
    response = Client().get(f"/widget/{widget.key}/" if page == "widget" else "/l/sales")
    policy = csp_directives(response)
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["base-uri"] == "'self'"
    assert policy["connect-src"] == "'self' ws://testserver wss://testserver"


def test_loader_is_served():
    response = Client().get("/static/widget/loader.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    body = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    assert "window.ContactCenter" in body
    assert Client().get("/static/../settings.py").status_code == 404
    assert Client().get("/static/widget/missing.js").status_code == 404


# ------------------------------------------------------------------ QR codes


def test_qr_codes_for_admins(api, admin, agent, widget):
    error(api(admin).get(f"/api/v1/channels/{widget.pk}/qr.png"), 404)  # no web link yet
    widget.weblink_slug = "sales"
    widget.save(update_fields=["weblink_slug"])
    png = api(admin).get(f"/api/v1/channels/{widget.pk}/qr.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert 'filename="weblink-sales.png"' in png["Content-Disposition"]
    svg = api(admin).get(f"/api/v1/channels/{widget.pk}/qr.svg")
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content
    error(api(agent).get(f"/api/v1/channels/{widget.pk}/qr.png"), 403)
    assert api().get(f"/api/v1/channels/{widget.pk}/qr.svg").status_code in (401, 403)
    error(api(admin).get("/api/v1/channels/99999/qr.png"), 404)


def test_qr_code_encodes_the_link(api, admin, widget):
    import segno

    widget.weblink_slug = "sales"
    widget.save(update_fields=["weblink_slug"])
    svg = api(admin).get(f"/api/v1/channels/{widget.pk}/qr.svg").content
    expected = segno.make("http://testserver/l/sales", error="m")
    assert expected.symbol_size(scale=8, border=4)[0] > 0
    assert f'width="{expected.symbol_size(scale=8, border=4)[0]}"'.encode() in svg


# ------------------------------------------------------------------ opening enquiries


def test_required_form_fields(api, agent, widget):
    widget.form_enabled = True
    widget.form_required_fields = ["first_name", "email"]
    widget.save(update_fields=["form_enabled", "form_required_fields"])
    before = counts()
    body = error(_open(api, widget, visitor={"first_name": "Bo"}), 400)
    assert body["visitor.email"] == ["Email is required."]
    body = error(_open(api, widget, visitor={"first_name": "Bo", "email": "not-an-email"}), 400)
    assert "email" in body["detail"].lower()
    assert counts() == before
    ok(_open(api, widget, visitor={"first_name": "Bo", "email": "bo@example.com"}), 201)


def test_form_disabled_ignores_required_fields(api, agent, widget):
    widget.form_required_fields = ["email"]
    widget.save(update_fields=["form_required_fields"])
    ok(_open(api, widget), 201)


def test_over_long_message_is_refused(api, agent, widget):
    before = counts()
    body = error(_open(api, widget, message="x" * 10001), 400)
    assert "message" in body
    assert counts() == before


@override_settings(CC_WIDGET_MAX_ENQUIRIES_PER_HOUR=2)
def test_too_many_enquiries_per_visitor(api, agent, widget, clock):
    first = ok(_open(api, widget), 201)
    client = visitor_client(first["visitor_token"])
    Enquiry.objects.filter(pk=first["id"]).update(status="closed")
    second = ok(_open(api, widget, client), 201)
    Enquiry.objects.filter(pk=second["id"]).update(status="closed")
    before = counts()
    body = error(_open(api, widget, client), 429)
    assert "2 conversations in the last hour" in body["detail"] and body["code"] == "too_many_enquiries"
    assert counts() == before
    clock.advance(3601)
    ok(_open(api, widget, client), 201)
    assert Visitor.objects.count() == 1


def test_conversation_in_progress_is_409(api, agent, widget):
    first = ok(_open(api, widget), 201)
    body = error(_open(api, widget, visitor_client(first["visitor_token"])), 409)
    assert "already have a conversation" in body["detail"]


def test_weblink_channel_opens_enquiry_with_utm(api, agent, make_channel, support):
    link = make_channel(tag=support, kind="weblink", weblink_slug="flyer")
    got = ok(_open(api, link, utm={"utm_source": "qr", "utm_campaign": "spring"}, device={"channel": "weblink"}), 201)
    enquiry = Enquiry.objects.get(pk=got["id"])
    assert enquiry.channel_id == link.pk and enquiry.visitor.utm == {"utm_source": "qr", "utm_campaign": "spring"}
