"""The staff dashboard in a real browser (issue 4): Playwright drives Debian's Chromium
against a real daphne (websockets included) on its own SQLite file, with several browser
contexts at once: two agents, an admin, and a visitor speaking through the widget API.

Screenshots of the main screens are written to docs/screenshots/ only when asked
(``make screenshots``, which sets CC_SCREENSHOTS=1), so a test run leaves the committed
images alone."""

from __future__ import annotations

import contextlib
import http.server
import io
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import IN_CI, PASSWORD
from tests.integration.test_real_timers import (
    ADMIN_STAFF,
    Processes,
    Server,
    embedded_server_env,
    embedded_setup,
    support_widget,
    token_headers,
)

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
TAKE_SCREENSHOTS = os.environ.get("CC_SCREENSHOTS", "") == "1"

if not CHROMIUM.exists() and not IN_CI:
    pytest.skip("Debian's Chromium (/usr/bin/chromium) is not installed", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, FilePayload, Page, expect, sync_playwright  # noqa: E402

expect.set_options(timeout=10_000)
WIDTH, HEIGHT = 1280, 800


# create_staff arguments of the Support agents most browser tests work with.
ALICE = ("--email", "alice@example.com", "--name", "Alice Agent", "--active", "--tag", "Support")
BOB = ("--email", "bob@example.com", "--name", "Bob Agent", "--active", "--tag", "Support")


@contextlib.contextmanager
def started_server(
    tmp: Path, *, staff: Sequence[Sequence[str]] = (ALICE, BOB), **env: Any
) -> Iterator[tuple[Server, httpx.Client, dict[str, str]]]:
    """A daphne on its own SQLite file with an ACTIVE admin and ``staff`` (create_staff
    arguments; Support agents Alice and Bob unless told); ``env`` goes to
    embedded_server_env (max_wait_seconds, CC_* settings). Yields the server, an HTTP client
    on it and the admin's token headers; stops the server afterwards."""
    procs = Processes(tmp)
    server_env = embedded_server_env(tmp, **env)
    embedded_setup(server_env, (*ADMIN_STAFF, "--active"), *staff)
    srv = Server(procs, server_env)
    try:
        srv.start()
        with httpx.Client(base_url=srv.base, timeout=10) as http:
            yield srv, http, token_headers(http, "admin@example.com")
    finally:
        procs.stop_all()


@contextlib.contextmanager
def running_server(tmp: Path, *, max_wait_seconds: int = 120) -> Iterator[dict[str, Any]]:
    """A daphne on its own SQLite file with an admin, two Support agents (Alice and Bob) and
    a widget channel to Support; yields {"base": url, "key": the channel's key}."""
    # Link previews of the local test pages (test_dashboard_runs_under_its_content_security_policy).
    with started_server(tmp, max_wait_seconds=max_wait_seconds, CC_LINK_PREVIEW_ALLOW_PRIVATE="1") as (
        srv,
        http,
        admin,
    ):
        channel = support_widget(
            http,
            admin,
            name="Website",
            welcome_message="Hi!",
            custom_info="VIP customers: offer the premium plan.",
        )
        yield {"base": srv.base, "key": channel["key"]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with running_server(tmp_path_factory.mktemp("browser")) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


class Visitor:
    """A website visitor speaking through the widget's REST API."""

    def __init__(self, base: str, key: str, name: str, message: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=10)
        response = self.http.post(
            "/api/v1/widget/enquiries",
            json={
                "channel_key": key,
                "message": message,
                "visitor": {"first_name": name},
                "utm": {"utm_source": "newsletter"},
                "device": {"platform": "Linux", "location": "Berlin"},
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        self.enquiry, self.room = body["id"], body["room"]
        self.auth = {"Authorization": f"Visitor {body['visitor_token']}"}

    def say(self, text: str) -> None:
        r = self.http.post(f"/api/v1/rooms/{self.room}/messages", json={"text": text}, headers=self.auth)
        assert r.status_code in (200, 201), r.text

    def messages(self) -> list[dict[str, Any]]:
        r = self.http.get(f"/api/v1/rooms/{self.room}/messages", headers=self.auth)
        assert r.status_code == 200, r.text
        return list(r.json()["results"])

    def wait_for(self, predicate: Any, what: str, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for m in self.messages():
                if predicate(m):
                    return m
            time.sleep(0.2)
        raise AssertionError(f"visitor never saw {what}: {self.messages()}")


CSP_WATCH = """document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline code"} at ${where}`);
});"""


def _is_csp(text: str) -> bool:
    return text.startswith("CSP violation") or "Content Security Policy" in text


def login(browser: Browser, base: str, email: str, *, shot: str | None = None) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, base_url=base)
    context.set_default_timeout(10_000)
    # Every Content-Security-Policy violation is reported as a console error: page.errors
    # (which every test checks) then holds uncaught exceptions and CSP violations alike.
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and _is_csp(msg.text) else None)
    page.errors = errors  # type: ignore[attr-defined]
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    if shot:
        screenshot(page, shot)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/app/"))
    expect(page.locator("#socket-state")).to_have_text("Live")
    return context, page


def pick_up(page: Page, visitor: Visitor, name: str) -> None:
    page.get_by_role("button", name=f"Pick up enquiry from {name}").click()
    expect(page).to_have_url(re.compile(rf"/app/rooms/{visitor.room}$"))


def finish(*sessions: tuple[BrowserContext, Page]) -> None:
    """The end of a test: none of the pages had an error; their contexts are closed."""
    for _ctx, page in sessions:
        assert not page.errors, page.errors  # type: ignore[attr-defined]
    for ctx, _page in sessions:
        ctx.close()


def screenshot(page: Page, name: str) -> None:
    """Write docs/screenshots/<name> when screenshots were asked for (CC_SCREENSHOTS=1)."""
    if TAKE_SCREENSHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name))


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 80), (31, 111, 235)).save(out, format="PNG")
    return out.getvalue()


def confirm(page: Page, button: str) -> None:
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=button, exact=True).click()


def test_agents_and_admin_work_an_enquiry_end_to_end(server: dict[str, Any], browser: Browser) -> None:
    base = server["base"]
    alice_ctx, alice = login(browser, base, "alice@example.com", shot="login.png")
    bob_ctx, bob = login(browser, base, "bob@example.com")

    # A visitor writes; both agents' panels show it at once, with the live waiting time.
    ann = Visitor(base, server["key"], "Ann", "Hello, my order #1234 has not arrived.")
    for page in (alice, bob):
        card = page.locator(f'.enquiry-card[data-enquiry="{ann.enquiry}"]')
        expect(card).to_contain_text("Ann")
        expect(card).to_contain_text("my order #1234")
    screenshot(alice, "open-enquiry-panel.png")

    # Alice picks up; Bob's panel drops it at once.
    pick_up(alice, ann, "Ann")
    expect(bob.locator(f'.enquiry-card[data-enquiry="{ann.enquiry}"]')).to_have_count(0)
    expect(alice.locator("#room-title")).to_have_text("Ann")

    # Chat both ways.
    ann.say("Are you there? See https://example.com/order")
    expect(alice.locator(".msg.by-visitor").last).to_contain_text("Are you there?")
    composer = alice.get_by_label("Message", exact=True)
    composer.fill("Yes, I am checking your order now.")
    composer.press("Enter")
    ann.wait_for(lambda m: m["text"] == "Yes, I am checking your order now.", "the agent's reply")
    expect(alice.locator(".msg.mine .body").last).to_have_text("Yes, I am checking your order now.")

    # A file, with upload progress and an image preview; the visitor gets it.
    alice.locator('input[type="file"]').set_input_files(
        files=FilePayload(name="label.png", mimeType="image/png", buffer=png_bytes())
    )
    expect(alice.locator(".msg.mine .file-image img")).to_have_count(1)
    ann.wait_for(lambda m: m["kind"] == "file", "the file")

    # Edit and recall within the window.
    composer.fill("Typo here")
    composer.press("Enter")
    mine = alice.locator(".msg.mine", has_text="Typo here")
    expect(mine).to_have_count(1)
    mine.hover()
    mine.get_by_role("button", name=re.compile("^Edit")).click()
    dialog = alice.locator("dialog[open]")
    dialog.get_by_label("Message").fill("Fixed text")
    dialog.get_by_role("button", name="Save").click()
    edited = alice.locator(".msg.mine", has_text="Fixed text")
    expect(edited).to_contain_text("(edited)")
    ann.wait_for(lambda m: m["text"] == "Fixed text" and m["edited_at"], "the edit")
    edited.hover()
    edited.get_by_role("button", name=re.compile("^Recall")).click()
    confirm(alice, "Recall")
    expect(alice.locator(".msg.recalled")).to_contain_text("Message recalled")
    screenshot(alice, "chat-room.png")
    alice.set_viewport_size({"width": 1024, "height": 768})
    expect(alice.get_by_role("button", name="Send")).to_be_in_viewport()
    screenshot(alice, "chat-room-1024.png")
    alice.set_viewport_size({"width": WIDTH, "height": HEIGHT})

    # Transfer to Bob: offered in his panel; he accepts and becomes the owner; Alice is told.
    alice.get_by_role("button", name="Transfer", exact=True).click()
    dialog = alice.locator("dialog[open]")
    dialog.get_by_label("Transfer to").select_option(label="Bob Agent (active)")
    dialog.get_by_role("button", name="Transfer").click()
    offer = bob.locator(f'.enquiry-card[data-enquiry="{ann.enquiry}"]')
    expect(offer).to_contain_text("Transfer offered to you")
    offer.get_by_role("button", name=re.compile("Accept")).click()
    expect(bob).to_have_url(re.compile(rf"/app/rooms/{ann.room}$"))
    expect(alice.locator(".toast", has_text="Bob Agent accepted")).to_be_visible()

    # Bob resolves.
    expect(bob.get_by_role("button", name="Resolve")).to_be_visible()
    bob.get_by_role("button", name="Resolve").click()
    confirm(bob, "Resolve")
    expect(bob.locator(".room-sub")).to_contain_text("resolved")

    # A second enquiry for Alice, which the admin monitors, joins and takes over.
    ben = Visitor(base, server["key"], "Ben", "I need help with my invoice.")
    pick_up(alice, ben, "Ben")
    ben.say("The invoice total looks wrong.")
    admin_ctx, admin = login(browser, base, "admin@example.com")
    admin.get_by_role("link", name="Overview").click()
    handling = admin.locator(f'.ov-card[data-enquiry="{ben.enquiry}"]')
    expect(handling).to_contain_text("Alice Agent")
    screenshot(admin, "admin-overview.png")

    handling.get_by_role("button", name="Monitor: Ben").click()
    confirm(admin, "Monitor")
    expect(admin.locator(".monitor-banner")).to_contain_text("read-only")
    expect(admin.locator(".msg.by-visitor").last).to_contain_text("invoice total")
    ben.say("Hello again?")
    expect(admin.locator(".msg.by-visitor").last).to_contain_text("Hello again?")  # live, while monitoring
    screenshot(admin, "admin-monitor.png")

    admin.locator(".monitor-banner").get_by_role("button", name="Join").click()
    confirm(admin, "Join")
    expect(alice.locator(".toast", has_text="Ada Admin joined")).to_be_visible()
    expect(admin.locator(".monitor-banner")).to_be_hidden()
    admin.get_by_role("button", name="Take over").click()
    confirm(admin, "Take over")
    expect(alice.locator(".toast", has_text="Ada Admin took over")).to_be_visible()
    expect(alice.locator(".room-sub")).to_contain_text("owner Ada Admin")
    expect(alice.get_by_role("button", name="Resolve")).to_have_count(0)
    screenshot(alice, "agent-toast-take-over.png")
    expect(admin.get_by_role("button", name="Resolve")).to_be_visible()

    # Admin set-up screens; agents never see their links and get 403 there.
    expect(alice.get_by_role("link", name="Staff")).to_have_count(0)
    assert alice.goto(f"{base}/app/admin/staff").status == 403  # type: ignore[union-attr]
    for section, heading in (("staff", "Staff"), ("channels", "Channels and destinations"), ("settings", "Settings")):
        admin.get_by_role("link", name=heading.split()[0], exact=True).click()
        expect(admin.get_by_role("heading", name=heading)).to_be_visible()
        screenshot(admin, f"admin-{section}.png")
    admin.get_by_role("link", name="Channels", exact=True).click()
    admin.get_by_role("button", name="Edit channel Website").click()
    info = admin.locator("dialog[open]").get_by_label(re.compile("Custom info"))
    info.fill("x" * 10_001)
    expect(admin.locator("dialog[open] .counter")).to_contain_text("10,001 / 10,000")
    screenshot(admin, "admin-channel-custom-info.png")
    admin.locator("dialog[open]").get_by_role("button", name="Cancel").click()

    bob.get_by_role("link", name="Inbox").click()
    expect(bob.locator(".data-table tbody tr")).not_to_have_count(0)
    screenshot(bob, "inbox.png")

    finish((alice_ctx, alice), (bob_ctx, bob), (admin_ctx, admin))


def test_socket_reconnects_and_catches_up_without_reload(server: dict[str, Any], browser: Browser) -> None:
    ctx, alice = login(browser, server["base"], "alice@example.com")
    cat = Visitor(server["base"], server["key"], "Cat", "Reconnect test")
    pick_up(alice, cat, "Cat")
    expect(alice.locator(".msg.by-visitor").last).to_contain_text("Reconnect test")
    # Drop the socket and hold the reconnect until a message has arrived meanwhile: the state
    # shows the drop, and after the reconnect the message is there without a reload.
    alice.evaluate(
        """() => {
        const s = window.ccApp.socket;
        s.connect = () => { window.ccReconnect = () => { delete s.connect; s.connect(); }; };
        s.ws.close();
    }"""
    )
    expect(alice.locator("#socket-state")).to_have_text("Reconnecting…")
    alice.wait_for_function("() => typeof window.ccReconnect === 'function'")
    cat.say("Sent while you were away")
    alice.evaluate("() => window.ccReconnect()")
    expect(alice.locator("#socket-state")).to_have_text("Live", timeout=20_000)
    expect(alice.locator(".msg.by-visitor").last).to_contain_text("Sent while you were away")
    ctx.close()


def test_a_post_lost_in_a_drop_is_sent_again_after_the_reconnect(server: dict[str, Any], browser: Browser) -> None:
    ctx, alice = login(browser, server["base"], "alice@example.com")
    dan = Visitor(server["base"], server["key"], "Dan", "Lost post test")
    pick_up(alice, dan, "Dan")
    # The socket dies with the next post's frame in it: the frame never reaches the server.
    alice.evaluate(
        """() => {
        const ws = window.ccApp.socket.ws;
        const real = ws.send.bind(ws);
        ws.send = (data) => {
            if (JSON.parse(data).type === "message.post") { ws.close(); return; }
            real(data);
        };
    }"""
    )
    composer = alice.get_by_label("Message", exact=True)
    composer.fill("Sent into a drop")
    composer.press("Enter")
    expect(alice.locator("#socket-state")).to_have_text("Live", timeout=20_000)
    dan.wait_for(lambda m: m["text"] == "Sent into a drop", "the post sent into the drop")
    expect(alice.locator(".msg.mine").last).to_contain_text("Sent into a drop")
    alice.wait_for_function("() => window.ccApp.socket.unacked.size === 0")
    # The socket sends in order: once a later message is through, any second copy of the
    # dropped one would have been too.
    composer.fill("After the drop")
    composer.press("Enter")
    dan.wait_for(lambda m: m["text"] == "After the drop", "the message after the drop")
    assert [m["text"] for m in dan.messages()].count("Sent into a drop") == 1
    assert alice.evaluate("() => window.ccApp.socket.unacked.size") == 0
    finish((ctx, alice))


def test_socket_reconnects_at_once_when_back_online_or_visible(server: dict[str, Any], browser: Browser) -> None:
    ctx, alice = login(browser, server["base"], "alice@example.com")
    sockets: list[Any] = []
    alice.on("websocket", lambda ws: sockets.append(ws))
    for wake in ("window.dispatchEvent(new Event('online'))", "document.dispatchEvent(new Event('visibilitychange'))"):
        # Drop the socket with a back-off far longer than the test waits: only the wake-up
        # event can bring it back in time, with one new socket and the back-off reset.
        alice.evaluate("() => { const s = window.ccApp.socket; s.attempt = 20; s.maxDelayMs = 600000; s.ws.close(); }")
        expect(alice.locator("#socket-state")).to_have_text("Reconnecting…")
        before = len(sockets)
        # Twice: one socket. The wake-up connects at once (synchronously), so the page can
        # tell right away whether a call made a new socket.
        assert alice.evaluate(
            f"() => {{ const s = window.ccApp.socket, old = s.ws; {wake}; const first = s.ws; {wake}; "
            "return first !== old && s.ws === first; }"
        )
        expect(alice.locator("#socket-state")).to_have_text("Live", timeout=5_000)
        # While open: nothing happens.
        assert alice.evaluate(f"() => {{ const s = window.ccApp.socket, old = s.ws; {wake}; return s.ws === old; }}")
        until(alice, lambda n=before + 1: len(sockets) == n, "the browser to report the new socket")
        assert alice.evaluate("() => window.ccApp.socket.attempt") == 0
    finish((ctx, alice))


def test_quick_replies_are_managed_and_used_by_shortcut(server: dict[str, Any], browser: Browser) -> None:
    base = server["base"]
    ctx, bob = login(browser, base, "bob@example.com")
    bob.get_by_role("link", name="Quick replies").click()
    expect(bob.get_by_role("heading", name="Quick replies")).to_be_visible()
    bob.get_by_role("button", name="New quick reply").click()
    dialog = bob.locator("dialog[open]")
    expect(dialog.get_by_label("Shared with all staff")).to_have_count(0)  # admins only
    dialog.get_by_label("Shortcut").fill("thanks")
    dialog.get_by_label("Text").fill("Thank you for waiting, I am on it.")
    dialog.get_by_role("button", name="Create").click()
    row = bob.locator('tr[data-shortcut="thanks"]')
    expect(row).to_contain_text("Thank you for waiting")
    expect(row).to_contain_text("mine")
    screenshot(bob, "quick-replies.png")

    dan = Visitor(base, server["key"], "Dan", "Is anyone there?")
    pick_up(bob, dan, "Dan")
    composer = bob.get_by_label("Message", exact=True)
    composer.press_sequentially("/tha")
    expect(bob.get_by_role("option", name=re.compile("thanks"))).to_be_visible()
    composer.press("Enter")  # picks the suggestion
    expect(composer).to_have_value("Thank you for waiting, I am on it.")
    composer.press("Enter")  # sends
    dan.wait_for(lambda m: m["text"] == "Thank you for waiting, I am on it.", "the quick reply")
    finish((ctx, bob))


def until(page: Page, condition: Any, what: str, timeout: float = 20) -> None:
    """Wait for a condition on what the page's event handlers recorded (Playwright delivers
    events while the page waits); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        page.wait_for_timeout(50)


def sent_soon(page: Page, frames: list[str], *parts: str) -> None:
    """Wait until a frame containing all ``parts`` was sent on the page's socket."""
    until(page, lambda: any(all(p in f for p in parts) for f in frames), f"a frame with {parts}: {frames}")


def test_admin_monitors_live_over_the_socket_without_polling(server: dict[str, Any], browser: Browser) -> None:
    base = server["base"]
    ctx, admin = login(browser, base, "admin@example.com")
    eve = Visitor(base, server["key"], "Eve", "Monitor me")
    # Not offered to the admin (no tag): a read-only waiting row, no Pick up / Reject.
    card = admin.locator(f'.enquiry-card[data-enquiry="{eve.enquiry}"]')
    expect(card).to_contain_text("Waiting")
    expect(card.get_by_role("button")).to_have_count(0)
    bob_ctx, bob = login(browser, base, "bob@example.com")
    bob.get_by_role("button", name="Pick up enquiry from Eve").click()
    expect(card).to_have_count(0)

    frames: list[str] = []
    # What the page did, in order: frames it received, requests for messages it made and
    # finished. Playwright reports them in the order the browser saw them.
    log: list[tuple[str, str]] = []

    def record(ws: Any) -> None:
        ws.on("framesent", lambda payload: frames.append(str(payload)))
        ws.on("framereceived", lambda payload: log.append(("received", str(payload))))

    admin.on("websocket", record)
    admin.on("request", lambda r: log.append(("request", r.url)) if "/messages" in r.url else None)
    admin.on("requestfinished", lambda r: log.append(("finished", r.url)) if "/messages" in r.url else None)
    admin.reload()  # a fresh socket whose frames are recorded
    expect(admin.locator("#socket-state")).to_have_text("Live")
    admin.get_by_role("link", name="Overview").click()
    admin.locator(f'.ov-card[data-enquiry="{eve.enquiry}"]').get_by_role("button", name="Monitor: Eve").click()
    confirm(admin, "Monitor")
    expect(admin.locator(".msg.by-visitor").last).to_contain_text("Monitor me")
    sent_soon(admin, frames, '"watch"', str(eve.room))

    def caught_up() -> bool:
        """The one REST catch-up that follows the server's "watching" answer is done (on a
        busy machine it may come well after the history is on screen)."""
        kinds = [kind for kind, text in log if kind != "received" or ('"watching"' in text and str(eve.room) in text)]
        if "received" not in kinds:
            return False
        after = kinds[kinds.index("received") :]
        return "request" in after and "finished" in after[after.index("request") :]

    until(admin, caught_up, f"the catch-up after watching: {log}")
    mark = len(log)
    eve.say("Live without polling?")
    expect(admin.locator(".msg.by-visitor").last).to_contain_text("Live without polling?")
    bob.get_by_label("Message", exact=True).press_sequentially("typing")
    expect(admin.locator(".typing")).to_contain_text("Bob Agent is typing")
    # The indicator clears 3.5 s after the last typing event: longer than the old 1.5 s
    # poll, so a poll would have fetched by then.
    expect(admin.locator(".typing")).to_have_text("", timeout=20_000)
    assert [url for kind, url in log[mark:] if kind == "request"] == []
    admin.get_by_role("link", name="Inbox").click()
    expect(admin.get_by_role("heading", name="Inbox")).to_be_visible()
    sent_soon(admin, frames, '"unwatch"', str(eve.room))
    bob_ctx.close()
    finish((ctx, admin))


@contextlib.contextmanager
def link_site() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """A local site standing in for a third-party page with an og:image; yields its origin
    and the (path, User-Agent) of every request it got."""
    hits: list[tuple[str, str]] = []
    page = b"""<!doctype html><html><head><title>Order tracking</title>
<meta property="og:title" content="Track your parcel"><meta property="og:image" content="/cover.png">
</head><body></body></html>"""
    image = png_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            hits.append((self.path, self.headers.get("User-Agent", "")))
            body, kind = (page, "text/html") if self.path == "/track" else (image, "image/png")
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_dashboard_runs_under_its_content_security_policy(server: dict[str, Any], browser: Browser) -> None:
    """The dashboard works under its strict CSP with no violation, and a link preview's
    image comes from the server: the agent's browser never contacts the linked site."""
    base = server["base"]
    ctx, alice = login(browser, base, "alice@example.com")
    response = alice.goto("/app/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "img-src 'self' data: blob:;" in policy
    assert "frame-ancestors 'none'" in policy
    expect(alice.locator("#socket-state")).to_have_text("Live")

    with link_site() as (origin, hits):
        gus = Visitor(base, server["key"], "Gus", "Where is my parcel?")
        pick_up(alice, gus, "Gus")
        gus.say(f"Tracking says: {origin}/track")
        card = alice.locator(".msg.by-visitor a.preview").last
        expect(card).to_contain_text("Track your parcel", timeout=20_000)
        img = card.locator("img")
        expect(img).to_have_attribute("src", re.compile(r"^/api/v1/messages/\d+/preview-image$"))
        alice.wait_for_function("(img) => img.complete && img.naturalWidth === 120", arg=img.element_handle())
        # Only the server fetched from the linked site (the page, then its image).
        assert [path for path, _ in hits] == ["/track", "/cover.png"]
        assert all(agent.startswith("ContactCenterLinkPreview") for _, agent in hits), hits

    # The rest of the dashboard: lists, quick replies, the room again after a reload.
    for section in ("Inbox", "Assigned", "Missed", "Quick replies", "Chats"):
        alice.get_by_role("navigation", name="Sections").get_by_role("link", name=section).click()
        expect(alice).to_have_url(re.compile(r"/app/"))
    alice.goto(f"/app/rooms/{gus.room}")
    expect(alice.locator(".msg.by-visitor a.preview img")).to_have_count(1)
    expect(alice.locator("#socket-state")).to_have_text("Live")

    # The watch itself works: a violation made on purpose is reported, and it is the only one.
    with alice.expect_console_message(lambda m: m.text.startswith("CSP violation"), timeout=10_000):
        alice.evaluate("() => { const i = new Image(); i.src = 'https://cdn.example.invalid/x.png'; }")
    # Console messages arrive in order: anything the dashboard violated came before this.
    errors = alice.errors  # type: ignore[attr-defined]
    assert errors and all("cdn.example.invalid" in e for e in errors), errors
    ctx.close()


def test_admin_sets_up_tags_and_staff_in_the_ui(server: dict[str, Any], browser: Browser) -> None:
    base = server["base"]
    _ctx, admin = login(browser, base, "admin@example.com")

    # A new tag: created, listed; a duplicate is refused with the server's reason.
    admin.goto(f"{base}/app/admin/tags")
    form = admin.get_by_role("form", name="New tag")
    form.get_by_label("New tag").fill("Billing")
    form.get_by_role("button", name="Add tag").click()
    expect(admin.locator("#toasts .toast").last).to_contain_text("Tag created.")
    expect(admin.locator("main")).to_contain_text("Billing")
    form = admin.get_by_role("form", name="New tag")
    form.get_by_label("New tag").fill("Billing")
    form.get_by_role("button", name="Add tag").click()
    expect(admin.locator("#toasts .toast-error").last).to_be_visible()

    # A staff member's limit changed in the edit dialog, saved and shown after the redraw.
    admin.goto(f"{base}/app/admin/staff")
    admin.get_by_role("button", name="Edit Bob Agent").click()
    dialog = admin.locator("dialog[open]")
    dialog.get_by_label("Concurrent enquiry limit").fill("7")
    dialog.locator('button[type="submit"]').click()
    expect(admin.locator("#toasts .toast").last).to_contain_text("Saved.")
    expect(admin.locator("tr", has_text="Bob Agent")).to_contain_text("7")
