"""The admin's overview and the end of a session in a real browser (issue 12, items 9, 13 and
14): several browser contexts (an admin, agents, a second admin watching) and visitors
through the widget API, against a real daphne in the embedded default.

- The overview: live cards, the whole card opens the room, a toast for the admin after Join
  and Take over, today's figures (first response from the customer's first message) and
  the hourly trend; its refreshes are marked as background requests.
- A session that ends sends the dashboard to the login page with the reason: logged in
  elsewhere, idle (a dashboard left open on the overview idles out, and the other admin
  sees it go offline), and a reconnect turned away while the socket was down."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_dashboard import (  # noqa: F401 - server and browser are fixtures
    ALICE,
    PASSWORD,
    Visitor,
    browser,
    confirm,
    finish,
    login,
    pick_up,
    screenshot,
    server,
    started_server,
)
from tests.integration.test_real_timers import (
    support_widget,
    token_headers,
)

IDLE_SECONDS = 10  # CC_IDLE_TIMEOUT_SECONDS of the idle server


@contextlib.contextmanager
def idle_server(tmp: Path) -> Iterator[dict[str, Any]]:
    """A daphne whose sessions idle out after IDLE_SECONDS, with two admins (Ada, Otto) and
    an agent (Alice) of Support, and a widget channel to Support."""
    otto = ("--email", "otto@example.com", "--role", "admin", "--name", "Otto Admin", "--active")
    with started_server(tmp, staff=(otto, ALICE), max_wait_seconds=120, CC_IDLE_TIMEOUT_SECONDS=str(IDLE_SECONDS)) as (
        srv,
        http,
        _admin,
    ):
        channel = support_widget(http, token_headers(http, "otto@example.com"), name="Website")
        yield {"base": srv.base, "key": channel["key"]}


@pytest.fixture(scope="module")
def short_idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with idle_server(tmp_path_factory.mktemp("browser-idle")) as srv:
        yield srv


def record_events(page: Page) -> None:
    """Keep every socket event the page's dashboard receives in window.ccSeen."""
    page.evaluate(
        """() => {
          const socket = window.ccApp.socket;
          const forward = socket.onEvent;
          window.ccSeen = [];
          socket.onEvent = (event) => { window.ccSeen.push(event); forward(event); };
        }"""
    )


def count(page: Page, label: str) -> Any:
    return page.locator(".counts .count", has=page.locator("dt", has_text=re.compile(f"^{label}$"))).locator("dd")


# ---------------------------------------------------------------------------- overview


def test_overview_cards_open_rooms_toasts_after_join_and_take_over_figures_and_trend(
    server: dict[str, Any],  # noqa: F811 - fixture
    browser: Browser,  # noqa: F811 - fixture
) -> None:
    base = server["base"]
    alice_ctx, alice = login(browser, base, "alice@example.com")
    bob_ctx, bob = login(browser, base, "bob@example.com")
    admin_ctx, admin = login(browser, base, "admin@example.com")
    admin.get_by_role("link", name="Overview").click()
    expect(admin.get_by_role("heading", name="Enquiry overview")).to_be_visible()
    opened_before = int(count(admin, "Opened today").inner_text())

    # A new enquiry appears live; the figures and the trend follow; the reload that an
    # event causes is a background request (it keeps no session alive).
    with admin.expect_request(lambda r: "/api/v1/monitoring/overview" in r.url) as reload:
        dora = Visitor(base, server["key"], "Dora", "My parcel never arrived.")
    assert reload.value.headers.get("x-cc-background") == "1"
    card = admin.locator(f'.ov-card[data-enquiry="{dora.enquiry}"]')
    expect(card).to_contain_text("My parcel never arrived.")
    expect(count(admin, "Opened today")).to_have_text(str(opened_before + 1))
    expect(admin.locator(".ov-trend rect.trend-today").first).to_be_visible()
    expect(admin.locator(".ov-trend .trend-summary")).to_contain_text("today so far")

    # Alice picks it up and answers: the first response counts from Dora's first message.
    pick_up(alice, dora, "Dora")
    alice.get_by_label("Message", exact=True).fill("Hello Dora, let me look.")
    alice.get_by_role("button", name="Send").click()
    dora.wait_for(lambda m: m["text"] == "Hello Dora, let me look.", "Alice's answer")
    admin.get_by_role("link", name="Overview").click()  # no event tells the overview of a reply
    expect(count(admin, "First response today")).not_to_have_text("—")
    expect(card).to_contain_text("Owner: Alice Agent")
    screenshot(admin, "admin-overview.png")

    # The whole card opens the room (read-only: the admin is not in it).
    card.click()  # in its middle, not on a button
    expect(admin).to_have_url(re.compile(rf"/app/rooms/{dora.room}\?monitor=1$"))
    expect(admin.locator(".monitor-banner")).to_contain_text("read-only")
    admin.get_by_role("link", name="Overview").click()

    # Join from the overview: a toast for the admin says it is done; Alice is told.
    card.get_by_role("button", name="Join: Dora").click()
    confirm(admin, "Join")
    expect(admin).to_have_url(re.compile(rf"/app/rooms/{dora.room}$"))
    expect(admin.locator(".toast", has_text="You joined the conversation with Dora")).to_be_visible()
    expect(alice.locator(".toast", has_text="Ada Admin joined")).to_be_visible()
    expect(admin.get_by_label("Message", exact=True)).to_be_visible()  # the room is drawn
    screenshot(admin, "admin-overview-join-toast.png")

    # Take over another agent's enquiry from the overview: the same.
    eve = Visitor(base, server["key"], "Eve", "I was charged twice.")
    pick_up(bob, eve, "Eve")
    admin.get_by_role("link", name="Overview").click()
    eve_card = admin.locator(f'.ov-card[data-enquiry="{eve.enquiry}"]')
    expect(eve_card).to_contain_text("Owner: Bob Agent")
    eve_card.get_by_role("button", name="Take over: Eve").click()
    confirm(admin, "Take over")
    expect(admin).to_have_url(re.compile(rf"/app/rooms/{eve.room}$"))
    expect(admin.locator(".toast", has_text="You took over the enquiry of Eve")).to_be_visible()
    expect(bob.locator(".toast", has_text="Ada Admin took over")).to_be_visible()
    expect(admin.get_by_role("button", name="Resolve")).to_be_visible()

    # Back on the overview, a card of a room the admin is in opens it as a member.
    admin.get_by_role("link", name="Overview").click()
    eve_card.click()
    expect(admin).to_have_url(re.compile(rf"/app/rooms/{eve.room}$"))
    expect(admin.locator(".monitor-banner")).to_be_hidden()

    finish((alice_ctx, alice), (bob_ctx, bob), (admin_ctx, admin))


# ---------------------------------------------------------------------------- sessions


def test_a_dashboard_signed_in_elsewhere_goes_to_the_login_page_with_the_reason(
    server: dict[str, Any],  # noqa: F811 - fixture
    browser: Browser,  # noqa: F811 - fixture
) -> None:
    base = server["base"]
    first_ctx, first = login(browser, base, "bob@example.com")
    first.get_by_role("link", name="Inbox").click()
    second_ctx, second = login(browser, base, "bob@example.com")  # another browser
    expect(first).to_have_url(re.compile(r"/login/\?reason=signed_in_elsewhere"))
    expect(first.locator("#login-reason")).to_contain_text("You logged in on another device or browser")
    screenshot(first, "login-session-ended.png")
    # Logging in again from there goes back to where the dashboard was.
    first.get_by_label("Email").fill("bob@example.com")
    first.get_by_label("Password").fill(PASSWORD)
    first.get_by_role("button", name="Log in").click()
    expect(first).to_have_url(re.compile(r"/app/inbox$"))
    expect(second).to_have_url(re.compile(r"/login/\?reason=signed_in_elsewhere"))
    finish((first_ctx, first), (second_ctx, second))


def test_a_reconnect_turned_away_goes_to_the_login_page(
    server: dict[str, Any],  # noqa: F811 - fixture
    browser: Browser,  # noqa: F811 - fixture
) -> None:
    """The session ends while the socket is down: the server turns the reconnect away at the
    handshake (browsers see 1006, not 4401), and the dashboard asks whether the session
    lives instead of showing "Reconnecting…" for ever."""
    base = server["base"]
    ctx, alice = login(browser, base, "alice@example.com")
    # Hold the reconnect until the session has ended (test only: the socket's own method).
    alice.evaluate(
        """() => {
          const socket = window.ccApp.socket;
          const connect = socket.connect.bind(socket);
          socket.connect = () => { window.ccReconnect = () => { socket.connect = connect; connect(); }; };
          socket.ws.close(4000);
        }"""
    )
    expect(alice.locator("#socket-state")).to_have_text("Reconnecting…")
    with httpx.Client(base_url=base, timeout=10) as http:
        token_headers(http, "alice@example.com")  # an API login ends the browser's session
    alice.wait_for_function("() => typeof window.ccReconnect === 'function'")
    alice.evaluate("() => window.ccReconnect()")
    expect(alice).to_have_url(re.compile(r"/login/\?reason=ended"))
    expect(alice.locator("#login-reason")).to_contain_text("Your session ended")
    finish((ctx, alice))


def test_an_overview_left_open_idles_out_and_the_others_see_it_offline(
    short_idle_server: dict[str, Any],
    browser: Browser,  # noqa: F811 - fixture
) -> None:
    base = short_idle_server["base"]
    ada_ctx, ada = login(browser, base, "admin@example.com")
    ada.get_by_role("link", name="Overview").click()
    expect(ada.get_by_role("heading", name="Enquiry overview")).to_be_visible()
    ada_id = ada.evaluate("() => window.ccApp.me.id")
    otto_ctx, otto = login(browser, base, "otto@example.com")  # logged in later: idles out later
    record_events(otto)
    # Enquiries come in while Ada's overview sits there: it reloads by itself, which is not
    # Ada doing anything.
    Visitor(base, short_idle_server["key"], "Finn", "Hello?")
    expect(ada.locator(".ov-card", has_text="Finn")).to_be_visible()
    # Otto (whose session ends a little later) is told that Ada went offline.
    otto.wait_for_function(
        """(id) => window.ccSeen.some((e) => e.type === "staff.availability"
             && e.data.staff_id === id && e.data.availability === "offline")""",
        arg=ada_id,
        timeout=(IDLE_SECONDS + 10) * 1000,
    )
    expect(ada).to_have_url(re.compile(r"/login/\?reason=idle"))
    expect(ada.locator("#login-reason")).to_contain_text("without activity")
    finish((ada_ctx, ada), (otto_ctx, otto))
