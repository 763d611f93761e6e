// Unit tests of the widget's decisions about what to show (static/widget/chat/decide.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import {
  NOTIFY_FOLD_MS,
  afterChat,
  afterChatKey,
  agentShown,
  bubbleClass,
  concernsEnquiry,
  conversationEnded,
  firstChoice,
  foldsIntoLast,
  fromHostPage,
  hasDirectory,
  prefillFields,
} from "../../static/widget/chat/decide.js";

const owner = { id: 7, display_name: "Alice", availability: "active" };
const enquiry = (over) => ({ id: 1, status: "open", owner, can_leave_note: false, can_rate: false, note: null, rating: null, ...over });

describe("foldsIntoLast", () => {
  it("folds messages less than 3 s apart, the first one never", () => {
    assert.equal(NOTIFY_FOLD_MS, 3000);
    assert.equal(foldsIntoLast(1_000_000, 0), false);
    assert.equal(foldsIntoLast(10_000 + 2999, 10_000), true);
    assert.equal(foldsIntoLast(10_000 + 3000, 10_000), false);
  });
});

describe("the agent and the composer", () => {
  it("shows the owner while handling and after resolve only", () => {
    assert.equal(agentShown(enquiry({ status: "handling" })), owner);
    assert.equal(agentShown(enquiry({ status: "resolved" })), owner);
    assert.equal(agentShown(enquiry({ status: "open" })), null);
    assert.equal(agentShown(enquiry({ status: "missed" })), null);
    assert.equal(agentShown(enquiry({ status: "closed" })), null);
  });

  it("ends the conversation (no composer) when missed or closed, not when resolved", () => {
    assert.equal(conversationEnded(enquiry({ status: "missed" })), true);
    assert.equal(conversationEnded(enquiry({ status: "closed" })), true);
    assert.equal(conversationEnded(enquiry({ status: "resolved" })), false);
    assert.equal(conversationEnded(enquiry({ status: "handling" })), false);
  });
});

describe("afterChat", () => {
  it("shows nothing while the chat goes on", () => {
    assert.deepEqual(afterChat(enquiry({ status: "handling" })), { note: null, rating: null, restart: false, person: false });
  });

  it("offers the note form when missed, then thanks for the note", () => {
    assert.deepEqual(afterChat(enquiry({ status: "missed", can_leave_note: true })), { note: "form", rating: null, restart: true, person: false });
    assert.deepEqual(afterChat(enquiry({ status: "missed", note: { text: "x" } })), { note: "thanks", rating: null, restart: true, person: false });
  });

  it("thanks for a note only on a missed conversation", () => {
    assert.equal(afterChat(enquiry({ status: "closed", note: { text: "x" } })).note, null);
  });

  it("offers the rating form, then thanks for the rating", () => {
    assert.deepEqual(afterChat(enquiry({ status: "resolved", can_rate: true })), { note: null, rating: "form", restart: false, person: false });
    assert.deepEqual(afterChat(enquiry({ status: "closed", rating: { score: 4 } })), { note: null, rating: "thanks", restart: true, person: false });
  });

  it("offers a person while the robot answers", () => {
    assert.equal(afterChat(enquiry({ status: "open", with_robot: true })).person, true);
    assert.equal(afterChat(enquiry({ status: "open", with_robot: false })).person, false);
    assert.notEqual(afterChatKey(enquiry({ status: "open", with_robot: true })), afterChatKey(enquiry({ status: "open" })));
  });

  it("changes its key exactly when what it shows may change", () => {
    const a = enquiry({ status: "missed", can_leave_note: true });
    assert.equal(afterChatKey(a), "missed:true:false:false:false:false");
    assert.equal(afterChatKey({ ...a, queue_position: 4, owner: null }), afterChatKey(a));
    assert.notEqual(afterChatKey({ ...a, can_leave_note: false, note: { text: "x" } }), afterChatKey(a));
  });
});

describe("bubbleClass", () => {
  it("tells mine, theirs and system messages apart, and marks pending ones", () => {
    assert.equal(bubbleClass({ mine: true }), "cc-msg cc-mine");
    assert.equal(bubbleClass({ mine: false }), "cc-msg cc-theirs");
    assert.equal(bubbleClass({ mine: false, system: true }), "cc-msg cc-system");
    assert.equal(bubbleClass({ mine: true, pending: true }), "cc-msg cc-mine cc-pending");
  });
});

describe("firstChoice", () => {
  it("opens the start form for the frame's ?tag= or ?staff=", () => {
    assert.deepEqual(firstChoice("frame", new URLSearchParams("tag=Sales&staff=3")), { tag: "Sales" });
    assert.deepEqual(firstChoice("frame", new URLSearchParams("staff=3")), { staff: 3 });
  });

  it("opens it for a web link's ?tag= too", () => {
    assert.deepEqual(firstChoice("page", new URLSearchParams("tag=Sales&utm_source=qr")), { tag: "Sales" });
  });

  it("goes home otherwise: no choice, a bad staff id", () => {
    assert.equal(firstChoice("frame", new URLSearchParams("")), null);
    assert.equal(firstChoice("frame", new URLSearchParams("staff=abc")), null);
    assert.equal(firstChoice("page", new URLSearchParams("")), null);
  });
});

describe("hasDirectory", () => {
  it("is true with teams or people to choose from", () => {
    assert.equal(hasDirectory({ tags: [], staff: [] }), false);
    assert.equal(hasDirectory({ tags: [{ id: 1 }], staff: [] }), true);
    assert.equal(hasDirectory({ tags: [], staff: [owner] }), true);
  });
});

describe("concernsEnquiry", () => {
  it("is true for events about this enquiry or naming none", () => {
    assert.equal(concernsEnquiry({ enquiry_id: 5 }, 5), true);
    assert.equal(concernsEnquiry({ enquiry: { id: 5 } }, 5), true);
    assert.equal(concernsEnquiry({}, 5), true);
    assert.equal(concernsEnquiry({ enquiry_id: 6 }, 5), false);
    assert.equal(concernsEnquiry({ enquiry: { id: 6 } }, 5), false);
  });
});

describe("prefillFields", () => {
  it("keeps the known fields with string values only", () => {
    assert.deepEqual(prefillFields({ first_name: "Vera", email: "v@example.com", phone: 123, city: "Oslo" }), {
      first_name: "Vera",
      email: "v@example.com",
    });
    assert.deepEqual(prefillFields(null), {});
    assert.deepEqual(prefillFields({ toString: "x", constructor: "y" }), {});
  });
});

describe("fromHostPage", () => {
  const parent = { name: "host window" };
  const origin = "https://shop.example";

  it("takes commands from the framing window at the loader's origin, in frame mode", () => {
    assert.equal(fromHostPage({ source: parent, origin }, "frame", origin, parent), true);
  });

  it("ignores other windows, other origins, no known origin and web link pages", () => {
    assert.equal(fromHostPage({ source: { name: "other" }, origin }, "frame", origin, parent), false);
    assert.equal(fromHostPage({ source: parent, origin: "https://evil.example" }, "frame", origin, parent), false);
    assert.equal(fromHostPage({ source: parent, origin: "null" }, "frame", null, parent), false);
    assert.equal(fromHostPage({ source: parent, origin }, "page", origin, parent), false);
  });
});
