// Unit tests of the shared DOM builder (static/js/h.js) over a minimal fake DOM.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";

import { FakeText, installFakeDom } from "./fake_dom.js";

let h, clear, svg;
before(async () => {
  installFakeDom();
  ({ h, clear, svg } = await import("../../static/js/h.js"));
});

describe("h", () => {
  it("puts user text in text nodes, never markup", () => {
    const el = h("p", {}, "<img src=x onerror=alert(1)>", 42);
    assert.equal(el.childNodes.length, 2);
    assert.ok(el.childNodes.every((c) => c instanceof FakeText));
    assert.equal(el.textContent, "<img src=x onerror=alert(1)>42");
  });

  it("sets class, text, dataset, listeners and attributes", () => {
    const onclick = () => {};
    const el = h("button", { class: "primary", text: "Send", dataset: { id: "7" }, onclick, disabled: true, tabindex: 0, title: "t" });
    assert.equal(el.className, "primary");
    assert.equal(el.textContent, "Send");
    assert.deepEqual(el.dataset, { id: "7" });
    assert.deepEqual(el.listeners.click, [onclick]);
    assert.deepEqual(el.attributes, { disabled: "", tabindex: "0", title: "t" });
  });

  it("skips null, undefined and false attributes and children, and flattens nested children", () => {
    const el = h("ul", { hidden: false, title: null, id: undefined }, null, false, undefined, [h("li"), [h("li"), ["x"]]]);
    assert.deepEqual(el.attributes, {});
    assert.deepEqual(
      el.childNodes.map((c) => c.tagName || c.textContent),
      ["LI", "LI", "x"],
    );
  });

  it("clear() replaces the children", () => {
    const el = h("div", {}, "old");
    assert.equal(clear(el, "new", h("b")), el);
    assert.equal(el.childNodes.length, 2);
    assert.equal(el.childNodes[0].textContent, "new");
  });

  it("svg() makes SVG elements with attributes as they are and text as text", () => {
    const rect = svg("rect", { class: "bar", x: 1.5, height: 0, hidden: false }, svg("title", { text: "<b>9</b>" }));
    assert.equal(rect.namespaceURI, "http://www.w3.org/2000/svg");
    assert.deepEqual(rect.attributes, { class: "bar", x: "1.5", height: "0" });
    assert.equal(rect.childNodes[0].textContent, "<b>9</b>");
  });
});
