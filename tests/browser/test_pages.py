"""The dashboard's page views (no browser needed): redirects, admin pages for admins only,
logout by POST, the static files a bare daphne serves."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from django.test import Client

from contactcenter.org.models import Staff
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def logged_in(staff: Staff) -> Client:
    client = Client()
    response = client.post(
        "/api/v1/auth/session", {"email": staff.email, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return client


def test_anonymous_visitors_are_sent_to_the_login_page() -> None:
    client = Client()
    assert client.get("/").headers["Location"] == "/login/"
    response = client.get("/app/inbox")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/?next=/app/inbox"
    page = client.get("/login/?next=https://evil.example/")
    assert page.status_code == 200
    assert b'data-next="/app/"' in page.content


def test_agents_get_the_dashboard_but_not_admin_pages(make_staff: Callable[..., Staff], admin: Staff) -> None:
    agent = logged_in(make_staff(name="Alice <script>"))
    assert agent.get("/").headers["Location"] == "/app/"
    page = agent.get("/app/")
    assert page.status_code == 200
    assert b"Alice &lt;script&gt;" in page.content
    assert b"/app/admin/staff" not in page.content
    assert agent.get("/app/admin/staff").status_code == 403
    assert agent.get("/app/quick-replies").status_code == 200
    assert agent.get("/app/rooms/12").status_code == 200  # the API decides what the room shows
    boss = logged_in(admin)
    assert boss.get("/app/admin/overview").status_code == 200
    assert b"/app/admin/staff" in boss.get("/app/").content
    assert boss.get("/app/admin/nope").status_code == 404


def test_the_dashboard_boot_data_carries_the_servers_limits(make_staff: Callable[..., Staff], settings) -> None:  # type: ignore[no-untyped-def]
    settings.CC_MESSAGE_MAX_CHARS = 25000
    page = logged_in(make_staff()).get("/app/")
    found = re.search(rb'<script id="cc-boot" type="application/json">(.*?)</script>', page.content, re.S)
    assert found is not None
    boot = json.loads(found[1])
    assert boot["message_max_chars"] == 25000
    assert boot["max_upload_bytes"] == settings.CC_MAX_UPLOAD_BYTES


def test_logout_needs_a_post_and_ends_the_session(make_staff: Callable[..., Staff]) -> None:
    client = logged_in(make_staff())
    assert client.get("/logout/").status_code == 405
    assert client.post("/logout/").headers["Location"] == "/login/"
    assert client.get("/app/").status_code == 302


def test_static_files_are_served_without_escaping_the_folder() -> None:
    client = Client()
    js = client.get("/static/js/dashboard/app.js")
    assert js.status_code == 200
    assert js.headers["Content-Type"].startswith("text/javascript")
    assert client.get("/static/../manage.py").status_code == 404
    assert client.get("/static/js/../../manage.py").status_code == 404


def _policy(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response.headers["Content-Security-Policy"]
    return {p.strip().split(" ", 1)[0]: p.strip().split(" ", 1)[1] for p in header.split(";") if p.strip()}


@pytest.mark.parametrize("path", ["/login/", "/app/", "/app/inbox", "/app/rooms/3", "/app/admin/staff"])
def test_staff_pages_send_a_strict_content_security_policy(path: str, admin: Staff) -> None:
    client = Client() if path == "/login/" else logged_in(admin)
    response = client.get(path)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == "'self'"  # no inline script, no eval, no CDN
    assert policy["img-src"] == "'self' data: blob:"  # preview images and photos are the server's copies
    assert policy["connect-src"] == "'self' ws://testserver wss://testserver"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["style-src"] == "'self'"
    # Nothing inline for the policy to block: the only scripts are the static modules (and
    # the JSON boot data, which a browser does not run).
    body = response.content.decode()
    for tag in body.split("<script")[1:]:
        opening = tag.split(">", 1)[0]
        # ... and the JavaScript catalogue of the page's language, a classic same-origin script.
        assert (
            'type="module" src="/static/' in opening
            or 'type="application/json"' in opening
            or re.fullmatch(r' src="/jsi18n/[a-z-]+\.js\?v=\w+"', opening)
        ), opening
    assert "<style" not in body and " style=" not in body and " onclick=" not in body


def test_error_pages_load_no_inline_style(make_staff: Callable[..., Staff]) -> None:
    response = logged_in(make_staff()).get("/app/admin/staff")
    assert response.status_code == 403
    assert "<style" not in response.content.decode()
    assert _policy(response)["script-src"] == "'self'"
