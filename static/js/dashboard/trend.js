// @ts-check
// The overview's trend, as pure data (no DOM): enquiries opened per hour today against the
// same weekday last week (GET /api/v1/monitoring/overview "trend"), as bar geometry and as
// a sentence for screen readers. overview.js draws it; tests/js/trend.test.js tests it.

import { interpolate, ngettext } from "../i18n.js";

/**
 * @typedef {object} Trend
 * @property {number} hour the current hour (0-23) of the business's day
 * @property {number[]} today 24 counts
 * @property {number[]} last_week 24 counts
 * @property {string} last_week_date ISO date
 */
/** @typedef {{x: number, y: number, width: number, height: number, count: number, hour: number}} Bar */

/**
 * @param {number[]} values
 * @param {number} upto inclusive index
 * @returns {number}
 */
export function sumTo(values, upto) {
  return values.slice(0, upto + 1).reduce((a, b) => a + b, 0);
}

/**
 * Two bars per hour (last week, then today; today's only up to the current hour) scaled to
 * the highest count of either day, on a chart of width × height (bars grow up from the
 * bottom; a zero count has no bar).
 * @param {Trend} trend
 * @param {number} width
 * @param {number} height
 * @returns {{today: Bar[], lastWeek: Bar[], max: number, slot: number}}
 */
export function trendBars(trend, width, height) {
  const max = Math.max(1, ...trend.today, ...trend.last_week);
  const slot = width / 24;
  const barWidth = Math.max(1, slot / 2 - 1);
  /**
   * @param {number[]} values
   * @param {number} offset
   * @param {number} upto
   * @returns {Bar[]}
   */
  const bars = (values, offset, upto) =>
    values
      .map((count, hour) => {
        const barHeight = (count / max) * height;
        return { x: hour * slot + offset, y: height - barHeight, width: barWidth, height: barHeight, count, hour };
      })
      .filter((bar) => bar.count > 0 && bar.hour <= upto);
  return { today: bars(trend.today, slot / 2, trend.hour), lastWeek: bars(trend.last_week, 0.5, 23), max, slot };
}

/**
 * One sentence: today so far against the same weekday last week by this hour and all day.
 * @param {Trend} trend
 * @param {string} weekday the name of last week's day ("Wednesday")
 * @returns {string}
 */
export function trendSummary(trend, weekday) {
  const today = sumTo(trend.today, trend.hour);
  const then = sumTo(trend.last_week, trend.hour);
  const allDay = sumTo(trend.last_week, 23);
  return interpolate(
    ngettext(
      "%(today)s enquiry today so far; last %(weekday)s %(then)s by this hour and %(all)s all day.",
      "%(today)s enquiries today so far; last %(weekday)s %(then)s by this hour and %(all)s all day.",
      today,
    ),
    { today, weekday, then, all: allDay },
  );
}
