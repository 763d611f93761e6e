"""Voice messages in a real browser (issue 12, item 17): an agent records one in the
composer with MediaRecorder (Chromium's fake microphone), sends it, and the agent and the
visitor, on the widget's own page, each get an audio player that knows the recording's
length (the server wrote the Duration into the browser's WebM); the visitor answers by
voice from the widget. A cancelled recording sends nothing; a microphone the browser
refuses is said in the composer.

Uses the server and helpers of test_dashboard.py; its own Chromium with a fake microphone
(and one without the fake permission prompt, whose microphone is refused). Screenshots go to
docs/screenshots/ when asked for (``make screenshots``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from rooms import audio
from tests.browser.test_dashboard import (  # noqa: F401 - server is a fixture
    CHROMIUM,
    Visitor,
    finish,
    login,
    pick_up,
    screenshot,
    server,
)

FAKE_DEVICE = "--use-fake-device-for-media-stream"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


def _launch(playwright: Playwright, *flags: str) -> Browser:
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", FAKE_DEVICE, *flags],
    )


@pytest.fixture(scope="module")
def mic_browser(playwright: Playwright) -> Iterator[Browser]:
    """Chromium with a fake microphone (a beep) that grants it without asking."""
    b = _launch(playwright, "--use-fake-ui-for-media-stream")
    yield b
    b.close()


def audio_duration(page: Page, selector: str) -> float:
    """The length the page's last matching <audio> reports, once it knows a finite one."""
    handle = page.wait_for_function(
        """(sel) => {
            const players = document.querySelectorAll(sel);
            const a = players[players.length - 1];
            return a && Number.isFinite(a.duration) && a.duration > 0 ? a.duration : null;
        }""",
        arg=selector,
    )
    return float(handle.json_value())


def widget_page(browser: Browser, base: str, key: str, visitor: Visitor) -> tuple[BrowserContext, Page]:
    """The visitor's chat page (/widget/<key>/) continuing the visitor's conversation, as the
    widget remembers it in localStorage."""
    context = browser.new_context(viewport={"width": 420, "height": 700}, base_url=base)
    token = visitor.auth["Authorization"].split(" ", 1)[1]
    stored = json.dumps({"token": token, "enquiry": visitor.enquiry, "room": visitor.room})
    context.add_init_script(f"localStorage.setItem({json.dumps('cc-widget:' + key)}, {json.dumps(stored)});")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(f"/widget/{key}/")
    return context, page


def record_for(page: Page, seconds: int) -> None:
    """Starts a recording and lets it run until the bar shows ``seconds`` elapsed."""
    page.get_by_role("button", name="Record a voice message").click()
    bar = page.locator(".voice-bar")
    expect(bar).to_be_visible()
    expect(bar.locator(".voice-status")).to_have_text(re.compile(rf"^Recording 0:0[{seconds}-9] / 2:00$"))
    expect(page.get_by_role("button", name="Record a voice message")).to_be_disabled()


def test_agent_records_and_sends_a_voice_message(server: dict[str, Any], mic_browser: Browser) -> None:  # noqa: F811
    base = server["base"]
    vera = Visitor(base, server["key"], "Vera", "Can you hear me? I would rather talk.")
    alice = login(mic_browser, base, "alice@example.com")
    _, page = alice
    pick_up(page, vera, "Vera")
    expect(page.locator(".msg.by-visitor").last).to_contain_text("rather talk")
    visitor_ctx, widget = widget_page(mic_browser, base, server["key"], vera)
    expect(widget.get_by_text("Can you hear me? I would rather talk.")).to_be_visible()

    # A recording cancelled sends nothing and gives the button back.
    record_for(page, 1)
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator(".voice-bar")).to_be_hidden()
    expect(page.get_by_role("button", name="Record a voice message")).to_be_enabled()

    # Recorded for two seconds and more, then sent: the recording state shows the time.
    record_for(page, 2)
    screenshot(page, "voice-recording.png")
    page.get_by_role("button", name="Send voice message").click()
    expect(page.locator(".voice-bar")).to_be_hidden()
    mine = page.locator(".msg.mine").last
    expect(mine.locator("audio")).to_have_count(1)
    expect(mine.locator(".file-audio small")).to_have_text(re.compile(r"^Voice message · 0:0[2-9]$"))
    assert 2 <= audio_duration(page, ".msg.mine audio") < 10

    # The visitor's widget page plays it too, with its length.
    expect(widget.locator("audio.cc-audio")).to_have_count(1)
    expect(widget.locator(".cc-voice-label")).to_have_text(re.compile(r"^Voice message · 0:0[2-9]$"))
    assert 2 <= audio_duration(widget, "audio.cc-audio") < 10

    # What the server keeps is the browser's WebM/Opus recording with its Duration written in.
    message = vera.wait_for(lambda m: (m["data"].get("file") or {}).get("category") == "voice", "the voice message")
    file = message["data"]["file"]
    assert file["content_type"] == "audio/webm" and file["name"].startswith("voice-message-")
    assert 2000 <= file["duration_ms"] < 10_000
    with httpx.Client(base_url=base, timeout=10) as http:
        content = http.get(file["url"], headers=vera.auth).content
    assert audio.webm_with_duration(content, file["duration_ms"]) is None  # has its Duration
    assert audio.webm_opus_to_ogg(content) is not None  # what WhatsApp would get

    # The visitor answers by voice from the widget; the agent hears it.
    widget.get_by_role("button", name="Record a voice message").click()
    expect(widget.locator(".cc-voice-status")).to_have_text(re.compile(r"^Recording 0:0[1-9] / 2:00$"))
    screenshot(widget, "voice-recording-widget.png")
    widget.locator(".cc-voice-bar").get_by_role("button", name="Send").click()
    expect(widget.locator(".cc-voice-bar")).to_be_hidden()
    expect(widget.locator(".cc-mine audio.cc-audio")).to_have_count(1)
    theirs = page.locator(".msg.by-visitor").last
    expect(theirs.locator("audio")).to_have_count(1)
    expect(theirs.locator(".file-audio small")).to_have_text(re.compile(r"^Voice message · 0:0[1-9]$"))
    assert 1 <= audio_duration(page, ".msg.by-visitor audio") < 10
    assert 1 <= audio_duration(widget, ".cc-mine audio.cc-audio") < 10
    screenshot(page, "voice-message.png")
    screenshot(widget, "voice-message-widget.png")
    finish(alice, (visitor_ctx, widget))


def test_a_refused_microphone_is_said_in_the_composer(server: dict[str, Any], playwright: Playwright) -> None:  # noqa: F811
    # No fake permission prompt: the browser refuses the microphone nobody allowed.
    browser = _launch(playwright)
    try:
        wes = Visitor(server["base"], server["key"], "Wes", "Please record me something.")
        bob = login(browser, server["base"], "bob@example.com")
        _, page = bob
        pick_up(page, wes, "Wes")
        page.get_by_role("button", name="Record a voice message").click()
        expect(page.get_by_role("alert").filter(has_text="microphone is blocked")).to_be_visible()
        expect(page.locator(".voice-bar")).to_be_hidden()
        expect(page.get_by_role("button", name="Record a voice message")).to_be_enabled()
        screenshot(page, "voice-microphone-refused.png")
        finish(bob)
    finally:
        browser.close()
