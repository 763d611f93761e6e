"""The Customers page in a real browser: an agent finds the customers they served (search as
you type), edits a profile (tags, notes, custom fields), reads the interaction record and
opens a conversation from it, merges a possible duplicate and undoes the merge; the room's
information panel and the Inbox link to the profile; another agent sees none of them.

Uses the server, browser and helpers of test_dashboard.py. The screenshot
docs/screenshots/dashboard-customers.png is written when asked for (``make screenshots``)."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_dashboard import (  # noqa: F401 - server and browser are fixtures
    browser,
    confirm,
    finish,
    login,
    screenshot,
    server,
)
from tests.integration.test_real_timers import token_headers


def served_enquiry(http: httpx.Client, key: str, agent: dict[str, str], message: str, **visitor: str) -> dict[str, Any]:
    """A widget enquiry from a new visitor with ``visitor``'s fields, picked up by ``agent``."""
    response = http.post("/api/v1/widget/enquiries", json={"channel_key": key, "message": message, "visitor": visitor})
    assert response.status_code == 201, response.text
    body = response.json()
    picked = http.post(f"/api/v1/enquiries/{body['id']}/pick-up", headers=agent)
    assert picked.status_code == 200, picked.text
    return dict(body)


def customers_page(page: Page) -> None:
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Customers").click()
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()


def test_customers_are_found_edited_merged_and_unmerged(server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    base, key = server["base"], server["key"]
    http = httpx.Client(base_url=base, timeout=10)
    alice_h = token_headers(http, "alice@example.com")
    admin_h = token_headers(http, "admin@example.com")
    assert http.post("/api/v1/customer-tags", json={"name": "VIP"}, headers=admin_h).status_code == 201
    carol = served_enquiry(
        http, key, alice_h, "My parcel is late", first_name="Carol", last_name="Jones", email="carol@example.org"
    )
    served_enquiry(http, key, alice_h, "Invoice please", first_name="C.", last_name="Jones", email="CAROL@example.org")
    dave = served_enquiry(http, key, alice_h, "Hello", first_name="Dave", last_name="Smith", phone="+44 20 7946 0002")
    # Dave's conversation is over (a customer with a conversation going on cannot be erased).
    for action in ("resolve", "close"):
        done = http.post(f"/api/v1/enquiries/{dave['id']}/{action}", headers=alice_h)
        assert done.status_code == 200, done.text

    ctx, alice = login(browser, base, "alice@example.com")
    customers_page(alice)
    table = alice.get_by_role("table", name="Customers")
    expect(table.locator("tbody tr")).to_have_count(3)
    # Search as you type: by email (both Carols), then by phone digits however written.
    alice.get_by_label("Search", exact=True).fill("carol@")
    expect(table.locator("tbody tr")).to_have_count(2)
    alice.get_by_label("Search", exact=True).fill("02079460002")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_contain_text("Dave Smith")
    alice.get_by_label("Search", exact=True).fill("Carol Jones")
    expect(table.locator("tbody tr")).to_have_count(1)
    table.get_by_role("link", name="Carol Jones").click()
    expect(alice).to_have_url(re.compile(r"/app/customers/\d+$"))
    customer_id = int(alice.url.rsplit("/", 1)[1])
    expect(alice.get_by_role("heading", name="Carol Jones")).to_be_visible()

    # Edit the profile: a tag, notes and a custom field.
    form = alice.get_by_role("form", name="Customer information")
    form.get_by_label("VIP").check()
    form.get_by_label("Notes about the customer").fill("Prefers email. Ships to the office.")
    form.get_by_role("button", name="Add field").click()
    form.get_by_label("Field name").fill("Plan")
    form.get_by_label("Field value").fill("Gold")
    form.get_by_role("button", name="Save customer").click()
    expect(alice.locator(".toast").filter(has_text="Customer saved.")).to_be_visible()
    alice.reload()  # kept by the server (the API token above ended when Alice logged in here)
    form = alice.get_by_role("form", name="Customer information")
    expect(form.get_by_label("VIP")).to_be_checked()
    expect(form.get_by_label("Notes about the customer")).to_have_value("Prefers email. Ships to the office.")
    expect(form.get_by_label("Field value")).to_have_value("Gold")

    # The possible duplicate (the same email typed into the widget) is merged...
    duplicates = alice.locator(".customer-duplicates")
    expect(duplicates).to_contain_text("same email")
    duplicates.get_by_role("button", name="Merge C. Jones into this customer").click()
    confirm(alice, "Merge")
    record = alice.get_by_role("table", name="Conversations")
    expect(record.locator("tbody tr")).to_have_count(2)
    merges = alice.locator(".customer-merges")
    expect(merges).to_contain_text("C. Jones")
    expect(duplicates).to_contain_text("No customer looks like this one.")
    screenshot(alice, "dashboard-customers.png")
    # ... and undone: the conversation goes back to its own customer.
    merges.get_by_role("button", name="Undo merge").click()
    confirm(alice, "Undo merge")
    expect(record.locator("tbody tr")).to_have_count(1)
    expect(merges).to_be_empty()
    expect(duplicates).to_contain_text("C. Jones")

    # The interaction record opens the conversation; its information panel links back.
    record.get_by_role("link", name="Open conversation").click()
    expect(alice).to_have_url(re.compile(rf"/app/rooms/{carol['room']}$"))
    alice.get_by_role("link", name="Customer profile").click()
    expect(alice).to_have_url(re.compile(rf"/app/customers/{customer_id}$"))
    expect(alice.get_by_role("heading", name="Carol Jones")).to_be_visible()

    # The Inbox row of her conversation links to the profile too.
    alice.get_by_role("navigation", name="Sections").get_by_role("link", name="Inbox").click()
    inbox = alice.get_by_role("table", name="Inbox")
    inbox.locator(f'tbody tr[data-enquiry="{carol["id"]}"]').get_by_role("link", name="Customer profile").click()
    expect(alice).to_have_url(re.compile(rf"/app/customers/{customer_id}$"))

    # Bob served none of them: no customers, and Carol's page is not found for him.
    bob_ctx, bob = login(browser, base, "bob@example.com")
    customers_page(bob)
    expect(bob.get_by_role("status").filter(has_text="No customers found.")).to_be_visible()
    bob.goto(f"/app/customers/{customer_id}")
    expect(bob.get_by_role("alert").filter(has_text="No such customer.")).to_be_visible()
    finish((ctx, alice), (bob_ctx, bob))

    # An admin erases Dave on request: asked why and to confirm, then he is listed nowhere.
    found = http.get("/api/v1/customers", params={"q": "Dave"}, headers=admin_h).json()["results"]
    dave_id = found[0]["id"]
    admin_ctx, admin = login(browser, base, "admin@example.com")
    admin.goto(f"/app/customers/{dave_id}")
    expect(admin.get_by_role("heading", name="Dave Smith")).to_be_visible()
    admin.get_by_role("button", name="Erase…").click()
    dialog = admin.get_by_role("dialog")
    dialog.get_by_label("Reason").fill("The customer's request by email")
    dialog.get_by_label("I understand this cannot be undone").check()
    dialog.get_by_role("button", name="Erase", exact=True).click()
    expect(admin.locator(".toast").filter(has_text="Erased:")).to_be_visible()
    expect(admin).to_have_url(re.compile(r"/app/customers$"))
    expect(admin.get_by_role("table", name="Customers").locator("tbody tr")).to_have_count(2)
    finish((admin_ctx, admin))
