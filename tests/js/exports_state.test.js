// Unit tests of the Export page's helpers (static/js/dashboard/exports_state.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { anyActive, exportFilters, isActive, kindLabel, statusText } from "../../static/js/dashboard/exports_state.js";

/** @returns {any} */
function item(fields) {
  return { id: 1, kind: "enquiries", format: "csv", status: "done", progress: 100, rows: 3, size: 10, error: "", created_at: "", expires_at: null, expired: false, download_url: "/x", ...fields };
}

describe("exportFilters", () => {
  it("leaves empty values out and sends ids as numbers", () => {
    assert.deepEqual(exportFilters({ from: "2026-03-01", to: "", channel: "3", owner: " ", rating: "5", tag: undefined }), {
      from: "2026-03-01",
      channel: 3,
      rating: 5,
    });
  });
  it("sends what is not a number as typed (the server names the field)", () => {
    assert.deepEqual(exportFilters({ customer: "abc" }), { customer: "abc" });
  });
  it("gives an empty object for an empty form", () => {
    assert.deepEqual(exportFilters({}), {});
  });
});

describe("export states", () => {
  it("polls while pending or running", () => {
    assert.equal(isActive(item({ status: "pending" })), true);
    assert.equal(isActive(item({ status: "running" })), true);
    assert.equal(isActive(item({ status: "done" })), false);
    assert.equal(anyActive([item({}), item({ status: "running" })]), true);
    assert.equal(anyActive([item({}), item({ status: "failed" })]), false);
    assert.equal(anyActive([]), false);
  });
  it("says the progress, the failure or the expiry", () => {
    assert.equal(statusText(item({ status: "running", progress: 42 })), "Writing… 42%");
    assert.equal(statusText(item({ status: "failed", error: "Boom." })), "Failed: Boom.");
    assert.equal(statusText(item({ status: "done", expired: true })), "Expired");
    assert.equal(statusText(item({})), "Ready");
    assert.equal(statusText(item({ status: "pending" })), "Waiting to start");
  });
  it("labels the kinds", () => {
    assert.equal(kindLabel("notes"), "Notes");
    assert.equal(kindLabel("other"), "other");
  });
});
