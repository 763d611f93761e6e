// @ts-check
// The VOC page's pure helpers (no DOM): the sentiment index per day of customers and of
// agents (GET /api/v1/analytics/voc "sentiment") as the rows of a table and as line
// geometry, a sentence for screen readers, and the query string of the page's filters.
// voc.js draws them; tests/js/voc_chart.test.js tests them.

import { gettext, interpolate } from "../i18n.js";

/** @typedef {{day: string, index: number, count: number}} VocDay */
/** @typedef {{customers: VocDay[], agents: VocDay[]}} VocSentiment */
/** @typedef {{day: string, customers: VocDay | null, agents: VocDay | null}} VocRow */
/** @typedef {{x: number, y: number, day: string, index: number, count: number}} VocPoint */

export const FILTER_KEYS = ["from", "to", "channel", "tag"];

/**
 * One row per day that has either series, oldest first.
 * @param {VocSentiment} sentiment
 * @returns {VocRow[]}
 */
export function sentimentRows(sentiment) {
  /** @type {Map<string, VocRow>} */
  const rows = new Map();
  for (const key of /** @type {const} */ (["customers", "agents"])) {
    for (const d of sentiment[key] || []) {
      const row = rows.get(d.day) || { day: d.day, customers: null, agents: null };
      row[key] = d;
      rows.set(d.day, row);
    }
  }
  return [...rows.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
}

/**
 * The y of an index (-100 at the bottom, 100 at the top) on a chart ``height`` high.
 * @param {number} index
 * @param {number} height
 * @returns {number}
 */
export function indexY(index, height) {
  const clamped = Math.max(-100, Math.min(100, index));
  return ((100 - clamped) / 200) * height;
}

/**
 * The points of one series over the days of ``rows`` (the x of a day is the middle of its
 * slot; a day without messages of that series has no point).
 * @param {VocRow[]} rows
 * @param {"customers" | "agents"} key
 * @param {number} width
 * @param {number} height
 * @returns {VocPoint[]}
 */
export function seriesPoints(rows, key, width, height) {
  const slot = width / Math.max(1, rows.length);
  /** @type {VocPoint[]} */
  const points = [];
  rows.forEach((row, i) => {
    const d = row[key];
    if (d) points.push({ x: i * slot + slot / 2, y: indexY(d.index, height), day: d.day, index: d.index, count: d.count });
  });
  return points;
}

/**
 * "x1,y1 x2,y2 ..." for an SVG polyline.
 * @param {VocPoint[]} points
 * @returns {string}
 */
export function polyline(points) {
  return points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
}

/**
 * The index of a series over the whole range: its days' indexes weighted by their messages.
 * @param {VocDay[]} days
 * @returns {number | null} null without messages
 */
export function overallIndex(days) {
  const count = days.reduce((n, d) => n + d.count, 0);
  if (!count) return null;
  return Math.round((days.reduce((n, d) => n + d.index * d.count, 0) / count) * 10) / 10;
}

/**
 * One sentence: each series' index over the range and its messages.
 * @param {VocSentiment} sentiment
 * @returns {string}
 */
export function sentimentSummary(sentiment) {
  /** @param {VocDay[]} days @param {string} who */
  const part = (days, who) => {
    const index = overallIndex(days);
    if (index === null) return interpolate(gettext("%(who)s: no messages"), { who });
    const count = days.reduce((n, d) => n + d.count, 0);
    return interpolate(gettext("%(who)s: index %(index)s over %(count)s messages"), { who, index: String(index), count: String(count) });
  };
  return `${part(sentiment.customers || [], gettext("Customers"))}; ${part(sentiment.agents || [], gettext("Agents"))}.`;
}

/**
 * The query string of the filters set in ``values`` (empty ones left out), with ``extra``.
 * @param {Record<string, string | null | undefined>} values
 * @param {Record<string, string | number>} [extra]
 * @returns {string} "" or "?a=1&b=2"
 */
export function vocQuery(values, extra = {}) {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = (values[key] || "").trim();
    if (value) params.set(key, value);
  }
  for (const [key, value] of Object.entries(extra)) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}

/**
 * A label for an index: "positive", "negative" or "neutral" (the same cut as a message's
 * label: ±5, i.e. a mean score of ±0.05).
 * @param {number} index
 * @returns {"positive" | "negative" | "neutral"}
 */
export function indexTone(index) {
  if (index >= 5) return "positive";
  if (index <= -5) return "negative";
  return "neutral";
}
