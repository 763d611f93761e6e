"""The widget end to end in Debian's Chromium (issue 5): a host page on another origin
embeds the loader; the visitor chats with an agent (REST + a staff socket from a second
browser context), survives a reload, rates after resolve; a web link visitor is missed
and leaves a note; a site that is not allowed cannot frame the chat.

A real daphne with the in-process ticker serves the product on its own SQLite file; the
host pages come from http.server on two other ports. Screenshots of each state go to
docs/screenshots/widget-*.png."""

from __future__ import annotations

import functools
import http.server
import io
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import IN_CI
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
    wait_until,
)
from tests.process_groups import ROOT

CHROMIUM = "/usr/bin/chromium"
MAX_WAIT = 4.0  # CC_ENQUIRY_MAX_WAIT_SECONDS: the web link enquiry is missed after this
SHOTS = ROOT / "docs" / "screenshots"
TAKE_SCREENSHOTS = os.environ.get("CC_SCREENSHOTS", "") == "1"

if not os.path.exists(CHROMIUM):
    if IN_CI:
        pytest.fail(f"CI=true but {CHROMIUM} is missing", pytrace=False)
    pytest.skip(f"needs Debian's Chromium at {CHROMIUM}", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")

HOST_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Acme shop</title>
<style>body{{font-family:Georgia,serif;background:#fdf6e3;margin:0;padding:2rem}} button{{color:red}}
 div{{border:2px dashed green}}</style></head>
<body><h1>Acme shop</h1><p>Our products.</p>
<button id="cta" type="button" onclick="ContactCenter.openTag('Support')">Talk to support</button>
<script src="{base}/static/widget/loader.js" data-channel="{key}" async></script>
</body></html>
"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture
def host_servers(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """Two static sites on two other origins: one allowed to embed the widget, one not."""
    site = tmp_path / "site"
    site.mkdir()
    servers = []
    for _ in range(2):
        handler = functools.partial(QuietHandler, directory=str(site))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    yield site, [f"http://127.0.0.1:{s.server_address[1]}" for s in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def product(tmp_path: Path) -> Iterator[Server]:
    env = embedded_server_env(
        tmp_path,
        max_wait_seconds=MAX_WAIT,
        CC_STICKY_HEAD_START_SECONDS="0",
        CC_WIDGET_MAX_ENQUIRIES_PER_HOUR="1",
    )
    embedded_setup(env, ADMIN_STAFF, AGENT_STAFF)
    processes = Processes(tmp_path)
    server = Server(processes, env)
    server.start()
    yield server
    processes.stop_all()


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (37, 99, 235)).save(out, format="PNG")
    return out.getvalue()


def _csp_violation(message: Any) -> bool:
    return bool(message.type == "error" and "Content Security Policy" in message.text)


def _shot(page: Any, name: str) -> None:
    """docs/screenshots/widget-<name>.png, only when asked for (make screenshots)."""
    if TAKE_SCREENSHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"widget-{name}.png"))


@pytest.mark.timeout(150)
def test_widget_end_to_end(product: Server, host_servers: tuple[Path, list[str]], tmp_path: Path) -> None:
    started = time.monotonic()
    site, (allowed_origin, other_origin) = host_servers
    base = product.base
    http = httpx.Client(base_url=base, timeout=10)
    admin = token_headers(http, "admin@example.com")
    agent = token_headers(http, "agent@example.com")
    channel = support_widget(
        http,
        admin,
        name="Acme site",
        welcome_message="Thanks for contacting Acme! An agent will be with you shortly.",
        allowed_domains=[allowed_origin.removeprefix("http://")],
        widget_color="#0f766e",
        widget_company_name="Acme Support",
        widget_greeting="Ask us anything",
        show_tag_directory=True,
        form_enabled=True,
        form_required_fields=["first_name", "email"],
        weblink_slug="acme-support",
    )
    (site / "shop.html").write_text(HOST_PAGE.format(base=base, key=channel["key"]))

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            visitor_ctx = browser.new_context(viewport={"width": 1000, "height": 760})
            visitor_ctx.grant_permissions(["notifications"], origin=allowed_origin)
            page = visitor_ctx.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            # The chat page in the frame runs under its own CSP: any violation is an error.
            page.on("console", lambda m: errors.append(m.text) if _csp_violation(m) else None)
            page.goto(f"{allowed_origin}/shop.html?utm_source=newsletter&utm_campaign=spring&ref=x")

            # The loader adds one element; the host page's CSS does not reach into it.
            launcher = page.locator(".cc-launcher")
            launcher.wait_for()
            assert page.locator("[data-contactcenter]").count() == 1
            assert launcher.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(15, 118, 110)"
            assert page.evaluate("Object.keys(window.ContactCenter).sort().join(',')") == (
                "__loaded,close,logout,open,openStaff,openTag,setVisitor,toggle"
            )
            page.evaluate("ContactCenter.setVisitor({first_name: 'Vera', email: 'vera@example.com'})")
            launcher.click()
            frame = page.frame_locator("iframe[title=Chat]")
            frame.locator("#cc-app[data-ready=true]").wait_for()
            assert frame.locator(".cc-company").inner_text() == "Acme Support"
            assert "Thanks for contacting Acme" in frame.locator(".cc-welcome").inner_text()
            _shot(page, "directory")

            # A call-to-action button on the host page opens a tag; the form is prefilled.
            page.click("#cta")
            frame.locator(".cc-start").wait_for()
            assert frame.locator(".cc-target").inner_text() == "To: Support"
            assert frame.locator("[name=first_name]").input_value() == "Vera"
            # Bad input: clear messages, nothing sent.
            frame.locator("[name=email]").fill("not-an-email")
            frame.locator("#cc-first-message").fill("Hello, I need help with my order")
            frame.locator(".cc-start button[type=submit]").click()
            assert frame.locator("[data-error=email]").inner_text() == "Enter a valid email address."
            _shot(page, "form-error")
            frame.locator("[name=email]").fill("vera@example.com")
            frame.locator(".cc-start button[type=submit]").click()
            status = frame.locator(".cc-status")
            status.filter(has_text="You are number 1 in the queue").wait_for()
            _shot(page, "waiting")
            enquiries = http.get("/api/v1/enquiries?status=open", headers=agent).json()["results"]
            assert len(enquiries) == 1
            enquiry = enquiries[0]
            assert enquiry["visitor"]["utm"] == {"utm_source": "newsletter", "utm_campaign": "spring"}
            assert enquiry["visitor"]["device"]["page"] == f"{allowed_origin}/shop.html"
            assert enquiry["visitor"]["device"]["user_agent"]
            room = enquiry["room"]

            # The agent, in a second browser context: REST with a token, and a staff socket.
            agent_ctx = browser.new_context()
            agent_page = agent_ctx.new_page()
            agent_page.goto(f"{base}/")
            picked = agent_ctx.request.post(f"{base}/api/v1/enquiries/{enquiry['id']}/pick-up", headers=agent)
            assert picked.ok, picked.text()
            frame.locator(".cc-agent-name").filter(has_text="Alice Agent").wait_for()
            assert "Available" in frame.locator(".cc-agent-status").inner_text()
            status.filter(has_text="Alice Agent joined").wait_for()
            agent_page.evaluate(
                """async ([token, room]) => {
                    const got = await fetch("/api/v1/auth/socket-ticket", {
                        method: "POST", headers: {Authorization: `Token ${token}`},
                    });
                    const {ticket} = await got.json();
                    await new Promise((resolve) => {
                        const ws = new WebSocket(`ws://${location.host}/ws/staff/?ticket=${ticket}`);
                        window.agentSocket = ws;
                        ws.onopen = () => { ws.send(JSON.stringify({type: "typing", room})); resolve(); };
                    });
                }""",
                [agent["Authorization"].split()[1], room],
            )
            frame.locator(".cc-typing").filter(has_text="Alice Agent is typing").wait_for()

            def agent_says(text: str) -> None:
                response = agent_ctx.request.post(
                    f"{base}/api/v1/rooms/{room}/messages",
                    headers=agent,
                    data={"text": text, "client_id": str(uuid.uuid4())},
                )
                assert response.ok, response.text()

            agent_says("Hi Vera, I'm Alice. What is your order number?")
            frame.locator(".cc-theirs").filter(has_text="What is your order number?").wait_for()
            # The visitor types, with an emoji from the picker; and sends an image.
            frame.locator("#cc-input").fill("It is 12345 ")
            frame.locator("[aria-label='Insert emoji']").click()
            frame.locator(".cc-emoji[aria-label='👍']").click()
            frame.locator("#cc-input").press("Enter")
            frame.locator(".cc-mine[data-id]").filter(has_text="It is 12345 👍").wait_for()
            frame.locator("input[type=file]").set_input_files(
                {"name": "receipt.png", "mimeType": "image/png", "buffer": _png()}
            )
            image = frame.locator(".cc-mine[data-id] img.cc-image")
            image.wait_for()
            wait_until(lambda: image.evaluate("i => i.complete && i.naturalWidth > 0"), timeout=10, what="image")
            texts = [m["text"] for m in http.get(f"/api/v1/rooms/{room}/messages", headers=agent).json()["results"]]
            assert "It is 12345 👍" in texts
            # Over-long text: a clear message, nothing sent.
            frame.locator("#cc-input").fill("x" * 10001)
            frame.locator("#cc-input").press("Enter")
            assert "too long" in frame.locator(".cc-composer-error").inner_text()
            frame.locator("#cc-input").fill("")
            _shot(page, "chat")

            # Closed panel: two agent messages within 3 s give one notification, two unread.
            frame.locator("[data-action=close]").click()
            page.locator(".cc-panel.cc-open").wait_for(state="hidden")
            before = frame.locator("body").evaluate("() => window.ccWidgetDebug.notifications.length")
            agent_says("I found your order.")
            agent_says("It ships tomorrow.")
            frame.locator(".cc-theirs").filter(has_text="It ships tomorrow.").wait_for(state="attached")
            notes = frame.locator("body").evaluate("() => window.ccWidgetDebug.notifications")
            assert len(notes) == before + 1 and notes[-1]["count"] == 2 and notes[-1]["shown"], notes
            page.locator(".cc-badge").filter(has_text="2").wait_for()
            _shot(page, "unread")

            # Reload: the same conversation, history and agent.
            page.reload()
            page.locator(".cc-launcher").click()
            frame = page.frame_locator("iframe[title=Chat]")
            frame.locator(".cc-theirs").filter(has_text="It ships tomorrow.").wait_for()
            assert frame.locator(".cc-mine").filter(has_text="It is 12345 👍").count() == 1
            assert frame.locator(".cc-agent-name").inner_text() == "Alice Agent"
            # A new tab of the same visitor follows the same conversation live.
            tab = visitor_ctx.new_page()
            tab.goto(f"{allowed_origin}/shop.html")
            tab.locator(".cc-launcher").click()
            tab_frame = tab.frame_locator("iframe[title=Chat]")
            tab_frame.locator(".cc-theirs").filter(has_text="It ships tomorrow.").wait_for()
            agent_says("Anything else?")
            tab_frame.locator(".cc-theirs").filter(has_text="Anything else?").wait_for()
            frame.locator(".cc-theirs").filter(has_text="Anything else?").wait_for()
            tab.close()

            # Resolve: the rating form.
            resolved = agent_ctx.request.post(f"{base}/api/v1/enquiries/{enquiry['id']}/resolve", headers=agent)
            assert resolved.ok, resolved.text()
            frame.locator(".cc-rating").wait_for()
            frame.locator(".cc-star[data-score='4']").click()
            frame.locator("#cc-rating-comment").fill("Quick and friendly")
            _shot(page, "rating")
            frame.locator(".cc-rating button[type=submit]").click()
            frame.locator(".cc-thanks").filter(has_text="Thank you for your rating").wait_for()
            rated = http.get(f"/api/v1/enquiries/{enquiry['id']}", headers=admin).json()
            assert rated["rating"] == {"score": 4, "comment": "Quick and friendly"}
            assert not errors, errors

            # A web link (the QR code's target): Engage Now, UTM recorded; nobody picks up.
            link_ctx = browser.new_context(viewport={"width": 900, "height": 900})
            link = link_ctx.new_page()
            link.on("pageerror", lambda e: errors.append(str(e)))
            link.on("console", lambda m: errors.append(m.text) if _csp_violation(m) else None)
            link.goto(f"{base}/l/acme-support?utm_source=qr&utm_medium=print")
            _shot(link, "engage-now")
            link.locator(".cc-engage-now").click()
            link.locator(".cc-target").filter(has_text="To: Support").wait_for()  # the link opens on its team
            link.locator("[name=first_name]").fill("Quinn")
            link.locator("[name=email]").fill("quinn@example.com")
            link.locator("#cc-first-message").fill("Do you ship to Norway?")
            _shot(link, "weblink")
            link.locator(".cc-start button[type=submit]").click()
            link.locator(".cc-status").filter(has_text="Waiting for an agent").wait_for()
            link.locator(".cc-note").wait_for(timeout=(MAX_WAIT + 5) * 1000)
            assert "nobody could answer" in link.locator(".cc-status").inner_text()
            link.locator("#cc-note").fill("Please email me about shipping to Norway.")
            _shot(link, "missed-note")
            link.locator(".cc-note button[type=submit]").click()
            link.locator(".cc-thanks").filter(has_text="We received your note").wait_for()
            missed = http.get("/api/v1/enquiries?status=missed", headers=admin).json()["results"]
            assert missed[0]["visitor"]["utm"] == {"utm_source": "qr", "utm_medium": "print"}
            assert missed[0]["note"]["text"] == "Please email me about shipping to Norway."
            # Too many enquiries from one visitor: a clear message, nothing opened.
            link.locator(".cc-new").click()
            link.locator(".cc-target").filter(has_text="To: Support").wait_for()  # the link opens on its team
            link.locator("#cc-first-message").fill("Hello again")
            link.locator(".cc-start button[type=submit]").click()
            link.locator(".cc-banner").filter(has_text="You have started 1 conversation in the last hour").wait_for()
            _shot(link, "too-many")
            assert len(http.get("/api/v1/enquiries?status=missed", headers=admin).json()["results"]) == 1
            assert not errors, errors
            link_ctx.close()

            # A site that is not allowed: the frame is refused by CSP and the launcher hides.
            widget_url = f"{base}/widget/{channel['key']}/"
            csp = http.get(widget_url).headers["content-security-policy"]
            assert f"frame-ancestors 'self' {allowed_origin.removeprefix('http://')}" in csp.split("; ")
            other = visitor_ctx.new_page()
            other.goto(f"{other_origin}/shop.html")
            other.locator("[data-contactcenter]").wait_for(state="attached")
            other.wait_for_function(
                "() => getComputedStyle(document.querySelector('[data-contactcenter]')).display === 'none'",
                timeout=10_000,
            )
            for f in other.frames[1:]:
                assert f.url.startswith("chrome-error://") or f.locator("#cc-app").count() == 0, f.url
            _shot(other, "refused")
        finally:
            browser.close()
    http.close()
    assert time.monotonic() - started < 120
