"""Issue 13 (cta) in Debian's Chromium: call-to-action buttons of a host page on another
origin work whatever the visitor's earlier conversation (missed: the start form for that
team; going on: a card to continue it or start a new one, which ends it), the loader's
data-tag and a web link's ?tag= as well; a returning visitor sees its earlier
conversations above the current one. Desktop, and a 390x844 touch phone.

One daphne for the file (SQLite, in-process ticker). Billing's only agent is offline, so a
conversation to Billing is missed at once; Sales (Sam) and Support (Alice) are ACTIVE."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

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
from tests.widget.test_widget_browser import CHROMIUM, _csp_violation, _shot, host_servers, sync_api

__all__ = ["host_servers"]  # the fixture, used by name

SALES_STAFF = ("--email", "sam@example.com", "--name", "Sam Seller", "--active", "--tag", "Sales")
BILLING_STAFF = ("--email", "bill@example.com", "--name", "Bill Offline", "--tag", "Billing")

HOST_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Acme shop</title></head>
<body style="font-family:Georgia,serif;background:#fdf6e3;margin:0;padding:1rem">
<h1>Acme shop</h1><p>Our products.</p>
<button id="cta-sales" type="button" onclick="ContactCenter.openTag('Sales')">Talk to sales</button>
<button id="cta-support" type="button" onclick="ContactCenter.openTag('Support')">Get support</button>
<button id="cta-sam" type="button" onclick="ContactCenter.openStaff({sam})">Ask Sam</button>
<script src="{base}/static/widget/loader.js" data-channel="{key}" {extra} async></script>
</body></html>
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The product with a widget channel (tag directory, web link), and its staff's headers."""
    tmp = tmp_path_factory.mktemp("cta")
    env = embedded_server_env(
        tmp, max_wait_seconds=120, CC_STICKY_HEAD_START_SECONDS="0", CC_WIDGET_MAX_ENQUIRIES_PER_HOUR="50"
    )
    embedded_setup(env, ADMIN_STAFF, AGENT_STAFF, SALES_STAFF, BILLING_STAFF)
    processes = Processes(tmp)
    server = Server(processes, env)
    server.start()
    try:
        with httpx.Client(base_url=server.base, timeout=10) as http:
            admin = token_headers(http, "admin@example.com")
            sam = token_headers(http, "sam@example.com")  # one login: a second one ends the first
            yield {
                "base": server.base,
                "http": http,
                "admin": admin,
                "sam": sam,
                "sam_id": http.get("/api/v1/me", headers=sam).json()["id"],
                "channels": {},
            }
    finally:
        processes.stop_all()


def _channel(shop: dict[str, Any], origin: str) -> dict[str, Any]:
    """One widget channel per allowed host origin."""
    if origin not in shop["channels"]:
        shop["channels"][origin] = support_widget(
            shop["http"],
            shop["admin"],
            name=f"Acme {len(shop['channels'])}",
            allowed_domains=[origin.removeprefix("http://")],
            show_tag_directory=True,
            show_staff_directory=True,
            weblink_slug=f"acme-{len(shop['channels'])}",
        )
    return dict(shop["channels"][origin])


def _enquiry_of(shop: dict[str, Any], first_message: str) -> dict[str, Any]:
    """The admin's view of the enquiry that began with ``first_message``."""

    def find() -> dict[str, Any] | None:
        rows = shop["http"].get("/api/v1/enquiries", headers=shop["admin"]).json()["results"]
        return next((r for r in rows if r["first_message"] == first_message), None)

    return dict(wait_until(find, timeout=10, what=f"the enquiry {first_message!r}"))


def _pick_up_and_say(shop: dict[str, Any], enquiry: dict[str, Any], text: str) -> None:
    http, sam = shop["http"], shop["sam"]
    assert http.post(f"/api/v1/enquiries/{enquiry['id']}/pick-up", headers=sam).status_code == 200
    said = http.post(
        f"/api/v1/rooms/{enquiry['room']}/messages", headers=sam, json={"text": text, "client_id": str(uuid.uuid4())}
    )
    assert said.status_code == 201, said.text


def _start(frame: Any, message: str) -> None:
    frame.locator("#cc-first-message").fill(message)
    frame.locator(".cc-start button[type=submit]").click()


def _open_after_reload(page: Any) -> None:
    """Opens the panel whether or not the loader reopened it by itself (it does when a
    conversation goes on and the panel was open): a tap on the launcher might close it."""
    page.wait_for_function("() => !!window.ContactCenter")
    page.evaluate("ContactCenter.open()")
    page.locator(".cc-panel.cc-open").wait_for()


def _browser(pw: Any) -> Any:
    return pw.chromium.launch(
        executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    )


def _watch(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if _csp_violation(m) else None)
    return errors


@pytest.mark.timeout(200)
def test_cta_after_missed_and_during_a_conversation(shop: dict[str, Any], host_servers: tuple[Path, list[str]]) -> None:
    started = time.monotonic()
    site, (origin, _other) = host_servers
    channel = _channel(shop, origin)
    (site / "shop.html").write_text(
        HOST_PAGE.format(base=shop["base"], key=channel["key"], extra="", sam=shop["sam_id"])
    )
    http, admin = shop["http"], shop["admin"]

    with sync_api.sync_playwright() as pw:
        browser = _browser(pw)
        try:
            page = browser.new_context(viewport={"width": 1000, "height": 800}).new_page()
            errors = _watch(page)
            page.goto(f"{origin}/shop.html")
            page.locator(".cc-launcher").click()
            frame = page.frame_locator("iframe[title=Chat]")
            frame.locator("#cc-app[data-ready=true]").wait_for()

            # A first conversation, to Billing: nobody there, missed at once.
            frame.locator(".cc-choice[data-tag=Billing]").click()
            _start(frame, "Where is my invoice?")
            frame.locator(".cc-note").wait_for()
            billing = _enquiry_of(shop, "Where is my invoice?")
            assert billing["status"] == "missed"
            # Three more, through the API with the visitor's own token: four earlier in all.
            stored = frame.locator("body").evaluate(
                f"() => JSON.parse(localStorage.getItem('cc-widget:{channel['key']}'))"
            )
            for n in range(3):
                got = http.post(
                    "/api/v1/widget/enquiries",
                    headers={"Authorization": f"Visitor {stored['token']}"},
                    json={"channel_key": channel["key"], "tag": "Billing", "message": f"Older question {n}"},
                )
                assert got.status_code == 201 and got.json()["status"] == "missed", got.text

            # The host page's button still works: the start form for Sales.
            page.click("#cta-sales")
            frame.locator(".cc-target").filter(has_text="To: Sales").wait_for()
            assert frame.locator(".cc-cta-card").count() == 0
            _start(frame, "How much is the pro plan?")
            frame.locator(".cc-status").filter(has_text="queue").wait_for()
            sales = _enquiry_of(shop, "How much is the pro plan?")
            assert sales["destination"]["name"] == "Sales"

            # The earlier (missed) conversations are above the new one, read-only: the newest
            # three at once, the oldest on asking.
            messages = frame.locator(".cc-messages")
            messages.locator(".cc-earlier-msg").filter(has_text="Older question 2").wait_for()
            assert messages.locator(".cc-earlier-start").filter(has_text="Billing · missed").count() == 3
            assert messages.locator(".cc-earlier-msg").filter(has_text="Where is my invoice?").count() == 0
            # Scrolling to the top (where "Show earlier conversations" is) loads the next page.
            assert (
                messages.locator(".cc-earlier-more button").filter(has_text="Show earlier conversations").is_visible()
            )
            messages.evaluate("l => l.scrollTo(0, 0)")
            messages.locator(".cc-earlier-msg").filter(has_text="Where is my invoice?").wait_for()
            messages.locator(".cc-earlier-more").wait_for(state="hidden")
            assert messages.locator(".cc-earlier-start").count() == 4
            now = messages.locator(".cc-earlier-now")
            assert now.inner_text() == "Current conversation"
            # The earlier transcript comes before the divider, the current message after it.
            order = messages.evaluate(
                """l => [...l.children].map(c => c.classList.contains('cc-earlier-now') ? 'now'
                     : c.textContent.includes('Where is my invoice?') ? 'oldest'
                     : c.textContent.includes('Older question') ? 'old'
                     : c.textContent.includes('How much is the pro plan?') ? 'new' : '')
                     .filter(Boolean)"""
            )
            assert order == ["oldest", "old", "old", "old", "now", "new"], order
            _pick_up_and_say(shop, sales, "Hi, Sam here. It is 20 a month.")
            frame.locator(".cc-theirs").filter(has_text="Sam here").wait_for()
            _shot(page, "earlier-conversations")

            # A conversation going on: the card asks. Continue keeps it.
            page.click("#cta-support")
            card = frame.locator(".cc-cta-card")
            card.wait_for()
            assert card.locator("[data-action=continue]").inner_text() == "Continue your conversation"
            start_new = card.locator("[data-action=start-new]")
            assert start_new.inner_text() == "Start a new conversation with Support"
            assert card.locator("[data-action=continue]").evaluate("b => b === document.activeElement")
            _shot(page, "cta-choice")
            card.locator("[data-action=continue]").click()
            card.wait_for(state="detached")
            frame.locator(".cc-theirs").filter(has_text="Sam here").wait_for()
            frame.locator("#cc-input").wait_for()
            assert http.get(f"/api/v1/enquiries/{sales['id']}", headers=admin).json()["status"] == "handling"

            # Start a new one: the form for Support, Back returns to the conversation.
            page.click("#cta-support")
            card.locator("[data-action=start-new]").click()
            frame.locator(".cc-target").filter(has_text="To: Support").wait_for()
            assert "ends when you start this one" in frame.locator(".cc-start .cc-notice").inner_text()
            frame.locator(".cc-start .cc-link").filter(has_text="Back to your conversation").click()
            frame.locator(".cc-theirs").filter(has_text="Sam here").wait_for()
            page.click("#cta-support")
            card.locator("[data-action=start-new]").click()
            _start(frame, "My order arrived broken")
            frame.locator(".cc-status").filter(has_text="queue").wait_for()
            support = _enquiry_of(shop, "My order arrived broken")
            assert support["status"] == "open" and support["destination"]["name"] == "Support"
            # The Sales conversation was ended properly: closed, and Sam was told in the room.
            assert http.get(f"/api/v1/enquiries/{sales['id']}", headers=admin).json()["status"] == "closed"
            texts = [
                m["text"] for m in http.get(f"/api/v1/rooms/{sales['room']}/messages", headers=admin).json()["results"]
            ]
            assert "The customer ended the conversation." in texts
            # The earlier conversations are above the new one, newest nearest.
            messages.locator(".cc-earlier-start").filter(has_text="Sam Seller").wait_for()
            dividers = messages.locator(".cc-earlier-start").all_inner_texts()
            assert len(dividers) == 3 and "Billing" in dividers[0] and "Sam Seller" in dividers[2], dividers
            assert messages.locator(".cc-earlier-more").is_visible()

            # Another tab of the same visitor: the conversation goes on there, and openStaff asks too.
            tab = page.context.new_page()
            errors += _watch(tab)
            tab.goto(f"{origin}/shop.html")
            tab.click("#cta-sam")
            tab_card = tab.frame_locator("iframe[title=Chat]").locator(".cc-cta-card")
            tab_card.wait_for()
            assert (
                tab_card.locator("[data-action=start-new]").inner_text() == "Start a new conversation with Sam Seller"
            )
            tab_card.locator("[data-action=continue]").press("Escape")
            tab_card.wait_for(state="detached")
            tab.close()

            # A web link's ?tag= opens the start form for that team.
            link = browser.new_context(viewport={"width": 900, "height": 800}).new_page()
            errors += _watch(link)
            link.goto(f"{shop['base']}/l/{channel['weblink_slug']}?tag=Sales")
            assert link.locator(".cc-engage-to").inner_text() == "Chat with our Sales team"
            link.locator(".cc-engage-now").click()
            link.locator(".cc-target").filter(has_text="To: Sales").wait_for()
            assert not errors, errors
        finally:
            browser.close()
    assert time.monotonic() - started < 60


@pytest.mark.timeout(200)
def test_cta_on_a_phone_with_data_tag(shop: dict[str, Any], host_servers: tuple[Path, list[str]]) -> None:
    started = time.monotonic()
    site, (origin, _other) = host_servers
    channel = _channel(shop, origin)
    (site / "tagged.html").write_text(
        HOST_PAGE.format(base=shop["base"], key=channel["key"], extra='data-tag="Billing"', sam=shop["sam_id"])
    )
    http, admin = shop["http"], shop["admin"]

    with sync_api.sync_playwright() as pw:
        browser = _browser(pw)
        try:
            phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
            page = phone.new_page()
            errors = _watch(page)
            page.goto(f"{origin}/tagged.html")
            launcher = page.locator(".cc-launcher")
            launcher.tap()
            frame = page.frame_locator("iframe[title=Chat]")
            # data-tag: the start form for Billing at once; missed (nobody there).
            frame.locator(".cc-target").filter(has_text="To: Billing").wait_for()
            _start(frame, "Phone: invoice question")
            frame.locator(".cc-note").wait_for()

            # Reloaded: the ended conversation does not block data-tag's start form.
            page.reload()
            _open_after_reload(page)
            frame = page.frame_locator("iframe[title=Chat]")
            frame.locator(".cc-target").filter(has_text="To: Billing").wait_for()

            # The panel covers the phone's screen: close it, then the host's button.
            frame.locator("[data-action=close]").tap()
            page.locator(".cc-panel.cc-open").wait_for(state="hidden")
            page.locator("#cta-sales").tap()
            frame.locator(".cc-target").filter(has_text="To: Sales").wait_for()
            _start(frame, "Phone: pricing question")
            frame.locator(".cc-status").filter(has_text="queue").wait_for()
            sales = _enquiry_of(shop, "Phone: pricing question")
            _pick_up_and_say(shop, sales, "Hello from Sam")

            # Reloaded while it goes on: data-tag does not interrupt it; the earlier one shows above.
            page.reload()
            _open_after_reload(page)
            frame = page.frame_locator("iframe[title=Chat]")
            frame.locator(".cc-theirs").filter(has_text="Hello from Sam").wait_for()
            frame.locator(".cc-earlier-start").filter(has_text="Billing · missed").wait_for()
            assert frame.locator(".cc-start").count() == 0
            _shot(page, "earlier-conversations-phone")

            frame.locator("[data-action=close]").tap()
            page.locator(".cc-panel.cc-open").wait_for(state="hidden")
            page.locator("#cta-support").tap()
            card = frame.locator(".cc-cta-card")
            card.wait_for()
            box = card.bounding_box()
            assert (
                box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844
            )
            _shot(page, "cta-choice-phone")
            card.locator("[data-action=start-new]").tap()
            _start(frame, "Phone: broken order")
            frame.locator(".cc-status").filter(has_text="queue").wait_for()
            assert http.get(f"/api/v1/enquiries/{sales['id']}", headers=admin).json()["status"] == "closed"
            opened = _enquiry_of(shop, "Phone: broken order")
            assert opened["status"] == "open" and opened["visitor"]["id"] == sales["visitor"]["id"]
            assert not errors, errors
        finally:
            browser.close()
    assert time.monotonic() - started < 60
