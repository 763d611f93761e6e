// Unit tests of the widget's state and its localStorage record (static/widget/chat/state.js).
// Visitors' browsers hold records written by earlier versions: the key and the shape must
// not change, or their conversations are lost on upgrade.
import assert from "node:assert/strict";
import { before, beforeEach, describe, it } from "node:test";

class FakeStorage {
  constructor() {
    /** @type {Map<string, string>} */
    this.items = new Map();
    this.blocked = false;
  }
  getItem(key) {
    if (this.blocked) throw new Error("SecurityError");
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    if (this.blocked) throw new Error("SecurityError");
    this.items.set(key, String(value));
  }
}

const storage = new FakeStorage();
let state;

before(async () => {
  // Just enough of the chat page (templates/widget/_app.html) for page.js to read at import.
  const config = { key: "k3y", directory: { tags: [], staff: [] } };
  globalThis.document = /** @type {any} */ ({
    getElementById: (id) =>
      id === "cc-config" ? { textContent: JSON.stringify(config) } : id === "cc-app" ? { dataset: { mode: "frame" } } : null,
  });
  globalThis.location = /** @type {any} */ ({ search: "?parent=https%3A%2F%2Fshop.example%2Fcart" });
  Object.defineProperty(globalThis, "localStorage", { value: storage, configurable: true });
  state = await import("../../static/widget/chat/state.js");
});

beforeEach(() => {
  storage.items.clear();
  storage.blocked = false;
  Object.assign(state.S, { token: null, enquiryId: null, room: null, enquiry: null, lastId: 0 });
});

describe("the stored record", () => {
  it("lives under cc-widget:<channel key>", () => {
    assert.equal(state.storeKey("abc"), "cc-widget:abc");
    assert.equal(state.STORE_KEY, "cc-widget:k3y");
  });

  it("reads what earlier versions wrote", () => {
    storage.items.set("cc-widget:k3y", '{"token":"v.tok","enquiry":12,"room":34}');
    assert.deepEqual(state.load(), { token: "v.tok", enquiry: 12, room: 34 });
  });

  it("writes {token, enquiry, room} and nothing else", () => {
    Object.assign(state.S, { token: "t", enquiryId: 5, room: 9, lastId: 77, enquiry: { id: 5, status: "open" } });
    state.save();
    assert.equal(storage.items.get("cc-widget:k3y"), '{"token":"t","enquiry":5,"room":9}');
    assert.deepEqual(state.storedRecord(state.S), { token: "t", enquiry: 5, room: 9 });
  });

  it("forgets the conversation but keeps the token", () => {
    Object.assign(state.S, { token: "t", enquiryId: 5, room: 9, lastId: 77, enquiry: { id: 5, status: "open" } });
    state.forget();
    assert.deepEqual([state.S.enquiryId, state.S.room, state.S.enquiry, state.S.lastId], [null, null, null, 0]);
    assert.equal(storage.items.get("cc-widget:k3y"), '{"token":"t","enquiry":null,"room":null}');
  });

  it("reads nothing from a missing or broken record, or blocked storage, and saving then does not throw", () => {
    assert.deepEqual(state.load(), {});
    storage.items.set("cc-widget:k3y", "{not json");
    assert.deepEqual(state.load(), {});
    assert.deepEqual(state.parseStored("null"), {});
    storage.blocked = true;
    assert.deepEqual(state.load(), {});
    assert.doesNotThrow(() => state.save());
  });
});

describe("the page", () => {
  it("reads the mode and keeps only the origin of the host page", async () => {
    const page = await import("../../static/widget/chat/page.js");
    assert.equal(page.mode, "frame");
    assert.equal(page.parentOrigin, "https://shop.example");
    assert.equal(page.config.key, "k3y");
  });
});

describe("the state object", () => {
  it("starts with nothing going on, hidden in frame mode", () => {
    assert.equal(state.S.visible, false);
    assert.equal(state.S.socketState, "closed");
    assert.ok(state.S.pending instanceof Map);
    assert.deepEqual(state.S.prefill, {});
  });
});
