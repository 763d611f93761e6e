"""The dashboard's History page in a real browser: an agent finds their finished
conversations (filters, Load more), opens a read-only transcript with its file and
downloads it as text and PDF; the room's header offers the same download; an admin sees
everyone's and filters by owner. Screenshot: docs/screenshots/dashboard-history.png."""

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

CHINESE = "您好，我的订单还没有到"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def handle(base: str, key: str, name: str, message: str, *, reply: str, file: bool = False) -> Visitor:
    """A visitor's enquiry that Alice picks up, answers (with a file) and resolves."""
    visitor = Visitor(base, key, name, message)
    with httpx.Client(base_url=base, timeout=10) as http:
        alice = token_headers(http, "alice@example.com")
        assert http.post(f"/api/v1/enquiries/{visitor.enquiry}/pick-up", headers=alice).status_code == 200
        r = http.post(f"/api/v1/rooms/{visitor.room}/messages", json={"text": reply}, headers=alice)
        assert r.status_code == 201, r.text
        if file:
            r = http.post(
                f"/api/v1/rooms/{visitor.room}/files",
                files={"file": ("receipt.pdf", PDF, "application/pdf")},
                data={"text": "your receipt"},
                headers=alice,
            )
            assert r.status_code == 201, r.text
        r = http.post(f"/api/v1/enquiries/{visitor.enquiry}/resolve", headers=alice)
        assert r.status_code == 200, r.text
    return visitor


def rows(page: Page) -> Any:
    return page.get_by_role("table", name="History").locator("tbody tr")


def test_history_list_transcript_and_downloads(server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    base, key = server["base"], server["key"]
    chen = handle(base, key, "Chen", CHINESE, reply="こんにちは / สวัสดีครับ", file=True)
    handle(base, key, "Dana", "Where is my parcel?", reply="On its way.")
    handle(base, key, "Eli", "Can I pay by card?", reply="Yes.")

    alice_ctx, alice = login(browser, base, "alice@example.com")
    alice.get_by_role("navigation", name="Sections").get_by_role("link", name="History").click()
    expect(alice.get_by_role("heading", name="History")).to_be_visible()
    expect(rows(alice)).to_have_count(3)
    expect(rows(alice).first).to_contain_text("Eli")  # newest first
    expect(rows(alice).last).to_contain_text(CHINESE)
    screenshot(alice, "dashboard-history.png")

    # Two at a time: Load more brings the rest, then goes.
    alice.goto("/app/history?limit=2")
    expect(rows(alice)).to_have_count(2)
    alice.get_by_role("button", name="Load more").click()
    expect(rows(alice)).to_have_count(3)
    expect(alice.get_by_role("button", name="Load more")).to_be_hidden()

    # Filters: a date range with none of them, then back.
    alice.get_by_label("To", exact=True).fill("2020-01-01")
    alice.get_by_role("button", name="Apply").click()
    expect(rows(alice)).to_have_count(0)
    expect(alice.locator(".history-view").get_by_role("status")).to_contain_text("No conversation matches")
    alice.get_by_role("button", name="Clear").click()
    expect(rows(alice)).to_have_count(2)  # the first page again (two a page)
    alice.get_by_role("button", name="Load more").click()
    expect(rows(alice)).to_have_count(3)

    # The transcript: read-only, the file downloadable, text and PDF downloads.
    rows(alice).last.get_by_role("link", name="Chen").click()
    expect(alice).to_have_url(re.compile(rf"/app/history/{chen.enquiry}$"))
    transcript = alice.get_by_role("region", name="Transcript")
    expect(transcript.locator(".transcript-message").filter(has_text=CHINESE)).to_be_visible()
    expect(transcript.get_by_role("link", name="File: receipt.pdf")).to_be_visible()
    expect(alice.get_by_label("Message", exact=True)).to_have_count(0)  # no composer
    screenshot(alice, "dashboard-history-transcript.png")
    with alice.expect_download() as download_info:
        transcript.get_by_role("link", name="Transcript (PDF)").click()
    assert download_info.value.suggested_filename.startswith(f"conversation-{chen.enquiry}-")
    assert download_info.value.suggested_filename.endswith(".pdf")
    with alice.expect_download() as download_info:
        transcript.get_by_role("link", name="File: receipt.pdf").click()
    assert download_info.value.suggested_filename == "receipt.pdf"

    # The room's header offers the transcript too.
    alice.goto(f"/app/rooms/{chen.room}")
    with alice.expect_download() as download_info:
        alice.get_by_role("link", name="Transcript (text)").click()
    text = open(download_info.value.path(), encoding="utf-8").read()
    assert CHINESE in text and "receipt.pdf" in text

    # The admin sees everyone's and may filter by owner (Bob has none).
    admin_ctx, admin = login(browser, base, "admin@example.com")
    admin.goto("/app/history")
    expect(rows(admin)).to_have_count(3)
    admin.get_by_label("Owner").select_option(label="Bob Agent")
    admin.get_by_role("button", name="Apply").click()
    expect(rows(admin)).to_have_count(0)
    admin.get_by_label("Owner").select_option(label="Alice Agent")
    admin.get_by_role("button", name="Apply").click()
    expect(rows(admin)).to_have_count(3)
    finish((alice_ctx, alice), (admin_ctx, admin))
