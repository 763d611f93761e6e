"""The widget's directory as visitors live in it (issue 13), in Debian's Chromium, with the
host page on another origin:

- availability is live: an agent going Away changes the directory (no socket there: the
  public config is read again, CC_WIDGET_REFRESH_SECONDS) and the chat's header (the
  visitor socket's ``staff.availability``) without a reload;
- out of hours everyone is closed, nothing promises a quick reply, and the note form is
  there at once: the note opens an enquiry that is missed (out of hours) and carries it;
  on a phone too, and the view turns into the open one when the hours start.

Screenshots (CC_SCREENSHOTS=1): widget-directory-live.png, widget-agent-live.png,
widget-out-of-hours.png, widget-out-of-hours-phone.png."""

from __future__ import annotations

import functools
import http.server
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.test_dashboard import finish, login
from tests.integration.test_real_timers import (
    ADMIN_STAFF,
    AGENT_STAFF,
    Processes,
    Server,
    embedded_server_env,
    embedded_setup,
    free_port,
    support_widget,
    token_headers,
)
from tests.widget.test_widget_browser import CHROMIUM, HOST_PAGE, QuietHandler, _csp_violation, _png, _shot, sync_api

BOB_STAFF = ("--email", "bob@example.com", "--name", "Bob Builder", "--active", "--tag", "Sales")
CLOSED = {"timezone": "UTC", "days": {}}  # no hours on any day


# A phone renders the host page at the device's width only with this tag (as real sites do).
PHONE_META = '<meta name="viewport" content="width=device-width, initial-scale=1">'


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the file's tests (each makes its own channel)."""
    tmp = tmp_path_factory.mktemp("directory")
    env = embedded_server_env(tmp, CC_STICKY_HEAD_START_SECONDS="0", CC_WIDGET_REFRESH_SECONDS="1")
    embedded_setup(env, ADMIN_STAFF, AGENT_STAFF, BOB_STAFF)
    processes = Processes(tmp)
    server = Server(processes, env)
    server.start()
    yield server
    processes.stop_all()


@pytest.fixture(scope="module")
def host_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A static site on another origin, allowed to embed the widget."""
    site = tmp_path_factory.mktemp("site")
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield site, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _host_page(site: Path, name: str, base: str, key: str) -> None:
    (site / name).write_text(HOST_PAGE.format(base=base, key=key).replace("<head>", f"<head>{PHONE_META}", 1))


def _browser(pw: Any) -> Any:
    return pw.chromium.launch(
        executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    )


def _open_widget(page: Any, url: str, errors: list[str]) -> Any:
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if _csp_violation(m) else None)
    page.goto(url)
    page.locator(".cc-launcher").click()
    frame = page.frame_locator("iframe[title=Chat]")
    frame.locator("#cc-app[data-ready=true]").wait_for()
    return frame


@pytest.mark.timeout(120)
def test_availability_is_live(product: Server, host_site: tuple[Path, str]) -> None:
    started = time.monotonic()
    site, origin = host_site
    http = httpx.Client(base_url=product.base, timeout=10)
    admin = token_headers(http, "admin@example.com")
    agent = token_headers(http, "agent@example.com")
    staff = {s["display_name"]: s["id"] for s in http.get("/api/v1/staff", headers=admin).json()["results"]}
    alice, bob = staff["Alice Agent"], staff["Bob Builder"]
    channel = support_widget(
        http,
        admin,
        name="Live",
        allowed_domains=[origin.removeprefix("http://")],
        show_tag_directory=True,
        show_staff_directory=True,
        directory_staff=[alice, bob],
    )
    _host_page(site, "live.html", product.base, channel["key"])
    assert http.patch("/api/v1/settings", headers=admin, json={"work_hours": None}).status_code == 200

    def set_availability(value: str) -> None:
        response = http.patch("/api/v1/me", headers=agent, json={"availability": value})
        assert response.status_code == 200, response.text

    with sync_api.sync_playwright() as pw:
        browser = _browser(pw)
        try:
            page = browser.new_context(viewport={"width": 1000, "height": 760}).new_page()
            errors: list[str] = []
            frame = _open_widget(page, f"{origin}/live.html", errors)
            person = frame.locator(f".cc-choice[data-staff='{alice}']")
            team = frame.locator(".cc-choice[data-tag=Support]")
            person.and_(frame.locator("[data-state=active]")).wait_for()
            assert "Available" in person.inner_text() and "Available" in team.inner_text()
            # Ada Admin has no tag and was not chosen: not listed.
            assert frame.locator(".cc-choice[data-staff]").count() == 2

            # The agent goes Away: the directory follows without a reload.
            set_availability("away")
            person.and_(frame.locator("[data-state=away]")).wait_for(timeout=10_000)
            assert "Away" in person.inner_text()
            team.and_(frame.locator("[data-state=offline]")).wait_for(timeout=10_000)
            assert "Leave a message" in team.inner_text()
            _shot(page, "directory-live")
            set_availability("active")
            person.and_(frame.locator("[data-state=active]")).wait_for(timeout=10_000)

            # A conversation with Alice: the header follows her availability over the socket.
            person.click()
            frame.locator("#cc-first-message").fill("Hello Alice")
            frame.locator(".cc-start button[type=submit]").click()
            frame.locator(".cc-status").filter(has_text="queue").wait_for()
            enquiry = http.get("/api/v1/enquiries?status=open", headers=agent).json()["results"][0]
            assert http.post(f"/api/v1/enquiries/{enquiry['id']}/pick-up", headers=agent).status_code == 200
            status = frame.locator(".cc-agent-status")
            status.filter(has_text="Available").wait_for()
            frame.locator("#cc-app[data-socket=open]").wait_for()
            set_availability("away")
            # Faster than any polling would: the event, not a re-read.
            status.filter(has_text="Away").wait_for(timeout=3_000)
            assert "cc-status-away" in (status.get_attribute("class") or "")
            response = http.post(
                f"/api/v1/rooms/{enquiry['room']}/messages",
                headers=agent,
                json={"text": "Back in a moment!", "client_id": str(uuid.uuid4())},
            )
            assert response.status_code == 201, response.text
            frame.locator(".cc-theirs").filter(has_text="Back in a moment!").wait_for()
            _shot(page, "agent-live")
            assert not errors, errors
        finally:
            browser.close()
    http.close()
    assert time.monotonic() - started < 60


@pytest.mark.timeout(120)
def test_out_of_hours(product: Server, host_site: tuple[Path, str]) -> None:
    started = time.monotonic()
    site, origin = host_site
    http = httpx.Client(base_url=product.base, timeout=10)
    admin = token_headers(http, "admin@example.com")
    channel = support_widget(
        http,
        admin,
        name="Closed",
        widget_company_name="Acme",
        allowed_domains=[origin.removeprefix("http://")],
        show_tag_directory=True,
        show_staff_directory=True,
        widget_greeting="We reply within 2 minutes",
        welcome_message="An agent will be with you shortly.",
    )
    _host_page(site, "closed.html", product.base, channel["key"])
    agent = token_headers(http, "agent@example.com")
    assert http.patch("/api/v1/me", headers=agent, json={"availability": "active"}).status_code == 200
    assert http.patch("/api/v1/settings", headers=admin, json={"work_hours": CLOSED}).status_code == 200

    with sync_api.sync_playwright() as pw:
        browser = _browser(pw)
        try:
            page = browser.new_context(viewport={"width": 1000, "height": 760}).new_page()
            errors: list[str] = []
            frame = _open_widget(page, f"{origin}/closed.html", errors)
            frame.locator("#cc-app[data-open=false]").wait_for()
            # Everyone closed (the agents are active), no promise of a quick reply.
            choices = frame.locator(".cc-choice")
            assert choices.count() == 4  # Sales, Support; Alice, Bob
            assert choices.and_(frame.locator("[data-state=closed]")).count() == 4
            assert "Available" not in frame.locator(".cc-body").inner_text()
            assert "Closed" in frame.locator(".cc-choice[data-tag=Support]").inner_text()
            subtitle = frame.locator(".cc-subtitle").inner_text()
            assert subtitle == "Closed now: leave us a note", subtitle
            assert frame.locator(".cc-welcome").count() == 0  # "an agent will be with you shortly"
            # The note form at once; a directory choice says whom it is for.
            note = frame.locator(".cc-closed-note")
            note.wait_for()
            # The host page's call to action (a team) gets the note form too, for that team.
            page.click("#cta")
            note.locator(".cc-target").filter(has_text="For: Support").wait_for()
            assert frame.locator(".cc-start").count() == 0
            frame.locator(".cc-choice[data-tag=Sales]").click()
            assert note.locator(".cc-target").inner_text() == "For: Sales"
            assert frame.locator(".cc-choice[aria-pressed=true]").count() == 1
            note.locator("button[type=submit]").click()
            assert note.locator("[data-error=message]").inner_text() == "Write your note first."
            frame.locator("#cc-closed-note").fill("Please call me about a bulk order.")
            note.locator("button[type=submit]").click()
            assert note.locator("[data-error=contact]").inner_text() == "Tell us how to reach you."
            frame.locator("#cc-closed-contact").fill("+47 555 0100")
            # A picture goes with the note (issue 13, item 3: notes carry files).
            frame.locator("#cc-closed-files").set_input_files(
                {"name": "shelf.png", "mimeType": "image/png", "buffer": _png()}
            )
            _shot(page, "out-of-hours")
            note.locator("button[type=submit]").click()
            frame.locator(".cc-thanks").filter(has_text="We received your note").wait_for()
            missed = http.get("/api/v1/enquiries?status=missed", headers=admin).json()["results"]
            mine = [e for e in missed if e["channel"] == channel["id"]]
            assert len(mine) == 1, missed
            detail = http.get(f"/api/v1/enquiries/{mine[0]['id']}", headers=admin).json()
            assert detail["missed_reason"] == "out_of_hours"
            assert detail["note"]["text"] == "Please call me about a bulk order."
            assert detail["note"]["contact"] == "+47 555 0100"
            assert [f["name"] for f in detail["note"]["files"]] == ["shelf.png"]
            assert detail["destination"]["name"] == "Sales"
            assert not errors, errors

            # A phone: the same view, usable on a small touch screen.
            phone_ctx = browser.new_context(
                viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
            )
            phone = phone_ctx.new_page()
            phone_frame = _open_widget(phone, f"{origin}/closed.html", errors)
            phone_frame.locator(".cc-closed-note").wait_for()
            box = phone_frame.locator(".cc-closed-note button[type=submit]").bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
            _shot(phone, "out-of-hours-phone")
            # The hours start while the widget is open: it becomes the open one.
            assert http.patch("/api/v1/settings", headers=admin, json={"work_hours": None}).status_code == 200
            phone_frame.locator("#cc-app[data-open=true]").wait_for(timeout=10_000)
            phone_frame.locator(".cc-start-default").wait_for()
            assert phone_frame.locator(".cc-closed-note").count() == 0
            assert "Available" in phone_frame.locator(".cc-choice[data-tag=Support]").inner_text()
            assert phone_frame.locator(".cc-subtitle").inner_text() == "We reply within 2 minutes"
            assert not errors, errors
        finally:
            browser.close()
    http.close()
    assert time.monotonic() - started < 60


@pytest.mark.timeout(120)
def test_admin_chooses_the_directory_in_the_dashboard(product: Server) -> None:
    """Last: the admin's browser login ends the admin's API tokens of the tests above."""
    started = time.monotonic()
    http = httpx.Client(base_url=product.base, timeout=10)
    admin = token_headers(http, "admin@example.com")
    channel = support_widget(http, admin, name="Chosen", show_staff_directory=True)
    bob = next(
        s["id"]
        for s in http.get("/api/v1/staff", headers=admin).json()["results"]
        if s["display_name"] == "Bob Builder"
    )
    with sync_api.sync_playwright() as pw:
        browser = _browser(pw)
        try:
            ctx, page = login(browser, product.base, "admin@example.com")
            page.goto(f"{product.base}/app/admin/channels")
            page.get_by_role("button", name="Edit channel Chosen").click()
            dialog = page.locator("dialog[open]")
            people = dialog.get_by_role("group", name=re.compile("People in the staff directory"))
            assert people.locator("input[type=checkbox]:checked").count() == 0  # the default list
            people.get_by_label("Bob Builder").check()
            _shot(page, "admin-directory-staff")
            dialog.get_by_role("button", name="Save").click()
            page.locator("dialog[open]").wait_for(state="detached")
            config = page.evaluate(
                "async (url) => (await fetch(url)).json()", f"/api/v1/widget/channels/{channel['key']}"
            )
            assert [p["id"] for p in config["directory"]["staff"]] == [bob]
            finish((ctx, page))
        finally:
            browser.close()
    http.close()
    assert time.monotonic() - started < 60
