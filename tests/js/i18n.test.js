// Unit tests of static/js/i18n.js: the English fallback without a catalogue, a catalogue
// (window.django, as /jsi18n/<lang>.js defines it), the page's language (<html lang>).
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";

import { gettext, interpolate, ngettext, pageLanguage } from "../../static/js/i18n.js";

afterEach(() => {
  delete globalThis.django;
  delete globalThis.document;
});

/** @param {string} lang */
function page(lang) {
  globalThis.document = { documentElement: { lang } };
}

describe("without a catalogue", () => {
  it("gives the English text back", () => {
    assert.equal(gettext("Start chat"), "Start chat");
    assert.equal(ngettext("%(n)s star", "%(n)s stars", 1), "%(n)s star");
    assert.equal(ngettext("%(n)s star", "%(n)s stars", 3), "%(n)s stars");
    assert.equal(interpolate("%(name)s is typing…", { name: "Alice" }), "Alice is typing…");
    assert.equal(interpolate("%(missing)s stays", {}), "%(missing)s stays");
  });
});

describe("with a catalogue", () => {
  it("reads window.django", () => {
    globalThis.django = { gettext: (s) => ({ "Start chat": "チャットを開始" })[s] || s, ngettext: (s) => `星 ${s}` };
    assert.equal(gettext("Start chat"), "チャットを開始");
    assert.equal(gettext("Other"), "Other");
    assert.equal(ngettext("%(n)s star", "%(n)s stars", 2), "星 %(n)s star");
  });
});

describe("the page's language", () => {
  it("is <html lang> as a BCP 47 tag", () => {
    assert.equal(pageLanguage(), "en"); // no page (node)
    page("zh-hans");
    assert.equal(pageLanguage(), "zh-Hans");
    page("zh-hant");
    assert.equal(pageLanguage(), "zh-Hant");
    page("ja");
    assert.equal(pageLanguage(), "ja");
  });
});
