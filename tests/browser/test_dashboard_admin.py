"""The admin sets everything up in the dashboard (issue 12, items 12 and 15): a WhatsApp
channel from its own form (credentials named and explained, a connection test through the
configurable Graph URL to a stand-in on 127.0.0.1, the webhook URL to paste), a widget's
look, directories and visitor form, the company name in the widget, a refused web-link
name on its field; the staff page following availability live; tags renamed and deleted
with what that does explained first. No console error of any kind on any page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_dashboard import (  # noqa: F401 - browser is a fixture
    ALICE,
    browser,
    finish,
    login,
    png_bytes,
    screenshot,
    started_server,
)
from tests.channels.conftest import FakePlatformServer
from tests.integration.test_real_timers import (
    support_widget,
    token_headers,
)

PHONE_ID = "106540352242922"


@pytest.fixture(scope="module")
def platform() -> Iterator[FakePlatformServer]:
    server = FakePlatformServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory: pytest.TempPathFactory, platform: FakePlatformServer) -> Iterator[dict[str, Any]]:
    """A daphne whose Graph API is the local stand-in, with an admin, Alice (Support,
    ACTIVE), a "Website" widget to Support and a widget holding the web link name "taken"."""
    with started_server(
        tmp_path_factory.mktemp("admin"),
        staff=(ALICE,),
        CC_META_GRAPH_URL=platform.base + "/graph",
        CC_PLATFORM_HTTP_TIMEOUT="5",
    ) as (srv, http, headers):
        website = support_widget(http, headers, name="Website", welcome_message="Hi!")
        support_widget(http, headers, name="Taken link", weblink_slug="taken")
        yield {"base": srv.base, "key": website["key"], "website": website["id"]}


# Chromium reports each 4xx answer as a console error; the refusals this test asks for are
# checked on screen instead.
REFUSED = re.compile(r"Failed to load resource: the server responded with a status of 40[09]")


def watch_console(page: Page) -> list[str]:
    """Every console error of the page but the expected 400s (an invalid pattern attribute
    logs one each time its input is checked)."""
    errors: list[str] = []
    page.on(
        "console", lambda msg: errors.append(msg.text) if msg.type == "error" and not REFUSED.search(msg.text) else None
    )
    return errors


def api_get(page: Page, url: str) -> Any:
    """A GET with the page's own session (a token login would end the browser's session)."""
    return page.evaluate("async (url) => (await fetch(url)).json()", url)


def dialog_of(page: Page) -> Any:
    dialog = page.locator("dialog[open]")
    expect(dialog).to_be_visible()
    return dialog


def test_admin_sets_up_channels_in_the_ui(
    admin_server: dict[str, Any],
    browser: Browser,  # noqa: F811
    platform: FakePlatformServer,
) -> None:
    base = admin_server["base"]
    ctx, admin = login(browser, base, "admin@example.com")
    console = watch_console(admin)

    # Settings: the company name, used by the widget's header below.
    admin.goto(f"{base}/app/admin/settings")
    admin.get_by_label("Company name").fill("Acme Shop")
    admin.get_by_role("button", name="Save settings").click()
    expect(admin.locator("#toasts .toast").last).to_contain_text("Settings saved.")

    # A WhatsApp channel from its own form.
    admin.goto(f"{base}/app/admin/channels")
    admin.get_by_role("button", name="Add channel").click()
    dialog = dialog_of(admin)
    dialog.get_by_label("Kind").select_option("whatsapp")
    dialog.get_by_label("Name", exact=True).fill("Shop WhatsApp")
    phone = dialog.get_by_label("Phone number ID")
    expect(phone).to_be_visible()
    expect(dialog).to_contain_text("WhatsApp → API Setup")
    expect(dialog).to_contain_text("Callback URL")
    expect(dialog.locator(".webhook")).to_contain_text("Shown here once the channel is created")
    dialog.get_by_label("Access token").fill("WRONG-TOKEN")
    dialog.get_by_label("App secret").fill("test_app_secret")
    dialog.get_by_role("button", name="Generate a Verify token").click()
    token = dialog.get_by_role("textbox", name="Verify token")
    expect(token).to_have_attribute("type", "text")
    expect(token).to_have_value(re.compile(r"^[0-9a-f]{24}$"))

    # The test needs the phone number ID: one message, on its field, no toast.
    dialog.get_by_role("button", name="Test connection").click()
    error = dialog.locator(".field-error")
    expect(error).to_have_count(1)
    expect(error).to_contain_text("phone_number_id is required")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(admin.locator("#toasts .toast-error")).to_have_count(0)

    # Refused by the platform: its own error, clearly; then accepted with the right token.
    platform.script(
        "GET",
        f"/graph/{PHONE_ID}",
        (401, {"error": {"message": "Invalid OAuth access token - Cannot parse access token", "code": 190}}, {}),
        (200, {"display_phone_number": "+1 555 0100", "verified_name": "Acme Shop", "id": PHONE_ID}, {}),
    )
    phone.fill(PHONE_ID)
    dialog.get_by_role("button", name="Test connection").click()
    result = dialog.locator(".test-result")
    expect(result).to_have_text(
        "✗ WhatsApp Business (Cloud API) answered: HTTP 401: Invalid OAuth access token - Cannot parse access token"
    )
    expect(phone).not_to_have_attribute("aria-invalid", "true")
    dialog.get_by_label("Access token").fill("WA-TOKEN-456")
    dialog.get_by_role("button", name="Test connection").click()
    expect(result).to_have_text("✓ Connected to the WhatsApp number +1 555 0100 (Acme Shop).")
    tested = platform.calls("GET", f"/graph/{PHONE_ID}")
    assert [r.headers["authorization"] for r in tested[-2:]] == ["Bearer WRONG-TOKEN", "Bearer WA-TOKEN-456"]

    # Created: the edit dialog opens with the webhook URL to paste; credentials are only "set".
    dialog.get_by_role("button", name="Create").click()
    expect(admin.locator("#toasts .toast").last).to_contain_text("Channel created.")
    dialog = dialog_of(admin)
    expect(dialog.get_by_role("heading")).to_have_text("Edit Shop WhatsApp")
    channel = next(c for c in api_get(admin, "/api/v1/channels")["results"] if c["name"] == "Shop WhatsApp")
    expect(dialog.locator(".webhook-url")).to_have_text(f"{base}/webhooks/whatsapp/{channel['id']}/")
    expect(dialog.locator(".badge.set")).to_have_count(4)
    expect(dialog.get_by_label(re.compile("^Access token"))).to_have_value("")
    assert "WA-TOKEN-456" not in admin.content()
    assert channel["credentials_set"] == dict.fromkeys(
        ["phone_number_id", "access_token", "app_secret", "verify_token"], True
    )
    assert "credentials" not in channel
    # A saved channel is tested with its saved credentials.
    platform.route(
        "GET", f"/graph/{PHONE_ID}", (200, {"display_phone_number": "+1 555 0100", "verified_name": "Acme Shop"}, {})
    )
    dialog.get_by_role("button", name="Test connection").click()
    expect(dialog.locator(".test-result")).to_have_text("✓ Connected to the WhatsApp number +1 555 0100 (Acme Shop).")
    assert platform.calls("GET", f"/graph/{PHONE_ID}")[-1].headers["authorization"] == "Bearer WA-TOKEN-456"
    dialog.locator(".test-row").scroll_into_view_if_needed()
    screenshot(admin, "admin-channel-whatsapp.png")
    dialog.get_by_role("button", name="Cancel").click()
    expect(admin.locator("tr", has_text="Shop WhatsApp")).to_contain_text("credentials: 4 of 4 set")

    # The widget's look, directories and visitor form.
    admin.get_by_role("button", name="Edit channel Website").click()
    dialog = dialog_of(admin)
    dialog.get_by_label("Colour").fill("#e11d48")
    dialog.get_by_label("Position").select_option("left")
    dialog.get_by_label(re.compile("^Greeting")).fill("Questions? We answer within minutes.")
    logo = "https://cdn.example.com/acme-logo.png"  # served below by the visitor's browser context
    dialog.get_by_label(re.compile("^Logo")).fill(logo)
    dialog.get_by_label(re.compile("Tag directory")).check()
    dialog.get_by_label(re.compile("Staff directory")).check()
    dialog.get_by_label(re.compile("Visitor form before")).check()
    dialog.get_by_role("group", name="Required fields of the visitor form").get_by_label("Email").check()
    screenshot(admin, "admin-channel-look.png")
    dialog.get_by_role("button", name="Save").click()
    expect(admin.locator("#toasts .toast").last).to_contain_text("Saved.")
    expect(admin.locator("dialog[open]")).to_have_count(0)
    config = api_get(admin, f"/api/v1/widget/channels/{admin_server['key']}")
    assert config["color"] == "#e11d48" and config["position"] == "left"
    assert config["greeting"] == "Questions? We answer within minutes."
    assert config["logo_url"] == logo
    assert config["company_name"] == "Acme Shop"  # from Settings: the channel names no company
    assert [t["name"] for t in config["directory"]["tags"]] == ["Support"] and config["directory"]["staff"]
    assert config["form"] == {
        "enabled": True,
        "fields": ["first_name", "last_name", "email", "phone"],
        "required": ["email"],
    }
    website = next(c for c in api_get(admin, "/api/v1/channels")["results"] if c["name"] == "Website")
    assert website["form_enabled"] and website["form_required_fields"] == ["email"]

    # The visitor's widget shows the company name and the colour.
    visitor_ctx = browser.new_context(base_url=base)
    visitor_ctx.route(logo, lambda route: route.fulfill(body=png_bytes(), content_type="image/png"))
    visitor = visitor_ctx.new_page()
    visitor_console = watch_console(visitor)
    visitor.goto(f"/widget/{admin_server['key']}/")
    expect(visitor.locator(".cc-company")).to_have_text("Acme Shop")
    expect(visitor.locator("img.cc-logo")).to_have_attribute("src", logo)
    visitor.wait_for_function("() => document.querySelector('img.cc-logo').naturalWidth > 0")

    # A web link name already used: the dialog stays open with the error on the field.
    admin.get_by_role("button", name="Add channel").click()
    dialog = dialog_of(admin)
    dialog.get_by_label("Kind").select_option("weblink")
    dialog.get_by_label("Name", exact=True).fill("Sales link")
    slug = dialog.get_by_label(re.compile("^Web link name"))
    slug.fill("taken")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.locator(".field-error")).to_have_text("The link name 'taken' is already used by another channel.")
    expect(slug).to_have_attribute("aria-invalid", "true")
    expect(admin.locator("#toasts .toast-error")).to_have_count(0)
    # The browser checks the name with the server's rule too (a valid pattern attribute).
    slug.fill("Not A Slug")
    assert slug.evaluate("(el) => el.validity.patternMismatch") is True
    slug.fill("sales-team")
    assert slug.evaluate("(el) => el.checkValidity()") is True
    dialog.get_by_role("button", name="Create").click()
    expect(admin.locator("dialog[open]")).to_have_count(0)
    expect(admin.locator("tr", has_text="Sales link")).to_contain_text("/l/sales-team")
    screenshot(admin, "admin-channels-setup.png")

    assert console == [], console
    assert visitor_console == [], visitor_console
    visitor_ctx.close()
    finish((ctx, admin))


def test_staff_page_live_and_tags_renamed_and_deleted(
    admin_server: dict[str, Any],
    browser: Browser,  # noqa: F811
) -> None:
    base = admin_server["base"]
    admin_ctx, admin = login(browser, base, "admin@example.com")
    console = watch_console(admin)
    admin.goto(f"{base}/app/admin/staff")
    row = admin.locator("tr", has_text="Alice Agent")
    expect(row.locator("td.availability")).to_be_visible()

    # Alice logs in and changes her availability: the admin's page follows without a reload.
    alice_ctx, alice = login(browser, base, "alice@example.com")
    alice.locator("#availability").select_option("away")
    expect(row.locator("td.availability")).to_have_text("away")
    expect(row.locator(".dot")).to_have_class(re.compile("av-away"))
    screenshot(admin, "admin-staff-live.png")
    alice.locator("#availability").select_option("active")
    expect(row.locator("td.availability")).to_have_text("active")

    # A taken email: the dialog stays open and says so.
    admin.get_by_role("button", name="Add staff member").click()
    dialog = dialog_of(admin)
    dialog.get_by_label("Email").fill("alice@example.com")
    dialog.get_by_label("Password").fill("long enough password 1")
    dialog.get_by_role("button", name="Create").click()
    expect(dialog.locator(".form-error")).to_have_text("A staff member with this email already exists.")
    dialog.get_by_role("button", name="Cancel").click()
    expect(admin.locator("dialog[open]")).to_have_count(0)

    # Tags: a new one renamed; a taken name refused on the field.
    admin.goto(f"{base}/app/admin/tags")
    form = admin.get_by_role("form", name="New tag")
    form.get_by_label("New tag").fill("Returns")
    form.get_by_role("button", name="Add tag").click()
    expect(admin.locator("#toasts .toast").last).to_contain_text("Tag created.")
    admin.get_by_role("button", name="Rename tag Returns").click()
    dialog = dialog_of(admin)
    dialog.get_by_label("Name").fill("Support")
    dialog.get_by_role("button", name="Rename").click()
    expect(dialog.locator(".form-error")).to_have_text("A tag with this name already exists.")
    dialog.get_by_label("Name").fill("Returns EU")
    dialog.get_by_role("button", name="Rename").click()
    expect(admin.locator("#toasts .toast").last).to_contain_text("Tag renamed.")
    expect(admin.locator(".tag-row .tag-name")).to_have_text(["Returns EU", "Support"])

    # Support cannot go: channels route to it (the dialog says which, and only offers OK).
    admin.get_by_role("button", name="Delete tag Support").click()
    dialog = dialog_of(admin)
    expect(dialog.get_by_role("heading")).to_have_text("The tag Support cannot be deleted")
    expect(dialog).to_contain_text("“Website”")
    expect(dialog.get_by_role("button", name="Delete tag")).to_have_count(0)
    screenshot(admin, "admin-tag-delete-refused.png")
    dialog.get_by_role("button", name="OK").click()

    # Returns EU can: the dialog says what happens; confirmed, it is gone.
    admin.get_by_role("button", name="Delete tag Returns EU").click()
    dialog = dialog_of(admin)
    expect(dialog.get_by_role("heading")).to_have_text("Delete the tag Returns EU?")
    expect(dialog).to_contain_text("No enquiry has gone to this tag.")
    dialog.get_by_role("button", name="Delete tag").click()
    expect(admin.locator("#toasts .toast").last).to_contain_text("Tag Returns EU deleted.")
    expect(admin.locator(".tag-row .tag-name")).to_have_text(["Support"])
    assert [t["name"] for t in api_get(admin, "/api/v1/tags")["results"]] == ["Support"]

    assert console == [], console
    finish((admin_ctx, admin), (alice_ctx, alice))


def test_agents_get_403_from_the_new_admin_endpoints(admin_server: dict[str, Any]) -> None:
    with httpx.Client(base_url=admin_server["base"], timeout=10) as http:
        headers = token_headers(http, "alice@example.com")
        assert http.get("/api/v1/channels/kinds", headers=headers).status_code == 403
        body = {"kind": "whatsapp", "credentials": {}}
        assert http.post("/api/v1/channels/test-connection", headers=headers, json=body).status_code == 403
        assert http.delete("/api/v1/tags/1", headers=headers).status_code == 403
