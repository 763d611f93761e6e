"""The widget on phones, by keyboard, and its size and movement (issue 13), in Debian's
Chromium with the host page on another origin.

- A 390x844 touch phone, with the host page's viewport meta and without it (the layout
  viewport is then 980 px wide and zoomed out): the open chat covers the visual viewport at
  the device's scale, the launcher is hidden, Send and "Start a new conversation" are the
  topmost elements at their own centres and a tap really sends; the chat page has no
  horizontal scroll and follows the visual viewport (an on-screen keyboard shrinks it).
- A desktop, keyboard only: the launcher's name, state and unread count, the focus moving
  into the chat and back, Escape from the chat and from the page, form errors tied to their
  fields, the stars by arrow keys; the channel's panel size; dragging by the header, kept
  inside the viewport and remembered for the page session.

One daphne for the file; host pages from http.server on another port."""

from __future__ import annotations

import functools
import http.server
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.test_real_timers import (
    ADMIN_STAFF,
    AGENT_STAFF,
    Processes,
    Server,
    embedded_server_env,
    embedded_setup,
    free_port,
    support_widget,
    token_headers,
)
from tests.widget.test_widget_browser import CHROMIUM, QuietHandler, _shot, sync_api

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1000, "height": 760}}
META = '<meta name="viewport" content="width=device-width, initial-scale=1">'
HOST_PAGE = """<!doctype html>
<html><head><meta charset="utf-8">{meta}<title>Acme shop</title>
<style>body{{font-family:Georgia,serif;background:#fdf6e3;margin:0;padding:2rem}} p{{max-width:40rem}}</style></head>
<body><h1>Acme shop</h1><p><a id="first" href="#top">Our products</a> are the best.</p>
<p>{filler}</p>
<script src="{base}/static/widget/loader.js" data-channel="{key}" async></script>
</body></html>
"""
LAUNCH = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

# Where an element of the chat is on the host page, and what is topmost there: the point is
# mapped through the iframe's box (scaled on a zoomed-out phone page); at that point the
# loader's shadow root must have the iframe, and the chat page the element itself.
TOPMOST = """([selector]) => {
  const host = document.querySelector('[data-contactcenter]');
  const iframe = host.shadowRoot.querySelector('iframe');
  const box = iframe.getBoundingClientRect();
  const k = box.width / iframe.offsetWidth;
  return {left: box.left, top: box.top, k, selector};
}"""
IN_FRAME = """(el) => {
  el.scrollIntoView({block: 'nearest'});
  const r = el.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  return {x, y, hit: !!hit && (hit === el || el.contains(hit)),
          inView: r.top >= 0 && r.bottom <= innerHeight && r.left >= 0 && r.right <= innerWidth};
}"""
HIT_ON_PAGE = """([x, y]) => {
  const host = document.querySelector('[data-contactcenter]');
  const el = host.shadowRoot.elementFromPoint(x, y);
  return el ? el.tagName : null;
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path, str, httpx.Client]]:
    """The product (one daphne for the file) and one static site on another origin."""
    tmp = tmp_path_factory.mktemp("phone")
    env = embedded_server_env(tmp, max_wait_seconds=60, CC_STICKY_HEAD_START_SECONDS="0")
    embedded_setup(env, ADMIN_STAFF, AGENT_STAFF)
    processes = Processes(tmp)
    server = Server(processes, env)
    server.start()
    pages = tmp / "site"
    pages.mkdir()
    handler = functools.partial(QuietHandler, directory=str(pages))
    static = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=static.serve_forever, daemon=True).start()
    client = httpx.Client(base_url=server.base, timeout=10)
    try:
        yield server, pages, f"http://127.0.0.1:{static.server_address[1]}", client
    finally:
        client.close()
        static.shutdown()
        static.server_close()
        processes.stop_all()


@pytest.fixture(scope="module")
def browser(site: Any) -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH)
        try:
            yield chromium
        finally:
            chromium.close()


def _channel(site: Any, name: str, **fields: Any) -> dict[str, Any]:
    server, pages, origin, client = site
    admin = token_headers(client, "admin@example.com")
    channel = support_widget(
        client,
        admin,
        name=name,
        allowed_domains=[origin.removeprefix("http://")],
        widget_company_name="Acme Support",
        **fields,
    )
    for meta, suffix in ((META, ""), ("", "-nometa")):
        page = HOST_PAGE.format(base=server.base, key=channel["key"], meta=meta, filler="Lorem ipsum. " * 200)
        (pages / f"{name}{suffix}.html").write_text(page)
    return channel


class Agent:
    """The agent, through the REST API."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.headers = token_headers(client, "agent@example.com")

    def open_enquiry(self) -> dict[str, Any]:
        found = self.client.get("/api/v1/enquiries?status=open", headers=self.headers).json()["results"]
        assert len(found) == 1, found
        return dict(found[0])

    def pick_up(self, enquiry: dict[str, Any]) -> None:
        got = self.client.post(f"/api/v1/enquiries/{enquiry['id']}/pick-up", headers=self.headers)
        assert got.status_code == 200, got.text

    def resolve(self, enquiry: dict[str, Any]) -> None:
        got = self.client.post(f"/api/v1/enquiries/{enquiry['id']}/resolve", headers=self.headers)
        assert got.status_code == 200, got.text

    def close(self, enquiry: dict[str, Any]) -> None:
        got = self.client.post(f"/api/v1/enquiries/{enquiry['id']}/close", headers=self.headers)
        assert got.status_code == 200, got.text

    def says(self, room: int, text: str) -> None:
        body = {"text": text, "client_id": str(uuid.uuid4())}
        got = self.client.post(f"/api/v1/rooms/{room}/messages", headers=self.headers, json=body)
        assert got.status_code == 201, got.text

    def texts(self, room: int) -> list[str]:
        got = self.client.get(f"/api/v1/rooms/{room}/messages", headers=self.headers).json()["results"]
        return [m["text"] for m in got]


def _reachable(page: Any, frame: Any, selector: str) -> None:
    """The chat's ``selector`` is in view and topmost at its centre, on the host page too."""
    where = page.evaluate(TOPMOST, [selector])
    inside = frame.locator(selector).evaluate(IN_FRAME)
    assert inside["inView"] and inside["hit"], (selector, inside)
    x, y = where["left"] + inside["x"] * where["k"], where["top"] + inside["y"] * where["k"]
    assert page.evaluate(HIT_ON_PAGE, [x, y]) == "IFRAME", (selector, x, y)


def _no_horizontal_scroll(frame: Any) -> None:
    sizes = frame.locator("body").evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth, innerWidth]"
    )
    assert sizes[0] <= sizes[1] == sizes[2], sizes


def _phone_chat(site: Any, browser: Any, name: str, *, meta: bool) -> None:
    server, pages, origin, client = site
    agent = Agent(client)
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{origin}/{name}{'' if meta else '-nometa'}.html")
        launcher = page.locator(".cc-launcher")
        launcher.wait_for()
        scale = page.evaluate("visualViewport.scale")
        if meta:
            assert scale == 1
        else:
            # No viewport meta: a 980 px layout viewport, zoomed out to the screen's width.
            assert page.evaluate("innerWidth") == 980 and scale < 0.5
            # The launcher keeps a finger's size on screen.
            assert launcher.bounding_box()["width"] * scale >= 55
        launcher.tap()
        page.locator(".cc-panel.cc-open").wait_for()
        frame = page.frame_locator(".cc-panel iframe")
        frame.locator("#cc-app[data-ready=true]").wait_for()
        frame.locator("#cc-app[data-layout=phone]").wait_for()
        assert page.locator("[data-contactcenter]").get_attribute("data-layout") == "phone"
        # Full screen: the panel covers the visual viewport; the chat is laid out at 390 px.
        assert launcher.is_hidden()
        box = page.locator(".cc-panel").bounding_box()
        view = page.evaluate(
            "[visualViewport.offsetLeft, visualViewport.offsetTop, visualViewport.width, visualViewport.height]"
        )
        assert [round(v) for v in (box["x"], box["y"], box["width"], box["height"])] == [round(v) for v in view]
        assert frame.locator("body").evaluate("() => [innerWidth, innerHeight]") == [390, 844]
        assert frame.locator(".cc-move").is_hidden()  # no moving on a phone
        _no_horizontal_scroll(frame)

        frame.locator("#cc-first-message").fill("My parcel is late")
        _reachable(page, frame, ".cc-start button[type=submit]")
        if meta:
            _shot(page, "phone-start")
        frame.locator(".cc-start button[type=submit]").tap(timeout=5000)
        frame.locator(".cc-composer").wait_for()
        enquiry = agent.open_enquiry()
        agent.pick_up(enquiry)
        room = enquiry["room"]
        agent.says(room, "Hello! Which order is it?")
        frame.locator(".cc-theirs").filter(has_text="Which order is it?").wait_for()
        # Send is reachable and a tap on it sends (it used to hit the launcher and close).
        frame.locator("#cc-input").fill("Order 777, thanks")
        _reachable(page, frame, ".cc-send")
        frame.locator(".cc-send").tap(timeout=5000)
        frame.locator(".cc-mine[data-id]").filter(has_text="Order 777, thanks").wait_for()
        assert page.locator(".cc-panel.cc-open").count() == 1
        deadline = time.monotonic() + 10
        while "Order 777, thanks" not in agent.texts(room):
            assert time.monotonic() < deadline, agent.texts(room)
            time.sleep(0.1)
        _no_horizontal_scroll(frame)
        _shot(page, "phone-chat" if meta else "phone-chat-no-viewport-meta")
        if meta:
            # An on-screen keyboard shrinks the visual viewport: the panel follows, the
            # composer stays on screen.
            page.set_viewport_size({"width": 390, "height": 500})
            page.wait_for_function(
                "() => Math.round(document.querySelector('[data-contactcenter]').shadowRoot"
                ".querySelector('.cc-panel').getBoundingClientRect().height) === 500"
            )
            _reachable(page, frame, ".cc-send")
            page.set_viewport_size({"width": 390, "height": 844})

        agent.resolve(enquiry)
        frame.locator(".cc-rating").wait_for()
        agent.close(enquiry)
        frame.locator(".cc-new").wait_for()
        _reachable(page, frame, ".cc-new")
        if meta:
            _shot(page, "phone-after")
        frame.locator(".cc-new").tap(timeout=5000)
        frame.locator("#cc-first-message").wait_for()
        # The chat's close button brings the launcher back.
        frame.locator("[data-action=close]").tap()
        page.locator(".cc-panel.cc-open").wait_for(state="hidden")
        launcher.wait_for()
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.timeout(120)
def test_phone_with_viewport_meta(site: Any, browser: Any) -> None:
    _channel(site, "meta")
    _phone_chat(site, browser, "meta", meta=True)


@pytest.mark.timeout(120)
def test_phone_without_viewport_meta(site: Any, browser: Any) -> None:
    _channel(site, "nometa")
    _phone_chat(site, browser, "nometa", meta=False)


def _focused_in_frame(frame: Any) -> str:
    return str(
        frame.locator("body").evaluate(
            "() => { const a = document.activeElement; return a.id || a.className || a.tagName; }"
        )
    )


def _launcher_focused(page: Any) -> bool:
    return bool(
        page.evaluate(
            "() => document.activeElement === document.querySelector('[data-contactcenter]') && "
            "document.querySelector('[data-contactcenter]').shadowRoot.activeElement?.className === 'cc-launcher'"
        )
    )


@pytest.mark.timeout(150)
def test_desktop_keyboard_size_and_drag(site: Any, browser: Any) -> None:
    server, pages, origin, client = site
    channel = _channel(
        site, "desk", widget_width=480, widget_height=560, form_enabled=True, form_required_fields=["email"]
    )
    agent = Agent(client)
    context = browser.new_context(**DESKTOP)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{origin}/desk.html")
        launcher = page.locator(".cc-launcher")
        launcher.wait_for()
        page.locator("[data-contactcenter][data-layout=desktop]").wait_for(state="attached")
        assert launcher.get_attribute("aria-label") == "Chat with us"
        assert launcher.get_attribute("aria-expanded") == "false"
        assert launcher.get_attribute("aria-controls") == "cc-panel"

        # Keyboard only: Tab to the launcher (after the page's link), Enter opens.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "first"
        page.keyboard.press("Tab")
        assert _launcher_focused(page)
        page.keyboard.press("Enter")
        frame = page.frame_locator(".cc-panel iframe")
        frame.locator("#cc-app[data-ready=true]").wait_for()
        assert launcher.get_attribute("aria-expanded") == "true"
        # The focus is in the chat: the form's first field.
        page.wait_for_function(
            "() => document.activeElement === document.querySelector('[data-contactcenter]') && "
            "document.querySelector('[data-contactcenter]').shadowRoot.activeElement?.tagName === 'IFRAME'"
        )
        frame.locator("#cc-f-first_name:focus").wait_for()
        # The channel's size.
        box = page.locator(".cc-panel").bounding_box()
        assert (box["width"], box["height"]) == (480, 560)
        assert page.locator(".cc-panel").get_attribute("aria-label") == "Chat with Acme Support"
        # Escape inside the chat closes it; the focus is back on the launcher.
        page.keyboard.press("Escape")
        page.locator(".cc-panel.cc-open").wait_for(state="hidden")
        assert launcher.get_attribute("aria-expanded") == "false"
        assert _launcher_focused(page)
        # Space opens again; Escape with the launcher focused (the host page) closes.
        page.keyboard.press("Space")
        page.locator(".cc-panel.cc-open").wait_for()
        frame.locator("#cc-f-first_name:focus").wait_for()
        launcher.focus()
        page.keyboard.press("Escape")
        page.locator(".cc-panel.cc-open").wait_for(state="hidden")
        assert _launcher_focused(page)
        page.keyboard.press("Enter")
        frame.locator("#cc-f-first_name:focus").wait_for()

        # The form by keyboard: a bad email; the error is the field's description, focused.
        page.keyboard.type("Vera")
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert _focused_in_frame(frame) == "cc-f-email"
        page.keyboard.type("not-an-email")
        for _ in range(2):
            page.keyboard.press("Tab")
        assert _focused_in_frame(frame) == "cc-first-message"
        page.keyboard.type("Where is my parcel?")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        email = frame.locator("#cc-f-email")
        frame.locator("#cc-f-email:focus").wait_for()
        assert email.get_attribute("aria-invalid") == "true"
        error_id = email.get_attribute("aria-describedby")
        assert frame.locator(f"#{error_id}").inner_text() == "Enter a valid email address."
        page.keyboard.press("Control+a")
        page.keyboard.type("vera@example.com")
        for _ in range(3):
            page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        frame.locator(".cc-composer").wait_for()
        assert email.count() == 0 or email.get_attribute("aria-describedby") is None

        # Drag the panel by its header, with the mouse; kept inside the viewport.
        header = page.locator(".cc-panel").bounding_box()
        start = (header["x"] + 120, header["y"] + 25)
        page.mouse.move(*start)
        page.mouse.down()
        for step in range(1, 11):
            page.mouse.move(start[0] - 30 * step, start[1] - 8 * step)
        page.mouse.up()
        moved = page.locator(".cc-panel").bounding_box()
        assert abs(moved["x"] - (header["x"] - 300)) <= 2 and abs(moved["y"] - (header["y"] - 80)) <= 2, (header, moved)
        page.wait_for_function(f"() => sessionStorage.getItem('cc-widget-pos:{channel['key']}') !== null")
        _shot(page, "desktop-dragged")
        page.mouse.move(moved["x"] + 120, moved["y"] + 25)
        page.mouse.down()
        page.mouse.move(moved["x"] - 2000, moved["y"] - 2000, steps=5)
        page.mouse.up()
        corner = page.locator(".cc-panel").bounding_box()
        assert (corner["x"], corner["y"]) == (0, 0), corner
        # Remembered for the page session: after a reload the panel opens where it was.
        # (the chat was open: it opens again by itself, without taking the focus)
        page.reload()
        page.frame_locator(".cc-panel iframe").locator(".cc-composer").wait_for()
        assert page.evaluate("document.activeElement === document.body")
        again = page.locator(".cc-panel").bounding_box()
        assert (again["x"], again["y"]) == (0, 0), again
        # The keyboard's way: the arrow keys on the header's move button (Shift: bigger steps).
        frame = page.frame_locator(".cc-panel iframe")
        frame.locator(".cc-move").focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("Shift+ArrowDown")
        page.wait_for_function(
            "() => { const r = document.querySelector('[data-contactcenter]').shadowRoot.querySelector('.cc-panel')"
            ".getBoundingClientRect(); return r.left === 40 && r.top === 80; }"
        )
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("Shift+ArrowUp")
        page.wait_for_function(
            "() => document.querySelector('[data-contactcenter]').shadowRoot.querySelector('.cc-panel')"
            ".getBoundingClientRect().top === 0"
        )

        # Unread messages while closed are part of the launcher's name.
        page.keyboard.press("Escape")
        page.locator(".cc-panel.cc-open").wait_for(state="hidden")
        enquiry = agent.open_enquiry()
        agent.pick_up(enquiry)
        agent.says(enquiry["room"], "Found it.")
        agent.says(enquiry["room"], "It ships today.")
        page.wait_for_function(
            "() => document.querySelector('[data-contactcenter]').shadowRoot.querySelector('.cc-launcher')"
            ".getAttribute('aria-label') === 'Chat with us, 2 unread messages'"
        )

        # Rating by keyboard: the arrow keys choose the stars.
        page.keyboard.press("Enter")
        frame.locator("#cc-input:focus").wait_for()
        agent.resolve(enquiry)
        frame.locator(".cc-rating").wait_for()
        # The card is compact: its comment and Send appear once a star is chosen.
        assert frame.locator(".cc-rating button[type=submit]").is_hidden()
        frame.locator(".cc-star[data-score='1']").focus()
        assert frame.locator(".cc-stars").get_attribute("aria-describedby") == "cc-rating-error"
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        frame.locator(".cc-star[data-score='4']:focus").wait_for()
        assert frame.locator(".cc-star[aria-pressed=true]").count() == 4
        page.keyboard.press("ArrowLeft")
        assert frame.locator(".cc-star[aria-pressed=true]").count() == 3
        for _ in range(4):
            page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        frame.locator(".cc-thanks").filter(has_text="Thank you for your rating").wait_for()
        admin = token_headers(client, "admin@example.com")
        rated = client.get(f"/api/v1/enquiries/{enquiry['id']}", headers=admin).json()
        assert rated["rating"]["score"] == 3
        assert not errors, errors
    finally:
        context.close()
