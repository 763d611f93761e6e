"""The room information panel and custom info per destination, in a real browser (issue 12,
items 5 and 6). Several people at once: two agents (Alice in British English, Bob), an admin,
and visitors through the widget API and through a web link's page in a browser of its own.

- The panel speaks people's words (Browser, Started, Waited), formats dates and durations with
  Intl in the staff member's locale, and shows the customer's language and time zone (from
  the browser) and country (from the IP address, offline), saying where each came from; a
  loopback visitor has no location.
- The topic is set by the owner (and seen by an admin who monitors); the visitor's details are
  text with an Edit button, and staff add custom name/value fields to the visitor.
- An admin sets a tag's custom info in the Tags page: it wins over the channel's for an
  enquiry to the tag; an enquiry through a web link is announced as a web-link enquiry (open
  enquiries panel, room intro, room information), and a staff member's personal web link
  never shows custom info.

Uses the browser and helpers of test_dashboard.py; its own server trusts 127.0.0.1 as a
proxy, so that a visitor's X-Forwarded-For stands for a public address (nothing is sent
anywhere: the country table is inside the iptocc package)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.test_dashboard import (  # noqa: F401 - browser is a fixture
    CSP_WATCH,
    HEIGHT,
    WIDTH,
    browser,
    finish,
    pick_up,
    screenshot,
    started_server,
)
from tests.conftest import PASSWORD
from tests.integration.test_real_timers import (
    support_widget,
)

CHROME_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
PUBLIC_US = "8.8.8.8"  # only written in a header to our own server: the lookup is offline


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A daphne with an admin, Alice and Bob (Support agents), a widget channel to Support
    with custom info and a web link (support-link), and Bob's personal web link (bob), whose
    custom info must never show. 127.0.0.1 is a declared proxy."""
    with started_server(
        tmp_path_factory.mktemp("browser-info"), max_wait_seconds=120, CC_TRUSTED_PROXIES="127.0.0.1"
    ) as (srv, http, admin):
        channel = support_widget(
            http,
            admin,
            name="Website",
            welcome_message="",
            custom_info="Channel info: offer the premium plan.",
            weblink_slug="support-link",
        )
        staff = http.get("/api/v1/staff", headers=admin).json()["results"]
        bob = next(s["id"] for s in staff if s["email"] == "bob@example.com")
        personal = http.post(
            "/api/v1/channels",
            headers=admin,
            json={
                "kind": "weblink",
                "name": "Bob's link",
                "destination_staff": bob,
                "custom_info": "Never shown on a personal link.",
                "weblink_slug": "bob",
            },
        )
        assert personal.status_code == 201, personal.text
        yield {"base": srv.base, "key": channel["key"], "bob_key": personal.json()["key"]}


def is_csp(text: str) -> bool:
    return text.startswith("CSP violation") or "Content Security Policy" in text


def login(browser: Browser, base: str, email: str, *, locale: str = "en-US") -> tuple[BrowserContext, Page]:  # noqa: F811
    """test_dashboard.login in a browser of the given locale (and the Europe/London zone)."""
    context = browser.new_context(
        viewport={"width": WIDTH, "height": HEIGHT}, base_url=base, locale=locale, timezone_id="Europe/London"
    )
    context.set_default_timeout(10_000)
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and is_csp(msg.text) else None)
    page.errors = errors  # type: ignore[attr-defined]
    page.goto("/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/app/"))
    expect(page.locator("#socket-state")).to_have_text("Live")
    return context, page


class ApiVisitor:
    """A visitor through the widget API, optionally behind a proxy that says where it is."""

    def __init__(self, base: str, key: str, name: str, message: str, **extra: Any) -> None:
        headers = {"X-Forwarded-For": extra.pop("forwarded_for")} if "forwarded_for" in extra else {}
        self.http = httpx.Client(base_url=base, timeout=10)
        body = {"channel_key": key, "message": message, "visitor": {"first_name": name}, **extra}
        response = self.http.post("/api/v1/widget/enquiries", json=body, headers=headers)
        assert response.status_code == 201, response.text
        got = response.json()
        self.enquiry, self.room = got["id"], got["room"]


def panel(page: Page) -> Locator:
    return page.locator("#room-info")


def value_of(page: Page, label: str) -> Locator:
    """The <dd> after the <dt> ``label`` in the room information panel."""
    return panel(page).locator(f'dt:text-is("{label}") + dd')


def ready(page: Page) -> None:
    """The room view has loaded and its socket's first repaint of the panel is done."""
    expect(page.get_by_label("Message", exact=True)).to_be_focused()
    expect(panel(page)).not_to_have_attribute("aria-busy", "true")


def test_room_information_panel_speaks_people_words(server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    base = server["base"]
    alice_ctx, alice = login(browser, base, "alice@example.com", locale="en-GB")
    bob_ctx, bob = login(browser, base, "bob@example.com")
    device = {
        "platform": "Linux",
        "user_agent": CHROME_UA,
        "screen": "1920x1080",
        "language": "de-DE",
        "time_zone": "America/New_York",
        "local_time": "Thu Jan 15 2026 07:00:00 GMT-0500 (Eastern Standard Time)",
        "touch": False,
        "page_title": "Pricing",
    }
    ida = ApiVisitor(
        base,
        server["key"],
        "Ida",
        "Can I get a refund for order 7781?",
        device=device,
        utm={"utm_source": "newsletter", "utm_campaign": "spring"},
        forwarded_for=PUBLIC_US,
    )
    pick_up(alice, ida, "Ida")  # type: ignore[arg-type]
    ready(alice)

    # People's words, never the server's keys or a raw JS date.
    expect(value_of(alice, "Channel")).to_have_text("Widget · Website")
    expect(value_of(alice, "Status")).to_have_text("In progress")
    expect(value_of(alice, "Browser")).to_have_text("Chrome 131 on Linux")
    expect(value_of(alice, "Source")).to_have_text("newsletter")
    expect(value_of(alice, "Campaign")).to_have_text("spring")
    text = panel(alice).inner_text()
    for raw in ("user_agent", "utm_source", "time_zone", "GMT", "Eastern Standard Time", "T0", "Mozilla"):
        assert raw not in text, (raw, text)
    # Dates in Alice's locale (en-GB: day first, 24-hour), durations in units.
    expect(value_of(alice, "Started")).to_have_text(re.compile(r"^\d{1,2} [A-Z][a-z]{2,3} \d{4}, \d{2}:\d{2}$"))
    expect(value_of(alice, "Waited")).to_have_text(re.compile(r"^\d+ secs?$|^\d+ min"))

    # The customer's language, time zone and country, each saying where it came from.
    expect(value_of(alice, "Language")).to_have_text("German (Germany) (from browser)")
    expect(value_of(alice, "Time zone")).to_have_text(
        re.compile(r"^America/New York · \d{2}:\d{2} there now \(from browser\)$")
    )
    expect(value_of(alice, "Location")).to_have_text("United States (from IP address)")

    # The topic: set by the owner with its Edit button.
    alice.get_by_role("button", name="Edit topic").click()
    alice.get_by_role("form", name="Topic").get_by_label("Topic").fill("Refund for order 7781")
    alice.get_by_role("button", name="Save topic").click()
    expect(alice.locator(".toast", has_text="Topic saved.")).to_be_visible()
    expect(panel(alice).locator(".topic-text")).to_have_text("Refund for order 7781")

    # Custom fields kept with the visitor: added in the visitor's Edit form, shown as text.
    expect(alice.get_by_role("form", name="Visitor information")).to_have_count(0)
    alice.get_by_role("button", name="Edit visitor").click()
    form = alice.get_by_role("form", name="Visitor information")
    form.get_by_role("button", name="Add field").click()
    form.get_by_label("Custom field 1 name").fill("Plan")
    form.get_by_label("Custom field 1 value").fill("Premium")
    form.get_by_role("button", name="Add field").click()
    form.get_by_label("Custom field 2 name").fill("Account")
    form.get_by_label("Custom field 2 value").fill("A-1042")
    form.get_by_role("button", name="Save visitor").click()
    expect(form).to_have_count(0)
    expect(value_of(alice, "Plan")).to_have_text("Premium")
    expect(value_of(alice, "Account")).to_have_text("A-1042")
    screenshot(alice, "room-info-panel.png")

    # A field's value too long for the server (a client that lies about maxlength): refused
    # with the server's reason, the form stays open with what was typed, nothing changes.
    alice.get_by_role("button", name="Edit visitor").click()
    form = alice.get_by_role("form", name="Visitor information")
    # In one step: a repaint of the panel (a late event of the save above) rebuilds the form
    # with what was typed, but with its maxlength again.
    form.get_by_label("Custom field 2 value").evaluate(
        "(el) => { el.removeAttribute('maxlength'); el.value = 'x'.repeat(501); }"
    )
    form.get_by_role("button", name="Save visitor").click()
    expect(alice.locator(".toast-error")).to_contain_text("500")
    expect(form.get_by_label("Custom field 1 value")).to_have_value("Premium")
    form.get_by_role("button", name="Cancel").click()
    expect(value_of(alice, "Account")).to_have_text("A-1042")

    # An admin monitoring the room sees the topic and the visitor's custom fields.
    admin_ctx, admin = login(browser, base, "admin@example.com")
    admin.goto(f"/app/rooms/{ida.room}")
    expect(panel(admin).locator(".topic-text")).to_have_text("Refund for order 7781")
    expect(value_of(admin, "Plan")).to_have_text("Premium")
    expect(value_of(admin, "Location")).to_have_text("United States (from IP address)")
    # Alice changes the topic: the admin's panel follows live (enquiry.updated), no reload.
    alice.get_by_role("button", name="Edit topic").click()
    alice.get_by_role("form", name="Topic").get_by_label("Topic").fill("Refund approved")
    alice.get_by_role("button", name="Save topic").click()
    expect(panel(admin).locator(".topic-text")).to_have_text("Refund approved")

    # A visitor on this machine (loopback) has no location; the language is still known.
    jo = ApiVisitor(base, server["key"], "Jo", "Hello from here", device={"language": "fr-FR"})
    pick_up(bob, jo, "Jo")  # type: ignore[arg-type]
    ready(bob)
    expect(value_of(bob, "Language")).to_have_text("French (France) (from browser)")
    expect(value_of(bob, "Location")).to_have_count(0)
    expect(bob.get_by_role("button", name="Edit topic")).to_have_count(1)  # he owns Jo's enquiry

    finish((alice_ctx, alice), (bob_ctx, bob), (admin_ctx, admin))


def test_tag_custom_info_and_web_link_enquiries(server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    base = server["base"]
    # The admin sets the Support tag's custom info in the Tags page.
    admin_ctx, admin = login(browser, base, "admin@example.com")
    admin.goto("/app/admin/tags")
    admin.get_by_role("button", name="Custom info of Support").click()
    dialog = admin.locator("dialog[open]")
    dialog.get_by_label(re.compile("Custom info")).fill("Support desk: check the customer's SLA first.")
    screenshot(admin, "admin-tag-custom-info.png")
    dialog.locator('button[type="submit"]').click()
    expect(admin.locator(".toast", has_text="Custom info saved.")).to_be_visible()
    expect(admin.locator(".tag-list li[data-tag]", has_text="Support")).to_contain_text("has custom info")

    alice_ctx, alice = login(browser, base, "alice@example.com", locale="en-GB")
    bob_ctx, bob = login(browser, base, "bob@example.com")

    # A customer opens the web link's page in a browser of their own (French, in Paris).
    link_ctx = browser.new_context(viewport={"width": 900, "height": 900}, locale="fr-FR", timezone_id="Europe/Paris")
    link = link_ctx.new_page()
    link_errors: list[str] = []
    link.on("pageerror", lambda exc: link_errors.append(str(exc)))
    link.goto(f"{base}/l/support-link?utm_source=qr")
    engage = link.locator(".cc-engage-now")
    if engage.count():
        engage.click()
    link.locator("#cc-first-message").fill("Bonjour, I scanned the QR code on my invoice.")
    link.locator(".cc-start button[type=submit]").click()
    link.locator(".cc-status").filter(has_text="Waiting for an agent").wait_for()

    # Announced as a web-link enquiry in the open enquiries panel of both agents.
    card = alice.locator(".enquiry-card", has_text="Bonjour, I scanned")
    expect(card.locator(".enquiry-via")).to_have_text("Web link enquiry · To Support")
    expect(bob.locator(".enquiry-card", has_text="Bonjour, I scanned").locator(".enquiry-via")).to_have_text(
        "Web link enquiry · To Support"
    )
    screenshot(alice, "panel-web-link-enquiry.png")
    card.get_by_role("button", name=re.compile("^Pick up enquiry")).click()
    expect(alice).to_have_url(re.compile(r"/app/rooms/\d+$"))
    ready(alice)
    # The room: the intro says web link, the tag's custom info (not the channel's) follows.
    messages = alice.locator("ol.messages")
    expect(messages).to_contain_text("New web link enquiry via Website")
    expect(messages).to_contain_text("Support desk: check the customer's SLA first.")
    expect(messages).not_to_contain_text("Channel info: offer the premium plan.")
    expect(value_of(alice, "Channel")).to_have_text("Web link · Website")
    # The widget page reported its browser's language and time zone.
    expect(value_of(alice, "Language")).to_have_text("French (France) (from browser)")
    expect(value_of(alice, "Time zone")).to_have_text(re.compile(r"^Europe/Paris · \d{2}:\d{2} there now"))
    expect(value_of(alice, "Source")).to_have_text("qr")
    assert not link_errors, link_errors

    # Bob's personal web link: announced as a web-link enquiry to him, no custom info at all.
    kim = ApiVisitor(base, server["bob_key"], "Kim", "Hi Bob, it's Kim from the trade fair.", entry="weblink")
    expect(bob.locator(".enquiry-card", has_text="Kim").locator(".enquiry-via")).to_have_text(
        "Web link enquiry · To Bob Agent"
    )
    pick_up(bob, kim, "Kim")  # type: ignore[arg-type]
    ready(bob)
    bob_messages = bob.locator("ol.messages")
    expect(bob_messages).to_contain_text("New web link enquiry via Bob's link")
    expect(bob_messages).to_contain_text("Hi Bob, it's Kim")
    expect(bob_messages).not_to_contain_text("Never shown on a personal link.")
    expect(bob_messages).not_to_contain_text("Support desk")

    link_ctx.close()
    finish((admin_ctx, admin), (alice_ctx, alice), (bob_ctx, bob))
