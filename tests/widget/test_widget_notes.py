"""Issue 13 in Chromium, the widget on a host page of another origin: a note at any time
with a picture (desktop and a 390x844 phone), the Note button hidden where the admin turned
it off, the rating card after resolve that keeps the agent's last message in view, rating
after the agent left, the agent's rating invite, and "Rate this conversation" where the
channel allows it. One server for the file; screenshots widget-note*.png and
widget-rating-invite.png with CC_SCREENSHOTS=1."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.test_dashboard import login
from tests.integration.test_real_timers import (
    ADMIN_STAFF,
    AGENT_STAFF,
    Processes,
    Server,
    embedded_server_env,
    embedded_setup,
    support_widget,
    token_headers,
    wait_until,
)
from tests.widget.test_widget_browser import CHROMIUM, HOST_PAGE, _csp_violation, _png, _shot, host_servers, sync_api

__all__ = ["host_servers"]  # a fixture


@pytest.fixture
def notes_product(tmp_path: Path) -> Iterator[Server]:
    env = embedded_server_env(tmp_path, max_wait_seconds=30, CC_STICKY_HEAD_START_SECONDS="0")
    embedded_setup(env, ADMIN_STAFF, AGENT_STAFF)
    processes = Processes(tmp_path)
    server = Server(processes, env)
    server.start()
    yield server
    processes.stop_all()


IN_VIEW = """el => {
    const list = el.closest('.cc-messages');
    const a = el.getBoundingClientRect(), b = list.getBoundingClientRect();
    return a.height > 0 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
}"""


@pytest.mark.timeout(150)
def test_notes_and_ratings_in_the_browser(
    notes_product: Server, host_servers: tuple[Path, list[str]], tmp_path: Path
) -> None:
    started = time.monotonic()
    site, (origin, _other) = host_servers
    base = notes_product.base
    http = httpx.Client(base_url=base, timeout=10)
    admin = token_headers(http, "admin@example.com")
    agent = token_headers(http, "agent@example.com")
    domain = [origin.removeprefix("http://")]
    notes = support_widget(http, admin, name="Notes", allowed_domains=domain, widget_company_name="Acme Support")
    quiet = support_widget(http, admin, name="No notes", allowed_domains=domain, note_button=False)
    anytime = support_widget(http, admin, name="Rate any time", allowed_domains=domain, visitor_may_rate_anytime=True)
    assert notes["note_button"] is True and quiet["note_button"] is False
    for name, channel in (("notes", notes), ("quiet", quiet), ("anytime", anytime)):
        (site / f"{name}.html").write_text(HOST_PAGE.format(base=base, key=channel["key"]))
    # A site made for phones says so (else a phone lays it out 980 px wide, zoomed out).
    mobile = '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
    (site / "phone.html").write_text(
        HOST_PAGE.replace('<meta charset="utf-8">', mobile).format(base=base, key=notes["key"])
    )
    errors: list[str] = []

    def watch(page: Any) -> None:
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if _csp_violation(m) else None)

    def open_widget(ctx: Any, name: str) -> tuple[Any, Any]:
        page = ctx.new_page()
        watch(page)
        page.goto(f"{origin}/{name}.html")
        page.locator(".cc-launcher").click()
        frame = page.frame_locator("iframe[title=Chat]")
        frame.locator("#cc-app[data-ready=true]").wait_for()
        return page, frame

    def agent_says(room: int, text: str) -> None:
        response = http.post(
            f"/api/v1/rooms/{room}/messages", headers=agent, json={"text": text, "client_id": str(uuid.uuid4())}
        )
        assert response.status_code == 201, response.text

    def start_chat(frame: Any, text: str) -> dict[str, Any]:
        frame.locator("#cc-first-message").fill(text)
        frame.locator(".cc-start button[type=submit]").click()
        frame.locator(".cc-status").filter(has_text="in the queue").wait_for()
        mine = [e for e in http.get("/api/v1/enquiries?status=open", headers=agent).json()["results"]]
        enquiry = next(e for e in mine if e["first_message"] == text)
        picked = http.post(f"/api/v1/enquiries/{enquiry['id']}/pick-up", headers=agent)
        assert picked.status_code == 200, picked.text
        frame.locator(".cc-agent-name").filter(has_text="Alice Agent").wait_for()
        return dict(enquiry)

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            # A note at any time, from the header, with a picture (desktop).
            ctx = browser.new_context(viewport={"width": 1000, "height": 760})
            page, frame = open_widget(ctx, "notes")
            assert frame.locator(".cc-note-entry").is_visible()
            frame.locator("[data-action=note-header]").click()
            frame.locator("#cc-note").fill("Please call me about a broken lamp.")
            frame.locator("#cc-note-contact").fill("vera@example.com")
            frame.locator("#cc-note-files").set_input_files(
                {"name": "lamp.png", "mimeType": "image/png", "buffer": _png()}
            )
            frame.locator(".cc-note-file-name").filter(has_text="lamp.png").wait_for()
            _shot(page, "note")
            frame.locator(".cc-note button[type=submit]").click()
            frame.locator(".cc-thanks").filter(has_text="We received your note").wait_for()
            missed = http.get("/api/v1/enquiries?status=missed", headers=agent).json()["results"]
            assert missed[0]["missed_reason"] == "note_left"
            assert missed[0]["note"]["text"] == "Please call me about a broken lamp."
            picture = missed[0]["note"]["files"][0]
            assert picture["name"] == "lamp.png" and picture["category"] == "image"
            download = http.get(picture["url"], headers=agent)
            assert download.status_code == 200 and download.content == _png()
            # Bad input: the note form says what is wrong; nothing is sent.
            frame.locator(".cc-note-sent button").click()
            frame.locator(".cc-note-entry").click()
            frame.locator(".cc-note button[type=submit]").click()
            frame.locator("[data-error=text]").filter(has_text="Write a note first.").wait_for()
            ctx.close()

            # The same on a phone.
            phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            page, frame = open_widget(phone, "phone")
            frame.locator(".cc-note-entry").tap()
            frame.locator("#cc-note").fill("The screen arrived cracked, photo attached.")
            frame.locator("#cc-note-contact").fill("+1 555 0100")
            frame.locator("#cc-note-files").set_input_files(
                {"name": "screen.png", "mimeType": "image/png", "buffer": _png()}
            )
            frame.locator(".cc-note-file-name").filter(has_text="screen.png").wait_for()
            _shot(page, "note-phone")
            frame.locator(".cc-note button[type=submit]").tap()
            frame.locator(".cc-thanks").filter(has_text="We received your note").wait_for()
            missed = http.get("/api/v1/enquiries?status=missed", headers=agent).json()["results"]
            assert [f["name"] for f in missed[0]["note"]["files"]] == ["screen.png"]
            assert missed[0]["note"]["contact"] == "+1 555 0100"
            phone.close()

            # The admin turned the Note button off on this channel: neither in the header nor home.
            ctx = browser.new_context(viewport={"width": 1000, "height": 760})
            page, frame = open_widget(ctx, "quiet")
            frame.locator(".cc-start, .cc-directory").first.wait_for()
            assert frame.locator(".cc-note-entry").count() == 0
            assert frame.locator("[data-action=note-header]").is_hidden()

            # After resolve the rating card does not hide the agent's last message.
            enquiry = start_chat(frame, "My order has not arrived")
            # While chatting the Note button is not offered: the visitor writes in the chat.
            assert frame.locator("[data-action=note-header]").is_hidden()
            for i in range(8):
                agent_says(enquiry["room"], f"Let me check that for you, step {i + 1}.")
            agent_says(enquiry["room"], "It ships tomorrow, sorry for the wait!")
            last = frame.locator(".cc-theirs").filter(has_text="It ships tomorrow").last
            last.wait_for()
            resolved = http.post(f"/api/v1/enquiries/{enquiry['id']}/resolve", headers=agent)
            assert resolved.status_code == 200, resolved.text
            frame.locator(".cc-rating").wait_for()
            wait_until(lambda: last.evaluate(IN_VIEW), timeout=5, what="the last message in view with the card")
            frame.locator(".cc-star[data-score='5']").click()
            wait_until(lambda: last.evaluate(IN_VIEW), timeout=5, what="still in view with the comment open")
            _shot(page, "rating-resolved")
            frame.locator(".cc-rating button[type=submit]").click()
            frame.locator(".cc-thanks").filter(has_text="Thank you for your rating").wait_for()
            ctx.close()

            # The agent leaves without resolving: the visitor may still rate.
            ctx = browser.new_context(viewport={"width": 1000, "height": 760})
            page, frame = open_widget(ctx, "notes")
            enquiry = start_chat(frame, "Can I change my address?")
            agent_says(enquiry["room"], "I have to go, a colleague will write to you.")
            left = http.post(f"/api/v1/enquiries/{enquiry['id']}/leave", headers=agent)
            assert left.status_code == 200, left.text
            frame.locator(".cc-rating").wait_for()
            frame.locator(".cc-star[data-score='2']").click()
            frame.locator(".cc-rating button[type=submit]").click()
            frame.locator(".cc-thanks").filter(has_text="Thank you for your rating").wait_for()
            rated = http.get(f"/api/v1/enquiries/{enquiry['id']}", headers=admin).json()
            assert rated["status"] == "closed" and rated["rating"]["score"] == 2
            # The conversation is over: the Note button is back in the header.
            frame.locator("[data-action=note-header]").wait_for()
            ctx.close()

            # Where the channel allows it, the visitor rates on their own initiative.
            ctx = browser.new_context(viewport={"width": 1000, "height": 760})
            page, frame = open_widget(ctx, "anytime")
            enquiry = start_chat(frame, "Quick question about sizes")
            frame.locator(".cc-rate-offer").click()
            frame.locator(".cc-star[data-score='5']").click()
            frame.locator(".cc-rating button[type=submit]").click()
            frame.locator(".cc-thanks").filter(has_text="Thank you for your rating").wait_for()
            ctx.close()
            # The agent asks for a rating while chatting: the card shows under the messages.
            ctx = browser.new_context(viewport={"width": 1000, "height": 760})
            page, frame = open_widget(ctx, "notes")
            enquiry = start_chat(frame, "Thanks for the help with my refund")
            agent_says(enquiry["room"], "Glad I could help! Would you rate this chat?")
            assert frame.locator(".cc-rating").count() == 0
            # From the dashboard: the room's "Ask for a rating"; the Missed list shows the notes' files.
            staff_ctx, staff_page = login(browser, base, "agent@example.com")
            staff_page.goto(f"/app/rooms/{enquiry['room']}")
            staff_page.get_by_role("button", name="Ask for a rating").click()
            staff_page.get_by_text("The customer was asked for a rating.").wait_for()
            frame.locator(".cc-rating").wait_for()
            frame.locator(".cc-system").filter(has_text="Alice Agent asks you to rate").wait_for()
            frame.locator(".cc-star[data-score='4']").click()
            frame.locator("#cc-rating-comment").fill("Very kind")
            _shot(page, "rating-invite")
            assert frame.locator("#cc-input").is_visible()  # the chat goes on
            frame.locator(".cc-rating button[type=submit]").click()
            frame.locator(".cc-thanks").filter(has_text="Thank you for your rating").wait_for()
            # (The dashboard's login ended the agent's token session: ask as the admin.)
            again = http.post(f"/api/v1/enquiries/{enquiry['id']}/rating-invite", headers=admin)
            assert again.status_code == 409
            ctx.close()
            staff_page.goto("/app/missed")
            lamp = staff_page.locator("a.note-file[title='Open lamp.png'] img")
            lamp.wait_for()
            wait_until(lambda: lamp.evaluate("i => i.complete && i.naturalWidth > 0"), timeout=10, what="thumbnail")
            _shot(staff_page, "missed-note-files")
            assert not staff_page.errors, staff_page.errors  # type: ignore[attr-defined]
            staff_ctx.close()

            assert not errors, errors
        finally:
            browser.close()
    http.close()
    assert time.monotonic() - started < 90
