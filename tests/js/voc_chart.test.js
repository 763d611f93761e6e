// Unit tests of the VOC page's helpers (static/js/dashboard/voc_chart.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { indexTone, indexY, overallIndex, polyline, sentimentRows, sentimentSummary, seriesPoints, vocQuery } from "../../static/js/dashboard/voc_chart.js";

const sentiment = {
  customers: [
    { day: "2026-03-03", index: 40, count: 1 },
    { day: "2026-03-01", index: -20, count: 3 },
  ],
  agents: [{ day: "2026-03-02", index: 10, count: 2 }],
};

describe("voc chart", () => {
  it("merges the two series into one row per day, oldest first", () => {
    const rows = sentimentRows(sentiment);
    assert.deepEqual(
      rows.map((r) => [r.day, r.customers && r.customers.index, r.agents && r.agents.index]),
      [
        ["2026-03-01", -20, null],
        ["2026-03-02", null, 10],
        ["2026-03-03", 40, null],
      ],
    );
    assert.deepEqual(sentimentRows({ customers: [], agents: [] }), []);
  });

  it("maps -100..100 to the bottom..top, clamped", () => {
    assert.equal(indexY(100, 80), 0);
    assert.equal(indexY(0, 80), 40);
    assert.equal(indexY(-100, 80), 80);
    assert.equal(indexY(-300, 80), 80);
  });

  it("places a series' points in the middle of their day's slot, skipping empty days", () => {
    const rows = sentimentRows(sentiment);
    const points = seriesPoints(rows, "customers", 300, 100);
    assert.deepEqual(
      points.map((p) => [p.x, p.y, p.day]),
      [
        [50, 60, "2026-03-01"],
        [250, 30, "2026-03-03"],
      ],
    );
    assert.equal(polyline(points), "50.0,60.0 250.0,30.0");
  });

  it("weights the overall index by messages and says it in a sentence", () => {
    assert.equal(overallIndex(sentiment.customers), -5);
    assert.equal(overallIndex([]), null);
    const text = sentimentSummary(sentiment);
    assert.match(text, /Customers: index -5 over 4 messages/);
    assert.match(text, /Agents: index 10 over 2 messages/);
    assert.match(sentimentSummary({ customers: [], agents: [] }), /Customers: no messages/);
  });

  it("builds the query of the filters set", () => {
    assert.equal(vocQuery({ from: "2026-03-01", to: "", channel: " 3 ", tag: null }), "?from=2026-03-01&channel=3");
    assert.equal(vocQuery({}), "");
    assert.equal(vocQuery({ tag: "2" }, { page: 2 }), "?tag=2&page=2");
  });

  it("names the tone of an index", () => {
    assert.equal(indexTone(5), "positive");
    assert.equal(indexTone(4.9), "neutral");
    assert.equal(indexTone(-5), "negative");
  });
});
