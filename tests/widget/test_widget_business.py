"""The visitor sees the business (issue 13, "business") in Debian's Chromium: a web link with
the admin's UTM parameters (the QR code encodes them) opens, on a phone and on a desktop,
under the business's heading and straight on its team's start form; the enquiry records
the UTM set; when an admin joins and takes over, the visitor reads "Demo Admin joined",
never a role. Screenshots: docs/screenshots/widget-weblink-business*.png."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard import ALICE, finish, login, started_server
from tests.integration.test_real_timers import Server, token_headers
from tests.widget.test_widget_browser import CHROMIUM, TAKE_SCREENSHOTS, _csp_violation, _shot, sync_api

DEMO_ADMIN = ("--email", "demo@example.com", "--role", "admin", "--name", "Demo Admin", "--active")
UTM = {"utm_source": "poster", "utm_medium": "print", "utm_campaign": "spring sale"}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, httpx.Client, dict[str, str]]]:
    """A server (nobody is missed while the test runs) with Alice (Support), Demo Admin, the
    company "Acme Shop" and a Billing team next to Support."""
    with started_server(tmp_path_factory.mktemp("business"), staff=(ALICE, DEMO_ADMIN), max_wait_seconds=120) as (
        srv,
        http,
        admin,
    ):
        assert http.patch("/api/v1/settings", headers=admin, json={"company_name": "Acme Shop"}).status_code == 200
        assert http.post("/api/v1/tags", headers=admin, json={"name": "Billing"}).status_code == 201
        yield srv, http, admin


def _weblink(http: httpx.Client, admin: dict[str, str], **fields: Any) -> dict[str, Any]:
    tags = http.get("/api/v1/tags", headers=admin).json()["results"]
    support = next(t["id"] for t in tags if t["name"] == "Support")
    body = {"kind": "weblink", "name": "Agent link", "destination_tag": support, "show_tag_directory": True, **fields}
    response = http.post("/api/v1/channels", headers=admin, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _browser(pw: Any) -> Any:
    return pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])


@pytest.mark.timeout(180)
def test_weblink_on_a_phone_shows_the_business_and_records_the_utm(shop: tuple[Server, httpx.Client, Any]) -> None:
    started = time.monotonic()
    srv, http, admin = shop
    link = _weblink(http, admin, weblink_slug="support", weblink_utm=UTM)
    assert link["weblink_url"] == "/l/support?utm_source=poster&utm_medium=print&utm_campaign=spring+sale"
    qr = http.get(link["qr_png_url"], headers=admin)
    assert qr.status_code == 200 and qr.headers["x-qr-content"] == f"{srv.base}{link['weblink_url']}"
    alice = token_headers(http, "alice@example.com")
    demo = token_headers(http, "demo@example.com")

    with sync_api.sync_playwright() as pw:
        browser = _browser(pw)
        try:
            phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            page = phone.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if _csp_violation(m) else None)
            # What the QR code holds: the link with the admin's UTM parameters.
            page.goto(qr.headers["x-qr-content"])
            assert page.locator("h1").inner_text() == "Acme Shop"
            assert page.locator(".cc-engage-to").inner_text() == "Chat with our Support team"
            assert page.title() == "Talk to Acme Shop"
            page.locator(".cc-engage-now").tap()
            # Straight on the team's start form: no list of every team.
            page.locator(".cc-start .cc-target").filter(has_text="To: Support").wait_for()
            assert page.locator(".cc-choice").count() == 0
            assert "Agent link" not in page.content() and "weblink" not in page.locator("body").inner_text()
            page.locator("#cc-first-message").fill("Is the spring sale on in stores too?")
            _shot(page, "weblink-business-phone")
            page.locator(".cc-start button[type=submit]").tap()
            page.locator(".cc-status").filter(has_text="Waiting for an agent").wait_for()
            enquiry = http.get("/api/v1/enquiries?status=open", headers=admin).json()["results"][0]
            assert enquiry["visitor"]["utm"] == UTM
            assert enquiry["channel"] == link["id"] and enquiry["destination"]["name"] == "Support"

            # An agent picks up; the admin joins, then takes over: the visitor reads names only.
            assert http.post(f"/api/v1/enquiries/{enquiry['id']}/pick-up", headers=alice).status_code == 200
            system = page.locator(".cc-messages .cc-system")
            system.filter(has_text="Alice Agent joined the conversation.").wait_for()
            assert http.post(f"/api/v1/enquiries/{enquiry['id']}/join", headers=demo).status_code == 200
            system.filter(has_text="Demo Admin joined the conversation.").wait_for()
            assert http.post(f"/api/v1/enquiries/{enquiry['id']}/take-over", headers=demo).status_code == 200
            system.filter(has_text="Demo Admin is now looking after your conversation.").wait_for()
            page.locator(".cc-agent-name").filter(has_text="Demo Admin").wait_for()
            _shot(page, "weblink-business-joined-phone")
            assert "(admin)" not in page.locator(".cc-messages").inner_text()
            # Staff keep their fuller wording.
            staff_texts = [
                m["text"]
                for m in http.get(f"/api/v1/rooms/{enquiry['room']}/messages", headers=admin).json()["results"]
            ]
            assert "Demo Admin (admin) joined the conversation." in staff_texts
            # After a reload the history says the same (the REST copy, not only the live one).
            page.reload()
            page.locator(".cc-messages .cc-system").filter(has_text="Demo Admin joined the conversation.").wait_for()
            assert "(admin)" not in page.locator(".cc-messages").inner_text()
            assert not errors, errors
        finally:
            browser.close()
    assert time.monotonic() - started < 60


@pytest.mark.timeout(180)
def test_weblink_with_a_tag_opens_on_that_team_on_a_desktop(shop: tuple[Server, httpx.Client, Any]) -> None:
    srv, http, admin = shop
    link = _weblink(
        http,
        admin,
        name="Help page",
        weblink_slug="help",
        weblink_utm={"utm_source": "site"},
        widget_greeting="We are here 9 to 5",
    )
    with sync_api.sync_playwright() as pw:
        browser = _browser(pw)
        try:
            page = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
            page.goto(f"{srv.base}{link['weblink_url']}&tag=billing")
            assert page.locator("h1").inner_text() == "Acme Shop"
            assert page.locator(".cc-engage-to").inner_text() == "Chat with our Billing team"
            page.locator(".cc-engage-now").click()
            page.locator(".cc-start .cc-target").filter(has_text="To: Billing").wait_for()
            assert page.locator(".cc-company").inner_text() == "Acme Shop"
            assert "Help page" not in page.content()
            _shot(page, "weblink-business")
            # Back lists the teams with staff (the channel has a directory); the link opened on one.
            page.locator(".cc-start .cc-link").click()
            page.locator(".cc-choice[data-tag=Support]").wait_for()
        finally:
            browser.close()


@pytest.mark.timeout(180)
def test_admin_puts_utm_on_a_link_in_the_dashboard(shop: tuple[Server, httpx.Client, Any]) -> None:
    srv, http, admin = shop
    link = _weblink(http, admin, name="Poster link", weblink_slug="poster")
    before = http.get(link["qr_png_url"], headers=admin).content
    with sync_api.sync_playwright() as pw:
        browser = _browser(pw)
        try:
            # Demo Admin in the browser: a UI login would end the fixture's admin token.
            ctx, page = login(browser, srv.base, "demo@example.com")
            page.goto(f"{srv.base}/app/admin/channels")
            page.get_by_role("button", name="Edit channel Poster link").click()
            dialog = page.locator("dialog[open]")
            dialog.get_by_label(re.compile(r"^Source \(utm_source\)")).fill("bus-stop")
            dialog.get_by_label(re.compile(r"^Campaign \(utm_campaign\)")).fill("spring")
            if TAKE_SCREENSHOTS:
                dialog.locator(".utm-fields").scroll_into_view_if_needed()
                _shot(page, "weblink-utm-form")
            dialog.get_by_role("button", name="Save").click()
            expect(page.locator("dialog[open]")).to_have_count(0)
            row = page.locator("tr", has_text="Poster link")
            expect(row).to_contain_text("/l/poster?utm_source=bus-stop&utm_campaign=spring")
            # The row shows the code of the link as it is now.
            thumb = row.locator("img.qr-thumb")
            expect(thumb).to_have_attribute("src", re.compile(r"qr\.svg\?v=.*bus-stop"))
            page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
            _shot(page, "weblink-utm-channels")
            finish((ctx, page))
        finally:
            browser.close()
    saved = next(c for c in http.get("/api/v1/channels", headers=admin).json()["results"] if c["id"] == link["id"])
    assert saved["weblink_utm"] == {"utm_source": "bus-stop", "utm_campaign": "spring"}
    qr = http.get(link["qr_png_url"], headers=admin)
    assert qr.headers["x-qr-content"] == f"{srv.base}/l/poster?utm_source=bus-stop&utm_campaign=spring"
    assert qr.content != before
