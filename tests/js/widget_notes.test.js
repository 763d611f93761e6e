// Unit tests of notes and ratings (static/widget/chat/note_rules.js) and the room's
// "Ask for a rating" rule (static/js/dashboard/room/rules.js rateInviteAllowed).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { noteButtonShown, noteFilesProblem, ratingShown, sizeText } from "../../static/widget/chat/note_rules.js";
import { rateInviteAllowed } from "../../static/js/dashboard/room/rules.js";

const MB = 1048576;
const limits = { maxFiles: 2, maxBytes: 5 * MB };

describe("noteFilesProblem", () => {
  it("accepts files within the limits", () => {
    assert.equal(noteFilesProblem([], limits), null);
    assert.equal(noteFilesProblem([{ name: "a.png", size: 10 }, { name: "b.pdf", size: 5 * MB }], limits), null);
  });

  it("names the problem: too many, too large, empty", () => {
    const three = [1, 2, 3].map((i) => ({ name: `${i}.png`, size: 10 }));
    assert.equal(noteFilesProblem(three, limits), "A note carries at most 2 files.");
    assert.equal(noteFilesProblem(three, { ...limits, maxFiles: 1 }), "A note carries at most 1 file.");
    assert.equal(noteFilesProblem([{ name: "big.mov", size: 5 * MB + 1 }], limits), "big.mov is too large (at most 5 MB).");
    assert.equal(noteFilesProblem([{ name: "e.txt", size: 0 }], limits), "e.txt is empty.");
  });
});

describe("noteButtonShown", () => {
  it("shows without a conversation, hides while one goes on or when the channel has none", () => {
    assert.equal(noteButtonShown(true, null), true);
    assert.equal(noteButtonShown(false, null), false);
    for (const status of ["open", "handling", "resolved"]) assert.equal(noteButtonShown(true, { id: 1, status }), false);
    assert.equal(noteButtonShown(true, { id: 1, status: "closed" }), true);
  });

  it("leaves a missed conversation to its own note form until the note is left", () => {
    assert.equal(noteButtonShown(true, { id: 1, status: "missed", can_leave_note: true }), false);
    assert.equal(noteButtonShown(true, { id: 1, status: "missed", can_leave_note: false }), true);
  });
});

describe("ratingShown", () => {
  const e = (/** @type {any} */ extra) => ({ id: 1, status: "handling", can_rate: false, ...extra });

  it("shows the card after resolve or close, and the thanks once rated", () => {
    assert.equal(ratingShown(e({ status: "resolved", can_rate: true }), false), "form");
    assert.equal(ratingShown(e({ status: "closed", can_rate: true }), false), "form");
    assert.equal(ratingShown(e({ status: "closed", rating: { score: 3 } }), false), "thanks");
    assert.equal(ratingShown(e({ status: "missed" }), false), null);
  });

  it("while chatting: the card when the agent asked, else the offer where the channel allows", () => {
    assert.equal(ratingShown(e({}), false), null);
    assert.equal(ratingShown(e({ can_rate: true, rating_invited: true }), false), "form");
    assert.equal(ratingShown(e({ can_rate: true }), false), "offer");
    assert.equal(ratingShown(e({ can_rate: true }), true), "form");
  });
});

describe("sizeText", () => {
  it("gives KB under a megabyte, else MB", () => {
    assert.equal(sizeText(10), "1 KB");
    assert.equal(sizeText(2048), "2 KB");
    assert.equal(sizeText(3.5 * MB), "3.5 MB");
  });
});

describe("rateInviteAllowed", () => {
  const me = { role: "owner" };
  const room = (/** @type {any} */ enquiry, member = me) => ({
    kind: "enquiry",
    members: [],
    me: member,
    enquiry: { id: 4, status: "handling", owner: { id: 5, name: "A" }, channel_kind: "widget", ...enquiry },
  });
  const viewer = { monitor: false, meId: 5, isAdmin: false };

  it("lets the owner or an admin ask while the widget conversation is handled or resolved", () => {
    assert.equal(rateInviteAllowed(room({}), viewer), true);
    assert.equal(rateInviteAllowed(room({ status: "resolved", channel_kind: "weblink" }), viewer), true);
    assert.equal(rateInviteAllowed(room({ owner: { id: 9, name: "B" } }), { ...viewer, isAdmin: true }), true);
  });

  it("refuses others, once rated, closed, monitoring, or a platform channel", () => {
    assert.equal(rateInviteAllowed(room({ owner: { id: 9, name: "B" } }), viewer), false);
    assert.equal(rateInviteAllowed(room({ rated: true }), viewer), false);
    assert.equal(rateInviteAllowed(room({ status: "closed" }), viewer), false);
    assert.equal(rateInviteAllowed(room({}), { ...viewer, monitor: true }), false);
    assert.equal(rateInviteAllowed(room({}, null), viewer), false);
    assert.equal(rateInviteAllowed(room({ channel_kind: "whatsapp" }), viewer), false);
  });
});
