"""The VOC page in a real browser (issue 15): customers write in English, Chinese,
Japanese and Thai through the widget, agents answer; the embedded ticker's sweep scores the
messages; the admin opens Voice of the customer, reads the sentiment index (chart and
table), the top keywords and phrases, clicks a keyword, sees its messages and follows one
to History. An agent sees only the conversations they served.

Screenshot: docs/screenshots/dashboard-voc.png when asked for (``make screenshots``)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_dashboard import (  # noqa: F401 - browser is a fixture
    Visitor,
    browser,
    finish,
    login,
    screenshot,
    started_server,
)
from tests.integration.test_real_timers import support_widget, token_headers


@pytest.fixture(scope="module")
def voc_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    # The sweep every second, so that the test does not wait for the default 10 s.
    with started_server(tmp_path_factory.mktemp("voc"), max_wait_seconds=120, CC_VOC_SWEEP_SECONDS="1") as (
        srv,
        http,
        admin,
    ):
        channel = support_widget(http, admin, name="Website", welcome_message="Hi!")
        yield {"base": srv.base, "key": channel["key"]}


def served(base: str, key: str, email: str, name: str, lines: list[str], answer: str) -> Visitor:
    visitor = Visitor(base, key, name, lines[0])
    for line in lines[1:]:
        visitor.say(line)
    with httpx.Client(base_url=base, timeout=10) as http:
        headers = token_headers(http, email)
        r = http.post(f"/api/v1/enquiries/{visitor.enquiry}/pick-up", headers=headers)
        assert r.status_code == 200, r.text
        r = http.post(f"/api/v1/rooms/{visitor.room}/messages", json={"text": answer}, headers=headers)
        assert r.status_code in (200, 201), r.text
        assert http.post(f"/api/v1/enquiries/{visitor.enquiry}/resolve", headers=headers).status_code == 200
    return visitor


def scored(base: str, email: str, keyword: str, count: int) -> None:
    """Wait until the sweep has scored the messages (the keyword counted ``count`` times)."""
    # Generous: the first sweep loads the tokenisers' dictionaries, slow on a busy machine.
    deadline = time.monotonic() + 90
    with httpx.Client(base_url=base, timeout=10) as http:
        headers = token_headers(http, email)
        while time.monotonic() < deadline:
            body = http.get("/api/v1/analytics/voc", headers=headers).json()
            if {k["keyword"]: k["count"] for k in body["keywords"]}.get(keyword) == count:
                return
            time.sleep(0.5)
    raise AssertionError(f"{keyword} never counted {count} times: {body}")


def voc_page(page: Page) -> None:
    # Reports > VOC.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Reports").click()
    page.get_by_role("navigation", name="Reports").get_by_role("link", name="VOC").click()
    expect(page).to_have_url(re.compile(r"/app/reports/voc$"))
    expect(page.get_by_role("heading", name="Voice of the customer")).to_be_visible()


def test_voc_page_shows_sentiment_keywords_and_their_messages(
    voc_server: dict[str, Any],
    browser: Browser,  # noqa: F811
    tmp_path: Path,
) -> None:
    base, key = voc_server["base"], voc_server["key"]
    angry = served(
        base,
        key,
        "alice@example.com",
        "Kim",
        ["My refund has not arrived, terrible service", "Still no refund after two weeks, very disappointed"],
        "Sorry, I have sent the refund again today",
    )
    served(base, key, "bob@example.com", "Lee", ["Great support, the refund came quickly, thanks!"], "Glad to help!")
    served(base, key, "bob@example.com", "Chen", ["退款到现在还没到账，服务太差了"], "非常抱歉，我们马上处理")
    served(base, key, "bob@example.com", "Sato", ["丁寧な対応ありがとうございました"], "どういたしまして")
    served(base, key, "bob@example.com", "Somchai", ["บริการดีมาก ขอบคุณครับ"], "ยินดีครับ")
    scored(base, "admin@example.com", "refund", 3)

    admin_ctx, admin = login(browser, base, "admin@example.com")
    voc_page(admin)
    chart = admin.get_by_role(
        "img", name=re.compile(r"^Customers: index .* over 6 messages; Agents: index 17.8 over 5 messages")
    )
    expect(chart).to_be_visible()
    admin.get_by_text("Show as a table").click()
    table = admin.locator(".voc-table table")
    expect(table.get_by_role("columnheader", name="Customers' index")).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(1)  # all today
    expect(table.locator("tbody tr td").nth(1)).to_have_text("6")

    admin.screenshot(path=str(tmp_path / "voc-top.png"))
    keywords = admin.get_by_role("region", name="Top keywords")
    for word in ("refund", "退款", "対応", "บริการ"):
        expect(keywords.get_by_role("button", name=word, exact=True)).to_be_visible()
    refund_row = keywords.get_by_role("row").filter(has=admin.get_by_role("button", name="refund", exact=True))
    expect(refund_row.get_by_role("cell").first).to_have_text("3")
    phrases = admin.get_by_role("region", name="Top phrases")
    expect(phrases.get_by_role("button", name="terrible service", exact=True)).to_be_visible()

    keywords.get_by_role("button", name="refund", exact=True).click()
    drill = admin.get_by_role("heading", name="Messages with “refund”")
    expect(drill).to_be_focused()
    messages = admin.locator(".voc-message")
    expect(messages).to_have_count(3)
    expect(messages.filter(has_text="Great support, the refund came quickly")).to_contain_text("positive")
    expect(messages.filter(has_text="terrible service")).to_contain_text("negative")
    expect(admin.locator(".voc-conversations li")).to_have_count(2)
    screenshot(admin, "dashboard-voc.png")
    # Always kept beside the test's files too, to look at after a run.
    admin.screenshot(path=str(tmp_path / "voc.png"), full_page=True)
    print(f"VOC screenshot: {tmp_path / 'voc.png'}")

    messages.filter(has_text="terrible service").get_by_role("link").click()
    expect(admin).to_have_url(re.compile(rf"/app/history/{angry.enquiry}$"))
    expect(admin.get_by_text("My refund has not arrived, terrible service")).to_be_visible()

    # Alice served only Kim: her VOC counts Kim's two messages with "refund".
    alice_ctx, alice = login(browser, base, "alice@example.com")
    voc_page(alice)
    alice_keywords = alice.get_by_role("region", name="Top keywords")
    alice_row = alice_keywords.get_by_role("row").filter(has=alice.get_by_role("button", name="refund", exact=True))
    expect(alice_row.get_by_role("cell").first).to_have_text("2")
    expect(alice_keywords.get_by_role("button", name="退款", exact=True)).to_have_count(0)
    finish((admin_ctx, admin), (alice_ctx, alice))
