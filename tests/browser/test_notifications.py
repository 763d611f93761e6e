"""Notifications in the dashboard, in a real browser: Alice mentions Bob in a space; Bob's
bell counts it live (its accessible name says how many), the panel lists it (opening marks
it read), a second one arrives while he is elsewhere, the Notifications page lists both,
"Mark all read" clears the count in every tab of his, and an item leads to the room.
Screenshots: docs/screenshots/dashboard-notifications-panel.png and
dashboard-notifications.png (when asked for: ``make screenshots``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_dashboard import (  # noqa: F401 - browser is a fixture
    browser,
    finish,
    login,
    running_server,
    screenshot,
)
from tests.browser.test_dashboard_rooms import say, space_via_api


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_server(tmp_path_factory.mktemp("browser-notifications")) as srv:
        yield srv


def say_in(page: Page, room: int, text: str) -> None:
    if not page.url.endswith(f"/app/rooms/{room}"):
        page.goto(f"/app/rooms/{room}")
        expect(page.locator("#socket-state")).to_have_text("Live")
    say(page, text)


def bell(page: Page) -> Any:
    return page.locator("#notifications-button")


def test_a_mention_arrives_live_is_counted_and_read(server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    base = server["base"]
    space = space_via_api(base, "alice@example.com", "Ops", ["bob@example.com"])
    alice_ctx, alice = login(browser, base, "alice@example.com")
    bob_ctx, bob = login(browser, base, "bob@example.com")
    tab2 = bob_ctx.new_page()  # a second tab of Bob's: kept in step
    tab2.goto("/app/")
    expect(tab2.locator("#socket-state")).to_have_text("Live")
    expect(bell(bob)).to_have_attribute("aria-label", "Notifications")
    expect(bob.locator("#notifications-count")).to_be_hidden()

    say_in(alice, space, "@Bob Agent can you check order 42?")
    expect(bob.locator("#notifications-count")).to_have_text("1")
    expect(bell(bob)).to_have_attribute("aria-label", "Notifications, 1 unread")
    expect(tab2.locator("#notifications-count")).to_have_text("1")

    # The panel: the mention, as a link to the room; opening it marks it read everywhere.
    bell(bob).click()
    expect(bell(bob)).to_have_attribute("aria-expanded", "true")
    panel = bob.locator("#notifications-panel")
    item = panel.get_by_role("link", name=re.compile("Alice Agent mentioned you in Ops"))
    expect(item).to_be_visible()
    expect(item).to_contain_text("can you check order 42?")
    expect(bob.locator("#notifications-count")).to_be_hidden()
    expect(tab2.locator("#notifications-count")).to_be_hidden()
    screenshot(bob, "dashboard-notifications-panel.png")
    bob.keyboard.press("Escape")
    expect(bell(bob)).to_have_attribute("aria-expanded", "false")
    expect(bell(bob)).to_be_focused()

    # A second one, then the page with both; Mark all read clears both tabs' counts.
    say_in(alice, space, "@all standup in 5")
    expect(bob.locator("#notifications-count")).to_have_text("1")
    bell(bob).click()
    panel.get_by_role("link", name="See all notifications").click()
    expect(bob).to_have_url(re.compile(r"/app/notifications$"))
    page_list = bob.get_by_role("list", name="Notifications")
    expect(page_list.locator("li")).to_have_count(2)
    expect(page_list.locator("li").first).to_contain_text("Alice Agent mentioned everyone (@all) in Ops")
    bob.get_by_role("button", name="Mark unread").last.click()
    expect(bob.locator("#notifications-count")).to_have_text("1")
    expect(tab2.locator("#notifications-count")).to_have_text("1")
    expect(page_list.locator("li.unread")).to_have_count(1)
    screenshot(bob, "dashboard-notifications.png")
    bob.get_by_role("button", name="Mark all read").click()
    expect(bob.locator("#notifications-count")).to_be_hidden()
    expect(tab2.locator("#notifications-count")).to_be_hidden()
    expect(page_list.locator("li.unread")).to_have_count(0)

    # Unread only: none now; an item leads to its room.
    bob.get_by_label("Unread only").check()
    expect(page_list.locator("li")).to_have_count(0)
    expect(bob.get_by_role("status").filter(has_text="No unread notifications.")).to_be_visible()
    bob.get_by_label("Unread only").uncheck()
    page_list.get_by_role("link").first.click()
    expect(bob).to_have_url(re.compile(rf"/app/rooms/{space}$"))
    finish((alice_ctx, alice), (bob_ctx, bob))
