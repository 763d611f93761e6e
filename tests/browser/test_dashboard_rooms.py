"""Rooms in the staff dashboard, in a real browser (SPEC 3.3, 4): forwarding a message to
another room of the sender, spaces and direct rooms made through the dashboard's dialogs,
a room's notification mode (all / @mentions / mute), staff editing the visitor's
information in the room information panel, and the missed enquiries list with the note a
visitor left. Each test drives the UI as a user would and checks what the other side sees
live: a colleague's dashboard, or the visitor through the widget API.

Uses the server, browser and helpers of test_dashboard.py (this module gets its own
server; the missed list gets one more whose enquiries are missed after a few seconds).
Screenshots go to docs/screenshots/ when asked for (``make screenshots``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.test_dashboard import (  # noqa: F401 - server and browser are fixtures
    PASSWORD,
    Visitor,
    browser,
    finish,
    login,
    pick_up,
    running_server,
    screenshot,
    server,
)

MISSED_AFTER_SECONDS = 3  # CC_ENQUIRY_MAX_WAIT_SECONDS of the missed-list server


@pytest.fixture(scope="module")
def short_wait_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server whose open enquiries are missed after MISSED_AFTER_SECONDS."""
    with running_server(tmp_path_factory.mktemp("browser-missed"), max_wait_seconds=MISSED_AFTER_SECONDS) as srv:
        yield srv


# ---------------------------------------------------------------------------- helpers


def space_via_api(base: str, owner: str, name: str, members: list[str]) -> int:
    """Set-up only: a space owned by ``owner`` with ``members`` (emails), made through the
    REST API. A token login ends the owner's other sessions, so call this before the owner
    logs in to the browser."""
    with httpx.Client(base_url=base, timeout=10) as http:
        token = http.post("/api/v1/auth/token", json={"email": owner, "password": PASSWORD})
        assert token.status_code == 200, token.text
        auth = {"Authorization": f"Token {token.json()['token']}"}
        staff = http.get("/api/v1/staff", headers=auth).json()["results"]
        ids = [s["id"] for s in staff if s["email"] in members]
        assert len(ids) == len(members), staff
        room = http.post("/api/v1/rooms/spaces", headers=auth, json={"name": name, "members": ids})
        assert room.status_code == 201, room.text
        # A token login that takes over a dashboard session sets the person OFFLINE (nobody
        # watches the dashboard any more); the staff of these tests work ACTIVE.
        me = http.patch("/api/v1/me", headers=auth, json={"availability": "active"})
        assert me.status_code == 200, me.text
        return int(room.json()["id"])


def room_row(page: Page, *, room: int) -> Locator:
    """A room's entry in the sidebar's Recent connections."""
    return page.locator(f'#room-list li[data-room="{room}"]')


def open_room(page: Page, row: Locator) -> int:
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/app/rooms/\d+$"))
    expect(page.locator("#room-title")).not_to_be_empty()
    return room_id_of(page)


def info_panel(page: Page) -> Locator:
    return page.locator("#room-info")


def room_id_of(page: Page) -> int:
    match = re.search(r"/app/rooms/(\d+)$", page.url)
    assert match, page.url
    return int(match.group(1))


def say(page: Page, text: str) -> None:
    """Type a message in the composer and send it with Enter; wait until the server has it."""
    composer = page.get_by_label("Message", exact=True)
    composer.fill(text)
    composer.press("Enter")
    expect(page.locator(".msg.mine:not(.pending) .body").last).to_have_text(text)


def go_home(page: Page) -> None:
    page.get_by_role("navigation", name="Sections").get_by_role("link", name=re.compile(r"^Chats")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Hello"))).to_be_visible()


def unread_rooms(page: Page) -> int:
    """The workspace badge: how many rooms have unread messages (0 when it is hidden).
    Other tests on the same server may leave rooms unread: compare with this."""
    badge = page.locator("#workspace-unread")
    return 0 if badge.is_hidden() else int(badge.inner_text())


def expect_unread_rooms(page: Page, count: int) -> None:
    badge = page.locator("#workspace-unread")
    if count:
        expect(badge).to_have_text(str(count))
        rooms = "room" if count == 1 else "rooms"
        expect(badge).to_have_attribute("aria-label", f"{count} {rooms} with unread messages")
    else:
        expect(badge).to_be_hidden()


# What the agent notices of a new message: the alert sound and a browser notification.
# Headless Chromium has neither, so both are recorded instead: Notification is granted and
# records each one, audio.play() counts. The page also reports no focus, as when the agent
# looks at another window; notify() only rate-limits notifications while the page has focus.
ALERT_SPY = """
window.ccAlerts = { sounds: 0, notifications: [] };
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.ccAlerts.notifications.push({ title, body: (options || {}).body || "" }); }
  close() {}
};
HTMLMediaElement.prototype.play = function () { window.ccAlerts.sounds += 1; return Promise.resolve(); };
document.hasFocus = () => false;
"""


def spy_on_alerts(context: BrowserContext, page: Page) -> None:
    context.add_init_script(ALERT_SPY)
    page.reload()
    expect(page.locator("#socket-state")).to_have_text("Live")


def alerts(page: Page) -> dict[str, Any]:
    return dict(page.evaluate("() => window.ccAlerts"))


def wait_for_notifications(page: Page, count: int) -> list[dict[str, str]]:
    page.wait_for_function("(n) => window.ccAlerts.notifications.length >= n", arg=count)
    return list(alerts(page)["notifications"])


# ---------------------------------------------------------------------------- forward


def test_forward_a_message_to_other_rooms_of_the_sender(server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    base = server["base"]
    desk = space_via_api(base, "alice@example.com", "Forward desk", ["bob@example.com"])
    alice_ctx, alice = login(browser, base, "alice@example.com")
    bob_ctx, bob = login(browser, base, "bob@example.com")

    fay = Visitor(base, server["key"], "Fay", "My tracking number is XY-123 and it says delivered.")
    pick_up(alice, fay, "Fay")
    gus = Visitor(base, server["key"], "Gus", "Which courier do you use?")
    pick_up(alice, gus, "Gus")
    open_room(bob, room_row(bob, room=desk))
    expect(bob.locator("#room-title")).to_have_text("Forward desk")

    # Alice forwards Fay's message to the space she shares with Bob.
    open_room(alice, room_row(alice, room=fay.room))
    original = alice.locator(".msg.by-visitor", has_text="XY-123")
    original.hover()
    original.get_by_role("button", name="Forward message from Fay").click()
    dialog = alice.locator("dialog[open]")
    expect(dialog.get_by_role("heading", name="Forward message")).to_be_visible()
    target = dialog.get_by_label("Forward to")
    # Offered: the sender's own rooms, those in her Recent connections.
    options = target.locator("option").all_inner_texts()
    assert {"Fay (enquiry)", "Gus (enquiry)", "Forward desk (space)"} <= set(options), options
    assert len(options) == alice.locator("#room-list li").count(), options
    target.select_option(label="Forward desk (space)")
    screenshot(alice, "rooms-forward-dialog.png")
    dialog.get_by_role("button", name="Forward").click()
    expect(alice.locator(".toast", has_text="Forwarded.")).to_be_visible()

    # Bob, in the space, sees it arrive live, marked as forwarded and sent by Alice.
    forwarded = bob.locator(".msg", has_text="XY-123")
    expect(forwarded).to_contain_text("↪ Forwarded")
    expect(forwarded.locator(".msg-meta strong")).to_have_text("Alice Agent")
    expect(forwarded.locator(".body")).to_have_text("My tracking number is XY-123 and it says delivered.")
    screenshot(bob, "rooms-forward.png")

    # Alice's own reply to Fay, forwarded into Gus's enquiry: Gus gets it.
    say(alice, "Our courier is ParcelGo, hotline 0800 123 456.")
    mine = alice.locator(".msg.mine", has_text="ParcelGo")
    mine.hover()
    mine.get_by_role("button", name="Forward message from Alice Agent").click()
    dialog = alice.locator("dialog[open]")
    dialog.get_by_label("Forward to").select_option(label="Gus (enquiry)")
    dialog.get_by_role("button", name="Forward").click()
    expect(alice.locator(".toast", has_text="Forwarded.")).to_be_visible()
    got = gus.wait_for(lambda m: "ParcelGo" in m["text"], "the forwarded message")
    assert got["forwarded_from"] is not None
    assert not [m for m in fay.messages() if m["forwarded_from"]]  # the source room got no copy
    open_room(alice, room_row(alice, room=gus.room))
    expect(alice.locator(".msg.mine", has_text="ParcelGo")).to_contain_text("↪ Forwarded")

    finish((alice_ctx, alice), (bob_ctx, bob))


# ---------------------------------------------------------------------------- spaces, direct rooms


def test_spaces_and_direct_rooms_are_made_in_dialogs_and_chatted_in_live(
    server: dict[str, Any],  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    base = server["base"]
    alice_ctx, alice = login(browser, base, "alice@example.com")
    bob_ctx, bob = login(browser, base, "bob@example.com")
    admin_ctx, admin = login(browser, base, "admin@example.com")

    # A public space with Bob, made in the "New space" dialog.
    alice.get_by_role("button", name="+ Space").click()
    dialog = alice.locator("dialog[open]")
    expect(dialog.get_by_role("heading", name="New space")).to_be_visible()
    dialog.get_by_label("Name").fill("Launch prep")
    dialog.get_by_label("Description").fill("Everything for Friday's launch")
    members = dialog.get_by_role("group", name="Members")
    expect(members.get_by_role("checkbox")).to_have_count(2)  # every active colleague, not Alice herself
    members.get_by_label("Bob Agent").check()
    expect(dialog.get_by_label("Private (invited members only)")).not_to_be_checked()
    screenshot(alice, "rooms-space-dialog.png")
    dialog.get_by_role("button", name="Create space").click()
    expect(alice.locator("#room-title")).to_have_text("Launch prep")
    space = room_id_of(alice)
    expect(alice.locator(".room-sub")).to_have_text("Space · 2 members · Everything for Friday's launch")
    info = alice.get_by_role("complementary", name="Room information")
    expect(info.locator("dl")).to_contain_text("Privateno")
    expect(info.locator(".members li")).to_have_text([re.compile("^Alice Agent"), re.compile("^Bob Agent")])

    # Bob is told at once: the space appears in his Recent connections without a reload.
    bob_row = room_row(bob, room=space)
    expect(bob_row).to_contain_text("Launch prep")
    expect(room_row(admin, room=space)).to_have_count(0)
    open_room(bob, bob_row)
    say(alice, "Welcome! Checklist is in the wiki.")
    expect(bob.locator(".msg:not(.mine) .body").last).to_have_text("Welcome! Checklist is in the wiki.")
    bob.get_by_label("Message", exact=True).press_sequentially("On it")
    expect(alice.locator(".typing")).to_have_text("Bob Agent is typing…")
    bob.get_by_label("Message", exact=True).press("Enter")
    expect(alice.locator(".msg:not(.mine)").last).to_contain_text("Bob Agent")
    expect(alice.locator(".msg:not(.mine) .body").last).to_have_text("On it")
    screenshot(alice, "rooms-space.png")

    # A private space for Alice and the admin only: the admin gets it live, Bob never sees it.
    alice.get_by_role("button", name="+ Space").click()
    dialog = alice.locator("dialog[open]")
    dialog.get_by_label("Name").fill("Escalations")
    dialog.get_by_label("Private (invited members only)").check()
    dialog.get_by_role("group", name="Members").get_by_label("Ada Admin").check()
    dialog.get_by_role("button", name="Create space").click()
    expect(alice.locator("#room-title")).to_have_text("Escalations")
    private = room_id_of(alice)
    expect(alice.get_by_role("complementary", name="Room information").locator("dl")).to_contain_text("Privateyes")
    open_room(admin, room_row(admin, room=private))
    expect(admin.locator("#room-title")).to_have_text("Escalations")
    expect(admin.locator(".monitor-banner")).to_be_hidden()  # a member, not monitoring
    say(admin, "Thanks for adding me.")
    expect(alice.locator(".msg:not(.mine) .body").last).to_have_text("Thanks for adding me.")
    bob.reload()
    expect(bob.locator("#socket-state")).to_have_text("Live")
    expect(room_row(bob, room=space)).to_be_visible()
    expect(room_row(bob, room=private)).to_have_count(0)

    # A direct room with Bob from the "New direct chat" dialog.
    alice.get_by_role("button", name="+ Direct").click()
    dialog = alice.locator("dialog[open]")
    expect(dialog.get_by_role("heading", name="New direct chat")).to_be_visible()
    dialog.get_by_label("Colleague").select_option(label="Bob Agent (active)")
    dialog.get_by_role("button", name="Open chat").click()
    expect(alice.locator("#room-title")).to_have_text("Bob Agent")
    expect(alice.locator(".room-sub")).to_have_text("Direct chat")
    direct = room_id_of(alice)
    contact = alice.get_by_role("complementary", name="Room information").locator("dl")
    expect(contact).to_contain_text("NameBob Agent")
    expect(contact).to_contain_text("Emailbob@example.com")

    bob_direct = room_row(bob, room=direct)
    expect(bob_direct).to_contain_text("Alice Agent")  # live, named after the other person
    unread_before = unread_rooms(bob)
    say(alice, "Quick question about the launch, got a minute?")
    expect(bob_direct.locator(".badge")).to_have_text("1")
    expect_unread_rooms(bob, unread_before + 1)
    open_room(bob, bob_direct)
    expect(bob.locator("#room-title")).to_have_text("Alice Agent")
    expect(bob.locator(".msg:not(.mine) .body").last).to_have_text("Quick question about the launch, got a minute?")
    expect(bob_direct.locator(".badge")).to_have_count(0)
    expect_unread_rooms(bob, unread_before)
    say(bob, "Sure, call me.")
    expect(alice.locator(".msg:not(.mine) .body").last).to_have_text("Sure, call me.")
    screenshot(alice, "rooms-direct.png")

    # One direct room per pair: Bob opening a direct chat with Alice lands in the same room.
    go_home(bob)
    bob.get_by_role("button", name="+ Direct").click()
    bob.locator("dialog[open]").get_by_label("Colleague").select_option(label="Alice Agent (active)")
    bob.locator("dialog[open]").get_by_role("button", name="Open chat").click()
    expect(bob).to_have_url(re.compile(rf"/app/rooms/{direct}$"))
    expect(bob.locator(".msg .body")).to_have_text(["Quick question about the launch, got a minute?", "Sure, call me."])

    # A message Bob saw counts as read even when he leaves the room at once.
    say(alice, "Call at 3?")
    expect(bob.locator(".msg:not(.mine) .body").last).to_have_text("Call at 3?")
    go_home(bob)
    bob.reload()
    expect(bob.locator("#socket-state")).to_have_text("Live")
    expect(room_row(bob, room=direct)).to_be_visible()
    expect(room_row(bob, room=direct).locator(".badge")).to_have_count(0)

    finish((alice_ctx, alice), (bob_ctx, bob), (admin_ctx, admin))


# ---------------------------------------------------------------------------- mute modes


def test_mute_modes_decide_which_messages_alert_while_unread_counts_stay(
    server: dict[str, Any],  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    base = server["base"]
    space = space_via_api(base, "alice@example.com", "Night shift", ["bob@example.com"])
    alice_ctx, alice = login(browser, base, "alice@example.com")
    bob_ctx, bob = login(browser, base, "bob@example.com")
    spy_on_alerts(bob_ctx, bob)
    row = room_row(bob, room=space)
    badge = row.locator(".badge")
    mode_label = row.locator('[title^="notifications:"]')
    expect(row).to_contain_text("Night shift")
    expect(mode_label).to_have_count(0)  # all messages: the default, no label
    others = unread_rooms(bob)
    open_room(alice, room_row(alice, room=space))

    def set_mode(label: str, shown: str) -> None:
        open_room(bob, row)
        expect(badge).to_have_count(0)
        bob.get_by_label("Notify me about").select_option(label=label)
        expect(bob.locator(".toast", has_text="Notification setting saved.")).to_be_visible()
        expect(mode_label).to_have_text(shown)  # the sidebar says so at once
        go_home(bob)
        expect_unread_rooms(bob, others)

    # All messages (default): every message rings and notifies, and counts as unread.
    say(alice, "Anyone around tonight?")
    expect(badge).to_have_text("1")
    expect(badge).to_have_attribute("aria-label", "1 unread")
    expect_unread_rooms(bob, others + 1)
    assert wait_for_notifications(bob, 1) == [{"title": "Alice Agent: Night shift", "body": "Anyone around tonight?"}]
    assert alerts(bob)["sounds"] == 1

    # Only @mentions: plain messages are unread but silent; a mention rings and notifies.
    open_room(bob, row)
    expect(bob.get_by_label("Notify me about")).to_have_value("all")
    set_mode("Only @mentions", "@ only")
    say(alice, "Quiet night so far.")
    expect(badge).to_have_text("1")
    expect_unread_rooms(bob, others + 1)
    composer = alice.get_by_label("Message", exact=True)
    composer.press_sequentially("@Bo")
    alice.get_by_role("option", name=re.compile("@Bob Agent")).click()
    composer.press_sequentially("can you check the night log?")
    composer.press("Enter")
    expect(badge).to_have_text("2")
    notes = wait_for_notifications(bob, 2)
    assert notes[1] == {"title": "Alice Agent mentioned you", "body": "@Bob Agent can you check the night log?"}
    assert alerts(bob)["sounds"] == 2
    assert len(alerts(bob)["notifications"]) == 2  # the plain message made none

    # Bob reads them: the mention is marked for him.
    open_room(bob, row)
    expect(bob.get_by_label("Notify me about")).to_have_value("mentions")
    mention = bob.locator(".msg.mentions-me")
    expect(mention).to_have_count(1)
    expect(mention.locator(".mention")).to_have_text("@Bob Agent")

    # Mute: nothing rings or notifies, not even a mention or @all; the unread count still grows.
    set_mode("Mute", "muted")
    say(alice, "Coffee machine is fixed.")
    say(alice, "@Bob Agent and @all: handover in 5 minutes")
    # A mention.created comes right after its message: once a later message is counted,
    # whatever the mention could have rung has arrived.
    say(alice, "See you all there.")
    expect(badge).to_have_text("3")
    expect_unread_rooms(bob, others)  # a muted room does not count in the workspace badge
    assert alerts(bob)["sounds"] == 2
    assert len(alerts(bob)["notifications"]) == 2
    screenshot(bob, "rooms-mute.png")
    # The setting is kept by the server: still muted after a reload.
    bob.reload()
    expect(mode_label).to_have_text("muted")
    expect(badge).to_have_text("3")

    finish((alice_ctx, alice), (bob_ctx, bob))


# ---------------------------------------------------------------------------- visitor info


def test_staff_edit_visitor_information_in_the_room_panel(server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    base = server["base"]
    alice_ctx, alice = login(browser, base, "alice@example.com")
    hal = Visitor(base, server["key"], "Hal", "Please change the email on my account.")
    pick_up(alice, hal, "Hal")
    saves: list[str] = []
    alice.on("request", lambda r: saves.append(r.url) if r.method == "PATCH" and r.url.endswith("/visitor") else None)
    # The details are text with an Edit button, not a form that is always open.
    details = info_panel(alice).get_by_role("definition").filter(has_text="Hal")
    expect(details.first).to_be_visible()
    expect(alice.get_by_role("form", name="Visitor information")).to_have_count(0)
    alice.get_by_role("button", name="Edit visitor").click()
    form = alice.get_by_role("form", name="Visitor information")
    expect(form.get_by_label("First name")).to_have_value("Hal")
    expect(form.get_by_label("Last name")).to_have_value("")

    # A malformed email is refused by the form itself: nothing is sent.
    form.get_by_label("Last name").fill("Hughes")
    form.get_by_label("Email").fill("hal@")
    form.get_by_role("button", name="Save visitor").click()
    assert form.get_by_label("Email").evaluate("el => el.validity.typeMismatch")

    form.get_by_label("Email").fill("hal.hughes@example.com")
    form.get_by_label("Phone").fill("+44 20 7946 0958")
    form.get_by_role("button", name="Save visitor").click()
    expect(alice.locator(".toast", has_text="Visitor information saved.")).to_be_visible()
    assert len(saves) == 1  # the refused form before sent nothing
    # Saved: the form closes and the panel shows the details as text.
    expect(form).to_have_count(0)
    expect(info_panel(alice).get_by_role("definition").filter(has_text="hal.hughes@example.com")).to_be_visible()
    expect(alice.locator("#room-title")).to_have_text("Hal Hughes")
    expect(room_row(alice, room=hal.room).locator(".room-title")).to_have_text("Hal Hughes")
    screenshot(alice, "rooms-visitor-info.png")

    # The visitor's own view of the enquiry has the new details.
    mine = hal.http.get(f"/api/v1/widget/enquiries/{hal.enquiry}", headers=hal.auth).json()["visitor"]
    assert (mine["first_name"], mine["last_name"], mine["email"], mine["phone"]) == (
        "Hal",
        "Hughes",
        "hal.hughes@example.com",
        "+44 20 7946 0958",
    )
    # Kept: after a reload the panel shows them again.
    alice.reload()
    expect(alice.locator("#socket-state")).to_have_text("Live")
    expect(info_panel(alice).get_by_role("definition").filter(has_text="+44 20 7946 0958")).to_be_visible()
    # The room view is ready (it ends its loading by putting the caret in the composer), and
    # the socket's first connect, which reloads the panel too, has repainted it (the panel
    # is aria-busy until then).
    expect(alice.get_by_label("Message", exact=True)).to_be_focused()
    expect(info_panel(alice)).not_to_have_attribute("aria-busy", "true")
    alice.get_by_role("button", name="Edit visitor").click()
    form = alice.get_by_role("form", name="Visitor information")
    email, phone = form.get_by_label("Email"), form.get_by_label("Phone")
    expect(email).to_have_value("hal.hughes@example.com")
    expect(phone).to_have_value("+44 20 7946 0958")

    # The panel is repainted on every reconnect (and on room events): what Alice is typing
    # survives it, and she keeps typing in the same field.
    phone.fill("")
    email.fill("hal.h@exa")
    alice.locator(".visitor-form").evaluate("el => { el.dataset.old = '1'; }")
    alice.evaluate("() => window.ccApp.socket.ws.close()")
    expect(alice.locator("#socket-state")).to_have_text("Live", timeout=20_000)
    # (The panel may be empty for a moment while it is rebuilt.)
    alice.wait_for_function("() => { const f = document.querySelector('.visitor-form'); return f && !f.dataset.old; }")
    expect(info_panel(alice)).not_to_have_attribute("aria-busy", "true")
    expect(email).to_be_focused()  # the repaint kept the caret where she was typing
    alice.keyboard.type("mple.org")
    expect(email).to_have_value("hal.h@example.org")
    expect(phone).to_have_value("")
    form.get_by_role("button", name="Save visitor").click()
    expect(alice.locator(".toast", has_text="Visitor information saved.")).to_be_visible()
    expect(form).to_have_count(0)  # closed once the server said yes
    saved = hal.http.get(f"/api/v1/widget/enquiries/{hal.enquiry}", headers=hal.auth).json()["visitor"]
    assert (saved["email"], saved["phone"]) == ("hal.h@example.org", "")

    finish((alice_ctx, alice))


# ---------------------------------------------------------------------------- missed list


NOTE = (
    "Please call me back tomorrow morning about the refund for order 7781: I am at work until 9, any time after that."
)


def test_missed_enquiries_list_shows_the_visitors_note(short_wait_server: dict[str, Any], browser: Browser) -> None:  # noqa: F811
    base, key = short_wait_server["base"], short_wait_server["key"]
    alice_ctx, alice = login(browser, base, "alice@example.com")
    ivy = Visitor(base, key, "Ivy", "My refund never arrived, order 7781.")
    jay = Visitor(base, key, "Jay", "Do you ship to Norway?")
    for visitor in (ivy, jay):
        expect(alice.locator(f'.enquiry-card[data-enquiry="{visitor.enquiry}"]')).to_be_visible()

    # Nobody picks them up: when the waiting time is over they leave the panel at once.
    for visitor in (ivy, jay):
        expect(alice.locator(f'.enquiry-card[data-enquiry="{visitor.enquiry}"]')).to_have_count(
            0, timeout=(MISSED_AFTER_SECONDS + 5) * 1000
        )
    expect(alice.locator("#panel-empty")).to_be_visible()

    # The visitor is offered a note and leaves one (as the widget does); Jay leaves none.
    state = ivy.http.get(f"/api/v1/widget/enquiries/{ivy.enquiry}", headers=ivy.auth).json()
    assert (state["status"], state["can_leave_note"]) == ("missed", True)
    note = ivy.http.post(
        f"/api/v1/widget/enquiries/{ivy.enquiry}/note",
        headers=ivy.auth,
        json={"text": NOTE, "contact": "+49 170 5550123"},
    )
    assert note.status_code == 201, note.text

    alice.get_by_role("navigation", name="Sections").get_by_role("link", name="Missed").click()
    expect(alice.get_by_role("heading", name="Missed enquiries")).to_be_visible()
    table = alice.get_by_role("table", name="Missed enquiries")
    expect(table.get_by_role("columnheader")).to_have_text(
        ["#", "Channel", "Visitor", "First message", "Missed", "Reason", "Note", "Contact", "Follow-up"]
    )
    ivy_row = table.get_by_role("row").filter(has=alice.get_by_role("cell", name="Ivy", exact=True))
    expect(ivy_row.get_by_role("cell")).to_have_text(
        [
            str(ivy.enquiry),
            re.compile("Website"),
            "Ivy",
            "My refund never arrived, order 7781.",
            re.compile(r"\d"),
            "timeout",
            NOTE,
            "+49 170 5550123",
            "Unhandled",
        ]
    )
    # The whole note can be read: it wraps rather than being cut off.
    note_cell = ivy_row.get_by_role("cell").nth(6)
    assert note_cell.evaluate("el => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight")
    jay_row = table.get_by_role("row").filter(has=alice.get_by_role("cell", name="Jay", exact=True))
    expect(jay_row.get_by_role("cell").nth(6)).to_have_text("—")
    expect(alice.get_by_role("status").filter(has_text="enquiries")).to_have_text("2 enquiries · page 1 of 1")
    screenshot(alice, "missed-list.png")

    finish((alice_ctx, alice))
