"""The dashboard's lists, live, and acted from (issue 12, items 1 and 2), in a real browser
with several people at once: two agents (Alice, Bob), an admin, and visitors speaking
through the widget API.

- Inbox, Assigned and Missed redraw live over the socket: a new enquiry, one picked up by a
  colleague, one newly missed, a note left, a follow-up changed, all without leaving the page.
- A whole row opens the room (its visitor link does too, from the keyboard); open rows offer
  Pick up / Reject, and an offered enquiry's room can be looked at before accepting it.
- A missed enquiry's room shows the customer's note and contact; an agent follows it up
  (writes to the customer, who reads it back in the widget), assigns it to a colleague, who
  marks it handled; the Missed list shows handled / unhandled and filters by it.

Uses the server, browser and helpers of test_dashboard.py and test_dashboard_rooms.py.
Screenshots go to docs/screenshots/ when asked for (``make screenshots``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.test_dashboard import (  # noqa: F401 - server and browser are fixtures
    Visitor,
    browser,
    finish,
    login,
    running_server,
    screenshot,
    server,
)
from tests.browser.test_dashboard_rooms import say

MISSED_AFTER_SECONDS = 3  # CC_ENQUIRY_MAX_WAIT_SECONDS of the follow-up server


@pytest.fixture(scope="module")
def missing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server whose open enquiries are missed after MISSED_AFTER_SECONDS."""
    with running_server(tmp_path_factory.mktemp("browser-lists"), max_wait_seconds=MISSED_AFTER_SECONDS) as srv:
        yield srv


def section(page: Page, name: str, heading: str) -> Locator:
    """Go to a list through the sidebar (no reload); its table."""
    page.get_by_role("navigation", name="Sections").get_by_role("link", name=re.compile(rf"^{name}")).click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    return page.get_by_role("table", name=heading)


def row_of(table: Locator, enquiry: int) -> Locator:
    return table.locator(f'tbody tr[data-enquiry="{enquiry}"]')


# ---------------------------------------------------------------------------- item 1


def test_inbox_is_live_and_rows_are_acted_from(server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    base, key = server["base"], server["key"]
    alice_ctx, alice = login(browser, base, "alice@example.com")
    bob_ctx, bob = login(browser, base, "bob@example.com")
    admin_ctx, admin = login(browser, base, "admin@example.com")
    alice_inbox = section(alice, "Inbox", "Inbox")
    bob_inbox = section(bob, "Inbox", "Inbox")
    admin_inbox = section(admin, "Inbox", "Inbox")

    # A new enquiry appears in every Inbox at once, offered (Pick up / Reject) to the agents.
    kim = Visitor(base, key, "Kim", "Is the blue one in stock?")
    for table in (alice_inbox, bob_inbox):
        row = row_of(table, kim.enquiry)
        expect(row).to_be_visible()
        expect(row.get_by_role("button", name="Pick up enquiry from Kim")).to_be_visible()
        expect(row.get_by_role("button", name="Reject enquiry from Kim")).to_be_visible()
    admin_row = row_of(admin_inbox, kim.enquiry)
    expect(admin_row.locator(".status")).to_have_text("open")
    expect(admin_row.get_by_role("button")).to_have_count(0)  # not offered to the admin
    screenshot(alice, "inbox-live.png")

    # Clicking the row (not a button) opens the room: Alice looks before accepting.
    row_of(alice_inbox, kim.enquiry).get_by_role("cell", name="Is the blue one in stock?").click()
    expect(alice).to_have_url(re.compile(rf"/app/rooms/{kim.room}$"))
    banner = alice.locator(".monitor-banner")
    expect(banner).to_contain_text("Offered to you.")
    expect(alice.locator(".msg").filter(has_text="Is the blue one in stock?")).to_be_visible()
    expect(alice.get_by_label("Message", exact=True)).to_be_hidden()  # accept before chatting
    screenshot(alice, "room-offered.png")

    # Back in the Inbox, Bob picks it up from his list: he is in the room; Alice's row goes
    # at once (taken), the admin's says handling by Bob.
    alice.go_back()
    alice_inbox = alice.get_by_role("table", name="Inbox")
    expect(row_of(alice_inbox, kim.enquiry)).to_be_visible()
    row_of(bob_inbox, kim.enquiry).get_by_role("button", name="Pick up enquiry from Kim").click()
    expect(bob).to_have_url(re.compile(rf"/app/rooms/{kim.room}$"))
    expect(row_of(alice_inbox, kim.enquiry)).to_have_count(0)
    expect(admin_row.locator(".status")).to_have_text("handling")
    expect(admin_row.get_by_role("cell", name="Bob Agent")).to_be_visible()

    # Reject from the list: Alice's row goes, Bob's stays; picking up inside the room works.
    lee = Visitor(base, key, "Lee", "Can I change my delivery address?")
    section(bob, "Inbox", "Inbox")
    bob_inbox = bob.get_by_role("table", name="Inbox")
    row_of(alice_inbox, lee.enquiry).get_by_role("button", name="Reject enquiry from Lee").click()
    expect(row_of(alice_inbox, lee.enquiry)).to_have_count(0)
    expect(row_of(bob_inbox, lee.enquiry).get_by_role("button", name="Pick up enquiry from Lee")).to_be_visible()
    # From the keyboard: Bob focuses the row's link and presses Enter.
    link = row_of(bob_inbox, lee.enquiry).get_by_role("link", name="Lee")
    link.focus()
    link.press("Enter")
    expect(bob).to_have_url(re.compile(rf"/app/rooms/{lee.room}$"))
    bob.locator(".monitor-banner").get_by_role("button", name="Pick up enquiry from Lee").click()
    expect(bob.locator(".monitor-banner")).to_be_hidden()
    expect(bob.get_by_label("Message", exact=True)).to_be_enabled()
    say(bob, "Yes, what is the new address?")
    lee.wait_for(lambda m: m["text"] == "Yes, what is the new address?", "Bob's answer")

    # Assigned to me: Bob's two, live; a click opens the room as a member.
    assigned = section(bob, "Assigned", "Assigned to me")
    expect(assigned.locator("tbody tr")).to_have_count(2)
    row_of(assigned, kim.enquiry).get_by_role("cell").first.click()
    expect(bob).to_have_url(re.compile(rf"/app/rooms/{kim.room}$"))
    expect(bob.get_by_label("Message", exact=True)).to_be_enabled()

    finish((alice_ctx, alice), (bob_ctx, bob), (admin_ctx, admin))


# ---------------------------------------------------------------------------- item 2


NOTE = "Please email me about a refund for order 5512; I will be travelling until Friday."


def test_missed_enquiry_is_followed_up(missing_server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    base, key = missing_server["base"], missing_server["key"]
    alice_ctx, alice = login(browser, base, "alice@example.com")
    bob_ctx, bob = login(browser, base, "bob@example.com")
    admin_ctx, admin = login(browser, base, "admin@example.com")
    alice_missed = section(alice, "Missed", "Missed enquiries")
    bob_missed = section(bob, "Missed", "Missed enquiries")
    admin_missed = section(admin, "Missed", "Missed enquiries")
    admin.get_by_label("Follow-up").select_option("no")

    # Nobody picks it up: it is missed and appears in every Missed list without a reload.
    mia = Visitor(base, key, "Mia", "My refund for order 5512 never arrived.")
    wait = (MISSED_AFTER_SECONDS + 8) * 1000
    for table in (alice_missed, bob_missed, admin_missed):
        expect(row_of(table, mia.enquiry)).to_be_visible(timeout=wait)
    expect(row_of(alice_missed, mia.enquiry).locator(".follow-up")).to_have_text("Unhandled")

    # The visitor leaves a note (as the widget does): the rows show it live.
    note = mia.http.post(
        f"/api/v1/widget/enquiries/{mia.enquiry}/note",
        headers=mia.auth,
        json={"text": NOTE, "contact": "mia@example.org"},
    )
    assert note.status_code == 201, note.text
    expect(row_of(alice_missed, mia.enquiry).locator(".note-text")).to_have_text(NOTE)
    expect(row_of(bob_missed, mia.enquiry)).to_contain_text("mia@example.org")

    # Alice opens the room from the row: the channel's custom info, the note and contact.
    row_of(alice_missed, mia.enquiry).get_by_role("cell", name="timeout").click()
    expect(alice).to_have_url(re.compile(rf"/app/rooms/{mia.room}$"))
    card = alice.get_by_role("region", name="Missed enquiry follow-up")
    expect(card).to_contain_text("Missed enquiry (timeout). Not handled yet.")
    expect(card.locator(".note-text")).to_have_text(NOTE)
    expect(card.locator(".note-contact")).to_have_text("mia@example.org")
    expect(alice.locator(".msg").filter(has_text="VIP customers: offer the premium plan.")).to_be_visible()

    # She follows up: she takes part and writes; the visitor reads it in the widget.
    card.get_by_role("button", name="Follow up").click()
    card = alice.get_by_role("region", name="Missed enquiry follow-up")
    expect(card.get_by_role("button", name="Follow up")).to_have_count(0)
    expect(alice.get_by_label("Message", exact=True)).to_be_enabled()
    say(alice, "Hi Mia, sorry we missed you: your refund went out today.")
    mia.wait_for(lambda m: m["text"].startswith("Hi Mia, sorry we missed you"), "Alice's follow-up")
    screenshot(alice, "missed-follow-up.png")

    # She assigns it to Bob: his Missed list says so live.
    card.get_by_role("button", name="Assign…").click()
    dialog = alice.locator("dialog[open]")
    dialog.get_by_label("Colleague").select_option(label="Bob Agent (active)")
    dialog.get_by_role("button", name="Assign", exact=True).click()
    expect(card).to_contain_text("Assigned to Bob Agent.")
    expect(row_of(bob_missed, mia.enquiry).locator(".follow-up")).to_have_text("Unhandled · assigned to Bob Agent")

    # Bob opens it and marks it handled: Alice's room and the admin's lists follow.
    row_of(bob_missed, mia.enquiry).get_by_role("link", name="Mia").click()
    expect(bob).to_have_url(re.compile(rf"/app/rooms/{mia.room}$"))
    bob_card = bob.get_by_role("region", name="Missed enquiry follow-up")
    bob_card.get_by_role("button", name="Mark handled").click()
    expect(bob_card).to_contain_text("Handled by Bob Agent.")
    expect(card).to_contain_text("Handled by Bob Agent.")
    expect(row_of(admin_missed, mia.enquiry)).to_have_count(0)  # the admin lists unhandled ones
    admin.get_by_label("Follow-up").select_option("yes")
    expect(row_of(admin_missed, mia.enquiry).locator(".follow-up")).to_have_text(
        "Handled by Bob Agent · assigned to Bob Agent"
    )
    screenshot(admin, "missed-list-handled.png")

    finish((alice_ctx, alice), (bob_ctx, bob), (admin_ctx, admin))
