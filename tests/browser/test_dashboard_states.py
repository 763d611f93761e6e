"""Issue 12, items 7 and 8 in a real browser: the transfer offer card (who, to whom, a live
countdown) and what each side is told when a Leave races an accept; the concurrent-limit
banner; a resolved enquiry's auto-close line with Keep open (an admin setting) and Close
now; a WhatsApp reply's delivery line (failed with the platform's reason, Retry, then sent,
delivered, read from the status webhooks), against a local fake Graph API on 127.0.0.1.

Contexts: Alice and Bob (agents of Support), Ada (admin), visitors through the widget API
and a WhatsApp customer through signed webhooks."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_dashboard import (  # noqa: F401 - browser is a fixture
    Visitor,
    browser,
    confirm,
    finish,
    login,
    pick_up,
    screenshot,
    started_server,
)
from tests.channels.conftest import CREDENTIALS, FakePlatformServer, fixture_body, meta_signature
from tests.integration.test_real_timers import (
    support_widget,
)

AUTO_CLOSE_SECONDS = 900  # long enough never to close during the test; the line counts down


class HeldPlatform(FakePlatformServer):
    """The fake Graph API, able to hold its answers to sends until released (so that the
    "Sending…" state can be seen for as long as the platform takes)."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.release.set()

    def answer(self, method: str, path: str) -> Any:
        if path.endswith("/messages"):
            self.release.wait(timeout=20)
        return super().answer(method, path)


@pytest.fixture(scope="module")
def platform() -> Iterator[HeldPlatform]:
    fake = HeldPlatform()
    yield fake
    fake.release.set()
    fake.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, platform: FakePlatformServer) -> Iterator[dict[str, Any]]:
    """A daphne with an admin, Alice and Bob (Support), a widget channel and a WhatsApp
    channel (no welcome message) whose Graph API is the fake platform server."""
    with started_server(
        tmp_path_factory.mktemp("browser-states"),
        max_wait_seconds=120,
        CC_RESOLVED_AUTO_CLOSE_SECONDS=str(AUTO_CLOSE_SECONDS),
        CC_META_GRAPH_URL=platform.base + "/graph",
        CC_PLATFORM_HTTP_TIMEOUT="5",
    ) as (srv, http, admin):
        widget = support_widget(http, admin, name="Website", welcome_message="Hi!")
        whatsapp = support_widget(
            http, admin, kind="whatsapp", name="WhatsApp", welcome_message="", credentials=CREDENTIALS["whatsapp"]
        )
        staff = {s["email"]: s["id"] for s in http.get("/api/v1/staff", headers=admin).json()["results"]}
        yield {"base": srv.base, "key": widget["key"], "whatsapp": whatsapp["id"], "staff": staff}


def in_page(page: Page, method: str, url: str) -> dict[str, Any]:
    """A request from the page's own session (cookie and CSRF token): {status, body}."""
    return dict(
        page.evaluate(
            """async ([method, url]) => {
                const m = document.cookie.match(/(?:^|;\\s*)csrftoken=([^;]+)/);
                const r = await fetch(url, {method, headers: {"X-CSRFToken": m ? decodeURIComponent(m[1]) : ""}});
                return {status: r.status, body: await r.json().catch(() => null)};
            }""",
            [method, url],
        )
    )


def transfer_to(page: Page, label: str) -> None:
    page.get_by_role("button", name="Transfer", exact=True).click()
    dialog = page.locator("dialog[open]")
    dialog.get_by_label("Transfer to").select_option(label=label)
    dialog.get_by_role("button", name="Transfer").click()


# ---------------------------------------------------------------------------- item 7


def test_transfer_offer_card_and_the_leave_accept_race(browser: Browser, server: dict[str, Any]) -> None:  # noqa: F811
    base = server["base"]
    alice_ctx, alice = login(browser, base, "alice@example.com")
    bob_ctx, bob = login(browser, base, "bob@example.com")

    # The card names who transfers to whom, and counts down from the server's deadline.
    cleo = Visitor(base, server["key"], "Cleo", "Can I change my delivery address?")
    pick_up(alice, cleo, "Cleo")
    transfer_to(alice, "Bob Agent (active)")
    card = bob.locator(f'.enquiry-card[data-enquiry="{cleo.enquiry}"]')
    expect(card.locator(".offer-who")).to_have_text("Alice Agent is transferring this enquiry to you")
    expect(card.locator(".offer-target")).to_contain_text("Transfer offered to you personally")
    expect(card).not_to_contain_text("To Support")  # not the old destination
    countdown = card.locator(".offer-countdown")
    expect(countdown).to_have_text(re.compile(r"^0:(5\d|60) left to accept$"))
    first = countdown.text_content()
    expect(countdown).not_to_have_text(first or "")  # live: it ticks
    screenshot(bob, "transfer-offer.png")

    # Leave wins: the offer vanishes from Bob's panel and a late accept says why.
    alice.get_by_role("button", name="Leave", exact=True).click()
    confirm(alice, "Leave")
    expect(card).to_have_count(0)
    expect(
        bob.locator(".toast", has_text="Transfer of Cleo cancelled: Alice Agent left and closed the enquiry.")
    ).to_be_visible()
    late = in_page(bob, "POST", f"/api/v1/enquiries/{cleo.enquiry}/pick-up")
    assert late["status"] == 409 and late["body"]["code"] == "transfer_ended", late
    assert late["body"]["detail"] == (
        "Alice Agent left and closed the enquiry before you accepted: the transfer was cancelled."
    )
    # Alice, who left, is not told that "nobody accepted in time".
    expect(alice.locator(".toast", has_text="in time")).to_have_count(0)

    # Accept wins: Alice is told it is Bob's now, and her late Leave closes nothing.
    dan = Visitor(base, server["key"], "Dan", "Where is my parcel?")
    pick_up(alice, dan, "Dan")
    transfer_to(alice, "Support")  # this time to a tag: the card names the tag
    offer = bob.locator(f'.enquiry-card[data-enquiry="{dan.enquiry}"]')
    expect(offer.locator(".offer-who")).to_have_text("Alice Agent is transferring this enquiry to the Support team")
    bob.reload()  # the panel's list (not only the live event) knows it is a transfer offer
    expect(bob.locator("#socket-state")).to_have_text("Live")
    expect(offer.locator(".offer-target")).to_contain_text("Transfer offered to tag Support")
    expect(offer.get_by_role("button", name=re.compile("^Accept transfer"))).to_be_visible()
    offer.get_by_role("button", name=re.compile("Accept")).click()
    expect(bob).to_have_url(re.compile(rf"/app/rooms/{dan.room}$"))
    expect(alice.locator(".toast", has_text="Bob Agent accepted your transfer")).to_be_visible()
    late_leave = in_page(alice, "POST", f"/api/v1/enquiries/{dan.enquiry}/leave")
    assert late_leave["status"] == 409 and late_leave["body"]["code"] == "transferred", late_leave
    assert late_leave["body"]["detail"].startswith("Bob Agent accepted your transfer before you left")
    expect(bob.locator(".room-sub")).to_contain_text("handling")

    # Bob resolves Dan's enquiry (his load goes back down for the next test).
    bob.get_by_role("button", name="Resolve").click()
    confirm(bob, "Resolve")
    expect(bob.locator(".room-sub")).to_contain_text("resolved")
    finish((alice_ctx, alice), (bob_ctx, bob))


# ---------------------------------------------------------------------------- item 8a


def test_concurrent_limit_banner_is_live(browser: Browser, server: dict[str, Any]) -> None:  # noqa: F811
    base = server["base"]
    admin_ctx, admin = login(browser, base, "admin@example.com")
    bob_id = server["staff"]["bob@example.com"]
    assert in_page(admin, "GET", "/api/v1/me")["status"] == 200
    changed = admin.evaluate(
        """async ([id]) => {
            const m = document.cookie.match(/(?:^|;\\s*)csrftoken=([^;]+)/);
            const r = await fetch(`/api/v1/staff/${id}`, {method: "PATCH",
              headers: {"X-CSRFToken": decodeURIComponent(m[1]), "Content-Type": "application/json"},
              body: JSON.stringify({max_concurrent: 1})});
            return r.status;
        }""",
        [bob_id],
    )
    assert changed == 200
    alice_ctx, alice = login(browser, base, "alice@example.com")
    bob_ctx, bob = login(browser, base, "bob@example.com")
    banner = bob.locator("#limit-banner")
    expect(banner).to_be_hidden()

    eve = Visitor(base, server["key"], "Eve", "My invoice is wrong.")
    pick_up(bob, eve, "Eve")
    expect(banner).to_be_visible()
    expect(banner).to_have_text(
        re.compile(r"^You're at your limit of 1 conversation: new enquiries are not offered to you")
    )

    # A new enquiry reaches Alice, not Bob, and Bob sees why.
    fay = Visitor(base, server["key"], "Fay", "Do you ship to Norway?")
    expect(alice.locator(f'.enquiry-card[data-enquiry="{fay.enquiry}"]')).to_be_visible()
    expect(bob.locator(f'.enquiry-card[data-enquiry="{fay.enquiry}"]')).to_have_count(0)
    bob.goto("/app/")
    expect(bob.locator("#socket-state")).to_have_text("Live")
    expect(banner).to_be_visible()
    screenshot(bob, "concurrent-limit.png")

    # Resolving frees a place: the banner goes, live.
    bob.goto(f"/app/rooms/{eve.room}")
    bob.get_by_role("button", name="Resolve").click()
    confirm(bob, "Resolve")
    expect(bob.locator("#limit-banner")).to_be_hidden()
    pick_up(alice, fay, "Fay")
    finish((admin_ctx, admin), (alice_ctx, alice), (bob_ctx, bob))


# ---------------------------------------------------------------------------- item 8c


def test_resolved_enquiry_auto_close_keep_open_and_close_now(browser: Browser, server: dict[str, Any]) -> None:  # noqa: F811
    base = server["base"]
    admin_ctx, admin = login(browser, base, "admin@example.com")
    alice_ctx, alice = login(browser, base, "alice@example.com")
    gus = Visitor(base, server["key"], "Gus", "Thanks, that is all.")
    pick_up(alice, gus, "Gus")
    alice.get_by_role("button", name="Resolve").click()
    confirm(alice, "Resolve")
    bar = alice.locator(".resolved-bar")
    expect(bar).to_contain_text(re.compile(r"Resolved: closes automatically at .+ \(in 1[45]:\d\d\)"))
    expect(bar.get_by_role("button", name="Close now")).to_be_visible()
    # The admin has not allowed agents to keep resolved enquiries open (the default).
    expect(bar.get_by_role("button", name="Keep open")).to_have_count(0)

    # The admin allows it in Settings; the owner gets Keep open.
    admin.get_by_role("link", name="Settings").click()
    admin.get_by_label("Agents may keep a resolved enquiry open (no auto-close)").check()
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.locator(".toast").last).to_be_visible()
    alice.reload()
    expect(alice.locator("#socket-state")).to_have_text("Live")
    bar = alice.locator(".resolved-bar")
    keep = bar.get_by_role("button", name="Keep open")
    expect(keep).to_be_visible()
    expect(alice.locator(".msg", has_text="marked this enquiry resolved")).to_be_visible()  # history drawn
    screenshot(alice, "resolved-auto-close.png")
    keep.click()
    expect(bar).to_contain_text("Resolved and kept open: it will not close automatically.")
    expect(bar.get_by_role("button", name="Keep open")).to_have_count(0)
    # The admin watching sees the same line, without the owner's buttons.
    admin.goto(f"/app/rooms/{gus.room}?monitor=1")
    expect(admin.locator(".room-sub")).to_contain_text("resolved")

    bar.get_by_role("button", name="Close now").click()
    confirm(alice, "Close now")
    expect(alice.locator(".room-sub")).to_contain_text("closed")
    expect(alice.locator(".resolved-bar")).to_be_hidden()
    gus.wait_for(lambda m: m["text"] == "This conversation is closed.", "the close")
    finish((admin_ctx, admin), (alice_ctx, alice))


# ---------------------------------------------------------------------------- item 8b


def whatsapp_status(wamid: str, status: str) -> bytes:
    st = {"id": wamid, "status": status, "timestamp": "1749416400", "recipient_id": "16505551234"}
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": "106540352242922"}, "statuses": [st]}
    body = {
        "object": "whatsapp_business_account",
        "entry": [{"id": "1", "changes": [{"value": value, "field": "messages"}]}],
    }
    return json.dumps(body).encode()


def post_whatsapp(base: str, channel_id: int, body: bytes) -> None:
    response = httpx.post(
        f"{base}/webhooks/whatsapp/{channel_id}/",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(body)},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def test_whatsapp_reply_delivery_states_and_retry(
    browser: Browser,  # noqa: F811
    server: dict[str, Any],
    platform: HeldPlatform,
) -> None:
    base = server["base"]
    alice_ctx, alice = login(browser, base, "alice@example.com")
    post_whatsapp(base, server["whatsapp"], fixture_body("whatsapp"))
    card = alice.locator(".enquiry-card", has_text="Sheena Nelson")
    expect(card).to_be_visible()
    card.get_by_role("button", name=re.compile("^Pick up")).click()
    expect(alice).to_have_url(re.compile(r"/app/rooms/\d+$"))

    # While the platform has not answered, the reply shows "Sending…".
    platform.release.clear()
    sent_first = {"messaging_product": "whatsapp", "messages": [{"id": "wamid.FIRST"}]}
    platform.script("POST", "/graph/106540352242922/messages", (200, sent_first, {}))
    composer = alice.get_by_label("Message", exact=True)
    composer.fill("Let me check the colours for you.")
    composer.press("Enter")
    sending = alice.locator(".msg.mine", has_text="Let me check the colours for you.").locator(".delivery")
    expect(sending).to_have_text("Sending…")
    platform.release.set()
    expect(sending).to_have_text("✓ Sent")

    # A send refused by the platform: the line says so, with its reason and Retry.
    refusal = {"error": {"message": "(#131030) Recipient phone number not in allowed list", "code": 131030}}
    platform.script("POST", "/graph/106540352242922/messages", (400, refusal, {}))
    composer.fill("Yes, it also comes in blue.")
    composer.press("Enter")
    mine = alice.locator(".msg.mine", has_text="Yes, it also comes in blue.")
    line = mine.locator(".delivery")
    expect(line).to_contain_text("⚠ Not delivered")
    expect(line).to_contain_text("Recipient phone number not in allowed list")
    retry = line.get_by_role("button", name="Send this message again")
    expect(retry).to_be_visible()

    # Retry: the same outbound path; then the platform's statuses arrive as webhooks.
    retry.click()
    expect(line).to_have_text("✓ Sent")
    sends = platform.calls("POST", "/graph/106540352242922/messages")
    assert [c.json()["text"]["body"] for c in sends][1:] == ["Yes, it also comes in blue."] * 2
    post_whatsapp(base, server["whatsapp"], whatsapp_status("wamid.OUT1", "delivered"))
    expect(line).to_have_text("✓✓ Delivered")
    post_whatsapp(base, server["whatsapp"], whatsapp_status("wamid.OUT1", "read"))
    expect(line).to_have_text("✓✓ Read")
    expect(line.get_by_role("button")).to_have_count(0)

    # A second reply refused: each message keeps its own state.
    platform.script("POST", "/graph/106540352242922/messages", (400, refusal, {}))
    composer.fill("Shall I reserve one for you?")
    composer.press("Enter")
    second = alice.locator(".msg.mine", has_text="Shall I reserve one for you?").locator(".delivery")
    expect(second).to_contain_text("⚠ Not delivered: HTTP 400")
    expect(second.get_by_role("button", name="Send this message again")).to_be_visible()
    expect(line).to_have_text("✓✓ Read")
    alice.mouse.move(600, 650)  # no message's hover tools over the others
    screenshot(alice, "delivery-status.png")
    finish((alice_ctx, alice))
