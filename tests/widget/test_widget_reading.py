"""Reading the conversation in the widget (issue 13), in Debian's Chromium with the host page
on another origin: the agent's links are clickable (and stay escaped), a link gets its
preview card, a reply shows its quote, an edit shows "edited", a recalled file leaves a
placeholder and no download, an image keeps a visitor at the bottom in view (one who
scrolled up gets a "New messages ↓" pill instead), days get a heading and runs of messages
one time, in the browser's time zone (Asia/Tokyo here). All of it again after a reload;
and once on a phone-sized touch screen.

Screenshots (CC_SCREENSHOTS=1): docs/screenshots/widget-reading.png and
widget-reading-phone.png."""

from __future__ import annotations

import datetime as dt
import io
import uuid
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser.test_dashboard import ALICE, started_server
from tests.integration.test_real_timers import support_widget, token_headers
from tests.widget.test_widget_browser import CHROMIUM, HOST_PAGE, _csp_violation, _shot, host_servers, sync_api

__all__ = ["host_servers"]  # a fixture, used by name

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")

# Resolves once the list is scrolled to its end (within the widget's 32 px).
REACHES_BOTTOM = (
    "l => new Promise((ok) => { const t = () => "
    "(l.scrollHeight - l.scrollTop - l.clientHeight <= 32 ? ok() : requestAnimationFrame(t)); t(); })"
)

ARTICLE = """<!doctype html><html><head><meta charset="utf-8"><title>ignored</title>
<meta property="og:title" content="Acme size guide <b>2026</b>">
<meta property="og:description" content="Find your size in three steps. <img src=x onerror=alert(1)>">
<meta property="og:image" content="/guide.png">
</head><body>Sizes</body></html>"""


@pytest.fixture(scope="module")
def product(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One daphne for the file: link previews of the local host pages allowed, nobody missed
    while the test runs; an active admin and Alice (Support)."""
    with started_server(
        tmp_path_factory.mktemp("reading"), staff=(ALICE,), max_wait_seconds=300, CC_LINK_PREVIEW_ALLOW_PRIVATE="1"
    ) as (srv, http, admin):
        channel = support_widget(
            http,
            admin,
            name="Acme site",
            widget_company_name="Acme Support",
            form_enabled=True,
            form_required_fields=["first_name"],
        )
        yield {"base": srv.base, "key": channel["key"], "agent": token_headers(http, "alice@example.com")}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield b
        b.close()


def _png(width: int, height: int, color: tuple[int, int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, format="PNG")
    return out.getvalue()


class Agent:
    """Alice, through the REST API."""

    def __init__(self, base: str, headers: dict[str, str], room: int) -> None:
        self.http = httpx.Client(base_url=base, timeout=10, headers=headers)
        self.room = room

    def says(self, text: str, reply_to: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"text": text, "client_id": str(uuid.uuid4())}
        if reply_to:
            body["reply_to"] = reply_to
        response = self.http.post(f"/api/v1/rooms/{self.room}/messages", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def sends_file(self, name: str, content: bytes, content_type: str) -> dict[str, Any]:
        response = self.http.post(
            f"/api/v1/rooms/{self.room}/files",
            files={"file": (name, content, content_type)},
            data={"client_id": str(uuid.uuid4())},
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def messages(self) -> list[dict[str, Any]]:
        return list(self.http.get(f"/api/v1/rooms/{self.room}/messages").json()["results"])


def _tokyo_time(iso: str) -> str:
    """What en-US Intl shows for a time in Tokyo: "3:05 PM"."""
    t = dt.datetime.fromisoformat(iso).astimezone(TOKYO)
    return f"{t.hour % 12 or 12}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


# The host page as a phone lays it out (the shop's own page has no viewport tag).
PHONE_HOST_PAGE = HOST_PAGE.replace(
    '<meta charset="utf-8">',
    '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
)


def _start(page: Any, host: str, key: str, name: str, first: str, product: dict[str, Any]) -> tuple[Any, Agent]:
    """The visitor starts a chat from the host page; Alice picks it up."""
    page.goto(f"{host}/shop.html")
    page.locator(".cc-launcher").click()
    frame = page.frame_locator("iframe[title=Chat]")
    frame.locator("#cc-app[data-ready=true]").wait_for()
    frame.locator("[name=first_name]").fill(name)
    frame.locator("#cc-first-message").fill(first)
    frame.locator(".cc-start button[type=submit]").click()
    frame.locator(".cc-status").filter(has_text="Waiting for an agent").wait_for()
    agent = httpx.Client(base_url=product["base"], headers=product["agent"], timeout=10)
    open_ = [
        e for e in agent.get("/api/v1/enquiries?status=open").json()["results"] if e["visitor"]["name"].startswith(name)
    ]
    assert len(open_) == 1, open_
    picked = agent.post(f"/api/v1/enquiries/{open_[0]['id']}/pick-up")
    assert picked.status_code == 200, picked.text
    agent.close()
    frame.locator(".cc-agent-name").filter(has_text="Alice Agent").wait_for()
    return frame, Agent(product["base"], product["agent"], open_[0]["room"])


def _at_bottom(frame: Any) -> bool:
    return bool(frame.locator(".cc-messages").evaluate("l => l.scrollHeight - l.scrollTop - l.clientHeight <= 32"))


def _image_in_view(frame: Any, selector: str) -> bool:
    """The image has loaded and lies inside the list's visible box."""
    return bool(
        frame.locator(selector).evaluate(
            """img => {
                if (!img.complete || !img.naturalWidth) return false;
                const box = img.getBoundingClientRect(), list = img.closest('.cc-messages').getBoundingClientRect();
                return box.height > 20 && box.top >= list.top - 1 && box.bottom <= list.bottom + 1;
            }"""
        )
    )


def _check_conversation(frame: Any, host: str, ids: dict[str, dict[str, Any]]) -> None:
    """What the visitor reads, live and after a reload alike."""
    link_bubble = frame.locator(f'[data-id="{ids["link"]["id"]}"]')
    web = link_bubble.locator(f'.cc-text a[href="{host}/article.html"]')
    assert web.inner_text() == f"{host}/article.html"
    assert web.get_attribute("target") == "_blank"
    assert {"noopener", "noreferrer"} <= set((web.get_attribute("rel") or "").split())
    assert link_bubble.locator('.cc-text a[href="mailto:help@acme.example"]').count() == 1
    # Markup in a message is text; javascript: is no link.
    assert "<b>not bold</b>" in link_bubble.locator(".cc-text").inner_text()
    assert link_bubble.locator(".cc-text b").count() == 0
    assert link_bubble.locator(".cc-text a").count() == 2

    card = link_bubble.locator(".cc-preview")
    card.wait_for()
    assert card.get_attribute("href") == f"{host}/article.html"
    assert card.locator(".cc-preview-title").inner_text() == "Acme size guide <b>2026</b>"
    assert "<img src=x" in card.locator(".cc-preview-description").inner_text()
    assert card.locator(".cc-preview-site").inner_text() == "127.0.0.1"
    assert card.locator("b, .cc-preview-description img").count() == 0
    preview_image = card.locator("img.cc-preview-image")
    preview_image.wait_for()
    assert preview_image.evaluate("i => i.src.startsWith('blob:')")

    reply = frame.locator(f'[data-id="{ids["reply"]["id"]}"]')
    assert reply.locator(".cc-quote-author").inner_text() == "Vera"
    assert reply.locator(".cc-quote-text").inner_text() == "Which size is a 42?"
    assert reply.locator(".cc-text").inner_text() == "A 42 is our M."

    edited = frame.locator(f'[data-id="{ids["edited"]["id"]}"]')
    edited.locator(".cc-edited").filter(has_text="edited").wait_for()
    assert edited.locator(".cc-text").inner_text() == "We have it in stock."

    recalled = frame.locator(f'[data-id="{ids["recalled"]["id"]}"]')
    recalled.locator(".cc-text").filter(has_text="Message recalled").wait_for()
    assert recalled.locator(".cc-file, .cc-download, a, img").count() == 0
    assert "cc-recalled" in (recalled.get_attribute("class") or "")

    image = frame.locator(f'[data-id="{ids["image"]["id"]}"] img.cc-image')
    image.wait_for()

    # One day heading; one time under each run, in Tokyo's time.
    assert frame.locator(".cc-day").all_inner_texts() == ["Today"]
    last = ids["last"]
    clock = frame.locator(f'[data-id="{last["id"]}"] .cc-time')
    assert clock.is_visible()
    assert clock.inner_text().replace("\u202f", " ") == _tokyo_time(last["created_at"])
    # The visitor's question ended the link's run; the reply, the edit, the file and the image
    # make one run of Alice's: only its last shows a time.
    assert link_bubble.locator(".cc-time").is_visible()
    assert not reply.locator(".cc-time").is_visible()
    assert not edited.locator(".cc-time").is_visible()
    # The author's name over the run's first message only.
    assert reply.locator(".cc-author").is_visible()
    assert not edited.locator(".cc-author").is_visible()


@pytest.mark.timeout(180)
def test_reading_the_conversation(product: dict[str, Any], browser: Any, host_servers: tuple[Path, list[str]]) -> None:
    site, (host, _other) = host_servers
    (site / "shop.html").write_text(HOST_PAGE.format(base=product["base"], key=product["key"]))
    (site / "article.html").write_text(ARTICLE)
    (site / "guide.png").write_bytes(_png(40, 40, (200, 30, 30)))
    context = browser.new_context(viewport={"width": 1000, "height": 760}, timezone_id="Asia/Tokyo", locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if _csp_violation(m) else None)
    frame, agent = _start(page, host, product["key"], "Vera", "Hello, I want shoes", product)
    ids: dict[str, dict[str, Any]] = {}

    ids["link"] = agent.says(
        f"Our size guide: {host}/article.html or mail help@acme.example. <b>not bold</b> javascript:alert(1)"
    )
    frame.locator(f'[data-id="{ids["link"]["id"]}"] .cc-preview').wait_for()

    frame.locator("#cc-input").fill("Which size is a 42?")
    frame.locator("#cc-input").press("Enter")
    frame.locator(".cc-mine[data-id]").filter(has_text="Which size is a 42?").wait_for()
    question = next(m for m in agent.messages() if m["text"] == "Which size is a 42?")
    ids["reply"] = agent.says("A 42 is our M.", reply_to=question["id"])
    ids["edited"] = agent.says("We hav it in stock.")
    frame.locator(f'[data-id="{ids["edited"]["id"]}"]').wait_for()
    edit = agent.http.patch(f"/api/v1/messages/{ids['edited']['id']}", json={"text": "We have it in stock."})
    assert edit.status_code == 200, edit.text

    ids["recalled"] = agent.sends_file("old-prices.txt", b"Shoes: 10 EUR\n", "text/plain")
    frame.locator(f'[data-id="{ids["recalled"]["id"]}"] .cc-download').wait_for()
    recall = agent.http.delete(f"/api/v1/messages/{ids['recalled']['id']}")
    assert recall.status_code == 200, recall.text
    # The file is gone for the visitor too (the widget kept no link to it).
    token = frame.locator("body").evaluate(
        "(_, k) => JSON.parse(localStorage.getItem(`cc-widget:${k}`)).token", product["key"]
    )
    gone = httpx.get(
        f"{product['base']}/api/v1/messages/{ids['recalled']['id']}/file", headers={"Authorization": f"Visitor {token}"}
    )
    assert gone.status_code == 404

    # An image while the visitor is at the bottom: once loaded, it is in view.
    assert _at_bottom(frame)
    ids["image"] = agent.sends_file("shoe.png", _png(900, 700, (37, 99, 235)), "image/png")
    selector = f'[data-id="{ids["image"]["id"]}"] img.cc-image'
    frame.locator(selector).wait_for()
    frame.locator(selector).evaluate(
        "i => new Promise((ok) => (i.complete && i.naturalWidth ? ok() : i.addEventListener('load', ok)))"
    )
    frame.locator("body").evaluate("() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)))")
    assert _image_in_view(frame, selector)
    assert _at_bottom(frame)
    assert frame.locator(".cc-jump").is_hidden()
    _check_conversation(frame, host, {**ids, "last": ids["image"]})

    # Scrolled up to read: a new message does not move the list; the pill brings them down.
    messages = frame.locator(".cc-messages")
    messages.evaluate("l => { l.scrollTop = 0; }")
    frame.locator("body").evaluate("() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)))")
    ids["last"] = agent.says("Anything else I can do?")
    frame.locator(".cc-theirs").filter(has_text="Anything else I can do?").wait_for(state="attached")
    pill = frame.locator(".cc-jump")
    pill.filter(has_text="New messages").wait_for()
    assert messages.evaluate("l => l.scrollTop") == 0
    _shot(page, "reading")
    pill.click()
    pill.wait_for(state="hidden")
    assert _at_bottom(frame)

    # Reload: the same reading, from the history (the loader opens the panel again by itself).
    page.reload()
    page.locator(".cc-panel.cc-open").wait_for()
    frame = page.frame_locator("iframe[title=Chat]")
    frame.locator(f'[data-id="{ids["last"]["id"]}"]').wait_for()
    frame.locator(f'[data-id="{ids["image"]["id"]}"] img.cc-image').evaluate(
        "i => new Promise((ok) => (i.complete && i.naturalWidth ? ok() : i.addEventListener('load', ok)))"
    )
    _check_conversation(frame, host, ids)
    # At the bottom once the history and its pictures are in.
    frame.locator(".cc-messages").evaluate(REACHES_BOTTOM)
    assert not errors, errors
    context.close()


@pytest.mark.timeout(90)
def test_reading_on_a_phone(product: dict[str, Any], browser: Any, host_servers: tuple[Path, list[str]]) -> None:
    site, (host, _other) = host_servers
    (site / "shop.html").write_text(PHONE_HOST_PAGE.format(base=product["base"], key=product["key"]))
    (site / "article.html").write_text(ARTICLE)
    (site / "guide.png").write_bytes(_png(40, 40, (200, 30, 30)))
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, timezone_id="Asia/Tokyo", locale="en-US"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    frame, agent = _start(page, host, product["key"], "Pia", "Hi from my phone", product)
    link = agent.says(f"Here is the guide: {host}/article.html")
    frame.locator(f'[data-id="{link["id"]}"] .cc-preview img.cc-preview-image').wait_for()
    image = agent.sends_file("shoe.png", _png(900, 700, (15, 118, 110)), "image/png")
    selector = f'[data-id="{image["id"]}"] img.cc-image'
    frame.locator(selector).wait_for()
    frame.locator(selector).evaluate(
        "i => new Promise((ok) => (i.complete && i.naturalWidth ? ok() : i.addEventListener('load', ok)))"
    )
    frame.locator("body").evaluate("() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(ok)))")
    assert _image_in_view(frame, selector)
    # Nothing wider than the phone; the run's time in Tokyo's time under the image.
    assert frame.locator(".cc-messages").evaluate("l => l.scrollWidth <= l.clientWidth")
    clock = frame.locator(f'[data-id="{image["id"]}"] .cc-time')
    assert clock.inner_text().replace("\u202f", " ") == _tokyo_time(image["created_at"])
    assert frame.locator(f'[data-id="{link["id"]}"] .cc-text a').get_attribute("target") == "_blank"
    _shot(page, "reading-phone")
    assert not errors, errors
    context.close()
