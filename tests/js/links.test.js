// Unit tests of the links shared by the dashboard and the widget (static/js/links.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { LINK_ATTRS, isSafeLink, linkParts, siteOf } from "../../static/js/links.js";

describe("linkParts", () => {
  it("links http(s) without trailing punctuation, and gives the text back whole", () => {
    const text = "See https://example.com/a?b=1. Or (http://x.org/p)!";
    const parts = linkParts(text);
    assert.deepEqual(parts, [
      { kind: "text", text: "See " },
      { kind: "link", text: "https://example.com/a?b=1", href: "https://example.com/a?b=1" },
      { kind: "text", text: ". Or (" },
      { kind: "link", text: "http://x.org/p", href: "http://x.org/p" },
      { kind: "text", text: ")!" },
    ]);
    assert.equal(parts.map((p) => p.text).join(""), text);
  });

  it("links mailto: and bare e-mail addresses as mailto", () => {
    assert.deepEqual(linkParts("mail mailto:help@acme.example?subject=Hi or vera.v+1@mail.example.org."), [
      { kind: "text", text: "mail " },
      { kind: "link", text: "mailto:help@acme.example?subject=Hi", href: "mailto:help@acme.example?subject=Hi" },
      { kind: "text", text: " or " },
      { kind: "link", text: "vera.v+1@mail.example.org", href: "mailto:vera.v+1@mail.example.org" },
      { kind: "text", text: "." },
    ]);
  });

  it("leaves every other scheme, markup and @handles as text", () => {
    for (const text of ["javascript:alert(1)", "ftp://x.org/a", "data:text/html,<b>x</b>", "<a href=x>y</a>", "@all hi @ann", "a@b"]) {
      assert.deepEqual(linkParts(text), [{ kind: "text", text }], text);
    }
    assert.deepEqual(linkParts(""), []);
  });

  it("keeps a link's quote and angle brackets out of it", () => {
    assert.deepEqual(linkParts('<https://x.org/"onmouseover=1>'), [
      { kind: "text", text: "<" },
      { kind: "link", text: "https://x.org/", href: "https://x.org/" },
      { kind: "text", text: '"onmouseover=1>' },
    ]);
  });

  it("takes an address inside a web link as part of the link", () => {
    assert.deepEqual(linkParts("https://x.org/u/joe@y.com"), [{ kind: "link", text: "https://x.org/u/joe@y.com", href: "https://x.org/u/joe@y.com" }]);
  });
});

describe("isSafeLink, siteOf, LINK_ATTRS", () => {
  it("allows http(s) and mailto only", () => {
    assert.ok(isSafeLink("https://x.org"));
    assert.ok(isSafeLink("mailto:a@b.org"));
    for (const url of ["javascript:alert(1)", "//x.org", "/api/x", "data:x", "https://x.org/a b", null, undefined]) {
      assert.equal(isSafeLink(url), false, String(url));
    }
  });

  it("names a web address's site without www", () => {
    assert.equal(siteOf("https://www.Example.com/a?b"), "example.com");
    assert.equal(siteOf("http://shop.acme.example:8080/"), "shop.acme.example");
    assert.equal(siteOf("mailto:a@b.org"), "");
    assert.equal(siteOf("https://"), "");
  });

  it("opens links in a new tab without opener or referrer", () => {
    assert.equal(LINK_ATTRS.target, "_blank");
    assert.match(LINK_ATTRS.rel, /noopener/);
    assert.match(LINK_ATTRS.rel, /noreferrer/);
  });
});
