"""Search in the dashboard (SPEC section 9), in a real browser: the box in the top bar
gives results as you type (English and Chinese), keyboard-navigable; Enter on a result
opens its room scrolled to the message and highlighted; Enter on the query opens the
Search page with scope tabs and highlighted snippets. An agent never finds another agent's
conversation; an admin finds both.

Uses the server, browser and helpers of test_dashboard.py. The screenshot
docs/screenshots/dashboard-search.png is written when asked for (``make screenshots``)."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.browser.test_dashboard import (  # noqa: F401 - server and browser are fixtures
    Visitor,
    browser,
    finish,
    login,
    pick_up,
    screenshot,
    server,
)


def type_search(page: Page, text: str) -> None:
    box = page.get_by_role("combobox", name="Search conversations")
    box.fill("")
    box.press_sequentially(text, delay=30)


def options(page: Page) -> object:
    return page.get_by_role("listbox", name="Search results").get_by_role("option")


def test_search_box_and_page(server: dict[str, object], browser: Browser) -> None:  # noqa: F811
    base, key = str(server["base"]), str(server["key"])
    alice_ctx, alice = login(browser, base, "alice@example.com")
    bob_ctx, bob = login(browser, base, "bob@example.com")
    admin_ctx, admin = login(browser, base, "admin@example.com")

    kim = Visitor(base, key, "Kim", "My parcel to Osaka never arrived")
    pick_up(alice, kim, "Kim")
    wang = Visitor(base, key, "Wang", "你好，我想申请退款，订单号是12345")
    pick_up(bob, wang, "Wang")
    lee = Visitor(base, key, "Lee", "Where is my parcel? It was due on Monday")
    pick_up(bob, lee, "Lee")
    kim.say("Tracking says it is stuck in customs")

    # As Alice types, her own conversation comes up (not Bob's Lee, who also wrote "parcel").
    type_search(alice, "parcel")
    listbox = alice.get_by_role("listbox", name="Search results")
    expect(listbox).to_be_visible()
    expect(listbox.locator(".search-option:not(.search-all)")).to_have_count(1)
    expect(listbox.locator("mark")).to_have_text(["parcel"])
    expect(listbox).not_to_contain_text("Monday")
    # Chinese: Bob's conversation, so nothing for Alice; Bob finds it, highlighted.
    type_search(alice, "退款")
    expect(listbox.locator(".search-empty")).to_be_visible()
    type_search(bob, "申请退款")
    bob_list = bob.get_by_role("listbox", name="Search results")
    expect(bob_list.locator(".search-option:not(.search-all)")).to_have_count(1)
    expect(bob_list.locator("mark")).to_have_text(["申请退款"])

    # Keyboard: Alice searches again, moves to the first option and opens it: the room,
    # scrolled to that message and highlighted.
    type_search(alice, "customs")
    box = alice.get_by_role("combobox", name="Search conversations")
    expect(listbox.locator(".search-option:not(.search-all)")).to_have_count(1)
    box.press("ArrowDown")
    expect(box).to_have_attribute("aria-activedescendant", "search-option-0")
    box.press("Enter")
    expect(alice).to_have_url(re.compile(rf"/app/rooms/{kim.room}\?message=\d+$"))
    hit = alice.locator("li.msg.search-hit")
    expect(hit).to_have_count(1)
    expect(hit.locator(".body")).to_have_text("Tracking says it is stuck in customs")
    expect(listbox).to_be_hidden()

    # Enter on the query itself: the Search page, with tabs and the highlighted snippet.
    type_search(admin, "parcel")
    admin_box = admin.get_by_role("combobox", name="Search conversations")
    expect(
        admin.get_by_role("listbox", name="Search results").locator(".search-option:not(.search-all)")
    ).to_have_count(2)
    admin_box.press("Enter")
    expect(admin).to_have_url(re.compile(r"/app/search\?q=parcel(&scope=messages)?$"))
    expect(admin.get_by_role("heading", name="Search")).to_be_visible()
    results = admin.locator("#search-results .search-result")
    expect(results).to_have_count(2)  # the admin finds Alice's and Bob's
    expect(admin.get_by_role("tab", name="Messages")).to_have_attribute("aria-selected", "true")
    expect(results.locator("mark").first).to_have_text(re.compile("parcel", re.IGNORECASE))
    # The Conversations tab: the same two enquiries.
    admin.get_by_role("tab", name="Conversations").click()
    expect(admin).to_have_url(re.compile(r"scope=enquiries"))
    expect(results).to_have_count(2)
    # Chinese on the page, as the admin: Wang's conversation.
    admin.get_by_role("tab", name="Messages").click()
    admin.get_by_role("search").get_by_role("searchbox", name="Search").fill("退款")
    admin.get_by_role("button", name="Search", exact=True).click()
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Wang")
    expect(results.first.locator("mark")).to_have_text(["退款"])
    # A user's text is never markup: a snippet with tags shows as text.
    kim.say("<b>parcel</b> <img src=x onerror=alert(1)>")
    admin.get_by_role("search").get_by_role("searchbox", name="Search").fill("parcel")
    admin.get_by_role("button", name="Search", exact=True).click()
    expect(results).to_have_count(3)
    expect(results.locator(".search-snippet").filter(has_text="<b>parcel</b> <img src=x")).to_have_count(1)
    expect(admin.locator("#search-results img")).to_have_count(0)
    # The box's suggestions; Escape closes them.
    type_search(admin, "parcel")
    suggestions = admin.locator("#search-suggest")
    expect(suggestions.locator(".search-option:not(.search-all)")).to_have_count(3)
    admin.get_by_role("combobox", name="Search conversations").press("Escape")
    expect(suggestions).to_be_hidden()
    screenshot(admin, "dashboard-search.png")

    # Alice on the Search page: still only her own conversation.
    alice.goto("/app/search?q=parcel")
    expect(alice.locator("#search-results .search-result")).to_have_count(2)  # Kim's two messages
    expect(alice.locator("#search-results")).not_to_contain_text("Lee")
    finish((alice_ctx, alice), (bob_ctx, bob), (admin_ctx, admin))
