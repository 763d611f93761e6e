// Unit tests of the dashboard's pure formatting helpers (static/js/dashboard/dom.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { duration, fileSize, secondsBetween } from "../../static/js/dashboard/dom.js";

describe("duration", () => {
  it("shows seconds, minutes and hours", () => {
    assert.equal(duration(0), "0s");
    assert.equal(duration(59.4), "59s");
    assert.equal(duration(61), "1m 01s");
    assert.equal(duration(3600 * 2 + 60 * 5 + 9), "2h 05m");
    assert.equal(duration(-5), "0s");
  });

  it("shows a dash for no value", () => {
    assert.equal(duration(null), "—");
    assert.equal(duration(undefined), "—");
    assert.equal(duration(NaN), "—");
  });
});

describe("secondsBetween", () => {
  it("counts the seconds between two ISO times, or null without both", () => {
    assert.equal(secondsBetween("2026-01-01T10:00:00Z", "2026-01-01T10:01:30Z"), 90);
    assert.equal(secondsBetween(null, "2026-01-01T10:00:00Z"), null);
    assert.equal(secondsBetween("2026-01-01T10:00:00Z", ""), null);
  });
});

describe("fileSize", () => {
  it("uses B, KB and MB", () => {
    assert.equal(fileSize(0), "0 B");
    assert.equal(fileSize(1023), "1023 B");
    assert.equal(fileSize(1536), "1.5 KB");
    assert.equal(fileSize(5 * 1024 * 1024), "5.0 MB");
    assert.equal(fileSize(null), "");
  });
});
