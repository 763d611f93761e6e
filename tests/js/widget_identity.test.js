// Unit tests of widget identity verification's decisions (static/widget/chat/identity_rules.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { identityBody, identityOutcome, identityWarning } from "../../static/widget/chat/identity_rules.js";

describe("identityBody", () => {
  it("is null without an identifier (an anonymous visitor's prefill only)", () => {
    assert.equal(identityBody("k3y", null), null);
    assert.equal(identityBody("k3y", { email: "a@example.com" }), null);
    assert.equal(identityBody("k3y", { identifier: "" }), null);
    assert.equal(identityBody("k3y", { identifier: {} }), null);
    assert.equal(identityBody("k3y", { identifier: Number.NaN }), null);
  });
  it("carries the identifier, its hash and the known fields as text", () => {
    const body = identityBody("k3y", {
      identifier: "user-42",
      identifier_hash: "ab12",
      name: "Ann Lee",
      email: "ann@example.com",
      phone: 5, // not text: left out
      plan: "gold", // not ours: left out
    });
    assert.deepEqual(body, {
      channel_key: "k3y",
      identifier: "user-42",
      identifier_hash: "ab12",
      name: "Ann Lee",
      email: "ann@example.com",
    });
  });
  it("takes a numeric user id as its decimal text, and a missing hash as empty (the server refuses it)", () => {
    assert.deepEqual(identityBody("k3y", { identifier: 42 }), { channel_key: "k3y", identifier: "42", identifier_hash: "" });
  });
});

describe("identityOutcome", () => {
  it("keeps the same visitor, switches to a new one", () => {
    assert.equal(identityOutcome({ ok: true, new_visitor: false }, null), "keep");
    assert.equal(identityOutcome({ ok: true, new_visitor: true }, "ann"), "switch");
  });
  it("drops a verified browser's token on a refusal, leaves an anonymous one as it is", () => {
    assert.equal(identityOutcome({ ok: false, status: 403 }, "ann"), "drop");
    assert.equal(identityOutcome({ ok: false, status: 400 }, "ann"), "drop");
    assert.equal(identityOutcome({ ok: false, status: 403 }, null), "anonymous");
  });
  it("asks again without a token the server refused (expired, revoked)", () => {
    assert.equal(identityOutcome({ ok: false, status: 401 }, "ann"), "retry");
    assert.equal(identityOutcome({ ok: false, status: 401 }, null), "retry");
  });
  it("changes nothing when the server could not answer", () => {
    for (const status of [0, 429, 500, 503]) assert.equal(identityOutcome({ ok: false, status }, "ann"), "later");
  });
});

describe("identityWarning", () => {
  it("names the refused field and says the chat goes on anonymously", () => {
    const text = identityWarning({ status: 403, body: { identifier_hash: ["does not match"], detail: "x" } });
    assert.match(text, /identifier_hash: does not match/);
    assert.match(text, /anonymous/);
  });
  it("falls back to the detail, the message, the status", () => {
    assert.match(identityWarning({ status: 400, body: { detail: "Bad" } }), /\(Bad\)/);
    assert.match(identityWarning({ status: 400, message: "Oops" }), /\(Oops\)/);
    assert.match(identityWarning({ status: 400 }), /HTTP 400/);
  });
});
