// Unit tests of the Review page's pure helpers (static/js/dashboard/review_format.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { formatTotal, missingScores, reviewBody, reviewQuery, scoredCriteria, summaryTable, weightedTotal } from "../../static/js/dashboard/review_format.js";

const criteria = [
  { id: 3, name: "Speed", description: "", weight: 1, active: true, position: 2, archived: false },
  { id: 1, name: "Courtesy", description: "", weight: 2, active: true, position: 0, archived: false },
  { id: 2, name: "Accuracy", description: "", weight: 1, active: true, position: 1, archived: false },
  { id: 4, name: "Old", description: "", weight: 1, active: false, position: 3, archived: true },
  { id: 5, name: "Paused", description: "", weight: 1, active: false, position: 4, archived: false },
];

describe("scoredCriteria", () => {
  it("keeps the active criteria in the rubric's order", () => {
    assert.deepEqual(scoredCriteria(criteria).map((c) => c.name), ["Courtesy", "Accuracy", "Speed"]);
  });
});

describe("weightedTotal", () => {
  it("is the weighted mean, two decimals, half up, as the server's", () => {
    assert.equal(weightedTotal(criteria, { 1: 5, 2: 4, 3: 3 }), 4.25);
    assert.equal(weightedTotal([{ ...criteria[0], weight: 3 }, { ...criteria[1], weight: 5 }], { 3: 5, 1: 2 }), 3.13);
    assert.equal(weightedTotal(criteria, { 1: 5, 2: 4, 3: 4 }), 4.5);
  });
  it("counts only the scores given so far, and is null before any", () => {
    assert.equal(weightedTotal(criteria, { 2: 4 }), 4);
    assert.equal(weightedTotal(criteria, {}), null);
    assert.equal(weightedTotal(criteria, { 1: 9 }), null);
  });
});

describe("missingScores", () => {
  it("names the criteria without a score", () => {
    assert.deepEqual(missingScores(scoredCriteria(criteria), { 1: 5 }), ["Accuracy", "Speed"]);
    assert.deepEqual(missingScores(scoredCriteria(criteria), { 1: 5, 2: 1, 3: 2 }), []);
  });
});

describe("formatTotal", () => {
  it("shows two decimals, or a dash", () => {
    assert.equal(formatTotal(4), "4.00");
    assert.equal(formatTotal(3.125), "3.13");
    assert.equal(formatTotal(null), "—");
  });
});

describe("reviewBody", () => {
  it("sends the scores of the criteria scored, the trimmed comment and the enquiry", () => {
    assert.deepEqual(reviewBody(scoredCriteria(criteria), { 1: 5, 2: 4, 3: 3, 5: 1 }, "  ok ", 12), { enquiry: 12, scores: { 1: 5, 2: 4, 3: 3 }, comment: "ok" });
    assert.deepEqual(reviewBody(scoredCriteria(criteria), { 1: 5 }, ""), { scores: { 1: 5 }, comment: "" });
  });
});

describe("summaryTable", () => {
  it("puts each agent's averages under the summary's criteria", () => {
    const rows = summaryTable({
      criteria: criteria.slice(0, 2),
      rows: [{ agent: { id: 7, name: "Alice" }, reviews: 2, average: 3.13, criteria: [{ criterion: 1, count: 2, average: 3.5 }] }],
    });
    assert.deepEqual(rows, [{ agent: "Alice", agentId: 7, reviews: 2, average: 3.13, cells: [null, 3.5] }]);
  });
});

describe("reviewQuery", () => {
  it("keeps the values that are set", () => {
    assert.equal(reviewQuery({ agent: 3, from: "2026-03-01", to: " ", enquiry: null }), "agent=3&from=2026-03-01");
  });
});
