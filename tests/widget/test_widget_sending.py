"""Sending from the widget in Debian's Chromium (issue 13, items 8 and 9), the chat framed by
a host page on another origin through the loader: a pasted screenshot waits in a preview
(thumbnail, name, Remove) until Send; files dropped onto the chat show a drop zone and wait
in the same preview (too many or too large: a clear message); the emoji picker by keyboard
(arrows, Enter at the caret, Escape back to its button) and an outside click; a voice
message from Chromium's fake microphone through the frame's allow="microphone"; two agent
messages within 3 s give one notification showing the second text (the loader's
Notification replaced under the same tag); the header's bell mutes sound and notifications
and is remembered after a reload. And the pasted preview on a 390x844 phone.

One daphne (tests/browser/test_dashboard.started_server) and one Chromium for the file.
Screenshots (docs/screenshots/widget-paste-preview.png, widget-drop.png, widget-emoji.png,
widget-paste-preview-phone.png) only with CC_SCREENSHOTS=1."""

from __future__ import annotations

import base64
import io
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.test_dashboard import ALICE, started_server
from tests.integration.test_real_timers import support_widget, token_headers
from tests.widget.test_widget_browser import (  # noqa: F401 - host_servers is a fixture
    CHROMIUM,
    HOST_PAGE,
    _csp_violation,
    _png,
    _shot,
    host_servers,
    sync_api,
)

PDF = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
UPLOAD_BYTES = 2_000_000  # CC_MAX_UPLOAD_BYTES: small, so that a too large file is cheap to make

# The host page records the Notifications the loader shows (the permission is granted).
FAKE_NOTIFICATION = """
window.__notes = [];
window.Notification = class {
  constructor(title, options) { window.__notes.push({title, ...(options || {})}); }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
};
"""

# Files made in the page: [{name, type, b64 | text | size (zeros)}] -> a DataTransfer.
MAKE_TRANSFER = """(files) => {
  const dt = new DataTransfer();
  for (const f of files) {
    const bytes = f.b64 ? Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))
      : f.text ? new TextEncoder().encode(f.text) : new Uint8Array(f.size);
    dt.items.add(new File([bytes], f.name, {type: f.type}));
  }
  return dt;
}"""

PASTE = f"""(el, files) => {{
  const dt = ({MAKE_TRANSFER})(files);
  el.focus();
  return el.dispatchEvent(new ClipboardEvent("paste", {{clipboardData: dt, bubbles: true, cancelable: true}}));
}}"""

DRAG = f"""(el, [type, files]) => {{
  const dt = ({MAKE_TRANSFER})(files);
  el.dispatchEvent(new DragEvent(type, {{dataTransfer: dt, bubbles: true, cancelable: true}}));
}}"""


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with started_server(tmp_path_factory.mktemp("sending"), staff=(ALICE,), CC_MAX_UPLOAD_BYTES=str(UPLOAD_BYTES)) as (
        srv,
        http,
        admin,
    ):
        yield {"base": srv.base, "http": http, "admin": admin, "agent": token_headers(http, "alice@example.com")}


# Debian's Chromium has no colour emoji font here; Firefox ESR's Twemoji gives the emoji
# picker's screenshot real emoji (only this test's Chromium sees it).
TWEMOJI = Path("/usr/lib/firefox-esr/fonts/TwemojiMozilla.ttf")


def _browser_env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    if TWEMOJI.exists():
        conf = tmp / "fonts.conf"
        conf.write_text(
            '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
            f'<include ignore_missing="yes">/etc/fonts/fonts.conf</include><dir>{TWEMOJI.parent}</dir>'
            f"<cachedir>{tmp / 'fc-cache'}</cachedir></fontconfig>"
        )
        env["FONTCONFIG_FILE"] = str(conf)
    return env


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            env=_browser_env(tmp_path_factory.mktemp("fonts")),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
            ],
        )
        yield b
        b.close()


def _screenshot_png() -> bytes:
    """A small picture of a page with an error box, as a visitor would paste one."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (320, 200), (248, 250, 252))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 320, 28), fill=(30, 41, 59))
    for y in (48, 64, 80):
        draw.rectangle((16, y, 16 + 3 * y, y + 8), fill=(203, 213, 225))
    draw.rectangle((16, 110, 304, 176), fill=(254, 226, 226), outline=(220, 38, 38), width=2)
    draw.text((28, 124), "Error 500: payment failed", fill=(153, 27, 27))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _png_file(name: str, data: bytes | None = None) -> dict[str, str]:
    return {"name": name, "type": "image/png", "b64": base64.b64encode(data or _png()).decode()}


class Chat:
    """A visitor on the host page with the widget open and a conversation Alice picked up."""

    def __init__(self, product: dict[str, Any], browser: Any, site: Path, origin: str, **context: Any) -> None:
        self.product = product
        http: httpx.Client = product["http"]
        channel = support_widget(
            http,
            product["admin"],
            name=f"Site {uuid.uuid4().hex[:6]}",
            allowed_domains=[origin.removeprefix("http://")],
        )
        self.key = channel["key"]
        html = HOST_PAGE.format(base=product["base"], key=self.key)
        if context.get("is_mobile"):  # a phone-ready host page
            html = html.replace("<head>", '<head><meta name="viewport" content="width=device-width, initial-scale=1">')
        (site / f"{self.key}.html").write_text(html)
        self.context = browser.new_context(**context)
        self.context.add_init_script(FAKE_NOTIFICATION)
        self.page = page = self.context.new_page()
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if _csp_violation(m) else None)
        page.goto(f"{origin}/{self.key}.html")
        page.locator(".cc-launcher").click()
        self.frame = frame = page.frame_locator("iframe[title=Chat]")
        frame.locator("#cc-app[data-ready=true]").wait_for()
        frame.locator("#cc-first-message").fill("Hello, my order page shows an error")
        frame.locator(".cc-start button[type=submit]").click()
        frame.locator(".cc-status").filter(has_text="Waiting for an agent").wait_for()
        opened = http.get("/api/v1/enquiries?status=open", headers=product["agent"]).json()["results"]
        enquiry = max(opened, key=lambda e: e["id"])
        self.enquiry, self.room = enquiry["id"], enquiry["room"]
        picked = http.post(f"/api/v1/enquiries/{self.enquiry}/pick-up", headers=product["agent"])
        assert picked.status_code == 200, picked.text
        frame.locator(".cc-status").filter(has_text="Alice Agent joined").wait_for()
        frame.locator("#cc-app[data-socket=open]").wait_for(state="attached")

    def agent_says(self, text: str) -> None:
        r = self.product["http"].post(
            f"/api/v1/rooms/{self.room}/messages",
            headers=self.product["agent"],
            json={"text": text, "client_id": str(uuid.uuid4())},
        )
        assert r.status_code in (200, 201), r.text

    def messages(self) -> list[dict[str, Any]]:
        r = self.product["http"].get(f"/api/v1/rooms/{self.room}/messages", headers=self.product["agent"])
        return list(r.json()["results"])

    def files(self) -> list[str]:
        return [m["data"]["file"]["name"] for m in self.messages() if m["kind"] == "file"]

    def debug(self) -> dict[str, Any]:
        return dict(self.frame.locator("body").evaluate("() => window.ccWidgetDebug"))

    def focused(self) -> str:
        """The accessible name (or id) of the frame's focused element."""
        return str(
            self.frame.locator("body").evaluate(
                "() => document.activeElement.id || document.activeElement.getAttribute('aria-label')"
            )
        )


@pytest.mark.timeout(120)
def test_paste_drop_emoji_voice_and_notifications(
    product: dict[str, Any],
    browser: Any,
    host_servers: tuple[Path, list[str]],  # noqa: F811 - fixture
) -> None:
    site, (origin, _) = host_servers
    chat = Chat(product, browser, site, origin, viewport={"width": 1000, "height": 760})
    frame, page = chat.frame, chat.page
    field = frame.locator("#cc-input")
    preview = frame.locator(".cc-attachments")

    # Paste a screenshot: a preview with its thumbnail, name and Remove; nothing sent yet.
    assert field.evaluate(PASTE, [_png_file("screen.png", _screenshot_png())]) is False  # taken by the composer
    item = preview.locator(".cc-attachment")
    item.wait_for()
    thumb = item.locator("img.cc-attachment-thumb")
    assert item.locator(".cc-attachment-name").inner_text() == "screen.png"
    assert frame.locator("[data-ref=attachments-status]").inner_text() == "1 file ready to send"
    assert (
        thumb.evaluate("i => new Promise(r => i.complete ? r(i.naturalWidth) : i.onload = () => r(i.naturalWidth))")
        == 320
    )
    # Pasted text is left to the browser, also rich text with its picture (as office programs copy).
    rich_text = """el => {
        const dt = new DataTransfer();
        dt.setData("text/plain", "Q3 totals"); dt.setData("text/html", "<b>Q3 totals</b>");
        dt.items.add(new File([new Uint8Array(9)], "image.png", {type: "image/png"}));
        return el.dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true}));
    }"""
    assert field.evaluate(rich_text)  # not taken
    assert item.count() == 1
    # A pasted file that is too large: a clear message, not staged.
    field.evaluate(PASTE, [{"name": "huge.mov", "type": "video/quicktime", "size": UPLOAD_BYTES + 1}])
    frame.locator(".cc-composer-error").filter(has_text="huge.mov is too large (at most 1.9 MB).").wait_for()
    assert item.count() == 1
    # A second file, removed again: the focus goes back to the text.
    field.evaluate(PASTE, [{"name": "notes.txt", "type": "text/plain", "size": 20}])
    assert item.count() == 2
    frame.get_by_role("button", name="Remove notes.txt").click()
    assert item.count() == 1 and chat.focused() == "cc-input"
    field.fill("This is what I see")
    _shot(page, "paste-preview")
    field.press("Enter")
    frame.locator(".cc-mine[data-id] img.cc-image").wait_for()
    assert preview.is_hidden()
    assert chat.files() == ["screen.png"]
    assert "This is what I see" in [m["text"] for m in chat.messages()]

    # Drag files over the chat: a drop zone; dropped, they wait in the preview; Send sends each.
    messages = frame.locator(".cc-messages")
    zone = frame.locator(".cc-dropzone")
    two = [_png_file("photo-1.png", _screenshot_png()), {"name": "invoice.pdf", "type": "application/pdf", "text": PDF}]
    messages.evaluate(DRAG, ["dragenter", two])
    messages.evaluate(DRAG, ["dragover", two])
    zone.wait_for()
    assert zone.inner_text() == "Drop files here to send them"
    _shot(page, "drop")
    program = {"name": "setup.exe", "type": "application/x-msdownload", "text": "MZ\x90\x00 not a document"}
    messages.evaluate(DRAG, ["drop", [*two, program]])
    zone.wait_for(state="hidden")
    assert item.locator(".cc-attachment-name").all_inner_texts() == ["photo-1.png", "invoice.pdf", "setup.exe"]
    frame.locator(".cc-send").click()
    frame.locator(".cc-mine[data-id] .cc-download").filter(has_text="invoice.pdf").wait_for()
    # What the server refuses (it checks the content) is marked as not sent, with its reason.
    refused = frame.locator(".cc-mine.cc-failed").filter(has_text="Not sent: This type of file is not allowed.")
    refused.wait_for()
    assert refused.locator(".cc-text").inner_text() == "setup.exe"
    assert chat.files() == ["screen.png", "photo-1.png", "invoice.pdf"]
    # Too many at once: ten wait, a clear message says how many were left out.
    twelve = [{"name": f"f{n}.txt", "type": "text/plain", "size": 5} for n in range(12)]
    messages.evaluate(DRAG, ["drop", twelve])
    frame.locator(".cc-composer-error").filter(
        has_text="At most 10 files can be sent at a time. 2 files were left out."
    ).wait_for()
    assert item.count() == 10
    for _ in range(10):
        frame.locator(".cc-attachment-remove").first.click()
    assert preview.is_hidden() and frame.locator(".cc-composer-error").is_hidden()
    # A drag that leaves again hides the zone.
    messages.evaluate(DRAG, ["dragenter", two])
    zone.wait_for()
    messages.evaluate(DRAG, ["dragleave", two])
    zone.wait_for(state="hidden")

    # The emoji picker: Escape closes it and gives the focus back to its button.
    toggle = frame.get_by_role("button", name="Insert emoji")
    picker = frame.locator(".cc-emoji-picker")
    toggle.click()
    picker.wait_for()
    assert toggle.get_attribute("aria-expanded") == "true" and chat.focused() == "😀"
    page.keyboard.press("Escape")
    picker.wait_for(state="hidden")
    assert toggle.get_attribute("aria-expanded") == "false" and chat.focused() == "Insert emoji"
    # A click outside closes it.
    toggle.click()
    picker.wait_for()
    messages.click(position={"x": 20, "y": 20})
    picker.wait_for(state="hidden")
    # Tabbing out of it closes it.
    toggle.click()
    picker.wait_for()
    page.keyboard.press("Shift+Tab")
    picker.wait_for(state="hidden")
    # Arrow keys move between the emoji; Enter inserts the chosen one at the caret.
    field.fill("Hello world")
    field.evaluate("el => el.setSelectionRange(5, 5)")
    toggle.focus()
    page.keyboard.press("Enter")
    picker.wait_for()
    for key in ("ArrowRight", "ArrowRight", "ArrowDown", "ArrowLeft"):
        page.keyboard.press(key)
    assert chat.focused() == "👍"  # the 1st emoji, right, right, a row down (11th), left: the 10th
    _shot(page, "emoji")
    page.keyboard.press("Enter")
    picker.wait_for(state="hidden")
    assert field.input_value() == "Hello👍 world"
    assert chat.focused() == "cc-input"
    assert field.evaluate("el => el.selectionStart") == len("Hello👍".encode("utf-16-le")) // 2
    field.fill("")

    # A voice message from the fake microphone, through the frame's allow="microphone".
    frame.get_by_role("button", name="Record a voice message").click()
    status = frame.locator(".cc-voice-status")
    status.filter(has_text=re.compile(r"^Recording 0:0[1-9] / 2:00$")).wait_for()
    frame.locator(".cc-voice-send").click()
    frame.locator(".cc-mine[data-id] audio.cc-audio").wait_for()
    voice = [m for m in chat.messages() if m["kind"] == "file"][-1]["data"]["file"]
    assert voice["category"] == "voice" and voice["name"].startswith("voice-message-"), voice
    assert frame.locator(".cc-composer-error").is_hidden()

    # Closed panel: two agent messages within 3 s give one notification with the second text.
    frame.locator("[data-action=close]").click()
    page.locator(".cc-panel.cc-open").wait_for(state="hidden")
    before = chat.debug()
    chat.agent_says("I found your order.")
    chat.agent_says("It ships tomorrow.")
    frame.locator(".cc-theirs").filter(has_text="It ships tomorrow.").wait_for(state="attached")
    after = chat.debug()
    notes = after["notifications"][len(before["notifications"]) :]
    assert notes == [{"title": "Alice Agent", "body": "It ships tomorrow.", "count": 2, "shown": True}], notes
    assert after["sounds"] == before["sounds"] + 1
    # The loader's notification was replaced under one tag: the last one shows the second text.
    shown = page.evaluate("() => window.__notes")
    assert [n["body"] for n in shown[-2:]] == ["I found your order.", "It ships tomorrow."], shown
    assert len({n["tag"] for n in shown}) == 1

    # The bell mutes sound and notifications, and is remembered after a reload.
    page.locator(".cc-launcher").click()
    bell = frame.get_by_role("button", name="Mute sound")
    assert bell.get_attribute("aria-pressed") == "false"
    bell.click()
    assert bell.get_attribute("aria-pressed") == "true"
    frame.locator("[data-action=close]").click()
    page.locator(".cc-panel.cc-open").wait_for(state="hidden")
    before = chat.debug()
    chat.agent_says("Muted one")
    frame.locator(".cc-theirs").filter(has_text="Muted one").wait_for(state="attached")
    assert chat.debug() == before
    page.locator(".cc-badge").filter(has_text="1").wait_for()  # the unread count still shows
    page.reload()
    frame.locator("#cc-app[data-ready=true]").wait_for(state="attached")
    frame.locator("#cc-app[data-socket=open]").wait_for(state="attached")
    # (the panel is closed: the frame is hidden, its bell too)
    assert frame.get_by_role("button", name="Mute sound", include_hidden=True).get_attribute("aria-pressed") == "true"
    chat.agent_says("Still muted")
    frame.locator(".cc-theirs").filter(has_text="Still muted").wait_for(state="attached")
    assert chat.debug() == {"notifications": [], "sounds": 0}
    page.locator(".cc-launcher").click()
    frame.get_by_role("button", name="Mute sound").click()
    assert frame.get_by_role("button", name="Mute sound").get_attribute("aria-pressed") == "false"
    assert not chat.errors, chat.errors
    chat.context.close()


@pytest.mark.timeout(60)
def test_pasted_preview_on_a_phone(
    product: dict[str, Any],
    browser: Any,
    host_servers: tuple[Path, list[str]],  # noqa: F811 - fixture
) -> None:
    site, (origin, _) = host_servers
    chat = Chat(
        product,
        browser,
        site,
        origin,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    frame, page = chat.frame, chat.page
    field = frame.locator("#cc-input")
    field.evaluate(PASTE, [_png_file("image.png", _screenshot_png())])
    item = frame.locator(".cc-attachment")
    item.wait_for()
    name = item.locator(".cc-attachment-name").inner_text()
    assert re.fullmatch(r"screenshot-\d{4}-\d\d-\d\d-\d{4}\.png", name), name  # a screenshot's generic name
    # The preview, its Remove button and Send fit the phone's width.
    for locator in (item, item.locator(".cc-attachment-remove"), frame.locator(".cc-send")):
        box = locator.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] > 0, box
    remove = item.locator(".cc-attachment-remove").bounding_box()
    assert remove and remove["width"] >= 32 and remove["height"] >= 32  # a finger's target
    _shot(page, "paste-preview-phone")
    frame.locator(".cc-send").tap()
    frame.locator(".cc-mine[data-id] img.cc-image").wait_for()
    assert chat.files() == [name]
    assert not chat.errors, chat.errors
    chat.context.close()
