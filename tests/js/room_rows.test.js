// Unit tests of the room list's pure helpers (static/js/dashboard/roomrows.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  PREVIEW_CHARS,
  applyChange,
  applyMessage,
  countsAsUnread,
  initials,
  lastMessageOf,
  longestWaiting,
  previewLine,
  sortRows,
  titleWithCount,
  unreadTotals,
  waitedFor,
} from "../../static/js/dashboard/roomrows.js";

const at = (minute) => `2026-11-30T10:${String(minute).padStart(2, "0")}:00Z`;
const msg = (id, type, extra = {}) => ({ id, room: 1, kind: "text", text: `m${id}`, author: { type, id: type === "staff" ? 7 : 3, name: type === "staff" ? "Ann" : "Vera" }, data: {}, created_at: at(id), ...extra });

describe("initials", () => {
  it("takes the first and last words' first letters", () => {
    assert.equal(initials("Vera Visitor"), "VV");
    assert.equal(initials("ann agent lee"), "AL");
    assert.equal(initials("bob.builder@example.com"), "BB");
    assert.equal(initials("Ω"), "Ω");
    assert.equal(initials(""), "?");
    assert.equal(initials(null), "?");
  });
});

describe("previewLine", () => {
  it("names the author, me as You, and files and recalls", () => {
    assert.equal(previewLine(lastMessageOf(msg(1, "visitor")), 7), "Vera: m1");
    assert.equal(previewLine(lastMessageOf(msg(2, "staff")), 7), "You: m2");
    assert.equal(previewLine(lastMessageOf(msg(2, "staff")), 8), "Ann: m2");
    assert.equal(previewLine(lastMessageOf(msg(3, "visitor", { kind: "file", text: "", data: { file: { name: "a.pdf" } } })), 7), "Vera: File: a.pdf");
    assert.equal(previewLine(lastMessageOf(msg(4, "visitor", { recalled_at: at(5) })), 7), "Vera: Message recalled");
    assert.equal(previewLine(lastMessageOf(msg(5, "system", { kind: "system", text: "Transferred" })), 7), "Transferred");
    assert.equal(previewLine(null, 7), "No messages yet");
  });

  it("keeps the text on one line, cut", () => {
    const last = lastMessageOf(msg(1, "visitor", { text: `a\n\n b ${"x".repeat(300)}` }));
    assert.equal(last.text.length, PREVIEW_CHARS);
    assert.ok(last.text.startsWith("a b x"));
  });
});

describe("applyMessage", () => {
  it("moves the last message and starts and ends the wait", () => {
    const row = { id: 1, kind: "enquiry", enquiry: { id: 9, status: "handling" }, waiting_since: null, last_message: null };
    applyMessage(row, msg(1, "visitor"));
    assert.equal(row.waiting_since, at(1));
    applyMessage(row, msg(2, "visitor"));
    assert.equal(row.waiting_since, at(1), "the oldest unanswered message counts");
    assert.equal(row.last_message.text, "m2");
    assert.equal(row.last_message_at, at(2));
    applyMessage(row, msg(3, "staff"));
    assert.equal(row.waiting_since, null);
    applyMessage(row, msg(4, "system", { kind: "system", author: { type: "system", id: null, name: "System" } }));
    assert.equal(row.waiting_since, null);
  });

  it("ignores an older message arriving late, and waits only for active enquiries", () => {
    const row = { id: 1, kind: "enquiry", enquiry: { id: 9, status: "resolved" }, waiting_since: null, last_message: null };
    applyMessage(row, msg(5, "staff"));
    applyMessage(row, msg(4, "visitor"));
    assert.equal(row.last_message.id, 5);
    assert.equal(row.waiting_since, null);
    const space = { id: 2, kind: "space", enquiry: null, waiting_since: null, last_message: null };
    applyMessage(space, msg(1, "visitor"));
    assert.equal(space.waiting_since, null);
  });

  it("follows an edit or recall of the last message only", () => {
    const row = { id: 1, last_message: lastMessageOf(msg(5, "staff")) };
    assert.equal(applyChange(row, msg(4, "staff", { text: "x" })), false);
    assert.equal(applyChange(row, msg(5, "staff", { recalled_at: at(6) })), true);
    assert.equal(row.last_message.recalled, true);
  });
});

describe("sortRows", () => {
  const rows = [
    { id: 1, last_message_at: at(10), waiting_since: null },
    { id: 2, last_message_at: at(5), waiting_since: at(3) },
    { id: 3, last_message_at: at(20), waiting_since: at(15) },
    { id: 4, last_message_at: null, waiting_since: null },
  ];
  it("puts newest activity first", () => {
    assert.deepEqual(sortRows(rows, "recent").map((r) => r.id), [3, 1, 2, 4]);
  });
  it("puts the longest waiting first, then the others by activity", () => {
    assert.deepEqual(sortRows(rows, "waiting").map((r) => r.id), [2, 3, 1, 4]);
    assert.equal(longestWaiting(rows).id, 2);
    assert.equal(longestWaiting([rows[0]]), null);
  });
});

describe("unread totals and the title", () => {
  const rows = [
    { id: 1, unread: 2, mute: "all" },
    { id: 2, unread: 5, mute: "mute" },
    { id: 3, unread: 1, mute: "mentions" },
    { id: 4, unread: 4, mute: "all" },
  ];
  it("leaves out muted rooms and the room on screen", () => {
    assert.deepEqual(unreadTotals(rows, 4), { rooms: 2, messages: 3 });
    assert.equal(countsAsUnread(rows[1], null), false);
  });
  it("puts the count in front of the title, once", () => {
    assert.equal(titleWithCount("Dashboard · Contact center", 3), "(3) Dashboard · Contact center");
    assert.equal(titleWithCount("(3) Dashboard · Contact center", 4), "(4) Dashboard · Contact center");
    assert.equal(titleWithCount("(99+) Dashboard", 0), "Dashboard");
    assert.equal(titleWithCount("Dashboard", 120), "(99+) Dashboard");
  });
  it("says how long someone waited", () => {
    const now = Date.parse(at(30));
    assert.equal(waitedFor(at(30), now), "0s");
    assert.equal(waitedFor(at(26), now), "4 min");
    assert.equal(waitedFor("2026-11-30T08:25:00Z", now), "2 h 05 min");
  });
});
