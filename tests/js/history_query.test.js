// Unit tests of the History page's pure helpers (static/js/dashboard/history_query.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { filtersFromParams, historyQuery, stars, transcriptUrls } from "../../static/js/dashboard/history_query.js";

describe("historyQuery", () => {
  it("sends only the filters with a value, then the cursor and the page size", () => {
    const query = historyQuery({ from: "2026-03-01", to: " ", channel: "3", rating: "", owner: null, customer: " 7 " }, { cursor: "abc", limit: 20 });
    assert.equal(query, "from=2026-03-01&channel=3&customer=7&cursor=abc&limit=20");
  });
  it("has a default page size and no cursor on the first page", () => {
    assert.equal(historyQuery({}), "limit=50");
  });
});

describe("filtersFromParams", () => {
  it("reads the known filters of a URL", () => {
    assert.deepEqual(filtersFromParams(new URLSearchParams("customer=4&x=1&tag=2")), { tag: "2", customer: "4" });
  });
});

describe("transcriptUrls", () => {
  it("points at the API's text and PDF downloads", () => {
    assert.deepEqual(transcriptUrls(12), { txt: "/api/v1/enquiries/12/transcript.txt", pdf: "/api/v1/enquiries/12/transcript.pdf" });
  });
});

describe("stars", () => {
  it("draws a score of 1 to 5 and nothing without a rating", () => {
    assert.equal(stars({ score: 4 }), "★★★★☆");
    assert.equal(stars(null), "");
    assert.equal(stars({ score: 9 }), "★★★★★");
  });
});
