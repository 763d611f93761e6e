// Unit tests of the overview's trend (static/js/dashboard/trend.js).
import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { sumTo, trendBars, trendSummary } from "../../static/js/dashboard/trend.js";

const zeros = () => Array(24).fill(0);

function trend() {
  const today = zeros();
  const lastWeek = zeros();
  today[9] = 2;
  today[10] = 1;
  today[15] = 7; // later than the current hour: cannot be, but never drawn
  lastWeek[9] = 4;
  lastWeek[16] = 1;
  return { hour: 10, today, last_week: lastWeek, last_week_date: "2026-02-25" };
}

describe("trend", () => {
  it("sums up to an hour", () => {
    assert.equal(sumTo(trend().today, 9), 2);
    assert.equal(sumTo(trend().last_week, 23), 5);
  });

  it("draws two bars per hour, scaled to the highest count, today only up to now", () => {
    const { today, lastWeek, max, slot } = trendBars(trend(), 240, 70);
    assert.equal(slot, 10);
    assert.equal(max, 7);
    assert.deepEqual(
      today.map((b) => [b.hour, b.count]),
      [
        [9, 2],
        [10, 1],
      ],
    );
    assert.deepEqual(
      lastWeek.map((b) => b.hour),
      [9, 16],
    );
    const nine = lastWeek[0];
    assert.equal(nine.height, 40);
    assert.equal(nine.y, 30);
    assert.ok(today[0].x > nine.x, "today's bar stands right of last week's");
  });

  it("an empty day draws nothing and divides by nothing", () => {
    const empty = { hour: 3, today: zeros(), last_week: zeros(), last_week_date: "2026-02-25" };
    const { today, lastWeek, max } = trendBars(empty, 240, 70);
    assert.deepEqual([today, lastWeek, max], [[], [], 1]);
  });

  it("says it in one sentence", () => {
    assert.equal(trendSummary(trend(), "Wednesday"), "3 enquiries today so far; last Wednesday 4 by this hour and 5 all day.");
    const one = { ...trend(), today: zeros() };
    one.today[0] = 1;
    assert.equal(trendSummary(one, "Wednesday"), "1 enquiry today so far; last Wednesday 4 by this hour and 5 all day.");
  });
});
