"""Outgoing webhooks and Send SMS in a real browser (issue 17): the admin registers a
receiver on the Webhooks page (its secret shown once), sends a test event and reads it in
the delivery log; then a visitor's enquiry reaches the receiver by itself (the embedded
ticker's sweep), signed with that secret. An agent sends an SMS from a widget room to the
customer's phone through a local fake of Twilio's API."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.test_dashboard import (  # noqa: F401 - browser is a fixture
    Visitor,
    browser,
    finish,
    login,
    pick_up,
    screenshot,
    started_server,
)
from tests.integration.test_real_timers import support_widget


class Receiver:
    """A webhook receiver (204 to everything), and Twilio's Messages API under /twilio/."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.sms: list[dict[str, list[str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path.startswith("/twilio/"):
                    outer.sms.append(parse_qs(body.decode()))
                    answer = json.dumps({"sid": f"SM{len(outer.sms)}", "status": "queued"}).encode()
                    self.send_response(201)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    return
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = f"{self.base}/crm/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def of_type(self, type_: str) -> list[tuple[dict[str, str], bytes]]:
        return [(h, b) for h, b in self.received if json.loads(b)["type"] == type_]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    receiver = Receiver()
    tmp = tmp_path_factory.mktemp("browser-webhooks")
    env = {"CC_WEBHOOKS_ALLOW_PRIVATE": "1", "CC_TWILIO_API_URL": receiver.base + "/twilio"}
    with started_server(tmp, max_wait_seconds=120, **env) as (srv, http, admin):
        channel = support_widget(http, admin, name="Website", welcome_message="")
        tags = http.get("/api/v1/tags", headers=admin).json()["results"]
        support = next(t["id"] for t in tags if t["name"] == "Support")
        sms = {"account_sid": "AC1", "auth_token": "token", "from_number": "+14155550100"}
        r = http.post(
            "/api/v1/channels",
            headers=admin,
            json={"kind": "sms", "name": "Text us", "destination_tag": support, "credentials": sms},
        )
        assert r.status_code == 201, r.text
        yield {"base": srv.base, "key": channel["key"], "receiver": receiver}
    receiver.server.shutdown()
    receiver.server.server_close()


def signed_by(secret: str, headers: dict[str, str], body: bytes) -> bool:
    expected = hmac.new(secret.encode(), f"{headers['x-cc-timestamp']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest("v1=" + expected, headers["x-cc-signature"])


def test_admin_registers_a_webhook_tests_it_and_events_arrive_signed(
    server: dict[str, Any],
    browser: Browser,  # noqa: F811
) -> None:
    receiver: Receiver = server["receiver"]
    admin_ctx, admin = login(browser, server["base"], "admin@example.com")
    admin.get_by_role("link", name="Webhooks").click()
    expect(admin.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
    expect(admin.get_by_text("No webhooks yet.")).to_be_visible()

    form = admin.get_by_role("form", name="New webhook")
    form.get_by_label("Name").fill("CRM")
    form.get_by_label("URL that receives the events").fill(receiver.url)
    form.get_by_label("Message created (in enquiry rooms)").check()
    form.get_by_role("button", name="Add webhook").click()
    dialog = admin.locator("dialog[open]")
    expect(dialog.get_by_role("heading", name="Signing secret of the new webhook")).to_be_visible()
    secret = dialog.locator(".webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    dialog.get_by_role("button", name="Done").click()
    row = admin.locator(".webhooks-table tbody tr", has_text="CRM")
    expect(row).to_contain_text("Enquiry opened")
    expect(row).to_contain_text("active")

    row.get_by_role("button", name="Send a test event to CRM").click()
    expect(admin.locator(".toast", has_text="Test event delivered (HTTP 204).")).to_be_visible()
    log = admin.locator("table.webhook-deliveries")
    expect(log.locator("tbody tr")).to_have_count(1)
    expect(log.locator("tbody tr").first).to_contain_text("webhook.test")
    expect(log.locator("tbody tr").first).to_contain_text("delivered")
    (test_headers, test_body), *_ = receiver.received
    assert signed_by(secret, test_headers, test_body)

    # A visitor's enquiry goes out by itself: the sweep fans it out and delivers it.
    Visitor(server["base"], server["key"], "Vera", "Do you ship to Norway?")
    deadline = time.monotonic() + 30
    while not receiver.of_type("enquiry.opened") and time.monotonic() < deadline:
        time.sleep(0.1)  # waiting for a condition (the ticker's next sweep), not a fixed time
    ((headers, body),) = receiver.of_type("enquiry.opened")
    assert signed_by(secret, headers, body)
    assert json.loads(body)["id"] == headers["x-cc-event-id"]

    def texts() -> list[str]:
        return [json.loads(b)["data"]["message"]["text"] for _h, b in receiver.of_type("message.created")]

    deadline = time.monotonic() + 30
    while "Do you ship to Norway?" not in texts() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "Do you ship to Norway?" in texts()

    row.get_by_role("button", name="Deliveries of CRM").click()
    expect(log.locator("tbody tr", has_text="enquiry.opened")).to_contain_text("delivered")
    screenshot(admin, "admin-webhooks.png")
    finish((admin_ctx, admin))


def test_an_agent_sends_an_sms_from_a_widget_room(server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    receiver: Receiver = server["receiver"]
    alice_ctx, alice = login(browser, server["base"], "alice@example.com")
    sam = Visitor(server["base"], server["key"], "Sam", "Can you text me when it ships?")
    pick_up(alice, sam, "Sam")
    info = alice.locator("#room-info")
    expect(alice.get_by_role("button", name="Resolve", exact=True)).to_be_visible()
    expect(alice.locator("[data-action=send-sms]")).to_have_count(0)  # no phone yet
    # The agent saves the customer's phone (as the room's information panel does).
    alice.evaluate(
        """async (id) => {
          const meta = document.querySelector('meta[name="csrf-token"]');
          const cookie = document.cookie.match(/(?:^|;\\s*)csrftoken=([^;]+)/);
          const csrf = cookie ? cookie[1] : meta ? meta.getAttribute("content") : "";
          const r = await fetch(`/api/v1/enquiries/${id}/visitor`, {method: "PATCH", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
            body: JSON.stringify({phone: "+44 20 7946 0000"})});
          if (!r.ok) throw new Error(await r.text());
        }""",
        sam.enquiry,
    )
    alice.reload()
    expect(info).to_contain_text("+44 20 7946 0000")
    alice.locator("[data-action=send-sms]").click()
    dialog = alice.locator("dialog[open]")
    expect(dialog).to_contain_text("To +442079460000, through Text us.")
    dialog.get_by_label("Text").fill("Your parcel left our warehouse today.")
    dialog.get_by_role("button", name="Send SMS").click()
    expect(alice.locator(".toast", has_text="SMS on its way to +442079460000.")).to_be_visible()
    line = alice.locator(".delivery", has_text="SMS to +442079460000")
    expect(line).to_contain_text("Sent", timeout=20_000)
    (sent,) = receiver.sms
    assert sent["To"] == ["+442079460000"] and sent["From"] == ["+14155550100"]
    assert sent["Body"] == ["Your parcel left our warehouse today."]
    screenshot(alice, "dashboard-send-sms.png")
    finish((alice_ctx, alice))
