// Unit tests of how the widget's conversation reads (static/widget/chat/reading.js) and of
// the day headings of static/js/datetime.js it uses.
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";

import { configure, dayKey, dayLabel } from "../../static/js/datetime.js";
import { RUN_GAP_MS, authorKey, isEdited, isRemoved, previewCard, quoteOf, timeline } from "../../static/widget/chat/reading.js";

afterEach(() => configure({}));

const MIN = 60 * 1000;
const T0 = Date.UTC(2026, 0, 5, 9, 0); // Monday 2026-01-05 09:00 UTC

/** @param {number} at */
const utcDay = (at) => new Date(at).toISOString().slice(0, 10);

/** @param {Partial<import("../../static/widget/chat/types.js").Message>} m */
function msg(m) {
  return { id: 1, room: 1, kind: "text", text: "", author: { type: "staff", id: 3, name: "Alice Agent" }, ...m };
}

describe("timeline", () => {
  it("shows one time under the last message of each run of one author", () => {
    const marks = timeline(
      [
        { author: "staff:3", at: T0 },
        { author: "staff:3", at: T0 + 1 * MIN },
        { author: "visitor:9", at: T0 + 2 * MIN },
        { author: "staff:3", at: T0 + 3 * MIN },
      ],
      utcDay,
    );
    assert.deepEqual(
      marks.map((m) => m.time),
      [false, true, true, true],
    );
    assert.deepEqual(
      marks.map((m) => m.first),
      [true, false, true, true],
    );
    assert.deepEqual(
      marks.map((m) => m.day),
      ["2026-01-05", null, null, null],
    );
  });

  it("starts a new run after a pause of RUN_GAP_MS, and a day heading when the day changes", () => {
    const marks = timeline(
      [
        { author: "staff:3", at: T0 },
        { author: "staff:3", at: T0 + RUN_GAP_MS },
        { author: "staff:3", at: T0 + RUN_GAP_MS + MIN },
        { author: "staff:3", at: T0 + 24 * 60 * MIN },
      ],
      utcDay,
    );
    assert.deepEqual(
      marks.map((m) => [m.day, m.first, m.time]),
      [
        ["2026-01-05", true, true],
        [null, true, false],
        [null, false, true],
        ["2026-01-06", true, true],
      ],
    );
    assert.deepEqual(timeline([], utcDay), []);
  });

  it("keys authors by type and id", () => {
    assert.equal(authorKey(msg({})), "staff:3");
    assert.equal(authorKey(msg({ author: { type: "visitor", id: 9, name: "Vera" } })), "visitor:9");
    assert.equal(authorKey(msg({ author: { type: "system", id: null, name: "System" } })), "system:System");
  });
});

describe("dayKey and dayLabel", () => {
  it("says Today and Yesterday in the time zone, else the date", () => {
    configure({ locale: "en-US", timeZone: "Asia/Tokyo" });
    const now = new Date(Date.UTC(2026, 0, 5, 16, 0)); // Jan 6, 01:00 in Tokyo
    assert.equal(dayKey(now), "2026-01-06");
    assert.equal(dayLabel(Date.UTC(2026, 0, 5, 15, 30), now), "Today"); // 00:30 Jan 6 in Tokyo
    assert.equal(dayLabel(Date.UTC(2026, 0, 5, 14, 30), now), "Yesterday"); // 23:30 Jan 5
    assert.equal(dayLabel(Date.UTC(2026, 0, 2, 3, 0), now), "Friday, Jan 2");
    assert.equal(dayLabel(Date.UTC(2025, 11, 30, 3, 0), now), "Dec 30, 2025");
    configure({ locale: "en-US", timeZone: "America/New_York" });
    assert.equal(dayLabel(Date.UTC(2026, 0, 5, 15, 30), now), "Today"); // both Jan 5 in New York
    assert.equal(dayLabel("", now), "");
  });

  it("is right across a daylight-saving change", () => {
    configure({ locale: "en-US", timeZone: "Europe/Berlin" });
    const now = new Date(Date.UTC(2026, 2, 29, 10, 0)); // the morning clocks went forward
    assert.equal(dayLabel(Date.UTC(2026, 2, 28, 22, 30), now), "Yesterday");
    assert.equal(dayLabel(Date.UTC(2026, 2, 28, 23, 30), now), "Today");
  });
});

describe("quoteOf", () => {
  it("quotes the author and the start of the message, on one line", () => {
    assert.deepEqual(quoteOf(msg({ text: "Line one\n\nline   two" })), { author: "Alice Agent", text: "Line one line two" });
    const long = quoteOf(msg({ text: "x".repeat(300) }));
    assert.equal(long.text.length, 120);
    assert.ok(long.text.endsWith("…"));
  });

  it("quotes a file by its name, a recalled message as recalled, an unknown one plainly", () => {
    assert.equal(quoteOf(msg({ kind: "file", data: { file: { url: "/f", name: "invoice.pdf" } } })).text, "invoice.pdf");
    assert.equal(quoteOf(msg({ text: "", recalled_at: "2026-01-05T09:00:00Z" })).text, "Message recalled");
    assert.deepEqual(quoteOf(undefined), { author: "", text: "Reply to an earlier message" });
  });
});

describe("previewCard", () => {
  const preview = { url: "https://www.example.com/shoes", title: "Shoes", description: "Red <b>shoes</b>", image: "/api/v1/messages/7/preview-image" };

  it("gives title, description, site and the server's image", () => {
    assert.deepEqual(previewCard(msg({ data: { preview } })), {
      url: "https://www.example.com/shoes",
      title: "Shoes",
      description: "Red <b>shoes</b>",
      site: "example.com",
      image: "/api/v1/messages/7/preview-image",
    });
  });

  it("takes images over https or from this server only", () => {
    assert.equal(previewCard(msg({ data: { preview: { ...preview, image: "https://cdn.example.com/a.png" } } })).image, "https://cdn.example.com/a.png");
    for (const image of ["http://cdn.example.com/a.png", "javascript:alert(1)", "//evil.example/a.png", "data:image/png;base64,AA"]) {
      assert.equal(previewCard(msg({ data: { preview: { ...preview, image } } })).image, "", image);
    }
  });

  it("shows nothing without a title or description, for a non-web URL, or once recalled", () => {
    assert.equal(previewCard(msg({ data: { preview: { ...preview, title: "", description: "" } } })), null);
    assert.equal(previewCard(msg({ data: { preview: { ...preview, url: "javascript:alert(1)" } } })), null);
    assert.equal(previewCard(msg({ data: { preview }, recalled_at: "2026-01-05T09:00:00Z" })), null);
    assert.equal(previewCard(msg({ data: {} })), null);
    assert.equal(previewCard(msg({ data: null })), null);
  });
});

describe("isEdited and isRemoved", () => {
  it("marks edits of messages still there", () => {
    assert.equal(isEdited(msg({ edited_at: "2026-01-05T09:01:00Z" })), true);
    assert.equal(isEdited(msg({ edited_at: "2026-01-05T09:01:00Z", recalled_at: "2026-01-05T09:02:00Z" })), false);
    assert.equal(isEdited(msg({})), false);
    assert.equal(isRemoved(msg({ recalled_at: "2026-01-05T09:02:00Z" })), true);
    assert.equal(isRemoved(msg({})), false);
  });
});
