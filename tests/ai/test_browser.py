"""AI assist in the room, in Chromium against a real daphne and a local fake provider
(OpenAI-compatible): the three buttons with their "thinking" state, a streamed summary
saved as a note, reply drafts inserted into the composer (never sent), labels applied with
one click, a provider failure shown clearly, and the admin's AI page with the call log.

Screenshots go to CC_AI_SHOTS (a directory) when set, to be looked at."""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect  # noqa: E402  (after the skip in test_dashboard)

from tests.ai.conftest import KEY
from tests.ai.fake_provider import Answer, FakeProvider
from tests.browser.test_dashboard import (  # noqa: F401 - browser is a fixture
    ALICE,
    Visitor,
    browser,
    finish,
    login,
    pick_up,
    started_server,
)
from tests.integration.test_real_timers import support_widget

SHOTS = os.environ.get("CC_AI_SHOTS", "")
# An answer goes browser -> daphne -> the fake provider and back: on a loaded machine this
# can take longer than the default 10 s of expect().
ANSWER_MS = 30_000


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name))


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    fake = FakeProvider()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, provider: FakeProvider) -> Iterator[dict[str, Any]]:
    with started_server(
        tmp_path_factory.mktemp("browser-ai"),
        staff=(ALICE,),
        max_wait_seconds=120,
        CC_AI_PROVIDER="openai",
        CC_AI_BASE_URL=provider.url + "/v1",
        CC_AI_API_KEY=KEY,
        CC_AI_MODEL="gpt-test",
        CC_AI_MAX_RETRIES="0",
    ) as (srv, http, admin):
        channel = support_widget(http, admin, name="Website", welcome_message="")
        r = http.post("/api/v1/conversation-tags", headers=admin, json={"name": "Delivery"})
        assert r.status_code == 201, r.text
        r = http.post("/api/v1/customer-tags", headers=admin, json={"name": "VIP"})
        assert r.status_code == 201, r.text
        yield {"base": srv.base, "key": channel["key"], "http": http, "admin": admin}


def test_room_ai_buttons(server: dict[str, Any], browser: Browser, provider: FakeProvider) -> None:  # noqa: F811
    base = server["base"]
    ann = Visitor(base, server["key"], "Ann", "Hello, my parcel has not arrived.")
    alice_ctx, alice = login(browser, base, "alice@example.com")
    pick_up(alice, ann, "Ann")
    ann.say("It was due on Monday. Order 1234.")
    expect(alice.locator(".msg.by-visitor").last).to_contain_text("Order 1234")

    bar = alice.get_by_role("toolbar", name="AI assist")
    expect(bar).to_be_visible()
    panel = alice.get_by_role("region", name="AI assist")

    # Summary: "thinking" until the provider answers, then the streamed text; saved as a note.
    gate, hold = threading.Event(), threading.Event()
    provider.script(Answer(chunks=["Ann's parcel ", "(order 1234) ", "is late since Monday."], gate=gate, hold=hold))
    bar.get_by_role("button", name="Summary").click()
    expect(panel.locator(".ai-thinking")).to_contain_text("Summarising")
    expect(bar.get_by_role("button", name="Smart reply")).to_be_disabled()
    shot(alice, "ai-thinking.png")
    gate.set()
    # The first piece shows while the provider is still writing (streamed through daphne).
    expect(panel.locator(".ai-live")).to_have_text("Ann's parcel ", timeout=ANSWER_MS)
    expect(panel.locator(".ai-thinking")).to_be_visible()
    hold.set()
    summary = panel.get_by_label("Summary (you can edit it before saving)")
    expect(summary).to_have_value("Ann's parcel (order 1234) is late since Monday.", timeout=ANSWER_MS)
    shot(alice, "ai-summary.png")
    panel.get_by_role("button", name="Save as note").click()
    expect(alice.locator(".msg").last).to_contain_text("is late since Monday.")
    sent = provider.requests[-1].body
    assert sent["stream"] is True and sent["model"] == "gpt-test"
    assert "Customer: It was due on Monday. Order 1234." in sent["messages"][-1]["content"]

    # Smart reply: drafts; Insert puts one in the composer, to edit; nothing is sent.
    provider.script(Answer(chunks=["Sorry for the wait, Ann!", "\n---\n", "Let me check order 1234 with the courier."]))
    bar.get_by_role("button", name="Smart reply").click()
    expect(panel.locator(".ai-h")).to_be_visible(timeout=ANSWER_MS)  # the answer is in (or the error: said below)
    shot(alice, "ai-reply-answer.png")
    expect(panel.get_by_role("alert")).to_have_count(0)
    drafts = panel.locator(".ai-draft")
    expect(drafts).to_have_count(2)
    shot(alice, "ai-reply.png")
    panel.get_by_role("button", name="Insert draft 2 into the message box").click()
    composer = alice.get_by_label("Message", exact=True)
    expect(composer).to_have_value("Let me check order 1234 with the courier.")
    expect(composer).to_be_focused()
    assert not any("courier" in m["text"] for m in ann.messages())

    # Labels: chosen among existing tags; Apply sets topic, tags and the customer's tags.
    answer = {"topic": "Late parcel", "tags": ["Delivery"], "customer_tags": ["VIP"], "new_tags": ["Courier"]}
    provider.script(Answer(text=json.dumps(answer)))
    bar.get_by_role("button", name="Suggest labels").click()
    expect(panel.locator(".ai-labels-list")).to_contain_text("Late parcel", timeout=ANSWER_MS)
    expect(panel.locator(".ai-labels-list")).to_contain_text("Delivery")
    expect(panel).to_contain_text("Courier")
    shot(alice, "ai-labels.png")
    panel.get_by_role("button", name="Apply").click()
    expect(alice.locator("#room-info")).to_contain_text("Late parcel")
    http, admin = server["http"], server["admin"]
    enquiry = http.get(f"/api/v1/enquiries/{ann.enquiry}", headers=admin).json()
    assert enquiry["topic"] == "Late parcel" and [t["name"] for t in enquiry["tags"]] == ["Delivery"]

    # A provider failure is said clearly, and the buttons work again.
    provider.script(Answer(status=500))
    bar.get_by_role("button", name="Summary").click()
    expect(panel.get_by_role("alert")).to_contain_text("unavailable", timeout=ANSWER_MS)
    expect(bar.get_by_role("button", name="Summary")).to_be_enabled()
    shot(alice, "ai-error.png")

    # The admin's AI page: set by the environment, key never shown, every call logged.
    admin_ctx, admin_page = login(browser, base, "admin@example.com")
    admin_page.goto("/app/admin/ai")
    expect(admin_page.get_by_role("heading", name="AI assist")).to_be_visible()
    expect(admin_page.locator(".ai-admin")).to_contain_text("set by the server's environment")
    expect(admin_page.locator(".ai-call")).to_have_count(4)
    assert KEY not in admin_page.content()
    assert re.search(r"summary", admin_page.locator(".ai-calls").inner_text())
    shot(admin_page, "ai-admin.png")
    finish((alice_ctx, alice), (admin_ctx, admin_page))
