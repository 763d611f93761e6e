// Unit tests of the room view's state object (static/js/dashboard/room/state.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { createRoomState } from "../../static/js/dashboard/room/state.js";

describe("createRoomState", () => {
  it("starts empty, monitoring when the URL asks for it", () => {
    const stale = () => false;
    const state = createRoomState({ roomId: 7, monitorParam: true, stale });
    assert.equal(state.roomId, 7);
    assert.equal(state.monitor, true);
    assert.equal(state.stale, stale);
    assert.equal(state.info, null);
    assert.equal(state.ui, null);
    assert.equal(state.watching, false);
    assert.equal(state.messages.size, 0);
    assert.equal(state.pendingByClient.size, 0);
    assert.deepEqual(state.suggest, { replies: null, options: [], active: 0, token: null });
    assert.equal(createRoomState({ roomId: 7, monitorParam: false, stale }).monitor, false);
  });

  it("gives every opened room its own collections", () => {
    const a = createRoomState({ roomId: 1, monitorParam: false, stale: () => false });
    const b = createRoomState({ roomId: 1, monitorParam: false, stale: () => false });
    a.messages.set(1, /** @type {any} */ ({ id: 1 }));
    a.disposers.push(() => {});
    a.suggest.options.push({ label: "x", detail: "", insert: "x" });
    assert.equal(b.messages.size, 0);
    assert.equal(b.disposers.length, 0);
    assert.equal(b.suggest.options.length, 0);
  });
});
