// Unit tests of the Notifications list's texts and state (static/js/dashboard/notifications_format.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { addNewest, applyRead, badgeText, bellLabel, notificationTexts } from "../../static/js/dashboard/notifications_format.js";

/** @param {string} kind @param {Record<string, any>} data */
const n = (kind, data, extra = {}) => ({ id: 1, kind, enquiry: null, room: null, actor: null, data, url: null, created_at: "2026-12-01T10:00:00Z", read: false, ...extra });

describe("badge", () => {
  it("counts up to 99, then 99+", () => {
    assert.equal(badgeText(0), "");
    assert.equal(badgeText(7), "7");
    assert.equal(badgeText(99), "99");
    assert.equal(badgeText(100), "99+");
  });
  it("names the bell with the count", () => {
    assert.equal(bellLabel(0), "Notifications");
    assert.equal(bellLabel(3), "Notifications, 3 unread");
  });
});

describe("texts", () => {
  it("mentions, by room kind", () => {
    const space = notificationTexts(n("mention", { actor_name: "Ann", room_kind: "space", room_name: "Ops", excerpt: "@bob look" }));
    assert.deepEqual(space, { title: "Ann mentioned you in Ops", detail: "@bob look" });
    assert.equal(notificationTexts(n("mention", { actor_name: "Ann", room_kind: "space", room_name: "Ops", mention_all: true })).title, "Ann mentioned everyone (@all) in Ops");
    assert.equal(notificationTexts(n("mention", { actor_name: "Ann", room_kind: "direct" })).title, "Ann mentioned you in a direct message");
    assert.equal(notificationTexts(n("mention", { actor_name: "Ann", room_kind: "enquiry" })).title, "Ann mentioned you in a conversation");
    assert.equal(notificationTexts(n("mention", { actor_name: "Ann", room_kind: "direct", excerpt: "", recalled: true })).detail, "The message was recalled");
  });
  it("transfers to me and to my tag", () => {
    assert.equal(notificationTexts(n("transfer_offered", { actor_name: "Olive", visitor_name: "Vera", to_tag: "" })).title, "Olive is transferring Vera to you");
    assert.equal(notificationTexts(n("transfer_offered", { actor_name: "Olive", visitor_name: "Vera", to_tag: "Billing" })).title, "Olive is transferring Vera to the Billing team");
  });
  it("take-overs, missed with the reason, reviews with the score", () => {
    assert.equal(notificationTexts(n("taken_over", { actor_name: "Ada", visitor_name: "Vera" })).title, "Ada took over your conversation with Vera");
    assert.deepEqual(notificationTexts(n("missed", { visitor_name: "Vera", destination: "Support", reason: "timeout", excerpt: "Hello?" })), {
      title: "Missed enquiry from Vera to Support",
      detail: "Nobody picked it up in time · Hello?",
    });
    assert.deepEqual(notificationTexts(n("review", { actor_name: "Ada", score: 4.333 })), { title: "Ada reviewed your conversation", detail: "Score: 4.33" });
  });
  it("missing names and unknown kinds still read well", () => {
    assert.equal(notificationTexts(n("taken_over", {})).title, "Someone took over your conversation with a visitor");
    assert.equal(notificationTexts(n("later", {})).title, "New notification");
    // Text, never markup: what the data says comes back as is, for textContent.
    assert.equal(notificationTexts(n("mention", { actor_name: "<img src=x>", room_kind: "direct" })).title, "<img src=x> mentioned you in a direct message");
  });
});

describe("state", () => {
  it("applies notification.read to the ids or to all", () => {
    const items = [n("mention", {}, { id: 3 }), n("mention", {}, { id: 2 }), n("mention", {}, { id: 1, read: true })];
    assert.deepEqual(applyRead(items, { ids: [2], read: true }).map((i) => i.id), [2]);
    assert.deepEqual(items.map((i) => i.read), [false, true, true]);
    assert.deepEqual(applyRead(items, { ids: [1], read: false }).map((i) => i.id), [1]);
    assert.deepEqual(applyRead(items, { ids: [], all: true, read: true }).map((i) => i.id), [3, 1]);
    assert.ok(items.every((i) => i.read));
  });
  it("adds new ones once, newest first", () => {
    const items = [n("mention", {}, { id: 5 }), n("mention", {}, { id: 2 })];
    assert.equal(addNewest(items, n("missed", {}, { id: 7 })), true);
    assert.equal(addNewest(items, n("missed", {}, { id: 7 })), false);
    assert.equal(addNewest(items, n("missed", {}, { id: 3 })), true);
    assert.deepEqual(items.map((i) => i.id), [7, 5, 3, 2]);
  });
});
