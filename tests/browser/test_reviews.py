"""The Review page (Reports > Review) in a real browser: an admin picks random finished
conversations of an agent, reads one (History's transcript view), scores the rubric with
the keyboard and the mouse, sees the review in the list and the averages, and edits the
rubric; the agent then sees the review of their conversation, read-only. Screenshot:
docs/screenshots/dashboard-review.png."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_dashboard import (  # noqa: F401 - server and browser are fixtures
    Visitor,
    browser,
    finish,
    login,
    screenshot,
    server,
)
from tests.integration.test_real_timers import token_headers


def handled(base: str, key: str, name: str, message: str, owner: str) -> Visitor:
    """A visitor's enquiry that ``owner`` picks up, answers and resolves."""
    visitor = Visitor(base, key, name, message)
    with httpx.Client(base_url=base, timeout=10) as http:
        staff = token_headers(http, owner)
        assert http.post(f"/api/v1/enquiries/{visitor.enquiry}/pick-up", headers=staff).status_code == 200
        r = http.post(
            f"/api/v1/rooms/{visitor.room}/messages", json={"text": f"Hello {name}, glad to help."}, headers=staff
        )
        assert r.status_code == 201, r.text
        r = http.post(f"/api/v1/enquiries/{visitor.enquiry}/resolve", headers=staff)
        assert r.status_code == 200, r.text
    return visitor


def review_section(page: Page) -> Any:
    return page.locator(".review-page")


def test_admin_reviews_an_agents_conversation_and_the_agent_reads_it(
    server: dict[str, Any],  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    base, key = server["base"], server["key"]
    with httpx.Client(base_url=base, timeout=10) as http:
        admin = token_headers(http, "admin@example.com")
        for body in (
            {"name": "Courtesy", "description": "Greets, thanks, stays polite.", "weight": 2},
            {"name": "Accuracy", "description": "The answer is right."},
        ):
            r = http.post("/api/v1/review-criteria", json=body, headers=admin)
            assert r.status_code == 201, r.text
        bob_id = next(
            s["id"]
            for s in http.get("/api/v1/staff", headers=admin).json()["results"]
            if s["email"] == "bob@example.com"
        )
    handled(base, key, "Rita", "My invoice is wrong", "bob@example.com")
    handled(base, key, "Sam", "Can I change my plan?", "bob@example.com")
    handled(base, key, "Tom", "Where is my parcel?", "bob@example.com")
    handled(base, key, "Uma", "Alice's customer", "alice@example.com")

    admin_ctx, page = login(browser, base, "admin@example.com")
    # Reports > Review.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Reports").click()
    page.get_by_role("navigation", name="Reports").get_by_role("link", name="Review").click()
    expect(page).to_have_url(re.compile(r"/app/reports/review$"))
    expect(page.get_by_role("heading", name="Review", exact=True)).to_be_visible()

    # Pick 5 random from last week: Bob has three finished conversations, all shown.
    page.get_by_label("Agent", exact=True).first.select_option(str(bob_id))
    page.get_by_role("button", name="Pick 5 random from last week").click()
    sample = page.get_by_role("table", name="Conversations to review").locator("tbody tr")
    expect(sample).to_have_count(3)
    expect(page.get_by_role("table", name="Conversations to review")).not_to_contain_text("Alice's customer")

    # Open the one with Sam: History's transcript beside the scoring form.
    sam_row = sample.filter(has_text="Can I change my plan?")
    sam_row.get_by_role("button", name=re.compile(r"^Review conversation")).click()
    panel = page.get_by_role("region", name="Conversation under review")
    expect(panel.get_by_role("heading", name=re.compile(r"Conversation #\d+ with Sam"))).to_be_visible()
    expect(panel.locator(".transcript-messages")).to_contain_text("Hello Sam, glad to help.")

    # Saving with a criterion unscored is refused on the page, nothing sent.
    panel.get_by_role("radio", name="Courtesy: 4 of 5").check()
    panel.get_by_role("button", name="Save review").click()
    expect(panel.get_by_role("alert")).to_contain_text("missing: Accuracy")
    # The keyboard: arrows move within a criterion's radio group.
    accuracy_one = panel.get_by_role("radio", name="Accuracy: 1 of 5")
    accuracy_one.focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(panel.get_by_role("radio", name="Accuracy: 3 of 5")).to_be_checked()
    # (4 * 2 + 3) / 3 = 3.67
    expect(panel.get_by_role("status").filter(has_text="Total")).to_have_text("Total: 3.67")
    panel.get_by_label("Comment").fill("Friendly; the plan change was explained well.")
    panel.get_by_role("button", name="Save review").click()
    expect(page.locator(".toast").filter(has_text="Review saved.")).to_be_visible()

    # Listed, averaged, out of the sample; the form is now the admin's own review to change.
    reviews = page.get_by_role("table", name="Reviews").locator("tbody tr")
    expect(reviews).to_have_count(1)
    expect(reviews.first).to_contain_text("Bob Agent")
    expect(reviews.first).to_contain_text("3.67")
    averages = page.get_by_role("table", name="Averages per agent")
    expect(averages.locator("tbody tr")).to_have_count(1)
    expect(averages.locator("tbody tr").first).to_contain_text("4.00")  # Courtesy's average
    expect(sample).to_have_count(2)
    expect(panel.get_by_role("heading", name="Your review")).to_be_visible()
    expect(panel.get_by_role("radio", name="Courtesy: 4 of 5")).to_be_checked()
    screenshot(page, "dashboard-review.png")

    # The rubric editor: add a criterion; deleting a scored one archives it.
    rubric = page.get_by_role("table", name="Rubric")
    page.get_by_label("New criterion").fill("Empathy")
    page.get_by_role("button", name="Add criterion").click()
    expect(rubric.locator("tbody tr")).to_have_count(3)
    rubric.get_by_role("button", name="Delete Accuracy").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.locator(".toast").filter(has_text="Criterion archived")).to_be_visible()
    expect(rubric.locator("tbody th")).to_have_text(["Courtesy", "Empathy"])
    rubric.get_by_role("button", name="Move Empathy up").click()
    expect(rubric.locator("tbody th")).to_have_text(["Empathy", "Courtesy"])

    # Bob reads the review of his conversation, read-only; no picker, no rubric editor.
    bob_ctx, bob = login(browser, base, "bob@example.com")
    bob.goto("/app/reports/review")
    expect(bob.get_by_role("heading", name="Your reviews")).to_be_visible()
    expect(bob.get_by_role("button", name="Pick 5 random from last week")).to_have_count(0)
    expect(bob.get_by_role("table", name="Rubric")).to_have_count(0)
    mine = bob.get_by_role("table", name="Reviews").locator("tbody tr")
    expect(mine).to_have_count(1)
    expect(mine.get_by_role("button", name=re.compile("Delete|Edit"))).to_have_count(0)
    mine.get_by_role("button", name=re.compile(r"^Open conversation")).click()
    bob_panel = bob.get_by_role("region", name="Conversation under review")
    expect(bob_panel.locator(".review-card")).to_contain_text("Friendly; the plan change was explained well.")
    expect(bob_panel.locator(".review-card")).to_contain_text("Accuracy")  # archived, still in the old review
    expect(bob_panel.get_by_role("radio")).to_have_count(0)
    screenshot(bob, "dashboard-review-agent.png")

    # Alice has no review.
    alice_ctx, alice = login(browser, base, "alice@example.com")
    alice.goto("/app/reports/review")
    expect(alice.locator(".review-list")).to_contain_text("No review yet.")
    finish((admin_ctx, page), (bob_ctx, bob), (alice_ctx, alice))
