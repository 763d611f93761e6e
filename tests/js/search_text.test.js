import { test } from "node:test";
import assert from "node:assert/strict";
import { debounce, highlightParts, nextIndex, resultHref, searchQuery, worthSearching } from "../../static/js/dashboard/search_text.js";

test("highlightParts cuts the snippet by ranges", () => {
  assert.deepEqual(highlightParts("I want a refund now", [[9, 15]]), [
    { text: "I want a ", hit: false },
    { text: "refund", hit: true },
    { text: " now", hit: false },
  ]);
  assert.deepEqual(highlightParts("我要退款申请", [[2, 4], [4, 6]]), [
    { text: "我要", hit: false },
    { text: "退款", hit: true },
    { text: "申请", hit: true },
  ]);
});

test("highlightParts survives bad ranges", () => {
  assert.deepEqual(highlightParts("abc", [[2, 99], [0, 1], [1, 0], ["x", 2], [0, 2]]), [
    { text: "a", hit: true },
    { text: "b", hit: false },
    { text: "c", hit: true },
  ]);
  assert.deepEqual(highlightParts("abc", null), [{ text: "abc", hit: false }]);
  assert.deepEqual(highlightParts("", []), []);
});

test("debounce runs the last call once after the delay", () => {
  const timers = [];
  const fake = { set: (f, ms) => timers.push({ f, ms, live: true }) - 1, clear: (id) => (timers[id].live = false) };
  const seen = [];
  const run = debounce((q) => seen.push(q), 200, fake);
  run("a");
  run("ab");
  run("abc");
  timers.filter((t) => t.live).forEach((t) => t.f());
  assert.deepEqual(seen, ["abc"]);
  assert.equal(timers[0].ms, 200);
  run("x");
  run.cancel();
  assert.equal(timers.filter((t) => t.live).length, 1); // only the already-run one stays marked
});

test("worthSearching", () => {
  assert.equal(worthSearching(""), false);
  assert.equal(worthSearching("  "), false);
  assert.equal(worthSearching("a"), false);
  assert.equal(worthSearching("ab"), true);
  assert.equal(worthSearching("款"), true);
  assert.equal(worthSearching("ก"), true);
});

test("nextIndex wraps and starts from none", () => {
  assert.equal(nextIndex(-1, 1, 3), 0);
  assert.equal(nextIndex(-1, -1, 3), 2);
  assert.equal(nextIndex(2, 1, 3), 0);
  assert.equal(nextIndex(0, -1, 3), 2);
  assert.equal(nextIndex(0, 1, 0), -1);
});

test("resultHref", () => {
  assert.equal(resultHref({ type: "message", enquiry: 1, room: 2, message: 3, customer: null, open: "room" }), "/app/rooms/2?message=3");
  assert.equal(resultHref({ type: "message", enquiry: 1, room: 2, message: 3, customer: null, open: "history" }), "/app/history/1?message=3");
  assert.equal(resultHref({ type: "enquiry", enquiry: 1, room: 2, message: null, customer: null, open: "room" }), "/app/rooms/2");
  assert.equal(resultHref({ type: "customer", enquiry: null, room: null, message: null, customer: 9, open: "history" }), "/app/customers/9");
});

test("searchQuery leaves empty values out", () => {
  assert.equal(searchQuery({ q: "退款 refund", scope: "messages", from: "", channel: null }), "q=%E9%80%80%E6%AC%BE+refund&scope=messages");
});
