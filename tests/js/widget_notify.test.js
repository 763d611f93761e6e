// Unit tests of the widget's notification rules (static/widget/chat/notify_rules.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { isMutedValue, muteKey, recordNotification } from "../../static/widget/chat/notify_rules.js";

describe("recordNotification", () => {
  it("starts a burst, then shows its latest text", () => {
    const log = [];
    const first = recordNotification(log, { title: "Alice", body: "I found your order." }, { folded: false, unseen: true });
    assert.equal(first.isNew, true);
    const second = recordNotification(log, { title: "Alice", body: "It ships tomorrow." }, { folded: true, unseen: true });
    assert.equal(second.isNew, false);
    assert.deepEqual(log, [{ title: "Alice", body: "It ships tomorrow.", count: 2, shown: true }]);
  });
  it("starts a new entry after the fold window, or with nothing to fold into", () => {
    const log = [];
    assert.equal(recordNotification(log, { title: "A", body: "one" }, { folded: true, unseen: false }).isNew, true);
    assert.equal(recordNotification(log, { title: "A", body: "two" }, { folded: false, unseen: false }).isNew, true);
    assert.deepEqual(log.map((e) => [e.body, e.count, e.shown]), [["one", 1, false], ["two", 1, false]]);
  });
  it("is shown once any message of the burst came while the chat was hidden", () => {
    const log = [];
    recordNotification(log, { title: "A", body: "seen" }, { folded: false, unseen: false });
    recordNotification(log, { title: "A", body: "unseen" }, { folded: true, unseen: true });
    recordNotification(log, { title: "A", body: "seen again" }, { folded: true, unseen: false });
    assert.deepEqual(log, [{ title: "A", body: "seen again", count: 3, shown: true }]);
  });
});

describe("mute switch", () => {
  it("is kept per channel, as \"1\"", () => {
    assert.equal(muteKey("abc"), "cc-widget-mute:abc");
    assert.equal(isMutedValue("1"), true);
    assert.equal(isMutedValue(null), false);
    assert.equal(isMutedValue("0"), false);
  });
});
