"""Conversation tags and topics in a real browser (issue 14): the admin defines "Billing >
Refund" on the Conversation tags page and requires a tag before resolve (Settings); Alice's
resolve is refused and says why (with the tag picker); she sets the topic and the tag in the
room's information panel; the Inbox's Topic column shows the topic; the resolve then goes
through. Uses the browser and helpers of test_dashboard.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

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
from tests.integration.test_real_timers import support_widget


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with started_server(tmp_path_factory.mktemp("browser-ctags"), max_wait_seconds=120) as (srv, http, admin):
        channel = support_widget(http, admin, name="Website", welcome_message="")
        yield {"base": srv.base, "key": channel["key"]}


def test_admin_defines_tags_agent_tags_and_resolves(server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    base = server["base"]
    admin_ctx, admin = login(browser, base, "admin@example.com")

    # The admin builds the tree: Billing, and Refund under it.
    admin.get_by_role("link", name="Conversation tags").click()
    expect(admin.get_by_role("heading", name="Conversation tags")).to_be_visible()
    form = admin.get_by_role("form", name="New conversation tag")
    form.get_by_label("New tag").fill("Billing")
    form.get_by_role("button", name="Add tag").click()
    expect(admin.locator(".ctag-root .ctag-name", has_text="Billing")).to_be_visible()
    form = admin.get_by_role("form", name="New conversation tag")
    form.get_by_label("New tag").fill("Refund")
    form.get_by_label("Under").select_option(label="Billing")
    form.get_by_role("button", name="Add tag").click()
    billing = admin.locator(".ctag-root", has_text="Billing")
    expect(billing.locator(".ctag-child .ctag-name")).to_have_text("Refund")
    # A duplicate under the same parent is refused with the server's reason.
    form = admin.get_by_role("form", name="New conversation tag")
    form.get_by_label("New tag").fill("refund")
    form.get_by_label("Under").select_option(label="Billing")
    form.get_by_role("button", name="Add tag").click()
    expect(admin.locator(".toast-error")).to_contain_text("already a tag")
    expect(billing.locator(".ctag-child")).to_have_count(1)
    screenshot(admin, "admin-conversation-tags.png")

    # ...and requires a tag before resolve.
    admin.get_by_role("link", name="Settings").click()
    admin.get_by_label("Require a conversation tag before an enquiry is resolved or closed").check()
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.locator(".toast", has_text="Settings saved.")).to_be_visible()

    # Alice picks up a customer's enquiry and tries to resolve it at once: refused, and told why.
    alice_ctx, alice = login(browser, base, "alice@example.com")
    vera = Visitor(base, server["key"], "Vera", "I was charged twice for order 7781")
    pick_up(alice, vera, "Vera")
    alice.get_by_role("button", name="Resolve", exact=True).click()
    confirm(alice, "Resolve")
    picker = alice.locator("dialog[open]")
    expect(picker.get_by_role("alert")).to_contain_text("conversation tag")
    expect(picker.get_by_label("Billing > Refund")).to_be_visible()
    screenshot(alice, "dashboard-conversation-tag-required.png")
    picker.get_by_role("button", name="Cancel").click()
    expect(alice.get_by_role("button", name="Resolve", exact=True)).to_be_visible()  # still handled

    # She sets the topic and the tag in the room's information panel.
    info = alice.locator("#room-info")
    info.get_by_role("button", name="Edit topic").click()
    alice.get_by_role("form", name="Topic").get_by_label("Topic").fill("Double charge on order 7781")
    alice.get_by_role("button", name="Save topic").click()
    expect(info.locator(".topic-text")).to_have_text("Double charge on order 7781")
    info.get_by_role("button", name="Add tags").click()
    picker = alice.locator("dialog[open]")
    expect(picker.locator("fieldset legend", has_text="Billing")).to_be_visible()
    picker.get_by_label("Billing > Refund").check()
    picker.get_by_role("button", name="Save tags").click()
    expect(info.locator(".ctag-chip")).to_have_text(["Billing > Refund"])
    screenshot(alice, "dashboard-conversation-tags.png")

    # The Inbox's Topic column shows the topic, not the first message.
    alice.get_by_role("link", name="Inbox").click()
    row = alice.locator(f'tr[data-enquiry="{vera.enquiry}"]')
    expect(row).to_contain_text("Double charge on order 7781")
    expect(row).not_to_contain_text("charged twice")

    # With a tag, the resolve goes through.
    alice.goto(f"/app/rooms/{vera.room}")
    alice.get_by_role("button", name="Resolve", exact=True).click()
    confirm(alice, "Resolve")
    expect(alice.locator(".toast", has_text="Enquiry resolved.")).to_be_visible()

    # The admin sees how many enquiries carry the tag.
    admin.get_by_role("link", name="Conversation tags").click()
    expect(admin.locator(".ctag-child", has_text="Refund")).to_contain_text("1 enquiry")
    finish((alice_ctx, alice), (admin_ctx, admin))
