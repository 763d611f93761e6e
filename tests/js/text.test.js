// Unit tests of the room view's pure text helpers (static/js/dashboard/text.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { applySuggestion, composerToken, mentionSuggestions, quickReplySuggestions, segments } from "../../static/js/dashboard/text.js";

describe("segments", () => {
  it("finds links without their trailing punctuation", () => {
    assert.deepEqual(segments("see https://example.com/a?b=1. ok", []), [
      { kind: "text", text: "see " },
      { kind: "link", text: "https://example.com/a?b=1", href: "https://example.com/a?b=1" },
      { kind: "text", text: ". ok" },
    ]);
  });

  it("takes only http(s) links", () => {
    assert.deepEqual(segments("javascript:alert(1) ftp://x", []), [{ kind: "text", text: "javascript:alert(1) ftp://x" }]);
  });

  it("marks mentions of known names, case-insensitively, with names that hold regex characters", () => {
    assert.deepEqual(segments("hi @ann le and @Bob (x) @nobody", ["Ann Le", "Bob (x)"]), [
      { kind: "text", text: "hi " },
      { kind: "mention", text: "@ann le" },
      { kind: "text", text: " and " },
      { kind: "mention", text: "@Bob (x)" },
      { kind: "text", text: " @nobody" },
    ]);
  });

  it("leaves a mention-like part of a link inside the link, and an empty text empty", () => {
    assert.deepEqual(segments("https://x.org/@ann", ["ann"]), [{ kind: "link", text: "https://x.org/@ann", href: "https://x.org/@ann" }]);
    assert.deepEqual(segments("", ["ann"]), []);
  });
});

describe("composerToken", () => {
  it("finds a shortcut or a mention before the caret", () => {
    assert.deepEqual(composerToken("/hel", 4), { kind: "/", query: "hel", start: 0, end: 4 });
    assert.deepEqual(composerToken("hi @Ann L", 9), { kind: "@", query: "Ann L", start: 3, end: 9 });
    assert.deepEqual(composerToken("hi @", 4), { kind: "@", query: "", start: 3, end: 4 });
  });

  it("ignores a shortcut with a space, a slash inside a word, and text after the caret", () => {
    assert.equal(composerToken("/hello there", 12), null);
    assert.equal(composerToken("and/or", 6), null);
    assert.equal(composerToken("plain @ann", 5), null);
    assert.deepEqual(composerToken("/ab rest", 3), { kind: "/", query: "ab", start: 0, end: 3 });
  });
});

describe("suggestions", () => {
  it("lists quick replies by shortcut prefix, at most 8", () => {
    const replies = Array.from({ length: 10 }, (_, i) => ({ shortcut: `Hi${i}`, text: `Hello ${i}` }));
    replies.push({ shortcut: "bye", text: "Bye!" });
    const got = quickReplySuggestions(replies, "hi");
    assert.equal(got.length, 8);
    assert.deepEqual(got[0], { label: "/Hi0", detail: "Hello 0", insert: "Hello 0" });
    assert.deepEqual(quickReplySuggestions(replies, "B"), [{ label: "/bye", detail: "Bye!", insert: "Bye!" }]);
  });

  it("lists names by prefix to insert as a mention with a space after", () => {
    assert.deepEqual(mentionSuggestions(["Ann Le", "Bob", "all"], "a"), [
      { label: "@Ann Le", detail: "", insert: "@Ann Le " },
      { label: "@all", detail: "", insert: "@all " },
    ]);
  });

  it("puts a suggestion in place of the token and the caret after it", () => {
    const value = "hi @An, see you";
    const token = composerToken(value, 6);
    assert.deepEqual(applySuggestion(value, token, "@Ann Le "), { value: "hi @Ann Le , see you", caret: 11 });
  });
});
