"""Issue 14 (widget identity verification) in Debian's Chromium: a host page on another
origin calls ``ContactCenter.setVisitor({identifier, identifier_hash})`` with the HMAC its
server made with the channel's identity secret. Two browser contexts (two devices) of the
same signed-in user are one customer: the second sees the first one's conversation above
its own. Signing out (``ContactCenter.logout()``) forgets the user on that browser. A page with a
wrong hash is refused (a warning in the host page's console), chats anonymously and sees
nothing of that user's. The admin sees the channel's identity secret in its dialog and
rotates it: the old hash is refused from then on.

One daphne for the file (SQLite, in-process ticker)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard import login, screenshot
from tests.integration.test_real_timers import (
    ADMIN_STAFF,
    AGENT_STAFF,
    Processes,
    Server,
    embedded_server_env,
    embedded_setup,
    support_widget,
    token_headers,
    wait_until,
)
from tests.widget.test_widget_browser import CHROMIUM, _csp_violation, _shot, host_servers, sync_api

__all__ = ["host_servers"]  # the fixture, used by name

HOST_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Acme account</title></head>
<body style="font-family:Georgia,serif;background:#fdf6e3;margin:0;padding:1rem">
<h1>Acme: signed in as {name}</h1><p>Your orders.</p>
<script src="{base}/static/widget/loader.js" data-channel="{key}" async></script>
<script>
  // What the host site's server renders for its signed-in user.
  (function set() {{
    if (!window.ContactCenter) return setTimeout(set, 20);
    ContactCenter.setVisitor({visitor});
  }})();
</script>
</body></html>
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("identity")
    env = embedded_server_env(tmp, max_wait_seconds=120, CC_STICKY_HEAD_START_SECONDS="0")
    embedded_setup(env, ADMIN_STAFF, AGENT_STAFF)
    processes = Processes(tmp)
    server = Server(processes, env)
    server.start()
    try:
        with httpx.Client(base_url=server.base, timeout=10) as http:
            yield {
                "base": server.base,
                "http": http,
                "admin": token_headers(http, "admin@example.com"),
                "agent": token_headers(http, "agent@example.com"),
            }
    finally:
        processes.stop_all()


def _page(site: Path, name: str, shop: dict[str, Any], key: str, visitor: dict[str, Any]) -> str:
    (site / name).write_text(
        HOST_PAGE.format(base=shop["base"], key=key, name=visitor.get("name", ""), visitor=json.dumps(visitor))
    )
    return name


def _enquiry_of(shop: dict[str, Any], first_message: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        rows = shop["http"].get("/api/v1/enquiries", headers=shop["admin"]).json()["results"]
        return next((r for r in rows if r["first_message"] == first_message), None)

    return dict(wait_until(find, timeout=10, what=f"the enquiry {first_message!r}"))


def _open_chat(page: Any, url: str) -> Any:
    page.goto(url)
    page.locator(".cc-launcher").click()
    frame = page.frame_locator("iframe[title=Chat]")
    frame.locator("#cc-app[data-ready=true]").wait_for()
    return frame


def _start(frame: Any, message: str) -> None:
    frame.locator("#cc-first-message").fill(message)
    frame.locator(".cc-start button[type=submit]").click()
    frame.locator(".cc-messages .cc-msg").filter(has_text=message).first.wait_for()


@pytest.mark.timeout(200)
def test_two_devices_of_one_signed_in_user_share_their_conversations(
    shop: dict[str, Any], host_servers: tuple[Path, list[str]]
) -> None:
    started = time.monotonic()
    site, (origin, _other) = host_servers
    http, admin, agent = shop["http"], shop["admin"], shop["agent"]
    channel = support_widget(http, admin, name="Acme account", allowed_domains=[origin.removeprefix("http://")])
    secret = http.get(f"/api/v1/channels/{channel['id']}/identity", headers=admin).json()["identity_secret"]
    # What the host site's server does (the README's recipe).
    signed = hmac.new(secret.encode(), b"user-42", hashlib.sha256).hexdigest()
    ann = {"identifier": "user-42", "identifier_hash": signed, "name": "Ann Lee", "email": "ann@example.com"}
    good = _page(site, "account.html", shop, channel["key"], ann)
    forged = _page(site, "forged.html", shop, channel["key"], {**ann, "identifier_hash": "0" * 64, "name": "Mallory"})

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            errors: list[str] = []
            warnings: list[str] = []

            def context() -> Any:
                page = browser.new_context(viewport={"width": 1000, "height": 800}).new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("console", lambda m: errors.append(m.text) if _csp_violation(m) else None)
                page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
                return page

            # The laptop: verified, asks, an agent answers.
            laptop = context()
            frame = _open_chat(laptop, f"{origin}/{good}")
            frame.locator("html[data-identity=verified]").wait_for()
            _start(frame, "Where is my order 1234?")
            first = _enquiry_of(shop, "Where is my order 1234?")
            assert http.post(f"/api/v1/enquiries/{first['id']}/pick-up", headers=agent).status_code == 200
            said = http.post(
                f"/api/v1/rooms/{first['room']}/messages",
                headers=agent,
                json={"text": "It ships tomorrow.", "client_id": str(uuid.uuid4())},
            )
            assert said.status_code == 201, said.text
            frame.locator(".cc-msg").filter(has_text="It ships tomorrow.").wait_for()

            # The phone (another browser context: nothing shared with the laptop), same user.
            phone = context()
            frame2 = _open_chat(phone, f"{origin}/{good}")
            frame2.locator("html[data-identity=verified]").wait_for()
            _start(frame2, "Me again, from my phone")
            messages = frame2.locator(".cc-messages")
            # The laptop's conversation, question and answer, above the phone's own.
            messages.locator(".cc-earlier-msg").filter(has_text="Where is my order 1234?").wait_for()
            messages.locator(".cc-earlier-msg").filter(has_text="It ships tomorrow.").wait_for()
            messages.locator(".cc-earlier-now").wait_for()
            second = _enquiry_of(shop, "Me again, from my phone")
            assert second["id"] != first["id"]
            _shot(phone, "identity")

            # Both conversations are one customer's, linked from two visitors.
            one = http.get(f"/api/v1/enquiries/{first['id']}", headers=admin).json()
            two = http.get(f"/api/v1/enquiries/{second['id']}", headers=admin).json()
            assert one["visitor"]["id"] != two["visitor"]["id"]

            # Ann signs out on the laptop (the host page calls ContactCenter.logout()): the
            # browser forgets her token and conversation; the start form is back.
            laptop.evaluate("ContactCenter.logout()")
            frame.locator("html[data-identity='']").wait_for()
            frame.locator("#cc-first-message").wait_for()
            kept = frame.locator("body").evaluate(
                f"() => [JSON.parse(localStorage.getItem('cc-widget:{channel['key']}')), "
                f"localStorage.getItem('cc-widget-identity:{channel['key']}')]"
            )
            assert kept[0]["token"] is None and kept[0]["enquiry"] is None and kept[1] is None, kept

            # A forged hash: refused, a clear warning in the host page's console, the chat
            # works anonymously and shows nothing of Ann's.
            intruder = context()
            frame3 = _open_chat(intruder, f"{origin}/{forged}")
            frame3.locator("html[data-identity=refused]").wait_for()
            wait_until(
                lambda: any("[ContactCenter]" in w and "not verified" in w for w in warnings),
                timeout=5,
                what="the refusal's warning in the host page's console",
            )
            _start(frame3, "Show me Ann's orders")
            frame3.locator(".cc-status").wait_for()
            assert frame3.locator(".cc-earlier-msg").count() == 0
            third = _enquiry_of(shop, "Show me Ann's orders")
            assert third["status"] in ("open", "handling")

            # The admin sees the secret in the channel's dialog (hidden until shown) and
            # rotates it: the host page's old hash is refused from then on.
            admin_ctx, admin_page = login(browser, shop["base"], "admin@example.com")
            admin_page.goto(f"{shop['base']}/app/admin/channels")
            admin_page.get_by_role("button", name="Edit channel Acme account").click()
            section = admin_page.locator("dialog[open] fieldset.identity-verification")
            secret_input = section.locator("input.identity-secret")
            expect(secret_input).to_have_value(secret)
            expect(secret_input).to_have_attribute("type", "password")
            section.get_by_role("button", name="Show").click()
            expect(secret_input).to_have_attribute("type", "text")
            screenshot(admin_page, "admin-channel-identity.png")
            section.get_by_role("button", name="Rotate secret").click()
            admin_page.locator("dialog[open]").last.get_by_role("button", name="Rotate secret").click()
            expect(section.get_by_role("status")).to_have_text("A new secret is in use.")
            expect(secret_input).not_to_have_value(secret)
            rotated = secret_input.input_value()
            assert len(rotated) == 64
            assert not admin_page.errors, admin_page.errors  # type: ignore[attr-defined]
            admin_ctx.close()
            stale = context()
            frame4 = _open_chat(stale, f"{origin}/{good}")
            frame4.locator("html[data-identity=refused]").wait_for()
            assert not errors, errors
        finally:
            browser.close()
    assert time.monotonic() - started < 150
