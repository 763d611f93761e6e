// Unit tests of the rating stars' keyboard moves (static/widget/chat/decide.js starStep).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { starStep } from "../../static/widget/chat/decide.js";

describe("starStep", () => {
  it("moves right and up to the next star, left and down to the previous", () => {
    assert.equal(starStep("ArrowRight", 1, 5), 2);
    assert.equal(starStep("ArrowUp", 1, 5), 2);
    assert.equal(starStep("ArrowLeft", 1, 5), 0);
    assert.equal(starStep("ArrowDown", 1, 5), 0);
  });
  it("stops at the ends instead of wrapping", () => {
    assert.equal(starStep("ArrowRight", 4, 5), 4);
    assert.equal(starStep("ArrowLeft", 0, 5), 0);
  });
  it("goes to the first and last with Home and End", () => {
    assert.equal(starStep("Home", 3, 5), 0);
    assert.equal(starStep("End", 0, 5), 4);
  });
  it("ignores other keys", () => {
    assert.equal(starStep("Enter", 2, 5), null);
    assert.equal(starStep(" ", 2, 5), null);
    assert.equal(starStep("Tab", 2, 5), null);
  });
});
