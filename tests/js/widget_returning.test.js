// Unit tests of a returning visitor's helpers (static/widget/chat/returning.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { choiceName, ctaAction, dividerText, historyUrl, keptScrollTop, startNewLabel } from "../../static/widget/chat/returning.js";

describe("ctaAction", () => {
  it("asks while a conversation is waiting or going on", () => {
    assert.equal(ctaAction({ status: "open" }), "ask");
    assert.equal(ctaAction({ status: "handling" }), "ask");
  });

  it("starts anew without one or after it ended", () => {
    for (const status of ["missed", "resolved", "closed"]) assert.equal(ctaAction({ status }), "start", status);
    assert.equal(ctaAction(null), "start");
    assert.equal(ctaAction(undefined), "start");
  });
});

describe("choice texts", () => {
  it("names the team or the person", () => {
    assert.equal(choiceName({ tag: "Sales" }), "Sales");
    assert.equal(choiceName({ staff: 3, staffName: "Sam" }), "Sam");
    assert.equal(choiceName({}), "");
    assert.equal(startNewLabel({ tag: "Sales" }), "Start a new conversation with Sales");
    assert.equal(startNewLabel({ staff: 3 }), "Start a new conversation");
  });
});

describe("historyUrl", () => {
  it("asks for one channel, before a conversation or the newest", () => {
    assert.equal(historyUrl("abcd", 12), "/api/v1/widget/history?channel=abcd&limit=3&before=12");
    assert.equal(historyUrl("a b", null, 5), "/api/v1/widget/history?channel=a+b&limit=5");
  });
});

describe("dividerText", () => {
  const base = { id: 1, created_at: "2026-11-12T10:00:00+00:00", ended_at: null, messages: [], messages_truncated: false };
  it("says the date and who answered", () => {
    const text = dividerText({ ...base, status: "closed", destination: "Support", agent: { display_name: "Olive Owner" } }, "en-GB");
    assert.equal(text, "12 Nov 2026 · Olive Owner");
  });

  it("says where it went when nobody answered", () => {
    assert.equal(dividerText({ ...base, status: "missed", destination: "Sales", agent: null }, "en-GB"), "12 Nov 2026 · Sales · missed");
    assert.equal(dividerText({ ...base, status: "closed", destination: "Sales", agent: null }, "en-GB"), "12 Nov 2026 · Sales");
  });

  it("survives a bad date", () => {
    assert.equal(dividerText({ ...base, created_at: "nope", status: "closed", destination: "Sales", agent: null }), " · Sales");
  });
});

describe("keptScrollTop", () => {
  it("keeps what was on screen in place when content is added above", () => {
    assert.equal(keptScrollTop({ scrollTop: 40, scrollHeight: 1000 }, 1600), 640);
    assert.equal(keptScrollTop({ scrollTop: 0, scrollHeight: 1000 }, 1000), 0);
  });
});
