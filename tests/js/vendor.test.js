// The vendored Chart.js (static/vendor/chartjs/, copied by scripts/vendor_js.sh) is the version
// package.json pins, with its licence beside it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";

const root = new URL("../../", import.meta.url);
const read = (path) => readFileSync(new URL(path, root), "utf8");

describe("vendored Chart.js", () => {
  it("is the pinned version, with its MIT licence", () => {
    const pinned = JSON.parse(read("package.json")).dependencies["chart.js"];
    assert.match(pinned, /^\d+\.\d+\.\d+$/, "pinned exactly");
    const head = read("static/vendor/chartjs/chart.umd.min.js").slice(0, 300);
    assert.ok(head.includes(`Chart.js v${pinned}`), head);
    assert.match(read("static/vendor/chartjs/LICENSE.md"), /The MIT License/);
  });
});
