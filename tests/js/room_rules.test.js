// Unit tests of the room view's pure rules (static/js/dashboard/room/rules.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  canChange,
  enquiryOf,
  headActions,
  insertionIndex,
  isAtBottom,
  isMine,
  isOwner,
  isReadOnly,
  lastMessageId,
  linkNames,
  mentionNames,
  messageClasses,
  messageTools,
  monitorActions,
  monitorAfterReload,
  nextSuggestion,
  readMarkerDue,
  scrollAfterMessage,
  typingDue,
} from "../../static/js/dashboard/room/rules.js";

const ME = 5;
const member = { role: "owner", mute: "all", last_read_message_id: 0 };

/** An enquiry room as GET /api/v1/rooms/<id> answers it. */
function enquiryRoom(status = "handling", ownerId = ME, me = member) {
  return {
    kind: "enquiry",
    members: [
      { id: ME, name: "Alice Agent", role: "owner", availability: "active" },
      { id: 6, name: "Bob Agent", role: "participant", availability: "away" },
    ],
    me,
    enquiry: { id: 40, status, owner: ownerId ? { id: ownerId, name: "Owner" } : null },
  };
}

const staffMessage = (extra = {}) => ({
  id: 1,
  room: 7,
  kind: "text",
  text: "hi",
  author: { type: "staff", id: ME, name: "Alice Agent" },
  created_at: "2026-01-01T10:00:00Z",
  data: {},
  ...extra,
});

describe("enquiryOf and isOwner", () => {
  it("finds the room's enquiry and its owner", () => {
    assert.equal(enquiryOf(enquiryRoom()).id, 40);
    assert.equal(enquiryOf({ kind: "space", members: [], me: null, enquiry: null }), null);
    assert.equal(enquiryOf({ kind: "enquiry", members: [], me: null, enquiry: /** @type {any} */ ({}) }), null);
    assert.equal(isOwner(enquiryRoom(), ME), true);
    assert.equal(isOwner(enquiryRoom("handling", 6), ME), false);
    assert.equal(isOwner(enquiryRoom("handling", 0), ME), false);
    assert.equal(isOwner({ kind: "direct", members: [], me: member }, ME), false);
  });
});

describe("isReadOnly", () => {
  it("is read-only while monitoring or once the enquiry is closed (a missed one is followed up)", () => {
    assert.equal(isReadOnly(enquiryRoom("handling"), false), false);
    assert.equal(isReadOnly(enquiryRoom("resolved"), false), false);
    assert.equal(isReadOnly(enquiryRoom("closed"), false), true);
    assert.equal(isReadOnly(enquiryRoom("missed"), false), false);
    assert.equal(isReadOnly(enquiryRoom("missed"), true), true);
    assert.equal(isReadOnly(enquiryRoom("handling"), true), true);
    assert.equal(isReadOnly({ kind: "space", members: [], me: member }, false), false);
  });
});

describe("headActions", () => {
  const viewer = { monitor: false, meId: ME, isAdmin: false };

  it("gives the owner resolve, transfer and leave while handling", () => {
    assert.deepEqual(headActions(enquiryRoom("handling"), viewer), ["resolve", "transfer", "leave"]);
    assert.deepEqual(headActions(enquiryRoom("resolved"), viewer), ["leave"]);
    assert.deepEqual(headActions(enquiryRoom("closed"), viewer), []);
  });

  it("lets an admin who is not the owner take over", () => {
    assert.deepEqual(headActions(enquiryRoom("handling", 6), { ...viewer, isAdmin: true }), ["leave", "takeOver"]);
    assert.deepEqual(headActions(enquiryRoom("handling", 6), viewer), ["leave"]);
    assert.deepEqual(headActions(enquiryRoom("handling"), { ...viewer, isAdmin: true }), ["resolve", "transfer", "leave"]);
  });

  it("gives none while monitoring, to non-members or outside enquiries", () => {
    assert.deepEqual(headActions(enquiryRoom(), { ...viewer, monitor: true }), []);
    assert.deepEqual(headActions(enquiryRoom("handling", ME, null), viewer), []);
    assert.deepEqual(headActions({ kind: "space", members: [], me: member }, viewer), []);
  });
});

describe("monitorActions", () => {
  it("lets an admin join or take over a live enquiry", () => {
    assert.deepEqual(monitorActions(enquiryRoom("handling", 6), true), ["join", "takeOver"]);
    assert.deepEqual(monitorActions(enquiryRoom("resolved", 6), true), ["join", "takeOver"]);
    assert.deepEqual(monitorActions(enquiryRoom("closed", 6), true), []);
    assert.deepEqual(monitorActions(enquiryRoom("handling", 6), false), []);
    assert.deepEqual(monitorActions({ kind: "space", members: [], me: null }, true), []);
  });
});

describe("monitorAfterReload", () => {
  it("monitors a room one is no longer a member of", () => {
    assert.equal(monitorAfterReload(enquiryRoom("handling", 6, null), false, false), true);
  });

  it("takes part again once a member, unless the URL asks for monitoring", () => {
    assert.equal(monitorAfterReload(enquiryRoom(), true, false), false);
    assert.equal(monitorAfterReload(enquiryRoom(), true, true), true);
    assert.equal(monitorAfterReload(enquiryRoom(), false, false), false);
    assert.equal(monitorAfterReload(enquiryRoom("handling", 6, null), true, true), true);
  });
});

describe("isMine and canChange", () => {
  const now = Date.parse("2026-01-01T10:00:30Z");

  it("knows the viewer's own messages", () => {
    assert.equal(isMine(staffMessage(), ME), true);
    assert.equal(isMine(staffMessage({ author: { type: "visitor", id: ME, name: "V" } }), ME), false);
    assert.equal(isMine(staffMessage({ author: null, kind: "system" }), ME), false);
  });

  it("allows changes to one's own message within the window", () => {
    assert.equal(canChange(staffMessage(), ME, 60, now), true);
    assert.equal(canChange(staffMessage(), ME, 30, now), false, "exactly at the end of the window");
    assert.equal(canChange(staffMessage(), 6, 60, now), false);
    assert.equal(canChange(staffMessage({ recalled_at: "2026-01-01T10:00:10Z" }), ME, 60, now), false);
    assert.equal(canChange(staffMessage({ kind: "system" }), ME, 60, now), false);
  });
});

describe("messageClasses", () => {
  it("marks kind, author, mine, mentions and recalled", () => {
    assert.equal(messageClasses(staffMessage(), ME), "msg msg-text by-staff mine");
    assert.equal(messageClasses(staffMessage({ author: { type: "visitor", id: 1, name: "V" }, data: { mentions: [ME] } }), ME), "msg msg-text by-visitor mentions-me");
    assert.equal(messageClasses(staffMessage({ author: { type: "staff", id: 6, name: "B" }, data: { mention_all: true } }), ME), "msg msg-text by-staff mentions-me");
    assert.equal(messageClasses(staffMessage({ kind: "system", author: null, data: undefined }), ME), "msg msg-system by-system");
    assert.equal(messageClasses(staffMessage({ recalled_at: "t" }), ME), "msg msg-text by-staff mine recalled");
  });
});

describe("messageTools", () => {
  const can = { monitor: false, readOnly: false, changeable: true };

  it("offers reply, copy, forward, and edit and recall while changeable", () => {
    assert.deepEqual(messageTools(staffMessage(), can), ["Reply", "Copy", "Forward", "Edit", "Recall"]);
    assert.deepEqual(messageTools(staffMessage({ kind: "file", text: "" }), can), ["Reply", "Forward", "Recall"]);
    assert.deepEqual(messageTools(staffMessage(), { ...can, changeable: false }), ["Reply", "Copy", "Forward"]);
    assert.deepEqual(messageTools(staffMessage(), { ...can, readOnly: true, changeable: false }), ["Copy", "Forward"]);
  });

  it("offers nothing while monitoring", () => {
    assert.deepEqual(messageTools(staffMessage(), { ...can, monitor: true }), []);
  });
});

describe("linkNames and mentionNames", () => {
  it("marks every member and all in a message's text", () => {
    const info = enquiryRoom();
    info.members.push({ id: 9, name: "", role: "participant", availability: "offline" });
    assert.deepEqual(linkNames(info), ["Alice Agent", "Bob Agent", "all"]);
  });

  it("suggests the other members, and all only in a space", () => {
    assert.deepEqual(mentionNames(enquiryRoom(), ME), ["Bob Agent"]);
    assert.deepEqual(mentionNames({ ...enquiryRoom(), kind: "space" }, ME), ["Bob Agent", "all"]);
  });
});

describe("insertionIndex", () => {
  it("finds the first item with a larger id, skipping items without one", () => {
    assert.equal(insertionIndex([1, 3, 5], 4), 2);
    assert.equal(insertionIndex([1, 3, 5], 0), 0);
    assert.equal(insertionIndex([1, 3, 5], 9), -1);
    assert.equal(insertionIndex([null, 2, null, 8], 5), 3);
    assert.equal(insertionIndex([], 1), -1);
  });
});

describe("lastMessageId and readMarkerDue", () => {
  it("takes the largest id, 0 for none", () => {
    assert.equal(lastMessageId([3, 9, 4]), 9);
    assert.equal(lastMessageId(new Map([[2, {}], [7, {}]]).keys()), 7);
    assert.equal(lastMessageId([]), 0);
  });

  it("moves the marker only forward", () => {
    assert.equal(readMarkerDue(9, 4), 9);
    assert.equal(readMarkerDue(9, null), 9);
    assert.equal(readMarkerDue(9, 9), 0);
    assert.equal(readMarkerDue(3, 9), 0);
    assert.equal(readMarkerDue(0, 0), 0);
  });
});

describe("scrollAfterMessage", () => {
  it("follows at the bottom or one's own message, else offers new messages once", () => {
    assert.equal(scrollAfterMessage({ stick: true, mine: false, known: false }), "bottom");
    assert.equal(scrollAfterMessage({ stick: false, mine: true, known: true }), "bottom");
    assert.equal(scrollAfterMessage({ stick: false, mine: false, known: false }), "jump");
    assert.equal(scrollAfterMessage({ stick: false, mine: false, known: true }), "none");
  });
});

describe("isAtBottom", () => {
  it("allows a little slack", () => {
    assert.equal(isAtBottom(1000, 600, 400), true);
    assert.equal(isAtBottom(1000, 553, 400), true);
    assert.equal(isAtBottom(1000, 552, 400), false);
  });
});

describe("nextSuggestion", () => {
  it("moves and wraps around", () => {
    assert.equal(nextSuggestion(0, "ArrowDown", 3), 1);
    assert.equal(nextSuggestion(2, "ArrowDown", 3), 0);
    assert.equal(nextSuggestion(0, "ArrowUp", 3), 2);
    assert.equal(nextSuggestion(1, "ArrowUp", 3), 0);
  });
});

describe("typingDue", () => {
  it("sends a notice for typed text at most every 1.5 s", () => {
    assert.equal(typingDue(10_000, 0, "h"), true);
    assert.equal(typingDue(10_000, 8_500, "h"), false);
    assert.equal(typingDue(10_000, 8_499, "h"), true);
    assert.equal(typingDue(10_000, 0, "   "), false);
  });
});
