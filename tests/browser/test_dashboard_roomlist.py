"""The room list you can work from, live link previews, and the chat's details (issue 12,
items 3, 4 and 10), in a real browser with several people at once: two agents, visitors
through the widget API, and a visitor in the widget's own chat page.

- Recent connections: avatar or initials, channel, last message and its time, unread count,
  who has waited longest (indicator and sort), all live over the socket; the notifications
  of a room set from its row's menu by keyboard; muted rooms out of the workspace badge and
  the tab title's count.
- Link previews pushed when ready (message.preview), drawn live in the dashboard and in the
  widget, without a reload.
- The composer's expand/collapse control, toasts that never cover Send, a forward naming
  the original author, the Notify button's on/off/blocked states, the favicon and the count
  in the tab title.

Uses the server, browser and helpers of test_dashboard.py and test_dashboard_rooms.py (this
module gets its own server). Screenshots go to docs/screenshots/ when asked for."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.test_dashboard import (  # noqa: F401 - server and browser are fixtures
    Visitor,
    browser,
    finish,
    link_site,
    login,
    pick_up,
    screenshot,
    server,
)
from tests.browser.test_dashboard_rooms import go_home, open_room, room_row, say, space_via_api

BASE_TITLE = "Dashboard · Contact center"

# Notifications as the browser would have them: the permission is set by the test
# (window.ccPermission before the page's scripts run), notifications are only recorded.
NOTIFICATION_STUB = """
window.ccNotified = [];
window.Notification = class {
  static get permission() { return window.ccPermission || "granted"; }
  static requestPermission() { return Promise.resolve(Notification.permission); }
  constructor(title, options) { window.ccNotified.push({ title, body: (options || {}).body || "" }); }
  close() {}
};
"""


def with_permission(context: BrowserContext, page: Page, permission: str) -> None:
    context.add_init_script(f'window.ccPermission = "{permission}";')
    context.add_init_script(NOTIFICATION_STUB)
    page.reload()
    expect(page.locator("#socket-state")).to_have_text("Live")


def workspace_badge(page: Page) -> int:
    badge = page.locator("#workspace-unread")
    return 0 if badge.is_hidden() else int(badge.inner_text())


def row_unread(row: Locator) -> int:
    badge = row.locator(".badge")
    return int(badge.inner_text()) if badge.count() else 0


def expect_badge(page: Page, count: int) -> None:
    badge = page.locator("#workspace-unread")
    if count:
        expect(badge).to_have_text(str(count))
    else:
        expect(badge).to_be_hidden()


def unmuted_unread(page: Page) -> int:
    """The unread messages the rows show, muted rooms left out (what the title counts)."""
    return int(
        page.evaluate(
            """() => [...document.querySelectorAll('#room-list li .badge:not(.badge-muted)')]
                 .reduce((n, b) => n + Number(b.textContent), 0)"""
        )
    )


def panel_count(page: Page) -> int:
    badge = page.locator("#panel-count")
    return 0 if badge.is_hidden() else int(badge.inner_text())


def expect_title_count(page: Page) -> None:
    """The tab's title counts what needs the agent: waiting enquiries and unread messages."""
    page.wait_for_function(
        """(base) => {
          const rows = [...document.querySelectorAll('#room-list li .badge:not(.badge-muted)')]
            .reduce((n, b) => n + Number(b.textContent), 0);
          const panel = document.getElementById('panel-count');
          const n = rows + (panel.hidden ? 0 : Number(panel.textContent));
          return document.title === (n ? `(${n}) ${base}` : base);
        }""",
        arg=BASE_TITLE,
    )


def preview_of(row: Locator) -> Locator:
    return row.locator(".room-preview")


def boxes_overlap(a: Any, b: Any) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


# ---------------------------------------------------------------------------- item 3


def test_room_list_rows_are_live_show_who_waits_and_mute_from_the_row(
    server: dict[str, Any],  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    base = server["base"]
    desk = space_via_api(base, "bob@example.com", "Escalation desk", ["alice@example.com"])
    alice_ctx, alice = login(browser, base, "alice@example.com")
    bob_ctx, bob = login(browser, base, "bob@example.com")

    rita = Visitor(base, server["key"], "Rita", "My card was charged twice.")
    pick_up(alice, rita, "Rita")
    sam = Visitor(base, server["key"], "Sam", "Where is my parcel?")
    pick_up(alice, sam, "Sam")
    go_home(alice)

    # Each row: initials, channel, the last message, its time; nobody answered yet, so both
    # customers wait, Rita longest.
    rita_row, sam_row = room_row(alice, room=rita.room), room_row(alice, room=sam.room)
    expect(rita_row.locator(".room-avatar")).to_have_text("R")
    expect(rita_row.locator(".channel-icon")).to_have_text("Web")
    expect(rita_row.locator(".room-time")).to_have_text(re.compile(r"^\d{1,2}:\d{2}"))
    expect(rita_row.locator(".waiting-chip.waiting-longest")).to_contain_text("waiting")
    expect(sam_row.locator(".waiting-chip")).not_to_have_class(re.compile("waiting-longest"))
    longest = alice.locator(".longest-waiting")
    expect(longest).to_contain_text("Waiting longest: Rita")

    # Live: Sam writes; his row moves to the top with the preview and an unread count.
    expect(preview_of(rita_row)).not_to_be_empty()
    unread_before = row_unread(sam_row)
    sam.say("Hello?? It is urgent.")
    expect(preview_of(sam_row)).to_have_text("Sam: Hello?? It is urgent.")
    expect(sam_row.locator(".badge")).to_have_text(str(unread_before + 1))
    expect(alice.locator("#room-list > li").first).to_have_attribute("data-room", str(sam.room))
    expect_title_count(alice)
    # Sorted by who has waited longest: Rita first, whatever came in since.
    alice.get_by_label("Sort rooms").select_option("waiting")
    expect(alice.locator("#room-list > li").first).to_have_attribute("data-room", str(rita.room))
    screenshot(alice, "room-list.png")

    # Alice answers Rita: Rita no longer waits, Sam now waits longest.
    open_room(alice, rita_row)
    say(alice, "The second charge is refunded today.")
    go_home(alice)
    expect(rita_row.locator(".waiting-chip")).to_have_count(0)
    expect(preview_of(rita_row)).to_have_text("You: The second charge is refunded today.")
    expect(longest).to_contain_text("Waiting longest: Sam")
    expect(alice.locator("#room-list > li").first).to_have_attribute("data-room", str(sam.room))
    alice.get_by_label("Sort rooms").select_option("recent")
    expect(alice.locator("#room-list > li").first).to_have_attribute("data-room", str(rita.room))

    # A colleague writes in a space: the row follows live (no channel: the space's mark).
    desk_row = room_row(alice, room=desk)
    open_room(bob, room_row(bob, room=desk))
    before = workspace_badge(alice) + (0 if row_unread(desk_row) else 1)
    say(bob, "Can someone take the VIP call?")
    expect(preview_of(desk_row)).to_have_text("Bob Agent: Can someone take the VIP call?")
    expect(desk_row.locator(".room-avatar")).to_have_text("ED")
    expect(desk_row.locator(".room-kind")).to_have_text("#")
    expect(desk_row.locator(".badge")).to_have_text("1")
    expect(alice.locator("#workspace-unread")).to_have_text(str(before))
    expect_title_count(alice)
    before -= 1  # what the badge shows once the space is muted

    # Mute from the row, by keyboard: the menu opens on the current mode, arrows move,
    # Enter picks; focus comes back to the row's button.
    menu_button = desk_row.get_by_role("button", name="Notifications for Escalation desk")
    desk_row.hover()
    assert menu_button.evaluate("b => getComputedStyle(b).opacity") == "1"
    menu_button.focus()
    menu_button.press("Enter")
    menu = desk_row.get_by_role("menu", name="Notifications")
    expect(menu).to_be_visible()
    expect(menu_button).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("menuitemradio", name="All messages")).to_be_focused()
    expect(menu.get_by_role("menuitemradio", name="All messages")).to_have_attribute("aria-checked", "true")
    screenshot(alice, "room-list-menu.png")
    # Escape closes without a change.
    alice.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    expect(menu_button).to_be_focused()
    menu_button.press("Enter")
    alice.keyboard.press("ArrowDown")
    alice.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitemradio", name="Mute")).to_be_focused()
    alice.keyboard.press("Enter")
    expect(alice.locator(".toast", has_text="Escalation desk: Mute")).to_be_visible()
    expect(desk_row.locator(".mute-flag")).to_have_text("muted")
    expect(menu_button).to_be_focused()
    # Its unread stays on the row (dimmed) but leaves the workspace badge and the title.
    expect(desk_row.locator(".badge.badge-muted")).to_have_text("1")
    expect_badge(alice, before)
    expect_title_count(alice)

    # More in the muted room: the row counts, the badge does not move.
    say(bob, "Never mind, I took it.")
    expect(desk_row.locator(".badge.badge-muted")).to_have_text("2")
    expect(preview_of(desk_row)).to_have_text("Bob Agent: Never mind, I took it.")
    expect_badge(alice, before)
    expect_title_count(alice)

    # The server keeps it: after a reload, still muted and out of the badge.
    alice.reload()
    expect(alice.locator("#socket-state")).to_have_text("Live")
    expect(desk_row.locator(".mute-flag")).to_have_text("muted")
    expect(desk_row.locator(".badge.badge-muted")).to_have_text("2")
    expect_badge(alice, before)
    # And back to all messages with the mouse.
    desk_row.hover()
    menu_button.click()
    menu.get_by_role("menuitemradio", name="All messages").click()
    expect(desk_row.locator(".mute-flag")).to_have_count(0)
    expect(alice.locator("#workspace-unread")).to_have_text(str(before + 1))

    finish((alice_ctx, alice), (bob_ctx, bob))


# ---------------------------------------------------------------------------- item 4


def test_link_previews_appear_live_in_the_dashboard_and_the_widget(
    server: dict[str, Any],  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    base = server["base"]
    alice_ctx, alice = login(browser, base, "alice@example.com")

    # The visitor, in the widget's own chat page.
    visitor_ctx = browser.new_context(viewport={"width": 420, "height": 720}, base_url=base)
    widget = visitor_ctx.new_page()
    errors: list[str] = []
    widget.on("pageerror", lambda exc: errors.append(str(exc)))
    widget.goto(f"/widget/{server['key']}/")
    widget.locator("#cc-app[data-ready=true]").wait_for()
    widget.locator("#cc-first-message").fill("Hi, question about tracking (preview test)")
    widget.locator(".cc-start button[type=submit]").click()
    card = alice.locator(".enquiry-card", has_text="question about tracking (preview test)")
    card.get_by_role("button", name=re.compile(r"^Pick up enquiry")).click()
    expect(alice).to_have_url(re.compile(r"/app/rooms/\d+$"))
    widget.locator(".cc-agent-name").filter(has_text="Alice Agent").wait_for()

    with link_site() as (origin, _hits):
        # The visitor sends a link: the preview comes to both sides without a reload.
        widget.locator("#cc-input").fill(f"My parcel: {origin}/track")
        widget.locator("#cc-input").press("Enter")
        mine = widget.locator(".cc-mine[data-id]", has_text="My parcel")
        mine.wait_for()
        expect(mine.locator(".cc-preview")).to_contain_text("Track your parcel", timeout=20_000)
        expect(mine.locator(".cc-preview img")).to_have_attribute("src", re.compile(r"^blob:"))
        on_dashboard = alice.locator(".msg.by-visitor", has_text="My parcel").locator("a.preview")
        expect(on_dashboard).to_contain_text("Track your parcel", timeout=20_000)
        # A preview is no edit.
        expect(alice.locator(".msg.by-visitor", has_text="My parcel")).not_to_contain_text("(edited)")

        # The agent sends one: the visitor sees its preview arrive live too.
        say(alice, f"Here is the tracking page again: {origin}/track")
        theirs = widget.locator(".cc-theirs", has_text="tracking page again")
        theirs.wait_for()
        expect(theirs.locator(".cc-preview")).to_contain_text("Track your parcel", timeout=20_000)
        expect(alice.locator(".msg.mine", has_text="tracking page again").locator("a.preview")).to_contain_text(
            "Track your parcel", timeout=20_000
        )
        # The server's copies of the image load on both sides.
        alice.wait_for_function(
            "() => [...document.querySelectorAll('a.preview img')].every((i) => i.complete && i.naturalWidth > 0)"
        )
        widget.wait_for_function(
            "() => [...document.querySelectorAll('.cc-preview img')].every((i) => i.complete && i.naturalWidth > 0)"
        )
        screenshot(alice, "link-preview-live.png")
        screenshot(widget, "link-preview-live-widget.png")
    assert not errors, errors
    visitor_ctx.close()
    finish((alice_ctx, alice))


# ---------------------------------------------------------------------------- item 10


def test_chat_details_composer_toasts_forward_notify_and_tab_title(
    server: dict[str, Any],  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    base = server["base"]
    desk = space_via_api(base, "alice@example.com", "Details desk", ["bob@example.com"])
    alice_ctx, alice = login(browser, base, "alice@example.com")
    bob_ctx, bob = login(browser, base, "bob@example.com")
    with_permission(alice_ctx, alice, "granted")
    with_permission(bob_ctx, bob, "denied")

    # The favicon is there, and the title counts nothing yet for Bob.
    icon = bob.locator("link#favicon")
    expect(icon).to_have_attribute("href", re.compile(r"favicon\.svg$"))
    assert bob.request.get(icon.get_attribute("href") or "").status == 200

    # Notify shows its state instead of greying out.
    alice_bell = alice.locator("#notify-toggle")
    expect(alice_bell).to_be_enabled()
    expect(alice_bell).to_have_attribute("data-state", "on")
    expect(alice_bell).to_contain_text("Notify on")
    alice_bell.click()
    expect(alice_bell).to_have_attribute("data-state", "off")
    expect(alice_bell).to_contain_text("Notify off")
    expect(alice_bell).to_have_attribute("aria-pressed", "false")
    alice_bell.click()
    expect(alice_bell).to_have_attribute("data-state", "on")
    bob_bell = bob.locator("#notify-toggle")
    expect(bob_bell).to_be_enabled()
    expect(bob_bell).to_contain_text("Notify blocked")
    bob_bell.click()
    expect(bob.locator(".toast", has_text="Notifications are blocked for this site")).to_be_visible()
    screenshot(bob, "notify-blocked.png")

    # A customer, picked up by Alice.
    nia = Visitor(base, server["key"], "Nia", "Can I change the delivery address?")
    pick_up(alice, nia, "Nia")

    # The composer expands and collapses.
    composer = alice.get_by_label("Message", exact=True)
    expand = alice.get_by_role("button", name="Expand the message box")
    expect(expand).to_have_attribute("aria-expanded", "false")
    one_line = composer.bounding_box()
    assert one_line is not None
    expand.click()
    collapse = alice.get_by_role("button", name="Collapse the message box")
    expect(collapse).to_have_attribute("aria-expanded", "true")
    expect(composer).to_be_focused()
    tall = composer.bounding_box()
    assert tall is not None and tall["height"] > one_line["height"] + 150, (one_line, tall)

    # Toasts stand above the composer: they never cover Send (expanded or not).
    send = alice.get_by_role("button", name="Send", exact=True)

    def forward_to_desk(text: str) -> None:
        original = alice.locator(".msg", has_text=text).last
        original.hover()
        original.get_by_role("button", name=re.compile(r"^Forward message from")).click()
        dialog = alice.locator("dialog[open]")
        dialog.get_by_label("Forward to").select_option(label="Details desk (space)")
        dialog.get_by_role("button", name="Forward").click()
        toast = alice.locator(".toast", has_text="Forwarded.")
        expect(toast).to_be_visible()
        send_box, toast_box = send.bounding_box(), toast.bounding_box()
        assert send_box and toast_box and not boxes_overlap(send_box, toast_box), (send_box, toast_box)
        composer_box = alice.locator("form.composer").bounding_box()
        assert composer_box and toast_box["y"] + toast_box["height"] <= composer_box["y"], (composer_box, toast_box)

    forward_to_desk("change the delivery address")
    screenshot(alice, "composer-expanded-toast.png")
    collapse.click()
    expect(expand).to_have_attribute("aria-expanded", "false")
    expect(alice.locator(".toast", has_text="Forwarded.")).to_have_count(0, timeout=15_000)
    forward_to_desk("change the delivery address")

    # The forward names who wrote the original; Bob is at home: the tab says (n) and the
    # favicon has its dot.
    desk_row = room_row(bob, room=desk)
    expect(desk_row.locator(".badge")).to_have_text("2")
    expect(bob).to_have_title(re.compile(r"^\(\d+\) " + re.escape(BASE_TITLE) + "$"))
    expect_title_count(bob)
    expect(icon).to_have_attribute("href", re.compile(r"favicon-alert\.svg$"))
    open_room(bob, desk_row)
    forwarded = bob.locator(".msg", has_text="change the delivery address").first
    expect(forwarded.locator(".forwarded")).to_have_text("↪ Forwarded from Nia")
    expect(forwarded.locator(".msg-meta strong")).to_have_text("Alice Agent")
    screenshot(bob, "forward-author.png")
    # Read: the count goes from the title and the dot from the favicon.
    expect_title_count(bob)
    if panel_count(bob) == 0 and unmuted_unread(bob) == 0:
        expect(bob).to_have_title(BASE_TITLE)
        expect(icon).to_have_attribute("href", re.compile(r"favicon\.svg$"))
    # The visitor never sees whose message it was (possibly another customer).
    assert all("forwarded" not in m["data"] for m in nia.messages())

    finish((alice_ctx, alice), (bob_ctx, bob))
