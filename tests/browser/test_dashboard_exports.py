"""The Export page in a real browser (issue 14): an agent asks for an export of the
conversations they served, follows it in the list to done (the embedded ticker's thread
writes it), downloads it and finds its rows; the other agent's export leaves it out.

Uses the server, browser and helpers of test_dashboard.py. Screenshot:
docs/screenshots/dashboard-export.png when asked for (``make screenshots``)."""

from __future__ import annotations

import csv
import io
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


def served_and_resolved(base: str, key: str, email: str, name: str, question: str, answer: str) -> Visitor:
    """A widget enquiry picked up, answered and resolved through the API by ``email``."""
    visitor = Visitor(base, key, name, question)
    with httpx.Client(base_url=base, timeout=10) as http:
        headers = token_headers(http, email)
        assert http.post(f"/api/v1/enquiries/{visitor.enquiry}/pick-up", headers=headers).status_code == 200
        r = http.post(f"/api/v1/rooms/{visitor.room}/messages", json={"text": answer}, headers=headers)
        assert r.status_code in (200, 201), r.text
        assert http.post(f"/api/v1/enquiries/{visitor.enquiry}/resolve", headers=headers).status_code == 200
    return visitor


def export_page(page: Page) -> None:
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Export").click()
    expect(page.get_by_role("heading", name="Export", exact=True)).to_be_visible()


def test_an_agent_exports_downloads_and_reads_their_rows(server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    base, key = server["base"], server["key"]
    kim = served_and_resolved(base, key, "alice@example.com", "Kim", "=Where is my parcel?", "On its way!")
    lee = served_and_resolved(base, key, "bob@example.com", "Lee", "Refund please", "Done.")

    alice_ctx, alice = login(browser, base, "alice@example.com")
    export_page(alice)
    expect(alice.get_by_text("No exports yet.")).to_be_visible()
    alice.get_by_label("What").select_option("enquiries")
    alice.get_by_label("Format").select_option("csv")
    alice.get_by_role("button", name="Export", exact=True).click()

    table = alice.get_by_role("table", name="My exports")
    row = table.locator("tbody tr").first
    expect(row).to_be_visible()
    # Polled until the ticker's thread has written it: Ready, with its rows and a link.
    expect(row).to_have_attribute("data-status", "done", timeout=30_000)
    expect(row.locator(".export-status")).to_have_text("Ready")
    expect(row.get_by_role("cell", name="1", exact=True)).to_be_visible()
    link = row.get_by_role("link", name=re.compile(r"^Download export \d+$"))
    expect(link).to_be_visible()

    # A second one, of messages in XLSX, appears above it and finishes too.
    alice.get_by_label("What").select_option("messages")
    alice.get_by_label("Format").select_option("xlsx")
    alice.get_by_role("button", name="Export", exact=True).click()
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator('tbody tr[data-status="done"]')).to_have_count(2, timeout=30_000)
    expect(table.locator("tbody tr").first.get_by_role("cell", name="XLSX")).to_be_visible()
    alice.get_by_label("What").select_option("enquiries")
    screenshot(alice, "dashboard-export.png")

    with alice.expect_download() as info:
        table.locator("tbody tr").nth(1).get_by_role("link", name=re.compile("^Download")).click()
    download = info.value
    assert re.fullmatch(r"enquiries-\d{4}-\d\d-\d\d-\d+\.csv", download.suggested_filename)
    content = open(download.path(), "rb").read()  # noqa: PTH123, SIM115
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [r["id"] for r in rows] == [str(kim.enquiry)]
    assert lee.enquiry != kim.enquiry  # Lee's is not there: Bob served it
    assert rows[0]["visitor"] == "Kim" and rows[0]["owner"] == "Alice Agent"
    assert rows[0]["status"] == "resolved" and rows[0]["messages"] == "2"

    # Bob cannot fetch Alice's file with the same link.
    href = link.get_attribute("href")
    assert href
    with httpx.Client(base_url=base, timeout=10) as http:
        assert http.get(href, headers=token_headers(http, "bob@example.com")).status_code == 404
    finish((alice_ctx, alice))
